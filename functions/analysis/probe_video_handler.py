"""What is this stored video? Duration, frame rate, size, codec — or why it cannot be analysed."""

from aws_lambda_powertools import Logger

from medialens.aws import services
from medialens.observability import entry_point
from medialens.video.probe import probe_stored

logger = Logger(service="medialens-probe-video")


@entry_point(logger, correlation_id_path=None)
def handler(event, context):
    return probe_stored(event["key"], services().media)
