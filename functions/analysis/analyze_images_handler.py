"""Workflow step ③ (container image, models baked in): analyse one chunk of a batch."""

from aws_lambda_powertools import Logger

from medialens import workflow
from medialens.analysis import analyse_image_bytes, analysers
from medialens.aws import services
from medialens.observability import count, entry_point

logger = Logger(service="medialens-analyze-images")
analysers()  # load every model at cold start, not inside the first request
_cold = True  # until this process's first chunk ends: the job then paid for loading the models


@entry_point(logger)
def handler(event, context):
    global _cold
    chunk = event["chunk"]
    logger.append_keys(job_id=event["job_id"], chunk=chunk["chunk"])
    cold, _cold = _cold, False
    outcome = {**workflow.analyze_chunk(event["job_id"], chunk, services(), analyse_image_bytes), "cold_start": cold}
    count("ImagesAnalysed", chunk["end"] - chunk["start"] - outcome["failed"])
    count("ImageAnalysisFailed", outcome["failed"])
    return outcome
