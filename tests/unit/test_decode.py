"""Decoding real-world image variants, and refusing what cannot be analysed."""

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from medialens.analysis.decode import decode_base64, decode_image
from medialens.errors import InvalidImageError

LIMIT = 40_000_000


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo(corpus):
    with Image.open(corpus / "images/general/skimage_coffee.png") as img:
        return img.convert("RGB")


def test_base64_is_strict():
    assert decode_base64(base64.b64encode(b"abc").decode()) == b"abc"
    assert decode_base64("YWJj\nZGVm\n") == b"abcdef"  # MIME line breaks are fine
    with pytest.raises(InvalidImageError) as err:
        decode_base64("data:image/png;base64,iVBORw0KGgo=")
    assert err.value.code == "data_uri_not_allowed"
    with pytest.raises(InvalidImageError) as err:
        decode_base64("not base64 at all!")
    assert err.value.code == "invalid_base64"
    with pytest.raises(InvalidImageError) as err:
        decode_base64("")
    assert err.value.code == "empty_image"


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P", "I;16"])
def test_modes_become_rgb(photo, mode):
    if mode == "I;16":
        gray = np.asarray(photo.convert("L"), dtype=np.uint16) * 257
        img = Image.fromarray(gray)
        assert img.mode.startswith("I;16")
        fmt = "PNG"
    else:
        img = photo.convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
    decoded = decode_image(_encode(img, fmt), max_pixels=LIMIT)
    assert decoded.rgb.shape == (photo.height, photo.width, 3) and decoded.rgb.dtype == np.uint8
    # the picture survives: mean brightness stays close to the original's
    assert abs(decoded.rgb.mean() - np.asarray(photo.convert("L")).mean()) < 25


def test_alpha_is_composited_on_white(photo):
    rgba = photo.convert("RGBA")
    rgba.putalpha(0)
    decoded = decode_image(_encode(rgba, "PNG"), max_pixels=LIMIT)
    assert decoded.rgb.min() == 255


def test_exif_orientation_is_applied(photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    decoded = decode_image(_encode(photo, "JPEG", exif=exif), max_pixels=LIMIT)
    assert (decoded.width, decoded.height) == (photo.height, photo.width)


def test_animated_gif_uses_the_first_frame(photo):
    frames = [photo.convert("P"), Image.new("P", photo.size, 0)]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    decoded = decode_image(data, max_pixels=LIMIT)
    assert decoded.rgb.mean() > 30  # not the black second frame


def test_truncated_file_is_an_invalid_image(photo):
    data = _encode(photo, "JPEG")
    with pytest.raises(InvalidImageError) as err:
        decode_image(data[: len(data) // 3], max_pixels=LIMIT)
    assert err.value.code == "invalid_image"


def test_non_image_bytes_are_refused():
    with pytest.raises(InvalidImageError) as err:
        decode_image(b"%PDF-1.7 this is not an image", max_pixels=LIMIT)
    assert err.value.code == "invalid_image"
    with pytest.raises(InvalidImageError):
        decode_image(b"", max_pixels=LIMIT)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png_claiming(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(InvalidImageError) as err:
        decode_image(bomb, max_pixels=LIMIT)
    assert err.value.code == "image_too_large"


def test_a_large_jpeg_decodes_at_the_dct_scale_analysers_need(photo):
    from medialens.analysis.decode import DECODE_MIN_SIDE, PREVIEW_MULTIPLE, PREVIEW_SIDE

    big = photo.resize((4000, 2700))  # 10.8 MP
    image = decode_image(_encode(big, "JPEG", quality=90), max_pixels=LIMIT)
    assert image.reduction == 2 and (image.width, image.height) == (2000, 1350)  # 1/2 keeps >= DECODE_MIN_SIDE
    assert max(image.width, image.height) >= DECODE_MIN_SIDE
    assert (image.original_width, image.original_height) == (4000, 2700)
    sharp = image.sharper()  # what document pages and small faces ask for
    assert sharp.reduction == 1 and (sharp.width, sharp.height) == (4000, 2700)
    assert np.abs(cv2_resize(sharp.rgb, image.width, image.height) - image.rgb.astype(np.int16)).mean() < 4

    preview = image.preview  # the one shared downscale, made once
    assert preview is image.preview and max(preview.shape[:2]) == PREVIEW_SIDE
    assert all(side % PREVIEW_MULTIPLE == 0 for side in preview.shape[:2])


def test_small_and_non_jpeg_images_are_decoded_whole(photo):
    png = decode_image(_encode(photo.resize((3000, 2000)), "PNG"), max_pixels=LIMIT)
    assert png.reduction == 1 and png.width == 3000 and png.sharper() is png
    small = decode_image(_encode(photo, "JPEG"), max_pixels=LIMIT)  # 600x400: below the DCT scales' use
    assert small.reduction == 1 and small.preview is small.rgb


def cv2_resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA).astype(np.int16)
