"""Workflow step ⑤: one webhook delivery attempt; the ASL waits and loops while it says "retry"."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.aws import services
from medialens.observability import count, entry_point

logger = Logger(service="medialens-deliver-webhook")
METRIC = {"delivered": "WebhookDeliveries", "retry": "WebhookRetries", "failed": "WebhookFailures",
          "disabled": "WebhookFailures"}


@entry_point(logger)
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    outcome = workflow.deliver_webhook(event["job_id"], services(), event.get("attempt", 1), event.get("first_at", 0))
    if outcome["status"] in METRIC:
        count(METRIC[outcome["status"]], 1)
    return outcome
