"""`medialens serve` as a user runs it: prints its URL, refuses private webhook targets
without --allow-private-urls, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from tests.integration.conftest import serve_process

pytestmark = pytest.mark.integration


@pytest.fixture()
def served(tmp_path):
    with serve_process(tmp_path / "state") as served:
        yield served


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
