"""Moderation: safe | suggestive | explicit from the nsfwjs MobileNetV2 classifier.

The model scores five classes (drawing, hentai, neutral, porn, sexy). We sum them into
our three categories — explicit = porn + hentai, suggestive = sexy, safe = neutral +
drawing — and the category is the largest of the three sums.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from . import register
from .decode import DecodedImage
from .modelfiles import model_spec, onnx_session

MODEL = "nsfwjs_mobilenet_v2"
INPUT_SIZE = 224
CATEGORY_OF_CLASS = {"drawing": "safe", "neutral": "safe", "sexy": "suggestive",
                     "porn": "explicit", "hentai": "explicit"}


@register("moderation")
class ModerationAnalyser:
    def __init__(self) -> None:
        self._session = onnx_session(MODEL)
        spec = model_spec(MODEL)
        self._input = spec["input"]["name"]
        self._labels = spec["output"]["labels"]

    def class_probabilities(self, image: DecodedImage) -> dict[str, float]:
        pixels = cv2.resize(image.rgb, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        batch = (pixels.astype(np.float32) / 255.0)[np.newaxis]
        probs = self._session.run(None, {self._input: batch})[0][0]
        return dict(zip(self._labels, (float(p) for p in probs), strict=True))

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        scores = {"safe": 0.0, "suggestive": 0.0, "explicit": 0.0}
        for label, p in self.class_probabilities(image).items():
            scores[CATEGORY_OF_CLASS[label]] += p
        category = max(scores, key=scores.__getitem__)
        return {"moderation": {"category": category,
                               "scores": {k: round(v, 4) for k, v in scores.items()}}}
