"""The batch moderation API of shared/seeds/000_*.txt over HTTP against the local runtime:
the seed's examples, the sync limit, mixed good and bad items, a 2,000-image job with
progress, priorities under a backlog, the webhook's payload and signature, download_url."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from medialens.aws import services
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.integration
PHOTOS = ["images/general/skimage_coffee.png", "images/general/opencv_fruits.jpg",
          "images/faces/skimage_astronaut.png", "images/general/dlib_dogs.jpg"]


@pytest.fixture(scope="module")
def images(corpus):
    """An image server on 127.0.0.1: /img/N.jpg (real photos, cycled), /missing (404),
    /moved (302 to /img/0.jpg), /text (not an image)."""
    photos = [jpeg_bytes(corpus / p, 320) for p in PHOTOS]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/img/"):
                body, status, kind = photos[int(self.path[5:].split(".")[0]) % len(photos)], 200, "image/jpeg"
            elif self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/img/0.jpg")
                self.end_headers()
                return
            elif self.path == "/text":
                body, status, kind = b"<html>not an image</html>" * 20, 200, "image/jpeg"  # the header lies
            else:
                body, status, kind = b"no", 404, "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]
    server.photos = photos  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def _wait(api, location: str, timeout: float = 300) -> tuple[dict, list[dict]]:
    """Poll a batch job until it ends; returns the last body and every body seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(location).json()
        seen.append(body)
        if body["status"] in ("completed", "failed"):
            return body, seen
        time.sleep(0.1)
    raise AssertionError(f"{location} still {seen[-1]['status']} after {timeout}s")


# ---- POST /batch/analyze ---------------------------------------------------------------------


def test_sync_seed_example(api, images):
    b64 = base64.b64encode(images.photos[1]).decode()
    response = api.post("/batch/analyze", json={"images": [{"url": f"{images.url}/img/0.jpg"}, {"base64": b64}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert [r["index"] for r in body["results"]] == [0, 1]
    for result in body["results"]:
        assert result["category"] == "safe"  # coffee and fruits
        assert set(result["scores"]) == {"safe", "suggestive", "explicit"}
        assert sum(result["scores"].values()) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("body, code", [
    ({"images": [{"url": "http://example.com/a.jpg"}] * 11}, "invalid_request"),  # over the limit of 10
    ({"images": []}, "invalid_request"),
    ({}, "invalid_request"),
    ({"images": [{"url": "http://example.com/a.jpg", "base64": "AAAA"}]}, "invalid_request"),
    ({"images": [{"path": "/etc/passwd"}]}, "invalid_request"),
    ("not json at all", "invalid_request"),
])
def test_sync_refuses_bad_requests_with_success_false(api, body, code):
    if isinstance(body, str):
        response = api.post("/batch/analyze", data=body, headers={"Content-Type": "application/json"})
    else:
        response = api.post("/batch/analyze", json=body)
    assert 400 <= response.status_code < 500, response.text
    answer = response.json()
    assert answer["success"] is False and answer["error"]["code"] == code and answer["error"]["message"]


def test_sync_mixed_good_and_bad_items(api, images):
    good = base64.b64encode(images.photos[0]).decode()
    batch = [
        {"base64": good},
        {"base64": "data:image/jpeg;base64," + good},  # a data-URI prefix
        {"base64": "!!! not base64"},
        {"url": f"{images.url}/missing"},
        {"url": f"{images.url}/text"},  # says image/jpeg, is HTML: content is sniffed
        {"url": f"{images.url}/moved"},  # one redirect, re-checked, then fine
        {"url": "file:///etc/passwd"},
        {"base64": base64.b64encode(b"GIF89a" + b"\x00" * 10).decode()},  # truncated
    ]
    response = api.post("/batch/analyze", json={"images": batch})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert [r.get("category") for r in results] == ["safe", None, None, None, None, "safe", None, None]
    codes = [r.get("error", {}).get("code") for r in results]
    assert codes[1] == "data_uri_not_allowed" and codes[2] == "invalid_base64", codes
    assert codes[3] == "fetch_failed" and codes[6] == "url_not_allowed"
    assert all(code for i, code in enumerate(codes) if i not in (0, 5))


# ---- POST /batch/jobs ------------------------------------------------------------------------


def _verify(secret: str, request: dict) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Webhook-Signature"], expected)


def test_two_thousand_images_with_progress_webhook_and_download(api, images, receiver):
    urls = [f"{images.url}/img/{i}.jpg" for i in range(1997)] + [
        f"{images.url}/missing", f"{images.url}/text", "http://169.254.169.254/latest/meta-data"]
    response = api.post("/batch/jobs", json={"images": urls, "priority": "high",
                                             "webhook_url": f"{receiver.url}/batch", "webhook_secret": "s3cret"})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["success"] is True and accepted["status"] == "queued"
    assert accepted["job_id"].startswith("job_") and isinstance(accepted["estimated_time"], int)
    assert response.headers["Location"] == f"/batch/jobs/{accepted['job_id']}"

    final, seen = _wait(api, response.headers["Location"], timeout=600)
    assert final["status"] == "completed", final
    done = [b["progress"]["completed"] for b in seen]
    assert done == sorted(done), "progress never goes back"
    assert any(0 < b["progress"]["completed"] < 2000 and b["status"] == "processing" for b in seen), \
        "progress was reported while the job ran"
    assert final["progress"] == {"total": 2000, "completed": 2000, "percentage": 100.0}
    for stamp in (final["created_at"], final["updated_at"]):
        assert stamp.endswith("Z") and "T" in stamp
    counts = final["results"]
    assert counts["total"] == 2000 and counts["failed"] >= 2  # the 404 and the HTML; metadata too unless allowed
    assert counts["safe"] + counts["suggestive"] + counts["explicit"] + counts["failed"] == 2000

    lines = requests.get(final["download_url"], timeout=30).text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["index"] for r in rows] == list(range(2000))
    assert rows[0]["url"] == urls[0] and rows[0]["category"] in ("safe", "suggestive", "explicit")
    assert rows[1997]["status"] == "failed" and rows[1997]["error"]["code"] == "fetch_failed"

    hook = receiver.wait_for("/batch")[0]
    assert _verify("s3cret", hook)
    payload = json.loads(hook["body"])
    assert set(payload) == {"event", "job_id", "status", "results", "download_url", "timestamp"}
    assert payload["event"] == "job.completed" and payload["status"] == "completed"
    assert payload["job_id"] == accepted["job_id"] and payload["results"] == counts
    assert len(payload["timestamp"]) == 20 and payload["timestamp"].endswith("Z")  # 2025-01-15T10:30:00Z
    assert requests.get(payload["download_url"], timeout=30).text.count("\n") == 2000


def test_the_service_secret_signs_jobs_without_their_own(api, images, receiver, settings_override):
    settings_override(webhook_secret="service-secret")
    response = api.post("/batch/jobs", json={"images": [f"{images.url}/img/1.jpg"],
                                             "webhook_url": f"{receiver.url}/service-signed"})
    final, _ = _wait(api, response.headers["Location"])
    assert final["status"] == "completed" and final["priority"] == "normal"
    assert _verify("service-secret", receiver.wait_for("/service-signed")[0])


def test_priority_accepts_numbers_and_refuses_nonsense(api, images):
    ok = api.post("/batch/jobs", json={"images": [f"{images.url}/img/2.jpg"], "priority": 4})
    assert ok.status_code == 202
    final, _ = _wait(api, ok.headers["Location"])
    assert final["priority"] == "critical"
    for bad in ("urgent", 0, 5):
        response = api.post("/batch/jobs", json={"images": ["http://example.com/a.jpg"], "priority": bad})
        assert response.status_code == 400 and response.json()["success"] is False


def test_unknown_batch_job_is_404(api):
    response = api.get("/batch/jobs/job_doesnotexist")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": {"code": "not_found",
                                                           "message": response.json()["error"]["message"]}}


