"""The moderation analyser on real photos from the dev corpus (all believed safe)."""

from __future__ import annotations

import json

import pytest

from medialens.analysis import analyse_image_bytes, analysers
from medialens.analysis.decode import decode_image


@pytest.fixture(scope="module")
def photos(corpus):
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [corpus / entry["file"] for entry in manifest["images"]]


def test_every_safe_corpus_photo_is_safe(photos):
    assert len(photos) >= 10
    for path in photos:
        moderation = analyse_image_bytes(path.read_bytes()).moderation
        assert moderation.category == "safe", f"{path.name}: {moderation}"
        scores = moderation.scores
        assert scores.safe + scores.suggestive + scores.explicit == pytest.approx(1.0, abs=1e-3)


def test_class_probabilities_come_from_the_pixels(corpus):
    model = analysers()["moderation"]
    cat = decode_image((corpus / "images/general/skimage_chelsea_cat.png").read_bytes(), max_pixels=10**8)
    probabilities = model.class_probabilities(cat)
    assert set(probabilities) == {"drawing", "hentai", "neutral", "porn", "sexy"}
    assert max(probabilities, key=probabilities.get) == "neutral"
    assert model.class_probabilities(cat) == probabilities  # deterministic
    # a flat grey frame has no photo content; the model must answer differently than for the cat
    grey = decode_image(_png_of_colour(128), max_pixels=10**8)
    assert model.class_probabilities(grey) != pytest.approx(probabilities, abs=0.05)


def _png_of_colour(value: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (value, value, value)).save(out, "PNG")
    return out.getvalue()
