"""API Gateway → the HTTP routes in medialens.api."""

from aws_lambda_powertools import Logger

from medialens.api import handle
from medialens.observability import API_REQUEST_ID, entry_point

logger = Logger(service="medialens-api")


@entry_point(logger, correlation_id_path=API_REQUEST_ID)
def handler(event, context):
    return handle(event, context)
