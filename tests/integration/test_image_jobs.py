"""Image batch jobs through the local runtime over HTTP: the path a user takes."""

from __future__ import annotations

import base64
import json
import math

import pytest

from medialens.webhooks import verify_signature
from tests.integration.conftest import as_json

pytestmark = pytest.mark.integration


def test_mixed_batch_good_items_finish_and_bad_items_fail_alone(api, b64):
    truncated = base64.b64encode(base64.b64decode(b64("images/general/dlib_dogs.jpg"))[:2000]).decode()
    images = [
        {"external_id": "cat", "data_base64": b64("images/general/skimage_chelsea_cat.png")},
        {"external_id": "data-uri", "data_base64": "data:image/jpeg;base64," + b64("images/general/dlib_dogs.jpg")},
        {"external_id": "not-base64", "data_base64": "%%% definitely not base64 %%%"},
        {"external_id": "not-an-image", "data_base64": base64.b64encode(b"PK\x03\x04 a zip, not a photo").decode()},
        {"external_id": "truncated", "data_base64": truncated},
        {"external_id": "coffee", "data_base64": b64("images/general/skimage_coffee.png")},
    ]
    response = api.post("/v1/images", json={"images": images}, headers={"Max-Processing-Time": "0"})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert job_id.startswith("image_batch_")
    assert response.headers["Location"] == f"/v1/images/{job_id}"

    body, seen = api.wait(response.headers["Location"])
    assert seen[0] in ("queued", "processing") and seen[-1] == "finished"
    assert body["job_id"] == job_id
    items = {item["external_id"]: item for item in body["items"]}
    assert [i["external_id"] for i in body["items"]] == [i["external_id"] for i in images]
    for good in ("cat", "coffee"):
        item = items[good]
        assert item["status"] == "finished" and "error" not in item
        result = item["result"]
        assert result["moderation"]["category"] == "safe"
        assert sum(result["moderation"]["scores"].values()) == pytest.approx(1.0, abs=0.01)
        assert all(isinstance(result[k], list) for k in ("tags", "person_ids", "ocr_results"))
    expected_codes = {"data-uri": "data_uri_not_allowed", "not-base64": "invalid_base64",
                      "not-an-image": "invalid_image", "truncated": "invalid_image"}
    for external_id, code in expected_codes.items():
        item = items[external_id]
        assert item["status"] == "failed" and "result" not in item
        assert item["error"]["code"] == code and item["error"]["message"]
    assert body["progress"] == {"total": 6, "completed": 6, "percentage": 100.0}


@pytest.mark.parametrize("body, code", [
    (None, "invalid_request"),
    (b"{not json", "invalid_request"),
    (b"[]", "invalid_request"),
    (b'{"images": []}', "invalid_request"),
    (b'{"images": [{"external_id": "a"}]}', "invalid_request"),
    (b'{"images": [{"external_id": "a", "data_base64": "AAAA"}], "webhook": {"url": "ftp://x"}}',
     "url_not_allowed"),
])
def test_malformed_requests_get_a_4xx_json_error(api, body, code):
    response = api.post("/v1/images", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_unknown_job_and_route_are_404(api):
    response = api.get("/v1/images/image_batch_doesnotexist")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.get("/v1/nothing-here").status_code == 404


def test_oversized_body_is_413(api):
    response = api.post("/v1/images", data=b"x" * (10 * 1024 * 1024 + 1),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_signed_webhook_carries_the_final_payload(api, b64, receiver):
    hook = {"url": f"{receiver.url}/signed", "secret": "wh-secret-1"}
    response = api.post("/v1/images", json={
        "images": [{"external_id": "dogs", "data_base64": b64("images/general/dlib_dogs.jpg")}],
        "webhook": hook})
    assert response.status_code == 202, response.text
    final, _ = api.wait(response.headers["Location"])
    delivery = receiver.wait_for("/signed")[0]
    assert verify_signature(delivery["body"], "wh-secret-1", delivery["headers"]["X-Webhook-Signature"])
    assert delivery["headers"]["X-Webhook-Signature"].startswith("sha256=")
    assert as_json(delivery["body"]) == final
    assert "secret" not in json.dumps(final)


def test_unsigned_webhook_without_secret_and_retry_after_receiver_error(api, b64, receiver):
    receiver.responses = [503]  # the first attempt fails; the workflow retries
    response = api.post("/v1/images", json={
        "images": [{"external_id": "cat", "data_base64": b64("images/general/skimage_chelsea_cat.png")}],
        "webhook": {"url": f"{receiver.url}/unsigned"}})
    assert response.status_code == 202
    deliveries = receiver.wait_for("/unsigned", count=2)
    assert [d["answered"] for d in deliveries] == [503, 200]
    assert all("X-Webhook-Signature" not in d["headers"] for d in deliveries)
    assert as_json(deliveries[-1]["body"])["status"] == "finished"


def test_latency_is_observed_from_finished_jobs(api, b64):
    response = api.post("/v1/images", json={"images": [
        {"external_id": str(i), "data_base64": b64("images/general/opencv_fruits.jpg")} for i in range(3)]})
    api.wait(response.headers["Location"])
    report = api.get("/v1/latency", params={"media_type": "image"}).json()
    assert report["media_type"] == "image" and report["unit"] == "image"
    assert report["latency_ms_per_unit"] > 0 and report["samples"] >= 1
    for params in ({}, {"media_type": "audio"}):
        bad = api.get("/v1/latency", params=params)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_media_type"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1e3", "+5"])
def test_invalid_max_processing_time_is_400(api, b64, value):
    response = api.post("/v1/images", headers={"Max-Processing-Time": value}, json={
        "images": [{"external_id": "a", "data_base64": b64("images/general/opencv_fruits.jpg")}]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_max_processing_time"


def test_max_processing_time_cancels_a_long_job(api, b64, receiver):
    """A job sized from the observed latency to take ~10 s, bounded to 1 s: it must end
    failed with a timeout; items that finished before the bound keep their results."""
    warmup = api.post("/v1/images", json={"images": [
        {"external_id": str(i), "data_base64": b64("images/general/opencv_leuven_street.jpg", 320)}
        for i in range(8)]})
    api.wait(warmup.headers["Location"])
    per_image_ms = api.get("/v1/latency", params={"media_type": "image"}).json()["latency_ms_per_unit"]
    count = min(256, max(16, math.ceil(10_000 / per_image_ms)))
    image = b64("images/general/opencv_leuven_street.jpg", 320)
    response = api.post("/v1/images", headers={"Max-Processing-Time": "1"}, json={
        "images": [{"external_id": str(i), "data_base64": image} for i in range(count)],
        "webhook": {"url": f"{receiver.url}/timeout"}})
    assert response.status_code == 202
    body, _ = api.wait(response.headers["Location"], timeout=180)
    assert body["status"] == "failed", f"{count} images at ~{per_image_ms} ms each finished within 1 s"
    assert body["error"]["code"] == "timeout"
    statuses = [item["status"] for item in body["items"]]
    assert statuses.count("failed") > 0
    cancelled = [i for i in body["items"] if i["status"] == "failed"]
    assert all(i["error"]["code"] == "timeout" for i in cancelled)
    assert as_json(receiver.wait_for("/timeout")[0]["body"])["status"] == "failed"
