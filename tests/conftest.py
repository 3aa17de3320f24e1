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
