"""Batch moderation API benchmark through the local service: `make bench`.

Prints:
  * POST /batch/analyze with 10 large photos (24 MP JPEGs made from corpus photos, served
    by a 127.0.0.1 server, so fetching is part of it): median and max of REPEATS requests,
    against API Gateway's 29 s;
  * POST /batch/jobs throughput: images per second for a job of ASYNC_IMAGES URLs on
    this machine (2 cores), from POST to completed.
Figures also go to bench-results/batch.json.
"""

from __future__ import annotations

import io
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
PHOTOS = ["images/general/skimage_coffee.png", "images/general/opencv_fruits.jpg",
          "images/faces/skimage_astronaut.png", "images/general/dlib_dogs.jpg",
          "images/general/opencv_leuven_street.jpg"]
REPEATS = 5
ASYNC_IMAGES = 2000


def _jpeg(path: Path, size: tuple[int, int], quality: int) -> bytes:
    with Image.open(path) as img:
        out = io.BytesIO()
        img.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(out, "JPEG", quality=quality)
        return out.getvalue()


def serve_images(large: list[bytes], small: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            kind, number = self.path.strip("/").split("/")
            pool = large if kind == "large" else small
            body = pool[int(number) % len(pool)]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    from medialens.local.runtime import LocalRuntime

    large = [_jpeg(CORPUS / p, (6000, 4000), 90) for p in PHOTOS]
    small = [_jpeg(CORPUS / p, (640, 480), 85) for p in PHOTOS]
    server = serve_images(large, small)
    base = f"http://127.0.0.1:{server.server_port}"
    figures: dict[str, object] = {"large_photo_mb": round(statistics.mean(len(b) for b in large) / 1e6, 2)}
    with LocalRuntime("127.0.0.1", 0, allow_private_urls=True) as runtime:
        body = {"images": [{"url": f"{base}/large/{i}"} for i in range(10)]}
        requests.post(f"{runtime.url}/batch/analyze", json={"images": body["images"][:1]}, timeout=60)  # warm
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            answer = requests.post(f"{runtime.url}/batch/analyze", json=body, timeout=60)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200 and all("category" in r for r in answer.json()["results"]), answer.text
        figures["sync_10_large_s"] = {"median": round(statistics.median(times), 2), "max": round(max(times), 2)}
        print(f"POST /batch/analyze, 10 photos of 6000x4000 (~{figures['large_photo_mb']} MB each, fetched by URL): "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {REPEATS} "
              f"(API Gateway allows 29 s)")

        urls = [f"{base}/small/{i}" for i in range(ASYNC_IMAGES)]
        started = time.perf_counter()
        accepted = requests.post(f"{runtime.url}/batch/jobs", json={"images": urls}, timeout=60)
        location = accepted.headers["Location"]
        while True:
            status = requests.get(f"{runtime.url}{location}", timeout=30).json()
            if status["status"] in ("completed", "failed"):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        figures["async_images"] = ASYNC_IMAGES
        figures["async_images_per_s"] = round(ASYNC_IMAGES / elapsed, 1)
        figures["async_estimated_s"] = accepted.json()["estimated_time"]
        print(f"POST /batch/jobs, {ASYNC_IMAGES} images of 640x480 by URL: {status['status']} in {elapsed:.1f} s = "
              f"{ASYNC_IMAGES / elapsed:.1f} images/s on this machine (estimated_time said "
              f"{accepted.json()['estimated_time']} s); counts {status.get('results')}")
    server.shutdown()
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "batch.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
