"""`medialens serve` as a user runs it: prints its URL, refuses private webhook targets
without --allow-private-urls, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from medialens.local.runtime import free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
# what a user's shell has: none of the variables the in-process test runtime has set
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIALENS_", "MOTO_"))}


@pytest.fixture()
def served(tmp_path):
    port = free_port()
    proc = subprocess.Popen([str(REPO / ".venv/bin/medialens"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--state-dir", str(tmp_path / "state")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**CLEAN_ENV, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline and "listening on" not in line:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            pytest.fail("medialens serve exited before listening")
    assert f"http://127.0.0.1:{port}" in line
    yield proc, f"http://127.0.0.1:{port}"
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_private_webhook_targets_are_refused_and_sigterm_stops_cleanly(served):
    proc, url = served
    for hook in ("http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/",
                 "http://10.0.0.7/hook", "http://localhost/hook", "http://[::1]/hook"):
        response = requests.post(f"{url}/v1/images", timeout=30, json={
            "images": [{"external_id": "a", "data_base64": "AAAA"}], "webhook": {"url": hook}})
        assert response.status_code == 400, hook
        assert response.json()["error"]["code"] == "url_not_allowed"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert "stopping" in proc.stdout.read()


def test_help_names_the_commands():
    out = subprocess.run([sys.executable, "-m", "medialens.cli", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--allow-private-urls" in out and "--port" in out
