"""Image analysis through the local service, this tree and a baseline side by side: `make bench`.

    .venv/bin/python -m benchmarks.image_service [--baseline REV] [--runs N] [--json OUT]

What users see, on the held-out photos (benchmarks/photo_media.py), every analyser on:

* **job of 20**: `POST /v1/images` with 20 photos of 1-12 MP that fit one 10 MiB request
  (select(): the set's 1-12 MP photos in sha256(id) order, small files first), warm; the
  figure is the job's own `created_at` -> finished time (the status's `updated_at`), and
  per image that divided by 20. Goal (issue 14): <= 120 ms per image on 2 cores.
* **single photo**: the same for one-photo jobs, each of the first 5 photos. Goal <= 300 ms.
* **sync batch**: `POST /batch/analyze` (moderation only) with the first 10 photos by URL
  from a 127.0.0.1 server, request to answer. Goal <= 1 s.
* **/v1/latency** right after, which should report what warm jobs observe.

Jobs are polled every POLL_SECONDS (a poll costs the in-process API CPU that the analysis
would otherwise have). A warm-up job (2 photos) runs first and is not counted. The baseline
is the same benchmark run, in a subprocess, on a `git worktree` of REV (default BASELINE:
main before issue 14) with this checkout's models; both sides run one after the other on
the same machine. Figures go to bench-results/image_service.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.baseline import BASELINE, run_in, worktree
from benchmarks.batch_bench import serve_images

REPO = Path(__file__).resolve().parents[1]
JOB_PHOTOS = 20
SINGLE_PHOTOS = 5
SYNC_PHOTOS = 10
BODY_LIMIT = 10 * 1024 * 1024 - 64 * 1024  # the API's 10 MiB, less room for the JSON around the images
POLL_SECONDS = 0.2
DEFAULT_JSON = REPO / "bench-results" / "image_service.json"


def select(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The job's photos, 1-12 MP, in sha256(id) order: first those whose base64 takes at most a
    JOB_PHOTOS-th of the request, then larger ones while the request stays under the limit
    (20 photos of several MB each do not fit the API's 10 MiB)."""
    ordered = sorted((it for it in items if it["kind"] == "photo" and 1 <= it["mp"] <= 12),
                     key=lambda it: hashlib.sha256(it["id"].encode()).hexdigest())
    encoded = {it["id"]: 4 * ((it["bytes"] + 2) // 3) for it in ordered}
    chosen = [it for it in ordered if encoded[it["id"]] <= BODY_LIMIT / JOB_PHOTOS][:JOB_PHOTOS]
    size = sum(encoded[it["id"]] for it in chosen)
    for item in ordered:
        if len(chosen) < JOB_PHOTOS and item not in chosen and size + encoded[item["id"]] <= BODY_LIMIT:
            chosen.append(item)
            size += encoded[item["id"]]
    return chosen


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) -
            datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def measure(paths: list[Path], runs: int) -> dict[str, Any]:
    """The figures for the code this interpreter imports (run in a subprocess per tree)."""
    import requests

    from medialens.local.runtime import LocalRuntime

    blobs = [p.read_bytes() for p in paths]
    encoded = [base64.b64encode(b).decode("ascii") for b in blobs]
    server = serve_images(blobs, blobs)  # GET /large/<n>: the n-th photo
    base = f"http://127.0.0.1:{server.server_port}"

    def job(indexes: list[int], url: str) -> dict[str, Any]:
        started = time.perf_counter()
        answer = requests.post(url + "/v1/images", timeout=120, json={
            "images": [{"external_id": str(i), "data_base64": encoded[i]} for i in indexes]})
        answer.raise_for_status()
        location = answer.headers["Location"]
        while True:
            status = requests.get(url + location, timeout=60).json()
            if status["status"] not in ("queued", "processing"):
                break
            time.sleep(POLL_SECONDS)
        failed = [it for it in status.get("items", []) if it.get("status") != "finished"]
        return {"status": status["status"], "failed_items": len(failed), "client_s": time.perf_counter() - started,
                "server_s": _seconds(status["created_at"], status["updated_at"])}

    out: dict[str, Any] = {}
    ready = time.perf_counter()
    with LocalRuntime("127.0.0.1", 0, allow_private_urls=True) as runtime:
        out["runtime_ready_s"] = round(time.perf_counter() - ready, 2)
        out["warm_up_job_s"] = round(job([0, 1], runtime.url)["server_s"], 2)
        jobs = [job(list(range(len(paths))), runtime.url) for _ in range(runs)]
        seconds = statistics.median(j["server_s"] for j in jobs)
        out["job"] = {"photos": len(paths), "runs": [round(j["server_s"], 3) for j in jobs],
                      "client_runs": [round(j["client_s"], 3) for j in jobs],
                      "failed_items": sum(j["failed_items"] for j in jobs), "median_s": round(seconds, 3),
                      "ms_per_image": round(seconds * 1000 / len(paths), 1)}
        singles = [job([i], runtime.url)["server_s"] for i in range(min(SINGLE_PHOTOS, len(paths)))]
        out["single"] = {"runs_ms": [round(s * 1000) for s in singles],
                         "median_ms": round(statistics.median(singles) * 1000)}
        out["latency_report"] = requests.get(runtime.url + "/v1/latency", params={"media_type": "image"},
                                             timeout=60).json()
        sync = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = requests.post(runtime.url + "/batch/analyze", timeout=120, json={
                "images": [{"url": f"{base}/large/{i}"} for i in range(min(SYNC_PHOTOS, len(paths)))]})
            sync.append(time.perf_counter() - started)
            answer.raise_for_status()
        out["sync_batch"] = {"photos": min(SYNC_PHOTOS, len(paths)), "runs_s": [round(s, 3) for s in sync],
                             "median_s": round(statistics.median(sync), 3)}
    server.shutdown()
    return out


def run_tree(tree: Path, paths: list[Path], runs: int) -> dict[str, Any]:
    """measure() in a subprocess that imports the medialens of `tree` (with this checkout's models)."""
    return run_in(tree, Path(__file__).resolve(), ["--measure", str(runs), *map(str, paths)])


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    rows = [("job of 20, ms per image (goal <= 120)", lambda r: r["job"]["ms_per_image"]),
            ("job of 20, s", lambda r: r["job"]["median_s"]),
            ("single photo, ms (goal <= 300)", lambda r: r["single"]["median_ms"]),
            ("sync /batch/analyze of 10, s (goal <= 1)", lambda r: r["sync_batch"]["median_s"]),
            ("/v1/latency ms per image", lambda r: r["latency_report"].get("latency_ms_per_unit")),
            ("failed items", lambda r: r["job"]["failed_items"])]
    lines = ["| figure | " + " | ".join(names) + " | ratio |", "|---|" + "---|" * (len(names) + 1)]
    for label, get in rows:
        values = [get(results[n]) for n in names]
        ratio = (f"{values[-1] / values[0]:.2f}" if len(values) > 1 and isinstance(values[0], (int, float))
                 and isinstance(values[-1], (int, float)) and values[0] else "-")
        lines.append(f"| {label} | " + " | ".join(str(v) for v in values) + f" | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:  # the subprocess of run_tree
        print(json.dumps(measure([Path(p) for p in argv[2:]], int(argv[1]))))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with ('' for none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)

    from benchmarks.photo_media import photos

    chosen = select(photos())
    paths = [Path(it["path"]) for it in chosen]
    print(f"{len(paths)} photos, {min(it['mp'] for it in chosen)}-{max(it['mp'] for it in chosen)} MP, "
          f"{sum(it['bytes'] for it in chosen) / 1e6:.1f} MB", flush=True)
    results: dict[str, dict[str, Any]] = {}
    if args.baseline:
        with worktree(args.baseline) as tree:
            results[f"baseline {args.baseline}"] = run_tree(tree, paths, args.runs)
    results["this tree"] = run_tree(REPO, paths, args.runs)
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"photos": [it["id"] for it in chosen], "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(1, str(REPO))  # benchmarks.* when run as a file (run_tree)
    sys.exit(main())
