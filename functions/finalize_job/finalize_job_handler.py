"""Workflow step ④: assemble the final payload; with "error", record the job as failed."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.aws import services
from medialens.observability import count, entry_point

logger = Logger(service="medialens-finalize-job")


@entry_point(logger)
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    outcome = workflow.finalize_job(event["job_id"], services(),
                                    chunk_outcomes=event.get("chunk_outcomes"), error=event.get("error"))
    count("JobsFailed" if outcome.get("status") == "failed" else "JobsFinished", 1)
    return outcome
