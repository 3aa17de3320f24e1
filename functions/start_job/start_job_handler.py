"""Workflow step ②: mark the job processing and plan the Map's chunks."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.aws import services
from medialens.observability import entry_point

logger = Logger(service="medialens-start-job")


@entry_point(logger)
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    return workflow.start_job(event["job_id"], services())
