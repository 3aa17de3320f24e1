"""Fixtures shared by every tier: the dev corpus and small real images made from it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"dev corpus not found at {CORPUS} (it lives in ../shared beside the checkout)")
    return CORPUS


def jpeg_bytes(path: Path, max_side: int = 480, quality: int = 85) -> bytes:
    """A real photo from the corpus, re-encoded small (keeps request bodies light)."""
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((max_side, max_side))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        return out.getvalue()


def grab_frames(video: Path, first: int, count: int, size: tuple[int, int] = (160, 90)) -> list:
    """Frames [first, first + count) of a real video, resized, as RGB arrays."""
    import av
    import cv2

    out = []
    with av.open(str(video)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= first + count:
                break
            if i >= first:
                out.append(cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_AREA))
    return out


def write_video(path: Path, frames: list, pts_ms: list[int]) -> None:
    """H.264 mp4 with the given presentation times in milliseconds (variable frame rate if uneven)."""
    from fractions import Fraction

    import av

    time_base = Fraction(1, 1000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "18", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.codec_context.time_base = time_base
        for rgb, t in zip(frames, pts_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = t, time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
