"""The OpenAPI document (generated from schemas.py) covers every route of the template and
every endpoint of both seeds, carries the seeds' examples, and GET /docs renders it safely."""

from __future__ import annotations

import inspect
import json
from html import escape
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from medialens import apidocs, schemas
from medialens.api import openapi_json
from medialens.local.template import Template

REPO = Path(__file__).resolve().parents[2]
DOC = json.loads(openapi_json())
DOC_ROUTES = {("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/v1/openapi.json")}

SEED_ENDPOINTS = {
    # shared/seeds/000_*.txt, the batch moderation product page
    ("POST", "/batch/analyze"), ("POST", "/batch/jobs"), ("GET", "/batch/jobs/{job_id}"),
    # shared/seeds/001_*.txt, the OpenAPI extract
    ("POST", "/v1/videos"), ("GET", "/v1/videos/{job_id}"), ("POST", "/v1/images"), ("GET", "/v1/images/{job_id}"),
    ("GET", "/v1/latency"),
}

# What the seeds show, verbatim (method, path, "request" or a status, example). The document's
# example must contain it; it may add fields the seed left out but the schema requires.
SEED_EXAMPLES = [
    ("POST", "/v1/images", "request", {"images": [
        {"external_id": "abc", "data_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD..."},
        {"external_id": "def", "data_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD..."}]}),
    ("POST", "/v1/images", "202", {"job_id": "image_batch_123"}),
    ("POST", "/v1/videos", "202", {"job_id": "video_12345"}),
    ("GET", "/v1/images/{job_id}", "200", {"job_id": "image_batch_123", "status": "finished", "items": [
        {"external_id": "101", "result": {
            "tags": [{"tag": "cat", "probability": 0.92, "is_critical": False}, {"tag": "indoor", "probability": 0.76}],
            "person_ids": [{"age": 4, "gender": "unidentified", "face_embedding": [0.01, 0.02, 0.03]}],
            "ocr_results": [{"language_code": "en", "full_text": "Kitchen"}]}},
        {"external_id": "102", "result": {
            "tags": [{"tag": "dog", "probability": 0.88}, {"tag": "park", "probability": 0.61, "is_critical": False}],
            "person_ids": [], "ocr_results": [{"full_text": "No dogs off leash"}]}}]}),
    ("GET", "/v1/videos/{job_id}", "200", {"job_id": "video_12345", "status": "finished", "result": {
        "raw_scenes": [{"start_seconds": 0, "end_seconds": 5.2}, {"start_seconds": 5.2, "end_seconds": 10.7}],
        "frame_activity_diffs": [0.01, 0.15, 0.08],
        "ocr_results": [{"language_code": "en", "full_text": "No dogs off leash",
                         "time_segment": {"start_seconds": 3, "end_seconds": 5.2}}]}}),
    ("GET", "/v1/latency", "200", {"media_type": "image", "unit": "image", "latency_ms_per_unit": 120}),
    ("POST", "/batch/analyze", "request", {"images": [{"url": "https://..."}, {"base64": "..."}]}),
    ("POST", "/batch/analyze", "200", {"success": True, "results": [{"index": 0, "category": "safe"},
                                                                     {"index": 1, "category": "explicit"}]}),
    ("POST", "/batch/jobs", "request", {"images": ["url1", "url2", "..."], "priority": "high",
                                        "webhook_url": "https://your-server/webhook"}),
    ("POST", "/batch/jobs", "202", {"success": True, "job_id": "job_abc123", "status": "queued",
                                    "estimated_time": 120}),
    ("GET", "/batch/jobs/{job_id}", "200", {"job_id": "job_abc123", "status": "processing",
                                            "progress": {"total": 100, "completed": 45, "percentage": 45},
                                            "created_at": "2025-01-15T10:00:00Z",
                                            "updated_at": "2025-01-15T10:15:00Z"}),
]


