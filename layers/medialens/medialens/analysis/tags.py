"""Tags: plain words from an ImageNet classifier and a COCO object detector, plus place words.

Two models look at the same downscaled pixels:

* EfficientNet-Lite3 (int8, 280×280) gives a softmax over the 1000 ImageNet classes.
* SSD-MobileNetV2 (COCO, 300×300, ONNX) gives boxes for 80 classes; its non-max suppression,
  which the TF graph did in a loop, runs here in numpy (``class_nms``).

``vocabulary.py`` maps both to plain words and closes them under a hand-made hypernym
graph. How a word's probability is computed (docs/tags.md has the reasoning):

1. ImageNet: the classes of a softmax are mutually exclusive, so a word's probability is
   the **sum** of the probabilities of the classes that imply it ("dog" = Σ breeds).
   Classes below ``CLASS_FLOOR`` are ignored: the int8 output's tail is quantisation
   noise, and summed over hundreds of classes it would make "animal" appear everywhere.
2. Detector: detections scoring at least ``DETECTION_MIN_SCORE`` count (calibrated where
   the classifier does not name their class: ``DetectorCalibration``); a word gets the
   **max** score of the detections that imply it (boxes are not exclusive events, and
   duplicates of one object would inflate a sum or noisy-or).
3. People: "people", "group photo", "crowd" at the 2nd, 3rd, 10th best person score
   (for "group photo", among persons at least 1/5 of the image tall).
4. Places: each place word is the **max** over its rules in ``PLACE_RULES`` of
   weight × evidence (the evidence being a word's probability from steps 1–3, or the n-th
   best score among some detector classes).
5. Every word then passes its probability up to its parents (max), so a parent is never
   less likely than a child.
6. "indoor" and "outdoor" exclude each other: when both have evidence they are combined
   with Dempster's rule for two simple support functions.

Across the two models a word keeps the larger of its two probabilities (max, not
noisy-or: both models see the same pixels, so their errors are not independent).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..settings import get_settings
from . import register
from .decode import DecodedImage
from .modelfiles import model_path, model_spec, onnx_session
from .vocabulary import (
    COCO,
    COCO_LABELS,
    IMAGENET,
    IMAGENET_RANGES,
    PARENTS,
    PEOPLE_COUNTS,
    PLACE_RULES,
    Count,
    Word,
)

CLASSIFIER = "efficientnet_lite3"
CLASSIFIER_LABELS = "imagenet_labels"
DETECTOR = "ssd_mobilenet_v2_coco"
CLASSIFIER_SIZE = 280
DETECTOR_SIZE = 300
# An ImageNet class contributes to its words only from this probability on (5 steps of
# the int8 output's 1/256 quantum).
CLASS_FLOOR = 0.02
# The score from which a detection counts, the value the TF Object Detection API's
# examples use for this model. Below it, SSD-MobileNet's boxes are mostly background.
DETECTION_MIN_SCORE = 0.5
MAX_CERTAINTY = 0.999  # keeps Dempster's rule defined when both indoor and outdoor are ~1
# The detector's score is a box confidence, not the chance that its word is right (a quokka
# "dog" at 0.94, a squirrel "bird" at 0.96). A detection of a class the classifier does not
# also name (none of its words at CLASSIFIER_SUPPORT, the default tag threshold) goes through
# the calibration benchmarks/tags_calibration.py fits on the held-out dev split; `person`
# (COCO's best trained class) keeps its score.
CALIBRATION_FILE = Path(__file__).with_name("detector_calibration.json")
UNCALIBRATED_CLASSES = frozenset({"person"})
CLASSIFIER_SUPPORT = 0.15


@dataclass(frozen=True)
class Detection:
    label: str  # COCO class name
    score: float
    box: tuple[float, float, float, float]  # left, top, right, bottom as fractions of the image


@dataclass(frozen=True)
class DetectorCalibration:
    """P(the word is right | the detector alone scores s) = sigmoid(a·logit(s) + b)."""

    a: float
    b: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> DetectorCalibration:
        fitted = json.loads(path.read_text(encoding="utf-8"))
        return cls(float(fitted["a"]), float(fitted["b"]))

    def __call__(self, detection: Detection) -> Detection:
        if detection.label in UNCALIBRATED_CLASSES:
            return detection
        s = min(max(detection.score, 1e-6), 1 - 1e-6)
        p = 1.0 / (1.0 + math.exp(-(self.a * math.log(s / (1 - s)) + self.b)))
        return Detection(detection.label, p, detection.box)


class Vocabulary:
    """The vocabulary tables resolved against the model's label file."""

    def __init__(self, imagenet_labels: Sequence[str], calibration: DetectorCalibration | None = None) -> None:
        self.calibration = calibration
        self.imagenet_names = [label.split(",")[0].strip() for label in imagenet_labels]
        problems = vocabulary_problems(self.imagenet_names)
        if problems:
            raise ValueError("tag vocabulary does not match the models: " + "; ".join(problems))
        self.ancestors = _closure(PARENTS)
        # Word depth in the graph: ranks a specific word before its parent on equal probability.
        self.depth = {word: len(above) for word, above in self.ancestors.items()}
        direct = _imagenet_words(self.imagenet_names)
        self.class_words = [self.expand(words) for words in direct]
        self.coco_words = {label: self.expand(COCO.get(label, (label,))) for label in COCO_LABELS.values()}

    def expand(self, words: Iterable[str]) -> tuple[str, ...]:
        """The words and all their ancestors, each once."""
        out: dict[str, None] = {}
        for word in words:
            out[word] = None
            out.update(dict.fromkeys(sorted(self.ancestors.get(word, ()))))
        return tuple(out)

    def scores(self, class_probs: np.ndarray, detections: Sequence[Detection]) -> dict[str, float]:
        """Every word with its probability (steps 1-6 of the module docstring)."""
        scores: dict[str, float] = defaultdict(float)

        def lift(word: str, p: float) -> None:
            if p > scores[word]:
                scores[word] = p

        for index in np.flatnonzero(class_probs >= CLASS_FLOOR):
            p = float(class_probs[index])
            for word in self.class_words[index]:
                scores[word] += p
        if self.calibration is not None:  # a class the classifier does not name is the detector's word alone
            detections = [d if self.supported(d, scores) else self.calibration(d) for d in detections]
        for detection in detections:
            for word in self.coco_words[detection.label]:
                lift(word, detection.score)

        by_label: dict[str, list[float]] = defaultdict(list)
        for detection in detections:
            by_label[detection.label].append(detection.score)
        for word, n, min_height in PEOPLE_COUNTS:
            people = sorted((d.score for d in detections
                             if d.label == "person" and d.box[3] - d.box[1] >= min_height), reverse=True)
            if len(people) >= n:
                for w in self.expand((word,)):
                    lift(w, people[n - 1])

        objects = dict(scores)
        for place, rules in PLACE_RULES.items():
            lift(place, max((_evidence(rule, objects, by_label) for rule in rules), default=0.0))

        for word, p in list(scores.items()):
            for ancestor in self.ancestors.get(word, ()):
                lift(ancestor, p)

        outdoor, indoor = min(scores["outdoor"], MAX_CERTAINTY), min(scores["indoor"], MAX_CERTAINTY)
        if outdoor > 0 and indoor > 0:
            conflict = 1.0 - outdoor * indoor
            scores["outdoor"], scores["indoor"] = outdoor * (1 - indoor) / conflict, indoor * (1 - outdoor) / conflict
        return {word: min(p, 1.0) for word, p in scores.items() if p > 0}

    @staticmethod
    def supported(detection: Detection, from_classifier: dict[str, float]) -> bool:
        """Does the classifier also give one of the detected class's own words?"""
        return any(from_classifier.get(word, 0.0) >= CLASSIFIER_SUPPORT
                   for word in COCO.get(detection.label, (detection.label,)))

    def tags(self, class_probs: np.ndarray, detections: Sequence[Detection],
             min_probability: float) -> list[dict[str, Any]]:
        kept = [(word, p) for word, p in self.scores(class_probs, detections).items() if p >= min_probability]
        kept.sort(key=lambda item: (-round(item[1], 4), -self.depth.get(item[0], 0), item[0]))
        return [{"tag": word, "probability": round(p, 4), "is_critical": False} for word, p in kept]


