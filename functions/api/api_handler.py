"""API Gateway → the HTTP routes in medialens.api."""

from aws_lambda_powertools import Logger

from medialens.api import handle

logger = Logger(service="medialens-api")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event, context):
    return handle(event, context)
