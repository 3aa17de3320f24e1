"""`medialens analyze --json`: no service, and exactly the API's item result."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_analyze_prints_the_api_item_result_and_errors_per_file(corpus, tmp_path, api):
    photo = corpus / "images/general/opencv_leuven_street.jpg"
    not_image = tmp_path / "notes.txt"
    not_image.write_text("these bytes are not an image")
    run = subprocess.run([str(REPO / ".venv/bin/medialens"), "analyze", str(photo), str(not_image), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    entries = json.loads(run.stdout)
    assert [e["file"] for e in entries] == [str(photo), str(not_image)]
    assert entries[0]["kind"] == "image" and "error" not in entries[0]
    assert entries[1]["error"]["code"] == "invalid_image" and "result" not in entries[1]

    response = api.post("/v1/images", json={"images": [
        {"external_id": "street", "data_base64": base64.b64encode(photo.read_bytes()).decode()}]})
    body, _ = api.wait(response.headers["Location"])
    assert body["items"][0]["result"] == entries[0]["result"]


def test_openapi_document_is_generated_from_the_schemas(api):
    doc = api.get("/v1/openapi.json").json()
    assert {"/v1/images", "/v1/images/{job_id}", "/v1/latency"} <= set(doc["paths"])
    assert "ImageBatchRequest" in doc["components"]["schemas"]
    assert "Max-Processing-Time" in json.dumps(doc["paths"]["/v1/images"])
