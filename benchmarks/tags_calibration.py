"""Fit the tags analyser's detector calibration on the held-out set's dev split.

    .venv/bin/python -m benchmarks.tags_calibration [--write]

SSD's score is the confidence of a box, not the chance that its word is right: on photos
unlike COCO's it names a quokka "dog" at 0.94. For every dev file of benchmarks/photo_media.py
this takes the detector's classes (best score per class, person left out: see
tags.UNCALIBRATED_CLASSES) whose words the classifier does not also give, scores each against
the labels (right if one of the class's own words is `correct`; left out if `acceptable`),
and fits P(right) = sigmoid(a·logit(score) + b) by maximum likelihood (Newton's method).
`--write` stores a, b and what they were fitted on in
layers/medialens/medialens/analysis/detector_calibration.json; the test split is never used
here (benchmarks/tags_heldout.py reports on it).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def points(split: str = "dev") -> list[tuple[float, bool, str]]:
    """(raw detector score, right, "file: class") of the detector-alone classes of a split."""
    import cv2

    from benchmarks.photo_media import photos
    from medialens.analysis import analyser
    from medialens.analysis.decode import decode_image
    from medialens.analysis.tags import DETECTOR_SIZE, UNCALIBRATED_CLASSES, Detection
    from medialens.analysis.vocabulary import COCO

    tags = analyser("tags")
    out = []
    for item in photos(split=split):
        image = decode_image(Path(item["path"]).read_bytes(), max_pixels=10**9)
        small = cv2.resize(image.preview, (DETECTOR_SIZE, DETECTOR_SIZE), interpolation=cv2.INTER_AREA)
        from_classifier = tags.vocabulary.scores(tags.class_probabilities(small), [])
        best: dict[str, Detection] = {}
        for detection in tags.detect(small):
            if detection.label not in best or detection.score > best[detection.label].score:
                best[detection.label] = detection
        right, maybe = set(item["vocabulary"]["correct"]), set(item["vocabulary"]["acceptable"])
        for label, detection in best.items():
            words, score = COCO.get(label, (label,)), detection.score
            if label in UNCALIBRATED_CLASSES or tags.vocabulary.supported(detection, from_classifier):
                continue
            if any(w in right for w in words):
                out.append((score, True, f"{item['id']}: {label}"))
            elif not any(w in maybe for w in words):
                out.append((score, False, f"{item['id']}: {label}"))
    return out


def fit(data: list[tuple[float, bool, str]]) -> tuple[float, float]:
    """Platt scaling on logit(score): maximum likelihood by Newton's method."""
    s = np.clip(np.array([score for score, _, _ in data]), 1e-6, 1 - 1e-6)
    x = np.log(s / (1 - s))
    y = np.array([float(r) for _, r, _ in data])
    design = np.stack([x, np.ones_like(x)], axis=1)
    w = np.zeros(2)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ w)))
        gradient = design.T @ (p - y)
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(w[0]), float(w[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--write", action="store_true", help="store the fit for the analyser")
    args = parser.parse_args(argv)
    data = points("dev")
    a, b = fit(data)
    right = sum(r for _, r, _ in data)
    print(f"dev: {len(data)} detector-alone classes, {right} right; a = {a:.4f}, b = {b:.4f}")
    for s in (0.5, 0.7, 0.9, 0.99):
        print(f"  raw {s:.2f} -> {1 / (1 + math.exp(-(a * math.log(s / (1 - s)) + b))):.3f}")
    for s, r, what in sorted(data, reverse=True):
        print(f"  {s:.2f} {'right' if r else 'wrong'}  {what}")
    if args.write:
        revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True, check=False).stdout.strip()
        record: dict[str, Any] = {
            "a": round(a, 6), "b": round(b, 6),
            "fitted_on": f"benchmarks/photo_media.py dev split: {len(data)} detector-alone classes, {right} right",
            "fitted_by": "python -m benchmarks.tags_calibration --write", "code_revision": revision}
        target = REPO / "layers" / "medialens" / "medialens" / "analysis" / "detector_calibration.json"
        target.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
