"""Workflow step ③ (container image, models baked in): analyse one chunk of a batch."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.analysis import analyse_image_bytes, analysers
from medialens.aws import services

logger = Logger(service="medialens-analyze-images")
analysers()  # load every model at cold start, not inside the first request


@logger.inject_lambda_context
def handler(event, context):
    logger.append_keys(job_id=event["job_id"], chunk=event["chunk"]["chunk"])
    return workflow.analyze_chunk(event["job_id"], event["chunk"], services(), analyse_image_bytes)
