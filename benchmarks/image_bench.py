"""Image benchmark on ../shared/dev-corpus: `make bench`.

Prints, per analyser and in total, median and p90 latency per image on one core
(onnxruntime with 1 intra-op thread), moderation outcomes on the corpus's safe photos,
and the time from POST to finished for a 10-image batch through `medialens serve`'s
runtime (moto + real state machine). Figures go to stdout and bench-results/image.json.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
REPEATS = 10


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def corpus_images() -> list[Path]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [CORPUS / entry["file"] for entry in manifest["images"]]


def per_image(paths: list[Path]) -> dict:
    from medialens.analysis import analysers
    from medialens.analysis.decode import decode_image
    from medialens.settings import get_settings

    limit = get_settings().max_image_pixels
    loaded = analysers()
    timings: dict[str, list[float]] = {"decode": [], **{name: [] for name in loaded}, "total": []}
    categories: dict[str, int] = {"safe": 0, "suggestive": 0, "explicit": 0}
    for path in paths:
        data = path.read_bytes()
        for repeat in range(REPEATS):
            started = time.perf_counter()
            image = decode_image(data, max_pixels=limit)
            timings["decode"].append((time.perf_counter() - started) * 1000)
            for name, analyser in loaded.items():
                t0 = time.perf_counter()
                fields = analyser.analyse(image)
                timings[name].append((time.perf_counter() - t0) * 1000)
                if name == "moderation" and repeat == 0:
                    categories[fields["moderation"]["category"]] += 1
            timings["total"].append((time.perf_counter() - started) * 1000)
    return {"images": len(paths), "repeats": REPEATS,
            "latency_ms": {k: {"median": round(statistics.median(v), 2), "p90": round(pct(v, 0.9), 2)}
                           for k, v in timings.items()},
            "moderation_on_safe_photos": categories}


def service_batch(paths: list[Path], runs: int = 5) -> dict:
    import requests

    from medialens.local.runtime import LocalRuntime

    bodies = {"images": [{"external_id": p.stem, "data_base64": base64.b64encode(p.read_bytes()).decode()}
                         for p in paths]}
    started_at = time.perf_counter()
    with LocalRuntime("127.0.0.1", 0) as runtime:
        ready_s = time.perf_counter() - started_at
        durations = []
        for _ in range(runs):
            t0 = time.perf_counter()
            location = requests.post(runtime.url + "/v1/images", json=bodies, timeout=60).headers["Location"]
            while requests.get(runtime.url + location, timeout=60).json()["status"] not in ("finished", "failed"):
                time.sleep(0.02)
            durations.append(time.perf_counter() - t0)
        latency = requests.get(runtime.url + "/v1/latency", params={"media_type": "image"}, timeout=60).json()
    return {"batch_size": len(paths), "runs": runs, "runtime_ready_s": round(ready_s, 2),
            "post_to_finished_s": {"median": round(statistics.median(durations), 3),
                                   "min": round(min(durations), 3), "max": round(max(durations), 3)},
            "reported_latency_ms_per_image": latency["latency_ms_per_unit"]}


def main() -> int:
    os.environ.setdefault("MEDIALENS_ONNX_THREADS", "1")
    paths = corpus_images()
    report = {"per_image_one_thread": per_image(paths)}
    report["service_10_image_batch"] = service_batch((paths * 2)[:10])
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    per = report["per_image_one_thread"]
    print(f"\nimage benchmark: {per['images']} corpus images x {per['repeats']} repeats, 1 onnxruntime thread")
    print(f"{'stage':<14}{'median ms':>12}{'p90 ms':>10}")
    for stage, figures in per["latency_ms"].items():
        print(f"{stage:<14}{figures['median']:>12.2f}{figures['p90']:>10.2f}")
    print(f"moderation on safe photos: {per['moderation_on_safe_photos']}")
    svc = report["service_10_image_batch"]
    print(f"local service: ready in {svc['runtime_ready_s']} s; 10-image batch POST->finished "
          f"median {svc['post_to_finished_s']['median']} s over {svc['runs']} runs; "
          f"/v1/latency says {svc['reported_latency_ms_per_image']} ms/image")
    print(f"peak RSS {report['peak_rss_mb']} MB")
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "image.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
