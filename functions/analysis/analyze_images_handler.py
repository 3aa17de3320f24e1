"""Workflow step ③ (container image, models baked in): analyse one chunk of a batch."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.analysis import analyse_image_bytes, analysers
from medialens.aws import services
from medialens.observability import count, entry_point

logger = Logger(service="medialens-analyze-images")
analysers()  # load every model at cold start, not inside the first request


@entry_point(logger)
def handler(event, context):
    chunk = event["chunk"]
    logger.append_keys(job_id=event["job_id"], chunk=chunk["chunk"])
    outcome = workflow.analyze_chunk(event["job_id"], chunk, services(), analyse_image_bytes)
    count("ImagesAnalysed", chunk["end"] - chunk["start"] - outcome["failed"])
    count("ImageAnalysisFailed", outcome["failed"])
    return outcome
