"""POST /batch/analyze in the analysis image: the API routes, with the moderation model loaded."""

from aws_lambda_powertools import Logger

from medialens.analysis import analyser
from medialens.api import handle

logger = Logger(service="medialens-batch-analyze")
analyser("moderation")  # load the model at cold start, not inside the first request


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event, context):
    return handle(event, context)
