"""Starts queued batch jobs by priority (medialens/dispatch.py); woken by submits, job ends and a schedule."""

from aws_lambda_powertools import Logger

from medialens import dispatch
from medialens.aws import services
from medialens.observability import count, entry_point

logger = Logger(service="medialens-dispatch")


@entry_point(logger, correlation_id_path=None)
def handler(event, context):
    started = dispatch.dispatch(services())
    count("BatchJobsStarted", len(started))
    return {"started": started}
