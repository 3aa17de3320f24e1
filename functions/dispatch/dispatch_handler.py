"""Starts queued batch jobs by priority (medialens/dispatch.py); woken by submits, job ends and a schedule."""

from aws_lambda_powertools import Logger

from medialens import dispatch
from medialens.aws import services

logger = Logger(service="medialens-dispatch")


@logger.inject_lambda_context
def handler(event, context):
    return {"started": dispatch.dispatch(services())}