def _evidence(rule: Word | Count, objects: dict[str, float], by_label: dict[str, list[float]]) -> float:
    if isinstance(rule, Word):
        return rule.weight * objects.get(rule.word, 0.0)
    ranked = sorted((s for label in rule.classes for s in by_label.get(label, ())), reverse=True)
    return rule.weight * ranked[rule.n - 1] if len(ranked) >= rule.n else 0.0


def _closure(parents: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """word → all its ancestors (not itself). Raises on a cycle."""
    done: dict[str, frozenset[str]] = {}

    def visit(word: str, path: tuple[str, ...]) -> frozenset[str]:
        if word in path:
            raise ValueError(f"cycle in PARENTS: {' → '.join((*path, word))}")
        if word not in done:
            above: set[str] = set()
            for parent in parents.get(word, ()):
                above.add(parent)
                above |= visit(parent, (*path, word))
            done[word] = frozenset(above)
        return done[word]

    for word in parents:
        visit(word, ())
    return done


def _imagenet_words(names: Sequence[str]) -> list[tuple[str, ...]]:
    """Direct words of each ImageNet class: explicit entries win over ranges."""
    words: list[tuple[str, ...] | None] = [None] * len(names)
    for first, last, range_words in IMAGENET_RANGES:
        for index in range(first, last + 1):
            words[index] = range_words
    index_of = {name: i for i, name in enumerate(names)}
    for key, key_words in IMAGENET.items():
        index = key if isinstance(key, int) else index_of[key]
        base = words[index] if isinstance(key, str) and words[index] else ()
        words[index] = tuple(dict.fromkeys((*key_words, *base)))
    return [w or () for w in words]


def vocabulary_problems(imagenet_names: Sequence[str]) -> list[str]:
    """Everything in vocabulary.py that does not match the label files (empty when sound)."""
    problems: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for name in imagenet_names:
        counts[name] += 1
    if len(imagenet_names) != 1000:
        problems.append(f"{len(imagenet_names)} ImageNet labels, expected 1000")
    covered = {i for first, last, _ in IMAGENET_RANGES for i in range(first, last + 1)}
    for key in IMAGENET:
        if isinstance(key, int):
            if not 0 <= key < len(imagenet_names):
                problems.append(f"ImageNet index {key} out of range")
            covered.add(key)
        elif counts.get(key, 0) != 1:
            problems.append(f"ImageNet name {key!r} occurs {counts.get(key, 0)} times in the labels (key by index)")
        else:
            covered.add(imagenet_names.index(key))
    missing = sorted(set(range(len(imagenet_names))) - covered)
    if missing:
        problems.append("ImageNet classes with no entry: " + ", ".join(f"{i}:{imagenet_names[i]}" for i in missing))
    try:
        ancestors = _closure(PARENTS)
    except ValueError as err:
        return [*problems, str(err)]
    produced: set[str] = set()
    for words in (*IMAGENET.values(), *(w for _, _, w in IMAGENET_RANGES), *COCO.values()):
        produced.update(words)
    produced.update(label for label in COCO_LABELS.values() if label not in COCO)
    produced.update(word for word, _, _ in PEOPLE_COUNTS)
    produced.update(PLACE_RULES)
    produced.update(a for word in list(produced) for a in ancestors.get(word, ()))
    for label in COCO:
        if label not in COCO_LABELS.values():
            problems.append(f"COCO has no class {label!r}")
    for place, rules in PLACE_RULES.items():
        for rule in rules:
            if isinstance(rule, Word) and rule.word not in produced:
                problems.append(f"place rule {place!r} uses {rule.word!r}, which no class produces")
            if isinstance(rule, Count):
                problems.extend(f"place rule {place!r} counts unknown COCO class {c!r}"
                                for c in sorted(rule.classes - set(COCO_LABELS.values())))
    for word in produced | set(PARENTS) | {p for ps in PARENTS.values() for p in ps}:
        if word != word.lower().strip() or not word:
            problems.append(f"tag word {word!r} is not lower case")
    orphans = sorted(w for w in set(PARENTS) if w not in produced)
    if orphans:
        problems.append("PARENTS entries no class produces: " + ", ".join(orphans))
    return problems


def class_nms(boxes: np.ndarray, scores: np.ndarray, min_score: float, iou_threshold: float,
              max_total: int) -> list[tuple[int, float, tuple[float, float, float, float]]]:
    """Per-class greedy NMS as the TF graph's BatchMultiClassNonMaxSuppression does it.

    boxes (N, 4) ymin, xmin, ymax, xmax; scores (N, C), column = class id, 0 = background.
    Returns (class id, score, clipped box) by descending score. Like the graph: boxes are
    clipped to the image (0..1) and those left with no area dropped before the NMS, a box is
    suppressed by a kept one of its class when their IoU exceeds iou_threshold (ties in score:
    lower index first), and the best max_total of all classes are kept (the graph's cap of
    100 per class never binds below a total cap of 100).

    The graph's NMS takes every box scoring above 0.3; here only those >= min_score (0.5) go
    through, which keeps exactly the graph's detections >= min_score: greedy NMS visits a
    class's boxes from the best down, so whether a box survives depends only on the boxes
    kept before it, all scoring at least as much; the caps, too, keep the best ones first.
    """
    boxes = np.clip(boxes, 0.0, 1.0)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[tuple[int, float, tuple[float, float, float, float]]] = []
    for class_id in range(1, scores.shape[1]):
        candidates = np.flatnonzero((scores[:, class_id] >= min_score) & (areas > 0))
        order = candidates[np.argsort(-scores[candidates, class_id], kind="stable")]
        while order.size:
            best, order = order[0], order[1:]
            kept.append((class_id, float(scores[best, class_id]), tuple(float(v) for v in boxes[best])))
            top_left = np.maximum(boxes[best, :2], boxes[order, :2])
            bottom_right = np.minimum(boxes[best, 2:], boxes[order, 2:])
            inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=1)
            order = order[inter / (areas[best] + areas[order] - inter) <= iou_threshold]
    kept.sort(key=lambda k: -k[1])  # stable: equal scores stay in class order, as the graph's top-k
    return kept[:max_total]


