"""Allowlist enrolment (same container image as analyze_images): embed the one face of
each staged photo. Invoked synchronously by the API function."""

from aws_lambda_powertools import Logger

from medialens.allowlist import embed_enrolment_photos
from medialens.analysis import analysers
from medialens.aws import services
from medialens.observability import entry_point

logger = Logger(service="medialens-enrol-faces")
analysers()  # load every model at cold start


@entry_point(logger, correlation_id_path=None)
def handler(event, context):
    return embed_enrolment_photos(event["keys"], services().media)
