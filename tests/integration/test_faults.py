"""Faults through the local runtime: an analyser that crashes on one item, a worker that
times out once, and 200 concurrent submissions (none lost, none doubled)."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from medialens import workflow
from medialens.analysis import analysers
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.integration


def test_an_analyser_that_crashes_on_one_item_fails_that_item_only(api, b64, monkeypatch):
    tags = analysers()["tags"]
    original = tags.analyse

    def crash_on_small(image):
        if image.width < 100:  # only the 64 px item
            raise ZeroDivisionError("a bug on odd pixels")
        return original(image)

    monkeypatch.setattr(tags, "analyse", crash_on_small)
    response = api.post("/v1/images", json={"images": [
        {"external_id": "ok-1", "data_base64": b64("images/general/skimage_coffee.png", 160)},
        {"external_id": "crash", "data_base64": b64("images/general/opencv_fruits.jpg", 64)},
        {"external_id": "ok-2", "data_base64": b64("images/general/dlib_dogs.jpg", 160)}]})
    body, _ = api.wait(response.headers["Location"])
    assert body["status"] == "finished"
    items = {item["external_id"]: item for item in body["items"]}
    assert items["ok-1"]["status"] == items["ok-2"]["status"] == "finished"
    assert items["crash"]["status"] == "failed"
    assert items["crash"]["error"] == {"code": "analysis_error", "message": "ZeroDivisionError: a bug on odd pixels"}


def test_a_worker_that_times_out_is_retried_and_the_job_finishes(api, b64, monkeypatch):
    timed_out = type("Sandbox.Timedout", (Exception,), {})  # the errorType Lambda reports for a timeout
    original = workflow.analyze_chunk
    failures: list[str] = []
    lock = threading.Lock()

    def late_once(job_id, chunk, svc, analyse):
        with lock:
            first = job_id not in failures
            failures.append(job_id)
        if first:
            raise timed_out("Task timed out after 900.00 seconds")
        return original(job_id, chunk, svc, analyse)

    monkeypatch.setattr(workflow, "analyze_chunk", late_once)
    response = api.post("/v1/images", json={"images": [
        {"external_id": "a", "data_base64": b64("images/general/skimage_coffee.png", 160)}]})
    body, _ = api.wait(response.headers["Location"], timeout=60)
    assert body["status"] == "finished" and body["items"][0]["status"] == "finished"
    assert failures.count(response.json()["job_id"]) == 2  # one timeout, one retry that worked


def test_two_hundred_concurrent_submissions_are_all_accepted_and_all_finish(api, corpus):
    image = base64.b64encode(jpeg_bytes(corpus / "images/general/skimage_coffee.png", 96)).decode()

    def submit(n: int):
        return api.post("/batch/jobs", json={"images": [{"base64": image}], "priority": 1 + n % 4})

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(submit, range(200)))
    assert [r.status_code for r in responses] == [202] * 200
    job_ids = [r.json()["job_id"] for r in responses]
    assert len(set(job_ids)) == 200, "every submission is its own job"
    for response in responses:
        status = api.get(response.headers["Location"]).json()
        deadline = 0
        while status["status"] not in ("completed", "failed") and deadline < 1200:
            deadline += 1
            threading.Event().wait(0.25)
            status = api.get(response.headers["Location"]).json()
        assert status["status"] == "completed", status
        assert status["results"] == {"total": 1, "safe": 1, "suggestive": 0, "explicit": 0, "failed": 0}