@register("tags")
class TagsAnalyser:
    def __init__(self) -> None:
        self._classifier = onnx_session(CLASSIFIER)
        spec = model_spec(CLASSIFIER)
        self._input = spec["input"]["name"]
        output = spec["output"]
        self._scale = float(output["scale"])
        self._zero_point = float(output["zero_point"])
        labels = model_path(CLASSIFIER_LABELS).read_text(encoding="utf-8").splitlines()
        self.vocabulary = Vocabulary([label for label in labels if label.strip()], DetectorCalibration.load())
        detector_labels = model_spec(DETECTOR).get("output", {}).get("labels")
        if detector_labels is not None:
            wrong = {i: name for i, name in COCO_LABELS.items()
                     if i >= len(detector_labels) or detector_labels[i] != name}
            if wrong:
                raise ValueError(f"COCO_LABELS disagree with the manifest's {DETECTOR} labels at {wrong}")
        self._detector = onnx_session(DETECTOR)
        detector = model_spec(DETECTOR)
        self._detector_input = detector["input"]["name"]
        self._detector_outputs = [detector["output"][key]["name"] for key in ("boxes", "scores")]
        nms = detector["output"]["nms"]
        self._nms = (float(nms["iou_threshold"]), int(nms["max_total_detections"]))

    def class_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """ImageNet softmax (1000,) for RGB pixels of any size (squashed to 280×280, uint8)."""
        batch = cv2.resize(pixels, (CLASSIFIER_SIZE, CLASSIFIER_SIZE), interpolation=cv2.INTER_AREA)[np.newaxis]
        raw = self._classifier.run(None, {self._input: np.ascontiguousarray(batch)})[0][0]
        return (raw.astype(np.float32) - self._zero_point) * self._scale

    def detect(self, pixels: np.ndarray) -> list[Detection]:
        """COCO detections scoring at least DETECTION_MIN_SCORE (RGB pixels, squashed to 300×300)."""
        if pixels.shape[:2] != (DETECTOR_SIZE, DETECTOR_SIZE):
            pixels = cv2.resize(pixels, (DETECTOR_SIZE, DETECTOR_SIZE), interpolation=cv2.INTER_AREA)
        feed = {self._detector_input: pixels[np.newaxis].astype(np.float32)}
        boxes, scores = self._detector.run(self._detector_outputs, feed)
        iou_threshold, max_total = self._nms
        detections = []
        for class_id, score, (top, left, bottom, right) in class_nms(boxes[0], scores[0], DETECTION_MIN_SCORE,
                                                                     iou_threshold, max_total):
            label = COCO_LABELS.get(class_id)
            if label is not None:
                detections.append(Detection(label, score, (left, top, right, bottom)))
        return detections

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        # One area-averaged downscale of the shared preview serves both models (the
        # detector's size; the classifier's 280 px is taken from it).
        small = cv2.resize(image.preview, (DETECTOR_SIZE, DETECTOR_SIZE), interpolation=cv2.INTER_AREA)
        probs = self.class_probabilities(small)
        detections = self.detect(small)
        return {"tags": self.vocabulary.tags(probs, detections, get_settings().tag_min_probability)}