def test_critical_job_submitted_last_starts_before_queued_low_ones(api, images, settings_override):
    settings_override(max_concurrent_jobs=1)
    urls = [f"{images.url}/img/{i}.jpg" for i in range(150)]
    submitted = []
    for priority in ["low", "low", "low", "low", "critical"]:
        response = api.post("/batch/jobs", json={"images": urls, "priority": priority})
        assert response.status_code == 202
        submitted.append((priority, response.json()["job_id"], response.headers["Location"]))
    for _, _, location in submitted:
        assert _wait(api, location)[0]["status"] == "completed"
    jobs = services().jobs
    started = sorted(submitted, key=lambda s: jobs.get(s[1]).started_at)
    order = [priority for priority, _, _ in started]
    # the first low job took the only slot at once; the critical one jumped the three still queued
    assert order == ["low", "critical", "low", "low", "low"], order
    assert int(jobs.dispatch_state().get("running", 0)) == 0  # every slot was given back


def test_a_slot_whose_workflow_never_started_is_given_back_and_the_job_failed(api):
    from medialens import dispatch
    from medialens.batch import MODERATION_BATCH
    from medialens.jobs import JobRecord, utc_now

    svc = services()
    running_before = int(svc.jobs.dispatch_state().get("running", 0))
    job = JobRecord(job_id="job_lost_between_slot_and_start", kind=MODERATION_BATCH, item_count=3,
                    created_at=utc_now(), updated_at=utc_now(), priority=2)
    svc.jobs.create(job)
    assert svc.jobs.take_slot(job.job_id, 1000, job.item_count)  # a dispatcher died right after this
    assert job.job_id in svc.jobs.dispatch_state()["holders"]
    dispatch.dispatch(svc)
    state = svc.jobs.dispatch_state()
    assert job.job_id not in state.get("holders", set()) and int(state.get("running", 0)) == running_before
    status = api.get(f"/batch/jobs/{job.job_id}").json()
    assert status["status"] == "failed" and status["error"]["code"] == "workflow_ended"
