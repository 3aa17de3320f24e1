"""S3 ObjectCreated under uploads/ or incoming/ → probe the video and start its job (idempotent)."""

from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event

from medialens.aws import services
from medialens.observability import count, entry_point
from medialens.video.jobs import ingest_object

logger = Logger(service="medialens-ingest")


@entry_point(logger, correlation_id_path=None)
def handler(event, context):
    started = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)  # S3 (and moto) URL-encode keys in events
        started.append(ingest_object(key, record.s3.get_object.size or 0, record.s3.get_object.etag or "",
                                     services()))
    count("VideosIngested", sum(job_id is not None for job_id in started))
    return {"jobs": started}
