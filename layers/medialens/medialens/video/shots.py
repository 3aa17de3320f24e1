"""Shot boundaries (hard cuts and gradual transitions) and frame activity, in one streaming pass.

Method (docs/shots.md has the reasoning and the measurements):

* Every frame is reduced to a 64x36 Y/U/V working image (decode.py) and then to a joint
  8x4x4 YUV histogram, a 32x18 luma thumbnail, luma mean/std, chroma std and a gradient
  energy. The distance of two frames is d = (histogram L1 / 2 + min(1, mean |luma diff| / 0.25)) / 2,
  in 0..1; integer sums keep it bit-identical wherever it is computed.
* Hard cut at k: d(k-1, k) >= CUT_MIN and >= CUT_RATIO x the mean of its neighbours' values
  (fast motion raises them all; a cut is an isolated peak); not a flash (some frame after k
  looks like some frame before it again, within FLASH_FRAMES); not a partial change (a third
  or more of the textured picture goes on, shifted by at most a pixel: something entered the
  frame); and the local maximum.
* Fades: runs of uniform frames (black, white or any solid colour) with the fade-out ramp
  before and the fade-in ramp after (the distance to the solid colour falls/rises
  monotonically); a boundary only when the frames around the fade differ (else it is a flash
  or a blackout inside one shot).
* Dissolves: a window [k-L, k+L] whose end frames differ like two shots, whose sides change
  less over L frames than the window does across it, with no single step making most of the
  change, and whose inner frames are blends of its ends: each inner thumbnail ~ (1-a) start +
  a end with a rising linearly (small residual), and the gradient energy dips in the middle
  (two half-transparent pictures) — a pan or a zoom is not a blend and has no dip.
* Decisions at a frame use only the frames within Params.context (about 6 s) of it. The stream is cut in
  chunks that overlap by that margin; a time segment decoded with that much warm-up gives the
  same boundaries as the whole video (detect_segment + merge_segments).

Frame activity: the per-frame change d(k-1, k) (0 = identical frames, ~0.4 and above =
a different shot), binned at frame_activity_fps = min(native rate, ACTIVITY_MAX_FPS); a bin
holds the largest change of the frames shown in it (0 when no new frame starts in it).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from .decode import DecodedFrame, Source, VideoInfo, iter_frames, probe

# ---- parameters (frames are at 25 fps and scale with the frame rate) --------------------------
THUMB = (32, 18)  # luma thumbnail for pixel distances and the blend model
PIXEL_SCALE = 0.25  # mean |luma difference| (0..1) that counts as a complete change
CUT_MIN = 0.30  # a cut changes the frame at least this much (d in 0..1)
CUT_RATIO = 2.0  # ... and this many times the mean change of its neighbours
CUT_NEIGHBOURS = 3  # frames each side for that mean
FLASH_FRAMES = 4  # a flash/occlusion lasts at most this many frames
FLASH_SIMILAR = 0.5  # before/after frames closer than this fraction of the jump: same shot
CUT_NMS = 2  # one cut within this many frames
PARTIAL_MATCH = 10  # a 4x3 thumbnail block "continues" if it is within this mean level of the previous frame
PARTIAL_MAX = 1 / 3  # (shifted by up to one pixel); a cut leaves less than this share of textured blocks
TEXTURED_STD = 4  # levels of std that make a block textured (flat blocks, e.g. letterbox bars, say nothing)
MONO_STD = 0.035  # uniform frame: std of Y, U and V below this (0..1)
RAMP_STEP = 0.0005  # a fade ramp's distance to the solid colour moves at least this per frame
RAMP_FIRST_STEP = 0.6  # ... and its first step (next to the uniform frames) is less than this share of it
MAX_RAMP_SECONDS = 1.5  # longest fade-out / fade-in
MAX_HOLD_SECONDS = 2.0  # longer uniform runs are a shot of their own (two boundaries)
SAME_SHOT = 0.2  # frames around a fade closer than this: a flash/blackout, not a boundary
DISSOLVE_HALF_LENGTHS = (3, 5, 8, 12, 16)  # L of the windows [k-L, k+L] (at 25 fps)
DISSOLVE_MIN_CHANGE = 0.3  # d(start, end) of a dissolve window
DISSOLVE_MIN_HIST = 0.3  # histogram part of it (a cut's level: the two shots differ in colour)
DISSOLVE_MAX_RESIDUAL = 0.35  # mean distance of inner frames from the blend line / |end - start|
DISSOLVE_MAX_ALPHA_DEV = 0.35  # the blend factor may deviate this much from a linear ramp
DISSOLVE_MAX_SIDE_CHANGE = 0.75  # change over L frames before/after the window, relative to across it
DISSOLVE_MAX_STEP = 0.6  # no frame-to-frame step inside the window may be this share of its change
DISSOLVE_MAX_DIP = 0.9  # middle gradient energy / interpolated ends
ACTIVITY_MAX_FPS = 30.0
CHUNK_FRAMES = 512  # frames decided per batch in the streaming detector


@dataclass(frozen=True)
class Params:
    """Frame-count parameters for one frame rate (the same for every segment of a video)."""

    fps: float
    neighbours: int
    flash: int
    nms: int
    max_ramp: int
    max_hold: int
    half_lengths: tuple[int, ...]

    @classmethod
    def for_fps(cls, fps: float) -> Params:
        s = max(fps, 1.0) / 25.0
        return cls(fps=fps, neighbours=max(2, round(CUT_NEIGHBOURS * s)), flash=max(2, round(FLASH_FRAMES * s)),
                   nms=max(1, round(CUT_NMS * s)), max_ramp=max(3, round(MAX_RAMP_SECONDS * fps)),
                   max_hold=max(3, round(MAX_HOLD_SECONDS * fps)),
                   half_lengths=tuple(sorted({max(2, round(h * s)) for h in DISSOLVE_HALF_LENGTHS})))

    @property
    def context(self) -> int:
        """Frames on each side that a decision can depend on (the overlap chunks and segments need).

        A fade is decided from its uniform run, its ramps and `flash` frames beyond them; whatever
        lies inside a fade's span (a cut it absorbs) therefore depends on frames up to
        `max_hold + 2 max_ramp + flash + 3` away. A cut: its neighbours, the flash pairs and the
        rival candidates `nms` away. A dissolve window [k-L, k+L]: 2L each side (side check),
        4L with the overlapping rivals, and the cuts and fades that can cancel it."""
        fade = self.max_hold + 2 * self.max_ramp + self.flash + 3
        cut = max(self.nms + max(self.neighbours, self.flash + 1) + 1, fade)
        lmax = max(self.half_lengths)
        dissolve = max(4 * lmax, lmax + 1 + cut)
        return max(fade, cut, dissolve) + 2


# ---- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    type: str  # "cut" or "gradual"
    kind: str  # cut | dissolve | fade (through a solid colour) | fade_out | fade_in (long uniform hold)
    frame: int  # first frame of the new shot (a gradual transition: its middle)
    seconds: float  # presentation time of `frame`: where one shot ends and the next begins
    start_frame: int  # the transition's first and last affected frames (a cut: both = frame)
    end_frame: int
    start_seconds: float
    end_seconds: float
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ShotResult:
    boundaries: list[Boundary]
    raw_scenes: list[dict[str, float]]  # contiguous [{start_seconds, end_seconds}] covering [0, duration]
    frame_activity_diffs: list[float]
    frame_activity_fps: float
    duration: float
    frame_count: int

    def as_dict(self) -> dict:
        return {"boundaries": [b.as_dict() for b in self.boundaries], "raw_scenes": self.raw_scenes,
                "frame_activity_diffs": self.frame_activity_diffs, "frame_activity_fps": self.frame_activity_fps,
                "duration": self.duration, "frame_count": self.frame_count}


@dataclass
class SegmentShots:
    """What one segment worker found in [start_seconds, end_seconds) (JSON-friendly)."""

    start_seconds: float
    end_seconds: float | None
    boundaries: list[Boundary]
    activity_first_bin: int
    activity: list[float]
    frame_activity_fps: float
    frames: int  # frames owned (presentation time inside the segment)
    stream_end: float | None  # end of the video when this segment reached it (last frame t + duration)
    last_index: int | None  # global index of the last frame, when stream_end is set
    # Boundaries in [end, end + lookahead): the next segment owns them; they tell this one where its
    # last shot ends (video/steps.py samples the middle of short shots).
    boundaries_ahead: list[Boundary] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["boundaries"] = [b.as_dict() for b in self.boundaries]
        data["boundaries_ahead"] = [b.as_dict() for b in self.boundaries_ahead]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SegmentShots:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["boundaries"] = [Boundary(**b) for b in data["boundaries"]]
        fields["boundaries_ahead"] = [Boundary(**b) for b in data.get("boundaries_ahead", [])]
        return cls(**fields)


# ---- per-frame features --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    index: int
    t: float
    duration: float
    hist: np.ndarray  # int32 (128,)
    thumb: np.ndarray  # int16 (576,)
    mean: float  # luma mean, 0..1
    std_y: float
    std_u: float
    std_v: float
    grad: float  # mean |horizontal| + |vertical| luma gradient, 0..1


_LEVELS = np.arange(256, dtype=np.int64)
_SQUARES = _LEVELS * _LEVELS


def _mean_std(channel: np.ndarray) -> tuple[float, float]:
    """Exact integer moments (bit-identical results wherever computed), 0..1."""
    counts = np.bincount(channel.ravel(), minlength=256)
    n = channel.size
    s1, s2 = int(counts @ _LEVELS), int(counts @ _SQUARES)
    return s1 / (n * 255.0), math.sqrt(max(0.0, s2 / n - (s1 / n) ** 2)) / 255.0


def frame_features(frame: DecodedFrame) -> FrameFeatures:
    y, u, v = frame.work[0], frame.work[1], frame.work[2]
    codes = (y >> 5) * np.uint8(16) + (u >> 6) * np.uint8(4) + (v >> 6)  # 8 x 4 x 4 levels, < 128
    hist = np.bincount(codes.ravel(), minlength=128).astype(np.int32)
    thumb = cv2.resize(y, THUMB, interpolation=cv2.INTER_AREA).astype(np.int16).ravel()
    grad = int(cv2.absdiff(y[:, 1:], y[:, :-1]).sum(dtype=np.int64)) \
        + int(cv2.absdiff(y[1:], y[:-1]).sum(dtype=np.int64))
    mean, std_y = _mean_std(y)
    return FrameFeatures(frame.index, frame.t, frame.duration, hist, thumb, mean, std_y, _mean_std(u)[1],
                         _mean_std(v)[1], grad / (y.size * 255.0))


def frame_distance(a: FrameFeatures, b: FrameFeatures) -> float:
    n = int(a.hist.sum())
    dh = int(np.abs(a.hist - b.hist).sum()) / (2 * n)
    dp = int(np.abs(a.thumb - b.thumb).sum()) / (a.thumb.size * 255.0)
    return 0.5 * dh + 0.5 * min(1.0, dp / PIXEL_SCALE)


# ---- the batch detector over a window of frames ------------------------------------------------


class _Window:
    """Stacked features of consecutive frames, with vectorised distances."""

    def __init__(self, feats: list[FrameFeatures]):
        self.n = len(feats)
        self.hist = np.stack([f.hist for f in feats]).astype(np.int32)
        self.thumb = np.stack([f.thumb for f in feats]).astype(np.int16)
        self.npix = int(feats[0].hist.sum())
        self.mean = np.array([f.mean for f in feats])
        self.std_y = np.array([f.std_y for f in feats])
        self.mono = np.array([max(f.std_y, f.std_u, f.std_v) <= MONO_STD for f in feats])
        self.grad = np.array([f.grad for f in feats])

    def parts(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dh = np.abs(self.hist[i] - self.hist[j]).sum(axis=1, dtype=np.int64) / (2 * self.npix)
        dp = np.abs(self.thumb[i] - self.thumb[j]).sum(axis=1, dtype=np.int64) / (self.thumb.shape[1] * 255.0)
        return dh, dp

    def dist(self, i: np.ndarray | int, j: np.ndarray | int) -> np.ndarray:
        i, j = np.atleast_1d(i), np.atleast_1d(j)
        dh, dp = self.parts(i, j)
        return 0.5 * dh + 0.5 * np.minimum(1.0, dp / PIXEL_SCALE)


@dataclass
class _Found:
    kind: str
    frame: int
    start: int
    end: int
    score: float


def _continuing_share(before: np.ndarray, after: np.ndarray) -> float:
    """Share of the textured 4x3 blocks of `after` found (within PARTIAL_MATCH, shifted by at most
    one pixel) at the same place in `before`. Near 0 for a cut; large when an object enters."""
    width, height = THUMB
    prev = before.astype(np.int32).reshape(height, width)
    cur = after.astype(np.int32).reshape(height, width)
    padded = np.pad(prev, 1, mode="edge")
    best = None
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
            blocks = np.abs(cur - shifted).reshape(height // 3, 3, width // 4, 4).sum(axis=(1, 3))
            best = blocks if best is None else np.minimum(best, blocks)

    def block_std(x: np.ndarray) -> np.ndarray:
        blocks = x.reshape(height // 3, 3, width // 4, 4).transpose(0, 2, 1, 3)
        return blocks.reshape(height // 3, width // 4, 12).std(axis=2)

    textured = (block_std(cur) >= TEXTURED_STD) | (block_std(prev) >= TEXTURED_STD)
    if int(textured.sum()) < 8:
        return 0.0
    return float(((best < PARTIAL_MATCH * 12) & textured).sum() / textured.sum())


def _cuts(w: _Window, p: Params) -> tuple[list[_Found], np.ndarray]:
    n = w.n
    change = np.zeros(n)
    if n > 1:
        change[1:] = w.dist(np.arange(n - 1), np.arange(1, n))
    candidates: dict[int, float] = {}
    for k in np.flatnonzero(change >= CUT_MIN):
        k = int(k)
        if k == 0:
            continue
        around = [change[j] for j in range(max(1, k - p.neighbours), min(n, k + p.neighbours + 1)) if j != k]
        if around and change[k] < CUT_RATIO * (sum(around) / len(around)):
            continue
        pairs = [(k - 1 - a, k + b) for a in range(p.flash + 1) for b in range(p.flash + 1 - a)
                 if (a or b) and k - 1 - a >= 0 and k + b < n]
        if pairs:
            before, after = zip(*pairs, strict=True)
            if float(w.dist(np.array(before), np.array(after)).min()) < FLASH_SIMILAR * change[k]:
                continue
        if _continuing_share(w.thumb[k - 1], w.thumb[k]) >= PARTIAL_MAX:
            continue  # part of the picture goes on: something entered the frame
        candidates[k] = float(change[k])
    found = []
    for k, score in candidates.items():
        rivals = [(candidates[j], -j) for j in range(k - p.nms, k + p.nms + 1) if j != k and j in candidates]
        if all((score, -k) > r for r in rivals):
            found.append(_Found("cut", k, k, k, score))
    return found, change


def _fades(w: _Window, p: Params, video_start: bool, video_end: bool) -> list[_Found]:
    n, found = w.n, []
    k = 0
    while k < n:
        if not w.mono[k]:
            k += 1
            continue
        m0 = k
        while k < n and w.mono[k]:
            k += 1
        m1 = k - 1
        if (m0 == 0 and not video_start) or (m1 == n - 1 and not video_end):
            continue  # cut off by the window: decided where the whole run is visible
        if m0 == 0 or m1 == n - 1:
            continue  # the video starts or ends on a uniform colour: no shot change
        colour = w.mean[(m0 + m1) // 2]
        delta = np.abs(w.mean - colour) + w.std_y  # linear in the blend factor of a fade
        r0 = m0
        while r0 - 1 >= max(1, m0 - p.max_ramp) and delta[r0 - 1] > delta[r0] + RAMP_STEP:
            r0 -= 1
        r1 = m1
        while r1 + 1 <= min(n - 2, m1 + p.max_ramp) and delta[r1 + 1] > delta[r1] + RAMP_STEP:
            r1 += 1
        # A ramp changes gradually: when its first step is most of it, the colour was cut to/from.
        if r0 < m0 and delta[m0 - 1] - delta[m0] > RAMP_FIRST_STEP * (delta[r0] - delta[m0]):
            r0 = m0
        if r1 > m1 and delta[m1 + 1] - delta[m1] > RAMP_FIRST_STEP * (delta[r1] - delta[m1]):
            r1 = m1
        ramps = (m0 - r0) + (r1 - m1)
        if m1 - m0 + 1 > p.max_hold:
            found.append(_Found("fade_out", m0, r0, m0, float(delta[r0 - 1])))
            found.append(_Found("fade_in", m1 + 1, m1, r1, float(delta[r1 + 1])))
            continue
        pairs = [(r0 - 1 - a, r1 + 1 + b) for a in range(p.flash + 1) for b in range(p.flash + 1 - a)
                 if r0 - 1 - a >= 0 and r1 + 1 + b < n]
        before, after = zip(*pairs, strict=True)
        same = float(w.dist(np.array(before), np.array(after)).min())
        if same < SAME_SHOT:
            continue
        kind = "fade" if ramps >= 2 else "cut"
        found.append(_Found(kind, (m0 + m1 + 1) // 2, r0, r1, same))
    return found


def _dissolves(w: _Window, p: Params, step: np.ndarray) -> list[_Found]:
    """`step[k]` = d(k-1, k). Cheap vectorised tests first, the blend model on what passes."""
    n, found = w.n, []
    for half in p.half_lengths:
        if n <= 2 * half:
            continue
        ks = np.arange(half, n - half)
        dh, dp = w.parts(ks - half, ks + half)
        change = 0.5 * dh + 0.5 * np.minimum(1.0, dp / PIXEL_SCALE)
        ok = (change >= DISSOLVE_MIN_CHANGE) & (dh >= DISSOLVE_MIN_HIST)
        if not ok.any():
            continue
        # Two shots: each side changes less over the same time than the window does across.
        lagged = w.dist(np.arange(n - half), np.arange(half, n))  # lagged[i] = d(i, i + half)
        before = np.where(ks - 2 * half >= 0, lagged[np.maximum(ks - 2 * half, 0)], 0.0)
        after = np.where(ks + 2 * half < n, lagged[np.minimum(ks + half, n - half - 1)], 0.0)
        ok &= np.maximum(before, after) <= DISSOLVE_MAX_SIDE_CHANGE * change
        # No single step makes most of the change (that is a cut inside the window).
        steps = np.lib.stride_tricks.sliding_window_view(step[1:], 2 * half).max(axis=1)  # over (k-L, k+L]
        ok &= steps[ks - half] <= DISSOLVE_MAX_STEP * change
        for k in ks[ok]:
            k = int(k)
            a, b = k - half, k + half
            start = w.thumb[a].astype(np.float64)
            span = w.thumb[b].astype(np.float64) - start
            norm2 = float(span @ span)
            if norm2 <= 0:
                continue
            inner = w.thumb[a + 1:b].astype(np.float64) - start
            alpha = inner @ span / norm2
            residual = np.sqrt(np.maximum(0.0, (inner * inner).sum(axis=1) - alpha * alpha * norm2)) / math.sqrt(norm2)
            ramp = np.arange(1, 2 * half) / (2 * half)
            if (float(residual.mean()) > DISSOLVE_MAX_RESIDUAL
                    or float(np.abs(alpha - ramp).max()) > DISSOLVE_MAX_ALPHA_DEV):
                continue
            lo, hi = a + half // 2, b - half // 2
            line = w.grad[a] + (w.grad[b] - w.grad[a]) * (np.arange(lo, hi + 1) - a) / (2 * half)
            dip = float((w.grad[lo:hi + 1] / np.maximum(line, 1e-9)).min())
            if dip > DISSOLVE_MAX_DIP:
                continue
            score = float(change[k - half]) * (1.0 - float(residual.mean()))
            found.append(_Found("dissolve", k, a + 1, b - 1, score))
    survivors = []
    for f in found:
        rivals = [(g.score, -g.frame, -g.start) for g in found if g is not f and g.start <= f.end and f.start <= g.end]
        if all((f.score, -f.frame, -f.start) > r for r in rivals):
            survivors.append(f)
    return survivors


def detect_window(feats: list[FrameFeatures], p: Params, lo: int, hi: int, *, video_start: bool,
                  video_end: bool) -> list[_Found]:
    """Boundaries whose frame (window position) is in [lo, hi); the caller guarantees `p.context`
    frames of margin on both sides unless the window starts/ends with the video."""
    if len(feats) < 2:
        return []
    w = _Window(feats)
    cuts, step = _cuts(w, p)
    fades = _fades(w, p, video_start, video_end)
    dissolves = _dissolves(w, p, step)
    spans = [(f.start - 1, f.end + 1) for f in fades]
    out = list(fades)
    kept_cuts = [c for c in cuts if not any(s <= c.frame <= e for s, e in spans)]
    out += kept_cuts
    for d in dissolves:
        if any(s <= d.end and d.start <= e for s, e in spans):
            continue
        if any(d.start <= c.frame <= d.end + 1 for c in kept_cuts):
            continue
        out.append(d)
    return sorted((f for f in out if lo <= f.frame < hi), key=lambda f: f.frame)


# ---- streaming -----------------------------------------------------------------------------------


class ShotDetector:
    """Feed frames in presentation order; boundaries are decided `context` frames later.

    `video_start`: the first frame fed is the video's first frame (a segment's warm-up is not)."""

    def __init__(self, fps: float, *, video_start: bool = True, chunk: int = CHUNK_FRAMES):
        self.params = Params.for_fps(fps)
        self.video_start = video_start
        self.chunk = max(1, chunk)
        self._buf: list[FrameFeatures] = []
        self._decided = 0  # buffer position: boundaries before it are decided
        self._first_in_buffer_is_video_start = video_start
        self.boundaries: list[tuple[_Found, FrameFeatures, FrameFeatures, FrameFeatures]] = []
        # Per frame: index, time, d(previous frame, frame) (compact arrays: 20 bytes a frame).
        self.change_index = array("q")
        self.change_t = array("d")
        self.change_value = array("d")
        self._prev: FrameFeatures | None = None

    def push(self, frame: DecodedFrame) -> FrameFeatures:
        feats = frame_features(frame)
        first = 0.0 if self.video_start else math.nan
        change = first if self._prev is None else frame_distance(self._prev, feats)
        self._prev = feats
        self.change_index.append(feats.index)
        self.change_t.append(feats.t)
        self.change_value.append(change)
        self._buf.append(feats)
        c = self.params.context
        if len(self._buf) - self._decided >= self.chunk + c:
            self._run(self._decided, len(self._buf) - c, video_end=False)
        return feats

    def finish(self) -> None:
        if self._buf:
            self._run(self._decided, len(self._buf), video_end=True)

    def _run(self, lo: int, hi: int, *, video_end: bool) -> None:
        feats = self._buf
        for f in detect_window(feats, self.params, lo, hi, video_start=self._first_in_buffer_is_video_start,
                               video_end=video_end):
            self.boundaries.append((f, feats[f.frame], feats[f.start], feats[f.end]))
        c = self.params.context
        drop = max(0, hi - c)
        if drop:
            del self._buf[:drop]
            self._first_in_buffer_is_video_start = False
        self._decided = hi - drop


def _boundary(found: _Found, at: FrameFeatures, first: FrameFeatures, last: FrameFeatures, shift: int = 0) -> Boundary:
    kind_type = "cut" if found.kind == "cut" else "gradual"
    return Boundary(type=kind_type, kind=found.kind, frame=at.index + shift, seconds=round(at.t, 6),
                    start_frame=first.index + shift, end_frame=last.index + shift, start_seconds=round(first.t, 6),
                    end_seconds=round(last.t, 6), score=round(found.score, 4))


def activity_fps(info: VideoInfo) -> float:
    return min(info.fps, ACTIVITY_MAX_FPS) if info.fps > 0 else ACTIVITY_MAX_FPS


def _bin(t: float, rate: float) -> int:
    return int(math.floor(t * rate + 1e-9))


def scenes_from(boundaries: Iterable[Boundary], duration: float) -> list[dict[str, float]]:
    """Contiguous shots covering [0, duration], split at each boundary's `seconds`."""
    cuts = sorted({round(b.seconds, 3) for b in boundaries if 0 < round(b.seconds, 3) < round(duration, 3)})
    edges = [0.0, *cuts, round(duration, 3)]
    return [{"start_seconds": a, "end_seconds": b} for a, b in zip(edges, edges[1:], strict=False)]


