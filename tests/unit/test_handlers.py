"""The handlers on the sample events in events/, against the template's resources
provisioned into moto in-process (no HTTP, no Step Functions): the steps one by one."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from medialens import aws
from medialens.local.lambdas import InProcessLambdas
from medialens.local.provision import Provisioner
from medialens.local.template import Template
from medialens.settings import get_settings
from tests.conftest import jpeg_bytes

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"


def event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture()
def deployed(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # explicit: the integration runtime may have switched execution on for this process
    with mock_aws(config={"stepfunctions": {"execute_state_machine": False}}):
        template = Template.load(REPO / "template.yaml")
        provisioner = Provisioner(template, boto3.session.Session())
        provisioner.provision()
        for key, value in provisioner.process_environment().items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        aws.reset()
        yield InProcessLambdas(template)
        get_settings.cache_clear()
        aws.reset()


def test_api_events(deployed):
    assert deployed.call("ApiFunction", event("api_get_health.json"))["statusCode"] == 200
    keyless = event("api_get_latency.json")
    keyless["headers"].pop("X-Api-Key")
    keyless["requestContext"]["identity"].pop("apiKey")
    assert deployed.call("ApiFunction", keyless)["statusCode"] == 401
    empty = deployed.call("ApiFunction", event("api_post_images_empty.json"))
    assert empty["statusCode"] == 400 and json.loads(empty["body"])["error"]["code"] == "invalid_request"
    missing = deployed.call("ApiFunction", event("api_get_image_batch.json"))
    assert missing["statusCode"] == 404
    latency = json.loads(deployed.call("ApiFunction", event("api_get_latency.json"))["body"])
    assert latency == {"media_type": "image", "unit": "image", "latency_ms_per_unit": None, "samples": 0,
                       "cold_start_latency_ms_per_unit": None, "cold_start_samples": 0}


def test_steps_in_order_produce_the_final_payload(deployed, corpus):
    post = event("api_post_images.json")
    body = json.loads(post["body"])
    body["images"].append({"external_id": "cat", "data_base64": base64.b64encode(
        jpeg_bytes(corpus / "images/general/skimage_chelsea_cat.png")).decode()})
    post["body"] = json.dumps(body)
    accepted = deployed.call("ApiFunction", post)
    assert accepted["statusCode"] == 202, accepted["body"]
    job_id = json.loads(accepted["body"])["job_id"]

    plan = deployed.call("StartJobFunction", {"job_id": job_id})
    assert plan == {"chunks": [{"chunk": 0, "start": 0, "end": 2}]}
    outcome = deployed.call("AnalyzeImagesFunction", {"job_id": job_id, "chunk": plan["chunks"][0]})
    assert outcome == {"chunk": 0, "failed": 0, "cold_start": True}  # the function's first call loaded the models
    final = deployed.call("FinalizeJobFunction", {"job_id": job_id, "chunk_outcomes": [outcome]})
    assert final == {"status": "finished", "deliver_webhook": True}
    latency = json.loads(deployed.call("ApiFunction", event("api_get_latency.json"))["body"])
    assert (latency["samples"], latency["cold_start_samples"]) == (0, 1)  # a cold start is not a warm figure
    assert latency["latency_ms_per_unit"] is None and latency["cold_start_latency_ms_per_unit"] > 0

    status = json.loads(deployed.call("ApiFunction", {
        **event("api_get_image_batch.json"), "path": f"/v1/images/{job_id}",
        "pathParameters": {"job_id": job_id}})["body"])
    assert status["status"] == "finished"
    assert [i["status"] for i in status["items"]] == ["finished", "finished"]
    assert status["items"][1]["result"]["moderation"]["category"] == "safe"
    row = aws.services().jobs.get(job_id)
    assert row.summary == {"total": 2, "finished": 2, "failed": 0, "safe": 2, "suggestive": 0, "explicit": 0}

    # the next job finds the worker warm: its sample is the reported figure
    again = json.loads(deployed.call("ApiFunction", post)["body"])["job_id"]
    chunk = deployed.call("StartJobFunction", {"job_id": again})["chunks"][0]
    outcome = deployed.call("AnalyzeImagesFunction", {"job_id": again, "chunk": chunk})
    assert outcome["cold_start"] is False
    deployed.call("FinalizeJobFunction", {"job_id": again, "chunk_outcomes": [outcome]})
    latency = json.loads(deployed.call("ApiFunction", event("api_get_latency.json"))["body"])
    assert (latency["samples"], latency["cold_start_samples"]) == (1, 1) and latency["latency_ms_per_unit"] > 0


def test_a_failed_chunk_fails_only_its_items(deployed, corpus):
    photo = base64.b64encode(jpeg_bytes(corpus / "images/general/opencv_fruits.jpg")).decode()
    post = event("api_post_images.json")
    post["body"] = json.dumps({"images": [{"external_id": str(i), "data_base64": photo} for i in range(6)]})
    job_id = json.loads(deployed.call("ApiFunction", post)["body"])["job_id"]
    plan = deployed.call("StartJobFunction", {"job_id": job_id})
    first = deployed.call("AnalyzeImagesFunction", {"job_id": job_id, "chunk": plan["chunks"][0]})
    broken = {"chunk": plan["chunks"][1], "error": {"Error": "Lambda.Unknown", "Cause": "out of memory"}}
    deployed.call("FinalizeJobFunction", {"job_id": job_id, "chunk_outcomes": [first, broken]})
    items = json.loads(deployed.call("ApiFunction", {
        **event("api_get_image_batch.json"), "path": f"/v1/images/{job_id}",
        "pathParameters": {"job_id": job_id}})["body"])["items"]
    assert [i["status"] for i in items] == ["finished"] * 4 + ["failed"] * 2
    assert items[4]["error"] == {"code": "analysis_failed", "message": "out of memory"}

    # finalize is idempotent: a repeat (a retried step) keeps what was recorded
    timeout = event("finalize_job_timeout.json") | {"job_id": job_id}
    assert deployed.call("FinalizeJobFunction", timeout)["status"] == "finished"


def test_a_timeout_fails_the_job_and_its_unfinished_items(deployed, corpus):
    photo = base64.b64encode(jpeg_bytes(corpus / "images/general/opencv_fruits.jpg")).decode()
    post = event("api_post_images.json")
    post["body"] = json.dumps({"images": [{"external_id": "a", "data_base64": photo}]})
    job_id = json.loads(deployed.call("ApiFunction", post)["body"])["job_id"]
    deployed.call("StartJobFunction", {"job_id": job_id})
    timeout = event("finalize_job_timeout.json") | {"job_id": job_id}
    assert deployed.call("FinalizeJobFunction", timeout)["status"] == "failed"
    body = json.loads(deployed.call("ApiFunction", {
        **event("api_get_image_batch.json"), "path": f"/v1/images/{job_id}",
        "pathParameters": {"job_id": job_id}})["body"])
    assert body["status"] == "failed"
    assert body["error"] == {"code": "timeout", "message": "Max-Processing-Time exceeded"}
    assert body["items"][0]["error"]["code"] == "timeout"
