"""Shot-boundary benchmark: accuracy and speed of medialens.video.shots against PySceneDetect.

    .venv/bin/python -m benchmarks.video_shots [--repeats N] [--no-speed]

Accuracy (precision / recall / F1), per file and overall, separately for
  * the dev corpus's real videos (../shared/dev-corpus, manifest "videos"), and
  * synthetic clips built from that footage by benchmarks/video_media.py, "dev" split (seen while
    designing the detector) and "test" split (only ever reported),
for: ours, PySceneDetect AdaptiveDetector and ContentDetector (defaults, OpenCV backend, run in
.tools/bench-peers by benchmarks/pyscenedetect_runner.py: it needs opencv-python), and
TransNetV2 when benchmarks/transnetv2_runner.py is present.

Matching rules (the issue's): a ground-truth hard cut at k is hit by a predicted boundary at
k +- 2; a gradual transition [s, e] by a predicted boundary inside [s - 2, e + 2]. Each
prediction hits at most one transition (cuts are matched first, nearest first). A predicted
boundary is the first frame of the new shot: our Boundary.frame (a gradual transition's
middle), a PySceneDetect scene start (every scene but the first; its list of scene starts
*is* its list of boundaries, so nothing is lost or favoured by the mapping), TransNetV2's cut
frame. Predictions that hit nothing are false positives, counted against gradual transitions
when they lie within 5 frames of a gradual span (a transition found twice) and against hard
cuts otherwise, whatever type the method gave them (PySceneDetect and TransNetV2 give none).
"all" pools both kinds.

Speed: frames per second, single process, median of N runs (the methods interleaved within each
run, so load from other processes hits them alike), on the corpus videos: pure PyAV
decoding (the same decoder threads as ours), decoding plus our 64x36 working image made with
OpenCV (what we use) or with PyAV's reformat (the alternative), ours (probe + decode +
detection + activity), and
PySceneDetect's detect() with each detector (its own OpenCV decoding included).
Results also go to bench-results/video_shots.json.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
MEDIA_DIR = REPO / "bench-results" / "video_media"
TOLERANCE = 2
FP_NEAR_GRADUAL = 5

Prediction = tuple[int, str]  # (first frame of the new shot, "cut" | "gradual" | "?")


# ---- ground truth and matching --------------------------------------------------------------------


def corpus_cases(corpus: Path) -> list[tuple[Path, dict]]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [(corpus / entry["file"], entry["ground_truth"]) for entry in manifest["videos"]]


def synthetic_cases(split: str, media_dir: Path = MEDIA_DIR, corpus: Path = CORPUS) -> list[tuple[Path, dict]]:
    from benchmarks.video_media import generate

    cases = []
    for path in generate(media_dir, split, corpus):
        gt = json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".gt.json").read_text())
        cases.append((path, gt))
    return cases


def match(predictions: list[Prediction], gt: dict, tol: int = TOLERANCE) -> dict:
    preds = sorted(predictions)
    used: set[int] = set()
    cut_hits = 0
    for cut in gt.get("hard_cuts", []):
        near = [(abs(f - cut), i) for i, (f, _) in enumerate(preds) if i not in used and abs(f - cut) <= tol]
        if near:
            used.add(min(near)[1])
            cut_hits += 1
    spans = [(g["start"], g["end"]) for g in gt.get("gradual_transitions", [])]
    grad_hits = 0
    typed_gradual = 0
    for start, end in spans:
        centre = (start + end) / 2
        inside = [(abs(f - centre), i) for i, (f, _) in enumerate(preds)
                  if i not in used and start - tol <= f <= end + tol]
        if inside:
            i = min(inside)[1]
            used.add(i)
            grad_hits += 1
            typed_gradual += preds[i][1] == "gradual"
    fp_cut = fp_grad = 0
    false_frames = []
    for i, (f, _) in enumerate(preds):
        if i in used:
            continue
        false_frames.append(f)
        if any(s - FP_NEAR_GRADUAL <= f <= e + FP_NEAR_GRADUAL for s, e in spans):
            fp_grad += 1
        else:
            fp_cut += 1
    negatives = gt.get("hard_negatives", [])
    on_negatives = sum(any(h["start"] - tol <= f <= h["end"] + tol for h in negatives) for f in false_frames)
    return {"cut": {"tp": cut_hits, "n": len(gt.get("hard_cuts", [])), "fp": fp_cut},
            "gradual": {"tp": grad_hits, "n": len(spans), "fp": fp_grad},
            "gradual_typed_gradual": typed_gradual, "false_positive_frames": false_frames,
            "false_positives_on_hard_negatives": on_negatives}


def prf(tp: int, n: int, fp: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / n if n else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "tp": tp, "n": n,
            "fp": fp}


def summarise(per_file: dict[str, dict]) -> dict:
    out = {}
    for kind in ("cut", "gradual"):
        tp = sum(m[kind]["tp"] for m in per_file.values())
        n = sum(m[kind]["n"] for m in per_file.values())
        fp = sum(m[kind]["fp"] for m in per_file.values())
        out[kind] = prf(tp, n, fp)
    out["all"] = prf(out["cut"]["tp"] + out["gradual"]["tp"], out["cut"]["n"] + out["gradual"]["n"],
                     out["cut"]["fp"] + out["gradual"]["fp"])
    out["false_positives_on_hard_negatives"] = sum(m["false_positives_on_hard_negatives"] for m in per_file.values())
    return out


# ---- methods -----------------------------------------------------------------------------------------


def ours(path: Path) -> list[Prediction]:
    from medialens.video.shots import detect_shots

    return [(b.frame, b.type) for b in detect_shots(path).boundaries]


PEERS_PYTHON = Path(__file__).resolve().parent.parent / ".tools" / "bench-peers" / "bin" / "python"


@functools.cache
def _peer_process() -> subprocess.Popen:
    """benchmarks/pyscenedetect_runner.py in PySceneDetect's own environment (`make bench` makes it)."""
    if not PEERS_PYTHON.exists():
        raise RuntimeError(f"{PEERS_PYTHON} missing: `make bench` (or `make .tools/bench-peers/.installed`) makes it")
    runner = Path(__file__).with_name("pyscenedetect_runner.py")
    return subprocess.Popen([str(PEERS_PYTHON), str(runner)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _pyscenedetect(detector_name: str) -> Callable[[Path], list[Prediction]]:
    def run(path: Path) -> list[Prediction]:
        peer = _peer_process()
        peer.stdin.write(json.dumps({"detector": detector_name, "path": str(path)}) + "\n")
        peer.stdin.flush()
        answer = json.loads(peer.stdout.readline() or '{"error": "PySceneDetect runner exited"}')
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return [(frame, "?") for frame in answer["starts"]]

    run.__name__ = detector_name
    return run


def transnetv2() -> Callable[[Path], list[Prediction]] | None:
    try:
        runner = importlib.import_module("benchmarks.transnetv2_runner")
    except ImportError:
        return None
    predict = getattr(runner, "predict_cuts", None)
    if predict is None:
        return None

    def run(path: Path) -> list[Prediction]:
        return [(int(k), "?") for k in predict(path)]

    return run


def methods() -> dict[str, Callable[[Path], list[Prediction]]]:
    found: dict[str, Callable[[Path], list[Prediction]]] = {
        "ours": ours,
        "PySceneDetect Adaptive": _pyscenedetect("AdaptiveDetector"),
        "PySceneDetect Content": _pyscenedetect("ContentDetector"),
    }
    anchor = transnetv2()
    if anchor is not None:
        found["TransNetV2"] = anchor
    return found


def accuracy(cases: list[tuple[Path, dict]], runners: dict[str, Callable[[Path], list[Prediction]]]) -> dict:
    result = {}
    for name, runner in runners.items():
        per_file = {}
        for path, gt in cases:
            try:
                per_file[path.name] = match(runner(path), gt)
            except Exception as err:  # a peer failing on one file must not hide the rest
                per_file[path.name] = {**match([], gt), "error": f"{type(err).__name__}: {err}"}
        result[name] = {"overall": summarise(per_file), "per_file": per_file}
    return result


# ---- speed --------------------------------------------------------------------------------------------


def _decode_only(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def _decode_working_opencv(path: Path) -> None:
    from medialens.video.decode import iter_frames

    for _ in iter_frames(path):
        pass


def _decode_working_reformat(path: Path) -> None:
    """The alternative we measured against: PyAV's swscale does the resize and format change."""
    import av

    from medialens.video.decode import WORK_HEIGHT, WORK_WIDTH

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.reformat(width=WORK_WIDTH, height=WORK_HEIGHT, format="yuv444p", interpolation="AREA").to_ndarray()


def speed(paths: list[Path], repeats: int) -> dict:
    from medialens.video.shots import detect_shots

    runs: dict[str, Callable[[Path], object]] = {
        "decode only (PyAV)": _decode_only,
        "decode + 64x36 YUV via OpenCV (ours)": _decode_working_opencv,
        "decode + 64x36 YUV via PyAV reformat": _decode_working_reformat,
        "ours (shot detection)": detect_shots,
        "PySceneDetect Content": _pyscenedetect("ContentDetector"),
        "PySceneDetect Adaptive": _pyscenedetect("AdaptiveDetector"),
    }
    frames = {p.name: _decode_only(p) for p in paths}
    times: dict[tuple[str, str], list[float]] = {(name, p.name): [] for name in runs for p in paths}
    for _ in range(repeats):  # methods interleaved, so a busy neighbour slows them alike
        for path in paths:
            for name, fn in runs.items():
                started = time.perf_counter()
                fn(path)
                times[(name, path.name)].append(time.perf_counter() - started)
    out: dict[str, dict] = {}
    for name in runs:
        per_file = {p.name: round(frames[p.name] / statistics.median(times[(name, p.name)]), 1) for p in paths}
        total_time = sum(statistics.median(times[(name, p.name)]) for p in paths)
        out[name] = {"per_file": per_file, "overall": round(sum(frames.values()) / total_time, 1)}
    return out


def segments_identical(paths: list[Path], segment_seconds: float = 4.0) -> dict[str, bool]:
    """1 segment vs N segments of `segment_seconds`: the same result?"""
    from medialens.video.decode import probe
    from medialens.video.shots import detect_segment, detect_shots, merge_segments, plan_segments

    out = {}
    for path in paths:
        info = probe(path)
        single = detect_shots(path, info=info).as_dict()
        parts = [detect_segment(path, a, b, info=info) for a, b in plan_segments(info, segment_seconds)]
        out[path.name] = merge_segments(parts).as_dict() == single
    return out


# ---- entry points -------------------------------------------------------------------------------------


def run(corpus: Path = CORPUS, *, repeats: int = 5, with_speed: bool = True, media_dir: Path = MEDIA_DIR) -> dict:
    runners = methods()
    real = corpus_cases(corpus)
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in os.getloadavg()]},
        "transnetv2": "TransNetV2" in runners,
        "accuracy": {
            "corpus": accuracy(real, runners),
            "synthetic_dev": accuracy(synthetic_cases("dev", media_dir, corpus), runners),
            "synthetic_test": accuracy(synthetic_cases("test", media_dir, corpus), runners),
        },
        "segments_identical": segments_identical([p for p, _ in real]),
    }
    if with_speed:
        result["speed_fps"] = speed([p for p, _ in real], repeats)
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def table(result: dict) -> str:
    lines = []
    if not result.get("transnetv2"):
        lines.append("TransNetV2: not available")
    for corpus_name, by_method in result["accuracy"].items():
        lines += ["", f"### {corpus_name}: precision / recall / F1 (tp/n, fp)", "",
                  "| method | hard cuts | gradual | all | FPs on hard negatives |", "|---|---|---|---|---|"]
        for method, data in by_method.items():
            o = data["overall"]
            cells = [f"{o[k]['precision']:.3f} / {o[k]['recall']:.3f} / **{o[k]['f1']:.3f}** "
                     f"({o[k]['tp']}/{o[k]['n']}, {o[k]['fp']})" for k in ("cut", "gradual", "all")]
            lines.append(f"| {method} | " + " | ".join(cells) + f" | {o['false_positives_on_hard_negatives']} |")
        if corpus_name == "corpus":
            lines += ["", "| file | " + " | ".join(by_method) + " |", "|---|" + "---|" * len(by_method)]
            files = next(iter(by_method.values()))["per_file"]
            for name in files:
                cells = []
                for data in by_method.values():
                    m = data["per_file"][name]
                    cells.append(f"cuts {m['cut']['tp']}/{m['cut']['n']} grad {m['gradual']['tp']}/{m['gradual']['n']}"
                                 f" fp {m['cut']['fp'] + m['gradual']['fp']}" + (" (error)" if "error" in m else ""))
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "speed_fps" in result:
        speeds = result["speed_fps"]
        files = list(next(iter(speeds.values()))["per_file"])
        lines += ["", "### speed: frames per second (single process, median)", "",
                  "| | " + " | ".join(files) + " | all |", "|---|" + "---|" * (len(files) + 1)]
        for name, data in speeds.items():
            lines.append(f"| {name} | " + " | ".join(f"{data['per_file'][f]:.0f}" for f in files)
                         + f" | **{data['overall']:.0f}** |")
    seg = result.get("segments_identical", {})
    lines += ["", "1 segment vs N segments (4 s) identical: "
              + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in seg.items())]
    m = result["machine"]
    lines.append(f"machine: {m['cpus']} CPUs, load average before {m['load_average_before']}, "
                 f"after {m['load_average_after']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="shot-boundary accuracy and speed")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    result = run(args.corpus, repeats=args.repeats, with_speed=not args.no_speed)
    out = REPO / "bench-results" / "video_shots.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(table(result))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