# ---- whole video, segments, merge -------------------------------------------------------------------


def detect_segment(source: Source, start_seconds: float, end_seconds: float | None, *, info: VideoInfo | None = None,
                   overlap_seconds: float | None = None, first_index: int | None = None,
                   frames: Iterator[DecodedFrame] | None = None, lookahead_seconds: float = 0.0) -> SegmentShots:
    """Shots of the segment [start_seconds, end_seconds) (None, or the video's duration: to the end).

    Decodes from `overlap_seconds` before the start (at least `required_overlap_seconds(info)`,
    widened automatically if the stream has fewer than `Params.context` frames there) and
    `context` frames past the end, so decisions near the borders see what a single pass sees.
    Reports the boundaries whose `seconds` fall inside the segment and the activity of its own
    frames. Frame indexes are global (see decode.iter_frames); `first_index`, the global index of
    the first frame at or after `start_seconds`, saves the VFR packet count when the planner knows it.
    `frames`: already decoded frames starting at or before start - overlap (a worker that shares
    one decode between analysers); then no re-decoding happens. `lookahead_seconds`: also report,
    as `boundaries_ahead`, the boundaries in [end, end + lookahead) (decoding that much further)."""
    info = info or probe(source, check_end=False)
    params = Params.for_fps(info.fps)
    if end_seconds is not None and end_seconds >= info.duration - 1e-6:
        end_seconds = None  # the container's duration can be a frame short of the stream's
    overlap = max(overlap_seconds or 0.0, required_overlap_seconds(info))
    while True:
        warm_start = max(0.0, start_seconds - overlap) if start_seconds > 0 else 0.0
        local = first_index is not None and warm_start > 0
        stream = frames if frames is not None else iter_frames(source, warm_start, None, info=info,
                                                                first_index=0 if local else None)
        result = _run_segment(stream, info, params, start_seconds, end_seconds, warm_start,
                              first_index if local else None, strict=frames is None, lookahead=lookahead_seconds)
        if result is not None:
            return result
        overlap *= 2  # fewer than `context` frames in the warm-up (e.g. a very low frame rate)


