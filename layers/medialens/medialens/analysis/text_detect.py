"""Text detection in photos: the PP-OCR DB detector (ONNX) and its post-processing.

The network outputs a per-pixel text probability map at input resolution. DB
post-processing, as in PaddleOCR/RapidOCR but with numpy + OpenCV only:
threshold the map → connected contours → minimum-area rectangle → score = mean
probability inside the rectangle → drop below `box_thresh` → "unclip" (grow the
rectangle by `area · unclip_ratio / perimeter` on every side, which is what a polygon
offset of a rectangle reduces to) → scale back to image coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class TextBox:
    """A detected text region: a rotated rectangle in image pixels."""

    center: tuple[float, float]
    size: tuple[float, float]  # (long side, short side): along the text, across it
    angle: float  # degrees of the long side from the x axis, in (-90, 90]
    score: float

    @property
    def points(self) -> np.ndarray:
        """4×2 float32 corners: top-left, top-right, bottom-right, bottom-left along the text."""
        (cx, cy), (w, h), a = self.center, self.size, np.deg2rad(self.angle)
        ux, uy = np.cos(a) * w / 2, np.sin(a) * w / 2  # half of the long side
        vx, vy = -np.sin(a) * h / 2, np.cos(a) * h / 2  # half of the short side (downwards)
        return np.array([[cx - ux - vx, cy - uy - vy], [cx + ux - vx, cy + uy - vy],
                         [cx + ux + vx, cy + uy + vy], [cx - ux + vx, cy - uy + vy]], dtype=np.float32)

    @property
    def height(self) -> float:
        return self.size[1]

    @property
    def area(self) -> float:
        return self.size[0] * self.size[1]

    def scaled(self, factor: float) -> TextBox:
        """The same box in an image `factor` times as large."""
        (cx, cy), (w, h) = self.center, self.size
        return TextBox((cx * factor, cy * factor), (w * factor, h * factor), self.angle, self.score)


@dataclass(frozen=True)
class DetectorConfig:
    max_side: int = 640  # input long side (multiple of 32): bounds the cost of the no-text path
    max_upscale: float = 2.0  # small images are enlarged towards max_side, at most this much
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    bgr: bool = True  # PaddleOCR models are trained on BGR input
    thresh: float = 0.3  # pixel probability → text mask
    box_thresh: float = 0.5  # mean probability inside a box
    unclip_ratio: float = 1.6
    min_size: float = 3.0  # short side in map pixels
    max_candidates: int = 1000
    dilate: bool = True  # 2×2 dilation of the mask, as PaddleOCR's use_dilation


def config_from_spec(spec: dict[str, Any], max_side: int | None = None) -> DetectorConfig:
    """DetectorConfig from a models/manifest.json entry (missing keys keep the defaults)."""
    pre = {**spec.get("input", {}), **spec.get("preprocess", {})}
    post = spec.get("postprocess", {})
    fields: dict[str, Any] = {}
    for key in ("mean", "std"):
        if key in pre:
            fields[key] = tuple(float(v) for v in pre[key])
    order = str(pre.get("channel_order", pre.get("channels", ""))).upper()
    if order in ("RGB", "BGR"):
        fields["bgr"] = order == "BGR"
    for key in ("thresh", "box_thresh", "unclip_ratio", "max_candidates", "min_size"):
        if key in post:
            fields[key] = type(getattr(DetectorConfig, key))(post[key])
    if "use_dilation" in post:
        fields["dilate"] = bool(post["use_dilation"])
    if max_side is not None:
        fields["max_side"] = max_side
    return DetectorConfig(**fields)


class TextDetector:
    def __init__(self, session: Any, config: DetectorConfig | None = None) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self.config = config or DetectorConfig()

    def input_size(self, height: int, width: int, max_side: int | None = None,
                   max_upscale: float | None = None) -> tuple[int, int]:
        """(h, w) fed to the network: long side ≈ max_side, both multiples of 32, ≥ 32."""
        max_side = max_side or self.config.max_side
        scale = min(self.config.max_upscale if max_upscale is None else max_upscale, max_side / max(height, width))
        return (max(32, int(round(height * scale / 32)) * 32), max(32, int(round(width * scale / 32)) * 32))

    def any_text(self, rgb: np.ndarray, max_side: int) -> bool:
        """Does a coarse pass (long side ≤ max_side, never enlarged) see any pixel above the
        text threshold? A cheap test for whether the full pass can find anything."""
        coarse = self.probability_map(rgb, self.input_size(*rgb.shape[:2], max_side, 1.0))
        return bool(coarse.max() > self.config.thresh)

    def probability_map(self, rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """The network's text probability per pixel of its input ((h, w): input_size by default)."""
        cfg = self.config
        h, w = size or self.input_size(*rgb.shape[:2])
        pixels = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if h < rgb.shape[0] else cv2.INTER_LINEAR)
        if cfg.bgr:
            pixels = pixels[:, :, ::-1]
        x = (pixels.astype(np.float32) * (1 / 255.0) - np.float32(cfg.mean)) / np.float32(cfg.std)
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis])
        return self._session.run(None, {self._input: x})[0][0, 0]

    def detect(self, rgb: np.ndarray, preview: np.ndarray | None = None) -> list[TextBox]:
        """Boxes in rgb's pixels; the network sees `preview` (a downscale of rgb, which
        saves resizing a large image again) when given."""
        prob = self.probability_map(rgb if preview is None else preview)
        return boxes_from_map(prob, rgb.shape[0], rgb.shape[1], self.config)


