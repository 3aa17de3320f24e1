"""Command line: `medialens serve` (the local service) and `medialens analyze` (no service)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .errors import MedialensError
from .schemas import dump

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_STATE_DIR = "~/.local/state/medialens"


def _serve(args: argparse.Namespace) -> int:
    from .local.runtime import LocalRuntime

    settings_env = {}
    if args.max_concurrent_jobs is not None:
        settings_env["MEDIALENS_MAX_CONCURRENT_JOBS"] = str(args.max_concurrent_jobs)
    if args.webhook_secret is not None:
        settings_env["MEDIALENS_WEBHOOK_SECRET"] = args.webhook_secret
    if args.webhook_retry_base is not None:
        settings_env["MEDIALENS_WEBHOOK_RETRY_BASE_SECONDS"] = str(args.webhook_retry_base)
    host = args.host
    if not args.api_key and host not in LOOPBACK_HOSTS:
        print(f"warning: no --api-key: the API is open, so it binds 127.0.0.1, not {host}", flush=True)
        host = "127.0.0.1"
    state_dir = None if args.state_dir in ("", "none") else Path(args.state_dir).expanduser()
    runtime = LocalRuntime(host, args.port, allow_private_urls=args.allow_private_urls,
                           settings_env=settings_env, api_keys=args.api_key, state_dir=state_dir)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runtime.start()
    print(f"medialens listening on {runtime.url}  (Ctrl-C to stop)", flush=True)
    if any(runtime.resumed.values()):
        print("resumed after restart: " + ", ".join(f"{len(v)} {k}" for k, v in runtime.resumed.items()), flush=True)
    print(f"state: {state_dir or 'in memory only (--state-dir none): a restart forgets every job'}", flush=True)
    if not args.api_key:
        print("warning: the API is open (no --api-key): anyone who can reach this address can use it",
              flush=True)
    if args.allow_private_urls:
        print("warning: --allow-private-urls: webhooks and URLs may target private addresses", flush=True)
    try:
        stop.wait()
    finally:
        print("medialens stopping", flush=True)
        runtime.stop()
    return 0


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return found


def analyse_file(path: Path) -> dict[str, Any]:
    """One entry of `analyze --json`: the API's result for this image or video, or an error."""
    from .analysis import analyse_image_bytes
    from .video.sniff import container_of

    entry: dict[str, Any] = {"file": str(path), "kind": "image"}
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
        if container_of(head):
            from .video.steps import analyse_video_file

            entry["kind"] = "video"
            entry["result"] = analyse_video_file(str(path))
        else:
            entry["result"] = dump(analyse_image_bytes(path.read_bytes()))
    except MedialensError as err:
        entry["error"] = {"code": err.code, "message": err.message}
    except OSError as err:
        entry["error"] = {"code": "unreadable_file", "message": str(err)}
    return entry


def _load_models() -> None:
    """Pool worker start: one thread per library, since the pool itself uses the cores."""
    import cv2

    from .analysis import analysers

    cv2.setNumThreads(1)
    analysers()


def analyse_files(paths: list[Path], workers: int) -> list[dict[str, Any]]:
    """Entries in input order; with workers > 1 a process pool, each process loading
    the models once (onnxruntime sessions use one thread each: we scale by processes)."""
    if workers <= 1 or len(paths) <= 1:
        return [analyse_file(path) for path in paths]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(paths)), initializer=_load_models) as pool:
        return list(pool.map(analyse_file, paths))


def _analyze(args: argparse.Namespace) -> int:
    entries = analyse_files(_files(args.paths), args.workers)
    if args.json:
        json.dump(entries, sys.stdout, indent=2 if args.pretty else None)
        sys.stdout.write("\n")
    else:
        for entry in entries:
            if "error" in entry:
                print(f"{entry['file']}: error {entry['error']['code']}: {entry['error']['message']}")
            elif entry["kind"] == "video":
                result = entry["result"]
                persons = {p["person_id"] for s in result["person_constellation_scenes"] for p in s["person_ids"]}
                print(f"{entry['file']}: {len(result['raw_scenes'])} scenes, {len(persons)} persons, "
                      f"sections: {', '.join(s['section_tag'] for s in result['sections'])}")
            else:
                moderation = entry["result"]["moderation"]
                scores = ", ".join(f"{k} {v:.2f}" for k, v in moderation["scores"].items())
                print(f"{entry['file']}: {moderation['category']} ({scores})")
    return 1 if entries and all("error" in e for e in entries) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="medialens", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the service locally (moto, real state machine, HTTP API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--allow-private-urls", action="store_true",
                       help="let webhooks and image URLs target loopback/private addresses (local testing only)")
    serve.add_argument("--max-concurrent-jobs", type=int, metavar="N",
                       help="batch jobs running at once; the rest wait in their priority queues (default 4)")
    serve.add_argument("--webhook-secret", metavar="SECRET",
                       help="signs batch-job webhooks whose job gave no webhook_secret")
    serve.add_argument("--api-key", action="append", default=[], metavar="KEY",
                       help="require X-Api-Key with this key (repeatable: one tenant per key); "
                            "without any, the API is open and binds loopback only")
    serve.add_argument("--webhook-retry-base", type=float, metavar="SECONDS",
                       help="first webhook retry interval (default 30; doubles, full jitter)")
    serve.add_argument("--state-dir", default=os.environ.get("MEDIALENS_STATE_DIR", DEFAULT_STATE_DIR),
                       metavar="DIR", help="keep jobs, results and allowlists here across restarts; jobs in "
                                           f"flight resume (default {DEFAULT_STATE_DIR}; 'none': memory only)")
    serve.set_defaults(run=_serve)

    analyze = sub.add_parser("analyze", help="analyse files directly, with no service")
    analyze.add_argument("paths", nargs="+", metavar="PATH", help="image or video files, or directories")
    analyze.add_argument("--json", action="store_true", help="print one JSON array of results")
    analyze.add_argument("--pretty", action="store_true", help="indent the JSON")
    analyze.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="processes analysing in parallel (default: one per CPU)")
    analyze.set_defaults(run=_analyze)
    from . import report
    report.add_parser(sub)
    from . import client
    client.add_parsers(sub)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
