"""Workflow step ④ for videos: merge the segments into the result; mark the job finished."""

from aws_lambda_powertools import Logger

from medialens.aws import services
from medialens.observability import entry_point
from medialens.video.steps import assemble_video

logger = Logger(service="medialens-assemble-video")


@entry_point(logger)
def handler(event, context):
    logger.append_keys(job_id=event["job_id"])
    return assemble_video(event["job_id"], event["segment_outcomes"], services())
