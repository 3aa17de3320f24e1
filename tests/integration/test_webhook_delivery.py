"""Webhook delivery through the local runtime: retries through an outage with one
webhook-id, 410 stops, the retry window ends in failed, the delivery log and redelivery."""

from __future__ import annotations

import time

import pytest

from medialens.webhooks import verify

pytestmark = pytest.mark.integration


def _job_with_webhook(api, b64, receiver, path: str) -> str:
    response = api.post("/v1/images", json={
        "images": [{"external_id": "a", "data_base64": b64("images/general/skimage_coffee.png", 160)}],
        "webhook": {"url": f"{receiver.url}{path}", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def _log_until(api, job_id: str, done, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = api.get(f"/v1/jobs/{job_id}/deliveries").json()
        if done(log):
            return log
        time.sleep(0.1)
    raise AssertionError(f"delivery log of {job_id} never settled: {log}")


def test_delivery_survives_an_outage_with_one_webhook_id(api, b64, receiver, settings_override):
    settings_override(webhook_retry_base_seconds=0.5)
    receiver.responses[:] = [503, 500, 502]
    job_id = _job_with_webhook(api, b64, receiver, "/outage")
    hooks = receiver.wait_for("/outage", count=4)
    assert [h["answered"] for h in hooks] == [503, 500, 502, 200]
    assert len({h["headers"]["webhook-id"] for h in hooks}) == 1, "every retry carries the same webhook-id"
    payload = verify(hooks[-1]["body"], hooks[-1]["headers"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert payload["job_id"] == job_id and payload["status"] == "finished"
    log = _log_until(api, job_id, lambda log: log["webhook_status"] == "delivered")
    assert [d["status_code"] for d in log["deliveries"]] == [503, 500, 502, 200]
    assert [d["attempt"] for d in log["deliveries"]] == [1, 2, 3, 4]
    assert all(d["at"].endswith("Z") and d["duration_ms"] >= 0 for d in log["deliveries"])
    assert "secret" not in str(log)


def test_410_gone_stops_the_deliveries_of_that_job(api, b64, receiver, settings_override):
    settings_override(webhook_retry_base_seconds=0.5)
    receiver.responses[:] = [410]
    job_id = _job_with_webhook(api, b64, receiver, "/gone")
    log = _log_until(api, job_id, lambda log: log["webhook_status"] == "disabled")
    time.sleep(2)
    assert len([r for r in receiver.requests if r["path"] == "/gone"]) == 1
    assert [d["status_code"] for d in api.get(f"/v1/jobs/{job_id}/deliveries").json()["deliveries"]] == [410]
    assert log["deliveries"][0]["error"] == "HTTP 410"


def test_past_the_retry_window_the_delivery_is_failed_and_can_be_redelivered(api, b64, receiver, settings_override):
    settings_override(webhook_retry_base_seconds=0.5, webhook_retry_window_seconds=2)
    receiver.responses[:] = [500] * 50
    job_id = _job_with_webhook(api, b64, receiver, "/down")
    log = _log_until(api, job_id, lambda log: log["webhook_status"] == "failed")
    attempts = len(log["deliveries"])
    assert attempts >= 2 and all(d["status_code"] == 500 for d in log["deliveries"])
    receiver.responses[:] = []
    answer = api.post(f"/v1/jobs/{job_id}/deliveries/redeliver")
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivered"] is True and answer.json()["attempt"]["attempt"] == attempts + 1
    log = api.get(f"/v1/jobs/{job_id}/deliveries").json()
    assert log["webhook_status"] == "delivered" and len(log["deliveries"]) == attempts + 1


def test_redeliver_needs_a_webhook_and_an_ended_job(api, b64):
    response = api.post("/v1/images", json={
        "images": [{"external_id": "a", "data_base64": b64("images/general/skimage_coffee.png", 160)}]})
    job_id = response.json()["job_id"]
    api.wait(response.headers["Location"])
    answer = api.post(f"/v1/jobs/{job_id}/deliveries/redeliver")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_webhook"
    assert api.get("/v1/jobs/image_batch_nope/deliveries").status_code == 404
