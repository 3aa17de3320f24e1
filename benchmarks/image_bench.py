"""Image benchmark on ../shared/dev-corpus: `make bench`.

Prints in one run:
  * latency per image on one core (onnxruntime with 1 intra-op thread), per analyser and
    in total, median and p90 — photos (the corpus's images) and images with text (its
    OCR pages and scene-text photos) reported separately;
  * accuracy: tags, faces, OCR (benchmarks/*_accuracy.py) and moderation on safe photos;
  * throughput of `medialens analyze` with 1 and 2 worker processes, and its peak memory;
  * POST -> finished for a 10-image batch through the local service (moto + real ASL).
Figures also go to bench-results/image.json.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
REPEATS = 5
ACCURACY_MODULES = ("tags_accuracy", "faces_accuracy", "ocr_accuracy")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def corpus_photos() -> list[Path]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [CORPUS / entry["file"] for entry in manifest["images"]]


def corpus_text_images() -> list[Path]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [CORPUS / entry["file"] for entry in manifest["ocr"]]


def latency(paths: list[Path]) -> dict:
    """Per-analyser and total ms per image, one process, one thread per model."""
    from medialens.analysis import analysers, finish_tags
    from medialens.analysis.decode import decode_image
    from medialens.settings import get_settings

    settings = get_settings()
    loaded = analysers()
    timings: dict[str, list[float]] = {"decode": [], **{name: [] for name in loaded}, "total": []}
    for path in paths:
        data = path.read_bytes()
        for _ in range(REPEATS):
            started = time.perf_counter()
            image = decode_image(data, max_pixels=settings.max_image_pixels)
            timings["decode"].append((time.perf_counter() - started) * 1000)
            fields: dict = {}
            for name, analyser in loaded.items():
                t0 = time.perf_counter()
                fields.update(analyser.analyse(image))
                timings[name].append((time.perf_counter() - t0) * 1000)
            finish_tags(fields.get("tags", []), fields.get("moderation"), settings.critical_tags)
            timings["total"].append((time.perf_counter() - started) * 1000)
    return {name: {"median": round(statistics.median(v), 1), "p90": round(pct(v, 0.9), 1)}
            for name, v in timings.items()}


def moderation_on_safe(paths: list[Path]) -> dict:
    from medialens.analysis import analyse_image_bytes

    counts = {"safe": 0, "suggestive": 0, "explicit": 0}
    for path in paths:
        counts[analyse_image_bytes(path.read_bytes()).moderation.category] += 1
    return {**counts, "suggestive_rate": round(counts["suggestive"] / len(paths), 3)}


def analyze_throughput(paths: list[Path], workers: int) -> dict:
    """Images per second through `medialens analyze --json`, model loading included."""
    cli = REPO / ".venv" / "bin" / "medialens"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    run = subprocess.run([str(cli), "analyze", "--json", "--workers", str(workers), *map(str, paths)],
                         capture_output=True, text=True, check=True, env={**os.environ, "MEDIALENS_ONNX_THREADS": "1"})
    elapsed = time.perf_counter() - started
    entries = json.loads(run.stdout)
    assert len(entries) == len(paths) and not any("error" in e for e in entries)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"workers": workers, "images": len(paths), "seconds": round(elapsed, 2),
            "images_per_second": round(len(paths) / elapsed, 2),
            "peak_rss_mb_per_process": round(max(peak, before) / 1024, 1)}


def service_batch(paths: list[Path], runs: int = 5) -> dict:
    import requests

    from medialens.local.runtime import LocalRuntime

    body = {"images": [{"external_id": p.stem, "data_base64": base64.b64encode(p.read_bytes()).decode()}
                       for p in paths]}
    started_at = time.perf_counter()
    with LocalRuntime("127.0.0.1", 0) as runtime:
        ready_s = time.perf_counter() - started_at
        durations = []
        for _ in range(runs):
            t0 = time.perf_counter()
            location = requests.post(runtime.url + "/v1/images", json=body, timeout=60).headers["Location"]
            while requests.get(runtime.url + location, timeout=60).json()["status"] not in ("finished", "failed"):
                time.sleep(0.02)
            durations.append(time.perf_counter() - t0)
        reported = requests.get(runtime.url + "/v1/latency", params={"media_type": "image"}, timeout=60).json()
    return {"batch_size": len(paths), "runs": runs, "runtime_ready_s": round(ready_s, 2),
            "post_to_finished_s": {"median": round(statistics.median(durations), 3),
                                   "first": round(durations[0], 3), "max": round(max(durations), 3)},
            "reported_latency_ms_per_image": reported["latency_ms_per_unit"]}


def main() -> int:
    import cv2

    os.environ["MEDIALENS_ONNX_THREADS"] = "1"
    cv2.setNumThreads(1)  # one-core figures: OpenCV's resizes and colour conversions too
    photos, texts = corpus_photos(), corpus_text_images()
    report: dict = {"latency_ms_photos": latency(photos), "latency_ms_text_images": latency(texts)}
    print(f"\nlatency per image, one core ({REPEATS} repeats): {len(photos)} photos | {len(texts)} images with text")
    print(f"{'stage':<12}{'photos median':>15}{'p90':>8}{'text median':>14}{'p90':>8}")
    for stage, fig in report["latency_ms_photos"].items():
        other = report["latency_ms_text_images"][stage]
        print(f"{stage:<12}{fig['median']:>15.1f}{fig['p90']:>8.1f}{other['median']:>14.1f}{other['p90']:>8.1f}")

    report["moderation_on_safe_photos"] = moderation_on_safe(photos)
    print(f"\nmoderation on {len(photos)} safe photos: {report['moderation_on_safe_photos']}")
    for name in ACCURACY_MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            continue
        print(f"\n== {name} ==")
        report[name] = module.run(CORPUS)
        print(module.table(report[name]))

    workload = photos * 4
    report["analyze_throughput"] = [analyze_throughput(workload, w) for w in (1, 2)]
    one, two = report["analyze_throughput"]
    print(f"\nmedialens analyze on {len(workload)} photos (models loaded per process, included): "
          f"1 worker {one['images_per_second']} img/s, 2 workers {two['images_per_second']} img/s "
          f"(x{two['images_per_second'] / one['images_per_second']:.2f}); peak RSS per process "
          f"{two['peak_rss_mb_per_process']} MB")

    report["service_10_image_batch"] = svc = service_batch((photos * 2)[:10])
    print(f"local service: ready in {svc['runtime_ready_s']} s; 10-image batch POST->finished median "
          f"{svc['post_to_finished_s']['median']} s (first {svc['post_to_finished_s']['first']} s) over "
          f"{svc['runs']} runs; /v1/latency says {svc['reported_latency_ms_per_image']} ms/image")
    report["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "image.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
