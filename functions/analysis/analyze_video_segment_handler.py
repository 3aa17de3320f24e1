"""Workflow step ③ for videos: shots, activity and sampled-frame analysis of one time segment."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

from medialens.analysis import analysers
from medialens.aws import services
from medialens.observability import count, entry_point
from medialens.video.steps import analyze_video_segment

logger = Logger(service="medialens-analyze-video-segment")
analysers()  # load every model at cold start
_cold = True  # until this process's first segment ends: the job then paid for loading the models


@entry_point(logger)
def handler(event, context):
    global _cold
    segment = event["segment"]
    logger.append_keys(job_id=event["job_id"], segment=segment["segment"])
    cold, _cold = _cold, False
    outcome = {**analyze_video_segment(event["job_id"], segment, services()), "cold_start": cold}
    count("VideoSecondsAnalysed", max(0.0, segment["end"] - segment["start"]), MetricUnit.Seconds)
    return outcome
