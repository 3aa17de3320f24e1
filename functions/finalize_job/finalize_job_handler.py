"""Workflow step ④: assemble the final payload; with "error", record the job as failed."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.aws import services

logger = Logger(service="medialens-finalize-job")


@logger.inject_lambda_context
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    return workflow.finalize_job(event["job_id"], services(),
                                 chunk_outcomes=event.get("chunk_outcomes"), error=event.get("error"))
