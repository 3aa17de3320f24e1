"""Workflow step ⑤: one webhook delivery attempt; the ASL waits and loops while it says "retry"."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.aws import services

logger = Logger(service="medialens-deliver-webhook")


@logger.inject_lambda_context
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    return workflow.deliver_webhook(event["job_id"], services(), event.get("attempt", 1), event.get("first_at", 0))
