"""The API documentation through the local service: open to everyone, even when keys are required."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_openapi_document_and_docs_page_need_no_key(api, settings_override):
    settings_override(api_keys="key-a")
    assert api.get("/v1/jobs").status_code == 401  # the keys are in force
    for path in ("/openapi.json", "/v1/openapi.json"):
        response = api.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        doc = response.json()
        assert doc["info"]["title"] == "medialens" and "/batch/jobs" in doc["paths"]
    docs = api.get("/docs")
    assert docs.status_code == 200, docs.text
    assert docs.headers["Content-Type"].startswith("text/html")
    assert "<code>/v1/videos/{job_id}</code>" in docs.text and "<code>/batch/analyze</code>" in docs.text
