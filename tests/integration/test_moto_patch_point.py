"""The one place we depend on moto internals. If moto moves it, this fails loudly."""

from __future__ import annotations

import inspect
import json

import boto3
import moto
import pytest
from moto.awslambda.models import LambdaFunction

pytestmark = pytest.mark.integration


def test_moto_is_the_pinned_version():
    assert moto.__version__ == "5.2.5", "medialens.local.lambdas patches moto 5.2.5 internals"


def test_patch_point_has_the_expected_shape():
    assert list(inspect.signature(LambdaFunction.invoke).parameters)[:2] == ["self", "body"]


def test_invocations_run_our_handlers_and_report_errors_like_lambda(service):
    client = boto3.client("lambda")
    ok = client.invoke(FunctionName="StartJobFunction", Payload=json.dumps({"job_id": "missing"}))
    error = json.loads(ok["Payload"].read())
    assert ok.get("FunctionError") == "Handled"
    assert error["errorType"] == "NotFoundError" and "missing" in error["errorMessage"]


def test_asynchronous_invokes_answer_at_once_and_keep_the_outcome_to_themselves(service):
    """InvocationType=Event: Lambda queues the call and answers 202; the function's failure is
    not the caller's (moto alone would run it first and report it)."""
    client = boto3.client("lambda")
    queued = client.invoke(FunctionName="StartJobFunction", InvocationType="Event",
                           Payload=json.dumps({"job_id": "missing"}))
    assert queued["StatusCode"] == 202
    assert "FunctionError" not in queued
