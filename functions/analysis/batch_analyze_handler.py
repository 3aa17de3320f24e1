"""POST /batch/analyze in the analysis image: the API routes, with the moderation model loaded."""

from aws_lambda_powertools import Logger

from medialens.analysis import analyser
from medialens.api import handle
from medialens.observability import API_REQUEST_ID, entry_point

logger = Logger(service="medialens-batch-analyze")
analyser("moderation")  # load the model at cold start, not inside the first request


@entry_point(logger, correlation_id_path=API_REQUEST_ID)
def handler(event, context):
    return handle(event, context)
