"""Whole-video analysis speed on ../shared/dev-corpus/videos: part of `make bench`.

Each video runs twice with warm workers (models loaded before timing): as one segment in
one process, and split into two segments analysed in parallel by two processes (what
the Map state does with two workers on a 2-core machine), then assembled. Prints the
real-time multiple (video seconds per wall second) and the workers' peak memory.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "dev-corpus"


def _warm() -> None:
    import cv2

    from medialens.analysis import analysers

    cv2.setNumThreads(1)
    analysers()


def _segment(args: tuple[str, float, float | None]) -> dict:
    from medialens.video.decode import probe
    from medialens.video.steps import analyse_segment

    path, start, end = args
    return analyse_segment(path, probe(path), start, end)


def run(corpus: Path = CORPUS) -> dict:
    from medialens.settings import get_settings
    from medialens.video.decode import probe
    from medialens.video.steps import assemble

    videos = sorted(p for p in (corpus / "videos" / "real").iterdir() if p.suffix in (".mp4", ".mpg"))
    rows = []
    with ProcessPoolExecutor(max_workers=2, initializer=_warm) as pool:
        list(pool.map(_segment, [(str(videos[0]), 0.0, 1.0)] * 2))  # load models in both workers
        for path in videos:
            info = probe(str(path))
            t0 = time.perf_counter()
            one = pool.submit(_segment, (str(path), 0.0, None)).result()
            assemble([one], info, [], get_settings())
            t1 = time.perf_counter()
            half = round(info.duration / 2, 3)
            parts = list(pool.map(_segment, [(str(path), 0.0, half), (str(path), half, None)]))
            two = assemble(parts, info, [], get_settings())
            t2 = time.perf_counter()
            rows.append({"file": path.name, "duration_s": round(info.duration, 1),
                         "size": f"{info.width}x{info.height}",
                         "one_process_x_realtime": round(info.duration / (t1 - t0), 1),
                         "two_processes_x_realtime": round(info.duration / (t2 - t1), 1),
                         "scenes": len(two["raw_scenes"]),
                         "samples": sum(len(part["samples"]) for part in parts)})
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    median = round(statistics.median(r["two_processes_x_realtime"] for r in rows), 1)
    return {"videos": rows, "median_two_processes_x_realtime": median, "worker_peak_rss_mb": round(peak, 1)}


def table(result: dict) -> str:
    lines = [f"{'video':<30}{'size':>10}{'seconds':>9}{'x rt (1 proc)':>15}{'x rt (2 proc)':>15}{'scenes':>8}"]
    for r in result["videos"]:
        lines.append(f"{r['file']:<30}{r['size']:>10}{r['duration_s']:>9}{r['one_process_x_realtime']:>15}"
                     f"{r['two_processes_x_realtime']:>15}{r['scenes']:>8}")
    lines.append(f"median {result['median_two_processes_x_realtime']}x real time with 2 processes (target >= 5x); "
                 f"worker peak RSS {result['worker_peak_rss_mb']} MB")
    return "\n".join(lines)


def main() -> int:
    result = run()
    print(table(result))
    out = Path(__file__).resolve().parents[1] / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "video_analysis.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
