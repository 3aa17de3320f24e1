"""RapidOCR's default pipeline in its own environment, answering the OCR benchmark over a pipe.

    .tools/ocr-peers/bin/python benchmarks/rapidocr_runner.py [--threads N]

RapidOCR (PyPI `rapidocr`, locks/ocr-peers.in) lives in .tools/ocr-peers (its own: PySceneDetect needs opencv-python),
never in .venv: it drags in pyclipper, shapely, omegaconf and opencv-python-headless. Its
wheel ships the models of its default pipeline (PP-OCRv6 small detector and multilingual
recogniser, PP-OCRv4 mobile direction classifier), so nothing downloads: the runner refuses to
start if the model files are not inside the installed package. The default configuration is
kept except the thread counts (onnxruntime intra/inter-op, OpenCV), 1 unless --threads says
otherwise, so that every method of the benchmark gets one core.

One JSON request per stdin line, {"path": "..."}; one JSON answer per stdout line,
{"texts": [...], "scores": [...], "boxes": [[[x, y] × 4], ...], "ms": ...} in RapidOCR's own
order (top to bottom, then left to right), or {"error": "..."}. The first line written is
{"ready": true, "load_ms": ..., "version": ..., "models": [...]}. A long-lived process, so the
timings hold recognition and not interpreter start-up or model loading.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def engine(threads: int) -> Any:
    import cv2
    import rapidocr
    from rapidocr import RapidOCR

    cv2.setNumThreads(max(0, threads))
    models = sorted(p.name for p in (Path(rapidocr.__file__).parent / "models").glob("*.onnx"))
    if len(models) < 3:
        raise RuntimeError(f"RapidOCR's wheel models are missing ({models}): it would download them at run time")
    params = {"Global.log_level": "warning",
              "EngineConfig.onnxruntime.intra_op_num_threads": threads,
              "EngineConfig.onnxruntime.inter_op_num_threads": threads}
    return RapidOCR(params=params), models


def read(ocr: Any, path: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = ocr(path)
    ms = (time.perf_counter() - started) * 1000
    if result.txts is None or result.boxes is None:
        return {"texts": [], "scores": [], "boxes": [], "ms": ms}
    return {"texts": list(result.txts), "scores": [float(s) for s in result.scores],
            "boxes": [[[float(x), float(y)] for x, y in box] for box in result.boxes], "ms": ms}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    from importlib.metadata import version

    answers, sys.stdout = sys.stdout, sys.stderr  # whatever the library prints stays off the pipe
    started = time.perf_counter()
    ocr, models = engine(args.threads)
    answers.write(json.dumps({"ready": True, "load_ms": (time.perf_counter() - started) * 1000,
                              "version": version("rapidocr"), "models": models}) + "\n")
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = read(ocr, request["path"])
        except Exception as err:  # one file failing must not end the session
            answer = {"error": f"{type(err).__name__}: {err}"}
        answers.write(json.dumps(answer, ensure_ascii=False) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
