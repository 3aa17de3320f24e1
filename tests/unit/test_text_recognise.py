"""The PP-OCRv6 line recogniser: CTC decoding, and real reading of rendered lines."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from medialens.analysis.modelfiles import model_spec, onnx_session
from medialens.analysis.text_recognise import TextRecogniser, ctc_decode, ctc_labels

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # Debian fonts-dejavu-core


def test_ctc_decode_collapses_repeats_and_drops_blanks():
    labels = ["", "a", "b", " "]
    steps = [1, 1, 0, 1, 2, 2, 3, 0, 0, 2]  # a a _ a b b ␠ _ _ b
    probs = np.full((len(steps), 4), 0.1, dtype=np.float32)
    probs[np.arange(len(steps)), steps] = 0.7
    probs[0, 1] = 0.9
    text, confidence = ctc_decode(probs, labels)
    assert text == "aab b"
    assert confidence == pytest.approx((0.9 + 0.7 * 4) / 5)  # kept steps: 0, 3, 4, 6, 9
    assert ctc_decode(np.eye(4, dtype=np.float32)[[0, 0]], labels) == ("", 0.0)


@pytest.fixture(scope="module")
def recogniser():
    session = onnx_session("ppocr_rec")
    return TextRecogniser(session, ctc_labels(model_spec("ppocr_rec"), session))


def render(text: str, fg: tuple[int, int, int], bg: tuple[int, int, int], size: int = 40) -> np.ndarray:
    font = ImageFont.truetype(FONT, size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("RGB", (right - left + 24, bottom - top + 16), bg)
    ImageDraw.Draw(image).text((12 - left, 8 - top), text, font=font, fill=fg)
    return np.asarray(image)


def test_reads_light_on_dark_and_dark_on_light_lines(recogniser):
    lines = {"HOTEL": ((250, 250, 250), (20, 20, 30)), "GM 125": ((20, 20, 20), (235, 230, 220)),
             "Peach Project presents": ((255, 240, 200), (10, 40, 60)), "Straße 42": ((0, 0, 0), (255, 255, 255))}
    crops = [render(text, fg, bg) for text, (fg, bg) in lines.items()]
    results = recogniser.read(crops)
    assert [text for text, _ in results] == list(lines)
    assert all(confidence > 0.8 for _, confidence in results), results


def test_labels_match_the_network_and_cover_the_scripts_it_reads():
    spec = model_spec("ppocr_rec")
    labels = ctc_labels(spec, onnx_session("ppocr_rec"))
    assert labels[0] == "" and labels[-1] == " " and len(labels) == spec["output"]["shape"][-1]
    assert {"é", "ß", "ą", "Ω", "あ", "カ", "中", "國"} <= set(labels)
    assert "Ж" not in labels  # no Cyrillic: those lines stay with Tesseract
