"""One decode per image: bytes → RGB uint8 array, with the limits that keep a batch alive.

Handles what real uploads contain: EXIF orientation, grayscale, CMYK, palette, alpha
(composited on white), 16-bit and float images (rescaled to 8 bit), animated images
(first frame). Pixel counts are checked from the header before any pixel is decoded,
so a decompression bomb costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InvalidImageError

# Analysers work on a copy no larger than this on its long side (faces and text stay
# legible; a 50 MP photo would otherwise cost ~150 MB per image in memory).
WORKING_MAX_SIDE = 4096
# A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8: Pillow's draft(), ~4x faster
# than a full decode of 12 MP) that keeps its long side at least this long: photo text
# detectable at the detector's 640 px is then ≥ 30 px high, enough to read. What needs
# more asks for it (DecodedImage.sharper): document pages, faces too small to embed.
DECODE_MIN_SIDE = 2000
# The one shared downscale every detector starts from (text 640, objects 300,
# moderation 256 and 224, faces 192): area-averaged once instead of once per model. Its
# sides are multiples of PREVIEW_MULTIPLE, so it is exactly the text detector's input
# (the others squash it to a square anyway).
PREVIEW_SIDE = 640
PREVIEW_MULTIPLE = 32

Image.MAX_IMAGE_PIXELS = None  # we enforce our own limit, before decoding
_WHITESPACE = re.compile(rb"\s+")


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # H×W×3 uint8, upright
    original_width: int
    original_height: int
    format: str
    reduction: int = 1  # rgb is 1/reduction of what the file holds (JPEG DCT scaling)
    source: bytes | None = field(default=None, repr=False, compare=False)  # to decode sharper

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @cached_property
    def preview(self) -> np.ndarray:
        """rgb area-averaged to PREVIEW_SIDE on its long side, sides rounded to multiples of
        PREVIEW_MULTIPLE (rgb itself when it is not larger)."""
        scale = PREVIEW_SIDE / max(self.height, self.width)
        if scale >= 1:
            return self.rgb
        w, h = (max(PREVIEW_MULTIPLE, round(side * scale / PREVIEW_MULTIPLE) * PREVIEW_MULTIPLE)
                for side in (self.width, self.height))
        return cv2.resize(self.rgb, (w, h), interpolation=cv2.INTER_AREA)

    def sharper(self) -> DecodedImage:
        """The same image at the file's full resolution (up to WORKING_MAX_SIDE); itself when
        it already is. Decoded once, whichever analysers ask."""
        return self._full_resolution

    @cached_property
    def _full_resolution(self) -> DecodedImage:
        if self.reduction == 1 or self.source is None:
            return self
        return _decode(self.source, min_side=None)


def decode_base64(text: str) -> bytes:
    """Strict base64 → bytes. Line breaks (MIME-wrapped base64) are tolerated."""
    raw = text.encode("ascii", "replace").strip()
    if raw[:5].lower() == b"data:":
        raise InvalidImageError(
            "data_base64 must be raw base64: remove the 'data:<type>;base64,' prefix",
            code="data_uri_not_allowed",
        )
    try:
        data = base64.b64decode(_WHITESPACE.sub(b"", raw), validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidImageError(f"data_base64 is not valid base64: {err}", code="invalid_base64") from err
    if not data:
        raise InvalidImageError("the image is empty (0 bytes)", code="empty_image")
    return data


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        if img.mode.startswith("I;16") and hi > 255:
            lo, hi = 0.0, 65535.0
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        img = Image.fromarray(((arr - lo) * scale).clip(0, 255).astype(np.uint8))
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB") if img.mode != "RGB" else img


def decode_image(data: bytes, *, max_pixels: int) -> DecodedImage:
    """Decode an image file; InvalidImageError (with a code) for anything we cannot analyse."""
    if not data:
        raise InvalidImageError("the image is empty (0 bytes)", code="empty_image")
    return _decode(data, min_side=DECODE_MIN_SIDE, max_pixels=max_pixels)


def _decode(data: bytes, *, min_side: int | None, max_pixels: int | None = None) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if max_pixels is not None and width * height > max_pixels:
                raise InvalidImageError(
                    f"image has {width}x{height} = {width * height} pixels, more than the "
                    f"limit of {max_pixels}", code="image_too_large")
            fmt = img.format or "unknown"
            img.seek(0)  # animated GIF/WebP/APNG: the first frame
            reduction = 1
            if fmt == "JPEG":
                reduction = _dct_reduction(width, height, min_side)
                img.draft("RGB", (width // reduction, height // reduction))
                reduction = max(1, round(width / img.size[0]))
            img.load()
            img = ImageOps.exif_transpose(img)
            img = _to_rgb(img)
            if max(img.size) > WORKING_MAX_SIDE:  # reducing_gap: a fast integer reduce() first
                img.thumbnail((WORKING_MAX_SIDE, WORKING_MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
            rgb = np.asarray(img, dtype=np.uint8)
    except InvalidImageError:
        raise
    except UnidentifiedImageError as err:
        raise InvalidImageError("the bytes are not an image in a format we can decode",
                                code="invalid_image") from err
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        raise InvalidImageError(f"the image could not be decoded: {err}", code="invalid_image") from err
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise InvalidImageError("the image has no pixels", code="invalid_image")
    return DecodedImage(np.ascontiguousarray(rgb), width, height, fmt, reduction, data if reduction > 1 else None)


def _dct_reduction(width: int, height: int, min_side: int | None) -> int:
    """The largest JPEG DCT scale divisor (1, 2, 4, 8) that keeps the long side ≥ min_side
    (None: the full size), or ≥ WORKING_MAX_SIDE, to which anything larger is shrunk anyway."""
    long_side = max(width, height)
    keep = min(long_side if min_side is None else min_side, WORKING_MAX_SIDE)
    return max((d for d in (1, 2, 4, 8) if long_side / d >= keep), default=1)
