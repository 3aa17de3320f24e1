"""Workflow step ③ for videos: shots, activity and sampled-frame analysis of one time segment."""

from aws_lambda_powertools import Logger

from medialens.analysis import analysers
from medialens.aws import services
from medialens.video.steps import analyze_video_segment

logger = Logger(service="medialens-analyze-video-segment")
analysers()  # load every model at cold start


@logger.inject_lambda_context
def handler(event, context):
    logger.append_keys(job_id=event["job_id"], segment=event["segment"]["segment"])
    return analyze_video_segment(event["job_id"], event["segment"], services())