def _run_segment(frames: Iterator[DecodedFrame], info: VideoInfo, params: Params, start: float, end: float | None,
                 warm_start: float, first_index: int | None = None, strict: bool = True,
                 lookahead: float = 0.0) -> SegmentShots | None:
    detector = ShotDetector(info.fps, video_start=warm_start == 0.0)
    rate = activity_fps(info)
    context = params.context
    before = 0
    after = 0
    last: DecodedFrame | None = None
    reached_end = True
    horizon = end + lookahead if end is not None else None
    for frame in frames:
        if frame.t < start:
            before += 1
        if horizon is not None and frame.t >= horizon:
            after += 1
            if after > context:
                reached_end = False
                break
        detector.push(frame)
        last = frame
    if strict and warm_start > 0 and before < context and start > 0:
        return None  # widen the warm-up
    detector.finish() if reached_end else detector._run(detector._decided, len(detector._buf), video_end=False)

    def owned(t: float) -> bool:
        return t >= start and (end is None or t < end)

    shift = 0
    if first_index is not None:  # frames were numbered from 0 at the warm-up start
        first_owned = next((i for i, t in zip(detector.change_index, detector.change_t, strict=True) if owned(t)),
                           None)
        shift = first_index - first_owned if first_owned is not None else 0
    boundaries = sorted((_boundary(*b, shift=shift) for b in detector.boundaries if owned(b[1].t)),
                        key=lambda b: b.frame)
    ahead = sorted((_boundary(*b, shift=shift) for b in detector.boundaries
                    if end is not None and end <= b[1].t < end + lookahead), key=lambda b: b.frame)
    first_bin = _bin(start, rate)
    values: dict[int, float] = {}
    count = 0
    for t, change in zip(detector.change_t, detector.change_value, strict=True):
        if not owned(t):
            continue
        count += 1
        b = _bin(t, rate)
        values[b] = max(values.get(b, 0.0), 0.0 if math.isnan(change) else change)
    last_bin = max(values, default=first_bin - 1)
    activity = [round(values.get(b, 0.0), 4) for b in range(first_bin, last_bin + 1)]
    stream_end = (last.t + last.duration) if (reached_end and last is not None) else None
    return SegmentShots(start_seconds=start, end_seconds=end, boundaries=boundaries, activity_first_bin=first_bin,
                        activity=activity, frame_activity_fps=rate, frames=count,
                        stream_end=round(stream_end, 6) if stream_end is not None else None,
                        last_index=last.index + shift if (reached_end and last is not None) else None,
                        boundaries_ahead=ahead)


