"""Text line recognition with the PP-OCRv6 recogniser (ONNX, CTC), beside Tesseract.

Where Tesseract reads a line crop with one language pack at a time, this network reads
Chinese (both forms), Japanese kana, Latin with diacritics, Greek, digits and symbols with
one model, and was trained on photos and screen text (light on dark included). The OCR
analyser reads photo and video-frame lines with it first, for the scripts where it beat
Tesseract (`python -m benchmarks.ocr_recognisers`, docs/ocr.md).

Pre- and post-processing follow RapidOCR's `ch_ppocr_rec` (manifest entry `ppocr_rec`):
BGR crops scaled to height 48 keeping their aspect ratio, batched by width with zero
padding on the right, (x/255 - 0.5)/0.5; greedy CTC decoding (argmax per step, repeats
collapsed, blanks dropped), confidence the mean probability of the kept steps.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

HEIGHT = 48
MIN_WIDTH = 320  # RapidOCR's rec_img_shape width: narrower batches are padded to it
MAX_WIDTH = 3200  # a longer line is squeezed: bounds one batch's memory and time
BATCH = 8


def ctc_labels(spec: dict[str, Any], session: Any) -> list[str]:
    """Class index -> text: the CTC blank, the model's own character list, a space."""
    characters = session.get_modelmeta().custom_metadata_map["character"].split("\n")
    labels = ["", *characters, " "]
    classes = spec["output"]["shape"][-1]
    if len(labels) != classes:
        raise ValueError(f"ppocr_rec: {len(labels)} labels for {classes} output classes")
    return labels


def ctc_decode(probs: np.ndarray, labels: list[str]) -> tuple[str, float]:
    """Greedy CTC over one line's (T, classes) probabilities: (text, mean kept probability)."""
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    if not keep.any():
        return "", 0.0
    text = "".join(labels[i] for i in best[keep])
    return text, float(probs.max(axis=1)[keep].mean())


class TextRecogniser:
    """Reads deskewed line crops (RGB); one onnxruntime session, safe to share between threads."""

    def __init__(self, session: Any, labels: list[str]) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._labels = labels

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, confidence 0..1) per RGB crop, in order."""
        widths = [min(MAX_WIDTH, math.ceil(HEIGHT * c.shape[1] / max(1, c.shape[0]))) for c in crops]
        order = np.argsort(widths, kind="stable")  # similar widths share a batch: less padding
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(crops), BATCH):
            members = order[start:start + BATCH]
            width = max(MIN_WIDTH, max(widths[i] for i in members))
            batch = np.zeros((len(members), 3, HEIGHT, width), dtype=np.float32)
            for row, i in enumerate(members):
                bgr = cv2.cvtColor(crops[i], cv2.COLOR_RGB2BGR)
                line = cv2.resize(bgr, (widths[i], HEIGHT), interpolation=cv2.INTER_LINEAR)
                batch[row, :, :, :widths[i]] = line.transpose(2, 0, 1) / 127.5 - 1.0
            probs = self._session.run(None, {self._input: batch})[0]
            for row, i in enumerate(members):
                out[i] = ctc_decode(probs[row], self._labels)
        return out