def _operations(doc: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def _contains(big: Any, small: Any) -> bool:
    """small is big with some dict keys left out (lists: same length, element by element)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and _contains(big[k], v) for k, v in small.items())
    if isinstance(small, list):
        return isinstance(big, list) and len(big) == len(small) and all(map(_contains, big, small))
    return big == small and isinstance(big, bool) == isinstance(small, bool)


def _examples(method: str, path: str, where: str) -> list[Any]:
    op = DOC["paths"][path][method.lower()]
    part = op["requestBody"] if where == "request" else op["responses"][where]
    ref = part["content"]["application/json"]["schema"]["$ref"]
    return DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("examples", [])


def _models_with_examples() -> list[type[BaseModel]]:
    return [m for m in vars(schemas).values() if inspect.isclass(m) and issubclass(m, BaseModel)
            and m.__module__ == schemas.__name__ and m.model_json_schema().get("examples")]


def test_every_template_route_is_documented_and_nothing_else():
    routes = {(method, path) for method, path, _ in Template.load(REPO / "template.yaml").api_routes()}
    assert routes >= DOC_ROUTES
    assert _operations(DOC) == routes - DOC_ROUTES


def test_every_seed_endpoint_is_documented():
    assert _operations(DOC) >= SEED_ENDPOINTS


@pytest.mark.parametrize(("method", "path", "where", "seed"), SEED_EXAMPLES,
                         ids=[f"{m} {p} {w}" for m, p, w, _ in SEED_EXAMPLES])
def test_the_document_carries_the_seed_examples(method, path, where, seed):
    examples = _examples(method, path, where)
    assert any(_contains(example, seed) for example in examples), examples


def test_the_batch_webhook_example_is_the_seeds():
    seed = {"event": "job.completed", "job_id": "job_abc123", "status": "completed",
            "results": {"total": 100, "safe": 85, "suggestive": 12, "explicit": 3},
            "download_url": "https://...", "timestamp": "2025-01-15T10:30:00Z"}
    assert _contains(schemas.BatchWebhookPayload.model_json_schema()["examples"][0], seed)


@pytest.mark.parametrize("model", _models_with_examples(), ids=lambda m: m.__name__)
def test_every_example_validates_against_its_own_model(model):
    for example in model.model_json_schema()["examples"]:
        model.model_validate(example)
        if model.__name__ in DOC["components"]["schemas"]:
            assert example in DOC["components"]["schemas"][model.__name__]["examples"]


def test_docs_page_shows_every_operation_and_every_schema():
    page = apidocs.render(DOC)
    assert page.startswith("<!doctype html>")
    assert not any(external in page for external in ("<script", "<link", "src=", "@import", "url("))
    for method, path in _operations(DOC):
        assert f"<span class='m {method.lower()}'>{method}</span><code>{escape(path)}</code>" in page
    for name in DOC["components"]["schemas"]:
        assert f"id='schema-{name}'" in page
    assert escape('"external_id": "abc"') in page  # a seed example, pretty-printed
    assert "no API key needed" in page and "needs X-Api-Key" in page


def test_docs_page_escapes_what_the_document_says():
    evil = "<script>alert(1)</script>"
    doc = {"openapi": "3.1.0", "info": {"title": evil, "version": evil, "description": evil},
           "paths": {"/v1/x/<img src=x onerror=alert(1)>": {"post": {
               "summary": evil, "description": evil,
               "parameters": [{"name": evil, "in": "query", "description": evil, "schema": {"type": "string"}}],
               "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
               "responses": {"200": {"description": evil, "content": {"application/json": {"example": {"a": evil}}}}},
           }}},
           "components": {"schemas": {"E": {"type": "object", "description": evil, "examples": [{"k": evil}],
                                            "properties": {"f": {"type": "string", "description": evil,
                                                                 "pattern": evil, "default": evil}}}}}}
    page = apidocs.render(doc)
    assert "<script" not in page and "<img" not in page
    assert escape(evil) in page