def required_overlap_seconds(info: VideoInfo) -> float:
    """Warm-up a segment needs before its start: the detector's context at the nominal rate, plus 1 s."""
    return Params.for_fps(info.fps).context / max(info.fps, 1.0) + 1.0


def merge_segments(parts: list[SegmentShots], duration: float | None = None) -> ShotResult:
    """The whole video's result from its segments (any order); equal to the single pass."""
    parts = sorted(parts, key=lambda s: s.start_seconds)
    boundaries = sorted((b for s in parts for b in s.boundaries), key=lambda b: b.frame)
    ends = [s.stream_end for s in parts if s.stream_end is not None]
    total = duration if duration is not None else (max(ends) if ends else parts[-1].end_seconds or 0.0)
    rate = parts[0].frame_activity_fps if parts else ACTIVITY_MAX_FPS
    n_bins = max(0, math.ceil(total * rate - 1e-9))
    activity = [0.0] * n_bins
    for s in parts:
        for i, v in enumerate(s.activity):
            b = s.activity_first_bin + i
            if 0 <= b < n_bins:
                activity[b] = max(activity[b], v)
    last_indexes = [s.last_index for s in parts if s.last_index is not None]
    frame_count = (max(last_indexes) + 1) if last_indexes else sum(s.frames for s in parts)
    return ShotResult(boundaries=boundaries, raw_scenes=scenes_from(boundaries, total),
                      frame_activity_diffs=activity, frame_activity_fps=rate, duration=round(total, 6),
                      frame_count=frame_count)


def detect_shots(source: Source, *, info: VideoInfo | None = None) -> ShotResult:
    """The whole video in one streaming pass (the same as one segment covering it)."""
    info = info or probe(source, check_end=False)  # the pass decodes everything anyway
    return merge_segments([detect_segment(source, 0.0, None, info=info)])


def plan_segments(info: VideoInfo, segment_seconds: float) -> list[tuple[float, float | None]]:
    """The workflow's segments (video/plan.py) as (start, end) pairs; the last runs to the end of the stream."""
    from .plan import plan_segments as plan

    parts = plan(info.duration, segment_seconds)
    return [(p["start"], p["end"] if i + 1 < len(parts) else None) for i, p in enumerate(parts)]


__all__ = ["Boundary", "FrameFeatures", "Params", "SegmentShots", "ShotDetector", "ShotResult", "activity_fps",
           "detect_segment", "detect_shots", "detect_window", "frame_distance", "frame_features", "merge_segments",
           "plan_segments", "required_overlap_seconds", "scenes_from"]