def boxes_from_map(prob: np.ndarray, height: int, width: int, cfg: DetectorConfig) -> list[TextBox]:
    """DB post-processing of one probability map into boxes in a height×width image."""
    mask = (prob > cfg.thresh).astype(np.uint8)
    if not mask.any():
        return []
    if cfg.dilate:
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    map_h, map_w = prob.shape
    sx, sy = width / map_w, height / map_h
    boxes: list[TextBox] = []
    for contour in contours[: cfg.max_candidates]:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) < cfg.min_size:
            continue
        score = _mean_inside(prob, cv2.boxPoints(((cx, cy), (rw, rh), angle)))
        if score < cfg.box_thresh:
            continue
        # Offsetting a rectangle outwards by d gives (w + 2d) × (h + 2d) (round corners aside).
        d = rw * rh * cfg.unclip_ratio / (2 * (rw + rh))
        rw, rh = rw + 2 * d, rh + 2 * d
        if min(rw, rh) < cfg.min_size + 2:
            continue
        boxes.append(_to_image(cx, cy, rw, rh, angle, sx, sy, score))
    return [b for b in boxes if b.size[0] > 3 and b.size[1] > 3]


def _mean_inside(prob: np.ndarray, corners: np.ndarray) -> float:
    h, w = prob.shape
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [np.round(corners - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0:y1 + 1, x0:x1 + 1], mask)[0])


def _to_image(cx: float, cy: float, rw: float, rh: float, angle: float,
              sx: float, sy: float, score: float) -> TextBox:
    """Map-space rotated rect → image-space TextBox with (long, short) size and angle of the long side."""
    corners = cv2.boxPoints(((cx, cy), (rw, rh), angle)) * np.float32([sx, sy])
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(corners)
    if rw < rh:  # make the first side the long one
        rw, rh, angle = rh, rw, angle + 90.0
    angle = (angle + 90.0) % 180.0 - 90.0  # (-90, 90]
    if angle == -90.0:
        angle = 90.0
    return TextBox((float(cx), float(cy)), (float(rw), float(rh)), float(angle), score)


def crop(rgb: np.ndarray, box: TextBox, pad: float = 0.0) -> np.ndarray:
    """The box's pixels, deskewed: warped so that the text's long side is horizontal.

    Boxes steeper than 45° are read left→right along their long side after a turn of
    ±90°; which way is ambiguous from the box alone (the caller may try both).
    `pad` grows the box by this fraction of its height on each side.
    """
    w, h = box.size
    w, h = w + 2 * pad * h, h + 2 * pad * h
    padded = TextBox(box.center, (w, h), box.angle, box.score)
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    matrix = cv2.getPerspectiveTransform(padded.points, dst)
    return cv2.warpPerspective(rgb, matrix, (max(1, int(round(w))), max(1, int(round(h)))),
                               flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
