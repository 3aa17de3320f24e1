"""Synthetic shot transitions made from the dev corpus's real footage, with exact ground truth.

The corpus holds one gradual transition. This writes clips that join real shots of the corpus
videos (cut at their ground-truth boundaries, so every source piece is one continuous shot) with

* hard cuts,
* dissolves (cross-fades of 10-30 frames while both shots keep playing),
* fades through black and through white (fade-out, a hold of 0-12 frames, fade-in),

and puts hard negatives inside shots (besides those the corpus lists in its footage, carried
over): flashes (1-3 frames brightened towards white, or a
camera-flash gain) and fast pans (a crop window sweeping over an enlarged shot at 5-12 % of
the frame width per frame). Ground truth follows the corpus convention: 0-based decoded frame
index, a hard cut at k = frame k is the first frame of the new shot, gradual spans inclusive
[first blended frame, last blended frame] (a fade's span includes its hold).

Clips are 320x180 at 25 fps, mostly H.264 in MP4 (some MPEG-4 Part 2 in MKV and VP9 in WebM),
written to a cache directory with a `<name>.gt.json` beside each. Two splits from different
seeds: "dev" (used while designing the detector) and "test" (only reported).

    .venv/bin/python -m benchmarks.video_media [--out DIR] [--split dev|test|all]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
DEFAULT_OUT = REPO / "bench-results" / "video_media"
WIDTH, HEIGHT, FPS = 320, 180, 25
GENERATOR_VERSION = 3  # bump when the recipe changes (the cache key)
SPLITS = {"dev": range(0, 12), "test": range(100, 112)}
EDGE_MARGIN = 2  # frames dropped at both ends of every source shot


@dataclass(frozen=True)
class SourceShot:
    video: str
    start: int  # first frame (inclusive)
    end: int  # last frame (exclusive)

    @property
    def length(self) -> int:
        return self.end - self.start


def corpus_videos(corpus: Path = CORPUS) -> list[dict]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return list(manifest["videos"])


def source_shots(corpus: Path = CORPUS, min_length: int = 16) -> list[SourceShot]:
    """Continuous pieces of the corpus videos: between ground-truth boundaries, minus margins."""
    shots = []
    for entry in corpus_videos(corpus):
        gt = entry["ground_truth"]
        total = int(entry["video"]["frames_ffprobe"])
        spans = [(k, k) for k in gt["hard_cuts"]] + [(g["start"], g["end"] + 1) for g in gt["gradual_transitions"]]
        spans.sort()
        prev = 0
        for start, end in [*spans, (total, total)]:
            lo, hi = prev + EDGE_MARGIN, start - EDGE_MARGIN
            if hi - lo >= min_length:
                shots.append(SourceShot(entry["file"], lo, hi))
            prev = end
    return shots


def _cover_resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = max(width / w, height / h)
    rw, rh = max(width, round(w * scale)), max(height, round(h * scale))
    small = cv2.resize(rgb, (rw, rh), interpolation=cv2.INTER_AREA)
    x0, y0 = (rw - width) // 2, (rh - height) // 2
    return small[y0:y0 + height, x0:x0 + width]


class FrameStore:
    """Decoded corpus frames at twice the output size (pans crop from them), cached as .npy."""

    def __init__(self, cache: Path, corpus: Path = CORPUS):
        self.cache, self.corpus = cache, corpus
        self._arrays: dict[str, np.ndarray] = {}

    def frames(self, video: str) -> np.ndarray:
        if video not in self._arrays:
            path = self.cache / "sources" / (Path(video).stem + f".{2 * WIDTH}x{2 * HEIGHT}.npy")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with av.open(str(self.corpus / video)) as container:
                    frames = [_cover_resize(f.to_ndarray(format="rgb24"), 2 * WIDTH, 2 * HEIGHT)
                              for f in container.decode(video=0)]
                tmp = path.with_suffix(".tmp.npy")
                np.save(tmp, np.stack(frames))
                tmp.replace(path)
            self._arrays[video] = np.load(path, mmap_mode="r")
        return self._arrays[video]


class Piece:
    """One shot of the clip: frames of a source shot, optionally with a pan and flashes."""

    def __init__(self, store: FrameStore, shot: SourceShot, offset: int, length: int):
        self.store, self.shot, self.offset, self.length = store, shot, offset, length
        self.pan: tuple[int, int, tuple[float, float], tuple[float, float]] | None = None
        self.flashes: list[tuple[int, int, str, float]] = []  # (first, count, kind, strength)

    def frame(self, j: int) -> np.ndarray:
        big = self.store.frames(self.shot.video)[self.shot.start + self.offset + j]
        if self.pan is None:
            out = cv2.resize(np.asarray(big), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        else:
            first, count, (x0, y0), (x1, y1) = self.pan
            a = min(1.0, max(0.0, (j - first + 1) / (count + 1)))
            x, y = round(x0 + a * (x1 - x0)), round(y0 + a * (y1 - y0))
            out = np.ascontiguousarray(big[y:y + HEIGHT, x:x + WIDTH])
        for first, count, kind, strength in self.flashes:
            if first <= j < first + count:
                f = out.astype(np.float32)
                f = f * (1 - strength) + 255 * strength if kind == "white" else f * (1 + 2 * strength)
                out = np.clip(f, 0, 255).astype(np.uint8)
        return out


def _blend(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    return np.clip(a.astype(np.float32) * (1 - alpha) + b.astype(np.float32) * alpha + 0.5, 0, 255).astype(np.uint8)


def source_negatives(corpus: Path = CORPUS) -> dict[str, list[tuple[int, int, str]]]:
    """Hard negatives the corpus lists in its videos (fast hands, arrows...), by video."""
    return {entry["file"]: [(h["start"], h["end"], h.get("note", "source")) for h in
                            entry["ground_truth"].get("hard_negatives", [])] for entry in corpus_videos(corpus)}


def build_clip(store: FrameStore, shots: list[SourceShot], seed: int,
               negatives: dict[str, list[tuple[int, int, str]]] | None = None) -> tuple[list[np.ndarray], dict]:
    """Frames and ground truth of one clip (deterministic for a seed)."""
    negatives = negatives or {}
    rng = random.Random(seed)
    n_pieces = rng.randint(7, 10)
    kinds = rng.choices(["cut", "dissolve", "fade_black", "fade_white"], weights=[40, 30, 18, 12], k=n_pieces - 1)
    frames: list[np.ndarray] = []
    gt: dict = {"hard_cuts": [], "gradual_transitions": [], "hard_negatives": []}
    prev_shot: SourceShot | None = None
    pending_in: tuple[str, int, int] | None = None  # transition into the next piece: (kind, length, span start)
    for i in range(n_pieces):
        kind_out = kinds[i] if i < n_pieces - 1 else None
        lead = pending_in[1] if pending_in and pending_in[0] == "dissolve" else 0
        fade_in = pending_in[1] if pending_in and pending_in[0] in ("fade_black", "fade_white") else 0
        out_len = rng.randint(10, 30) if kind_out == "dissolve" else 0
        fade_out = rng.randint(6, 20) if kind_out in ("fade_black", "fade_white") else 0
        want = rng.randint(22, 45) + lead + fade_in + out_len + fade_out
        candidates = [s for s in shots if s != prev_shot and s.length >= want]
        if not candidates:
            want = max(s.length for s in shots if s != prev_shot)
            candidates = [s for s in shots if s != prev_shot and s.length >= want]
        shot = rng.choice(candidates)
        prev_shot = shot
        piece = Piece(store, shot, rng.randint(0, shot.length - want), want)
        body = range(lead + fade_in + 4, want - out_len - fade_out - 4)  # frames of this piece shown alone, with room
        if len(body) > 24 and rng.random() < 0.3:
            count = rng.randint(8, min(20, len(body) - 4))
            first = rng.randint(body.start, body.stop - count)
            dist_x, dist_y = WIDTH * rng.uniform(0.6, 1.0), HEIGHT * rng.uniform(0.0, 0.5)
            x0, y0 = rng.uniform(0, WIDTH - dist_x), rng.uniform(0, HEIGHT - dist_y)
            x1, y1 = x0 + dist_x, y0 + dist_y
            if rng.random() < 0.5:
                x0, x1 = x1, x0
            if rng.random() < 0.5:
                y0, y1 = y1, y0
            piece.pan = (first, count, (x0, y0), (x1, y1))
        if len(body) > 10 and rng.random() < 0.35:
            count = rng.randint(1, 3)
            first = rng.randint(body.start + 2, body.stop - count - 2)
            kind = rng.choice(["white", "gain"])
            piece.flashes.append((first, count, kind, rng.uniform(0.45, 0.85)))
        base = len(frames) - lead  # output index of this piece's frame 0
        # Frames shared with the previous piece (dissolve): blend them in place.
        for j in range(lead):
            alpha = (j + 1) / (lead + 1)
            frames[base + j] = _blend(frames[base + j], piece.frame(j), alpha)
        if pending_in and pending_in[0] in ("fade_black", "fade_white"):
            span_start = pending_in[2]
            colour = np.full((HEIGHT, WIDTH, 3), 0 if pending_in[0] == "fade_black" else 255, np.uint8)
            for j in range(fade_in):
                frames.append(_blend(colour, piece.frame(j), (j + 1) / (fade_in + 1)))
            start_j = fade_in
            gt["gradual_transitions"].append({"type": f"fade_{pending_in[0].split('_')[1]}", "start": span_start,
                                              "end": len(frames) - 1})
        else:
            start_j = lead
            if pending_in and pending_in[0] == "dissolve":
                gt["gradual_transitions"].append({"type": "dissolve", "start": base, "end": base + lead - 1})
            elif pending_in and pending_in[0] == "cut":
                gt["hard_cuts"].append(base)
        for j in range(start_j, want - fade_out):
            frames.append(piece.frame(j))
        if piece.pan:
            first, count = piece.pan[0], piece.pan[1]
            gt["hard_negatives"].append({"type": "pan", "start": base + first, "end": base + first + count - 1})
        first_src = shot.start + piece.offset
        for start, end, note in negatives.get(shot.video, []):
            lo, hi = max(start, first_src + lead), min(end, first_src + want - 1)
            if lo <= hi:
                gt["hard_negatives"].append({"type": "source", "note": note, "start": base + lo - first_src,
                                             "end": base + hi - first_src})
        for first, count, kind, _ in piece.flashes:
            gt["hard_negatives"].append({"type": f"flash_{kind}", "start": base + first,
                                         "end": base + first + count - 1})
        if kind_out in ("fade_black", "fade_white"):
            colour = np.full((HEIGHT, WIDTH, 3), 0 if kind_out == "fade_black" else 255, np.uint8)
            span_start = len(frames)
            for j in range(fade_out):
                frames.append(_blend(piece.frame(want - fade_out + j), colour, (j + 1) / (fade_out + 1)))
            frames.extend(colour.copy() for _ in range(rng.randint(0, 12)))
            pending_in = (kind_out, rng.randint(6, 20), span_start)
        elif kind_out == "dissolve":
            pending_in = ("dissolve", out_len, 0)
        elif kind_out == "cut":
            pending_in = ("cut", 0, 0)
        else:
            pending_in = None
    gt["num_frames"] = len(frames)
    gt["fps"] = FPS
    gt["hard_negatives"].sort(key=lambda h: h["start"])
    return frames, gt


def _codec_for(seed: int) -> tuple[str, str, dict]:
    choice = seed % 6
    if choice == 4:
        return "mpeg4", ".mkv", {"qscale": "3"}
    if choice == 5:
        return "libvpx-vp9", ".webm", {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}
    return "libx264", ".mp4", {"crf": "20", "preset": "veryfast"}


def write_video(path: Path, frames: list[np.ndarray], codec: str, options: dict, fps: int = FPS,
                pts: list[int] | None = None, time_base: Fraction | None = None) -> None:
    """Encode RGB frames; with `pts` (in `time_base` units) the clip has those exact timestamps."""
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        if time_base is not None:
            stream.codec_context.time_base = time_base
            stream.time_base = time_base
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[i], time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)


def generate(out: Path = DEFAULT_OUT, split: str = "all", corpus: Path = CORPUS, seeds: list[int] | None = None,
             codec_override: str | None = None) -> list[Path]:
    """Write (or reuse) the clips of a split; returns the video paths (each has a .gt.json)."""
    out.mkdir(parents=True, exist_ok=True)
    if seeds is None:
        chosen = list(SPLITS) if split == "all" else [split]
        seeds = [s for name in chosen for s in SPLITS[name]]
    store = FrameStore(out, corpus)
    shots = source_shots(corpus)
    paths = []
    for seed in seeds:
        codec, ext, options = _codec_for(seed) if codec_override is None else (codec_override, ".mp4", {})
        name = f"synth_v{GENERATOR_VERSION}_s{seed:03d}"
        video, gt_path = out / (name + ext), out / (name + ".gt.json")
        if not (video.exists() and gt_path.exists()):
            frames, gt = build_clip(store, shots, seed, source_negatives(corpus))
            write_video(video, frames, codec, options)
            gt.update({"file": video.name, "seed": seed, "codec": codec,
                       "split": next((k for k, v in SPLITS.items() if seed in v), "custom"),
                       "frame_index_convention": "0-based decoded frame index; hard cut at k = first frame of the "
                                                 "new shot; gradual spans inclusive"})
            gt_path.write_text(json.dumps(gt, indent=1))
        paths.append(video)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = parser.parse_args()
    for path in generate(args.out, args.split):
        gt = json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".gt.json").read_text())
        print(f"{path}  frames={gt['num_frames']} cuts={len(gt['hard_cuts'])} "
              f"gradual={len(gt['gradual_transitions'])} negatives={len(gt['hard_negatives'])}")


if __name__ == "__main__":
    main()
