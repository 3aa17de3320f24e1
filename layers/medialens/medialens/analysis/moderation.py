"""Moderation: safe | suggestive | explicit, from two independent classifiers.

nsfwjs MobileNetV2 scores five classes (drawing, hentai, neutral, porn, sexy), summed
into our three: explicit = porn + hentai, suggestive = sexy, safe = neutral + drawing.
When that says "not safe", Yahoo's open_nsfw gives a second opinion: the unsafe mass
becomes the mean of nsfwjs's (suggestive + explicit) and open_nsfw's P(nsfw), split
between suggestive and explicit in nsfwjs's proportions. The category is the largest of
the three scores. Why: nsfwjs alone called safe video frames (a bus roof, a pink
cockatoo) explicit at 0.83-0.97 where open_nsfw said 0.02-0.07; asking only when the
first model objects keeps the common (safe) case at one model's cost.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from . import register
from .decode import DecodedImage
from .modelfiles import model_spec, onnx_session

MODEL = "nsfwjs_mobilenet_v2"
SECOND_OPINION = "open_nsfw"
OPEN_NSFW_MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
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
        self._second = onnx_session(SECOND_OPINION)
        self._second_input = model_spec(SECOND_OPINION)["input"]["name"]

    def class_probabilities(self, image: DecodedImage) -> dict[str, float]:
        pixels = cv2.resize(image.preview, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        batch = (pixels.astype(np.float32) / 255.0)[np.newaxis]
        probs = self._session.run(None, {self._input: batch})[0][0]
        return dict(zip(self._labels, (float(p) for p in probs), strict=True))

    def open_nsfw_probability(self, image: DecodedImage) -> float:
        """open_nsfw's P(nsfw), with its reference preprocessing (256 px, centre 224, BGR - mean)."""
        pixels = cv2.resize(image.preview, (256, 256), interpolation=cv2.INTER_LINEAR)[16:240, 16:240]
        batch = (pixels[:, :, ::-1].astype(np.float32) - OPEN_NSFW_MEAN_BGR)[np.newaxis]
        return float(self._second.run(None, {self._second_input: np.ascontiguousarray(batch)})[0][0][1])

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        scores = {"safe": 0.0, "suggestive": 0.0, "explicit": 0.0}
        for label, p in self.class_probabilities(image).items():
            scores[CATEGORY_OF_CLASS[label]] += p
        if max(scores, key=scores.__getitem__) != "safe":
            unsafe = scores["suggestive"] + scores["explicit"]
            combined = (unsafe + self.open_nsfw_probability(image)) / 2
            scores = {"safe": 1.0 - combined, "suggestive": combined * scores["suggestive"] / unsafe,
                      "explicit": combined * scores["explicit"] / unsafe}
        category = max(scores, key=scores.__getitem__)
        return {"moderation": {"category": category,
                               "scores": {k: round(v, 4) for k, v in scores.items()}}}
