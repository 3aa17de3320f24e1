"""Logs and metrics of the Lambda handlers (functions/*/*_handler.py), with Powertools.

* Logs: each handler keeps its own `Logger(service=...)` (JSON lines with the Lambda
  context); `entry_point` adds the correlation id: the job id of workflow events, the
  request id of API Gateway events.
* Metrics: CloudWatch embedded metric format, namespace POWERTOOLS_METRICS_NAMESPACE
  ("medialens" in template.yaml), dimension `service` = the stack name. `count` records
  one value; the decorator flushes once per invocation.

Metrics are published only inside AWS Lambda. `medialens serve` and the tests run every
handler in one process, where EMF lines would flood stdout and Powertools' shared metric
set would mix concurrent invocations, so there `count` does nothing. Whether we are in
Lambda is the runtime's own reserved variable AWS_LAMBDA_FUNCTION_NAME (set in every
function, zip or image; the local runtime does not set it), not a medialens setting.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

IN_LAMBDA = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
metrics = Metrics()  # namespace and service from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME

JOB_ID = "job_id"  # JMESPath of the correlation id in workflow events
API_REQUEST_ID = "requestContext.requestId"  # ... in API Gateway proxy events

Handler = Callable[[Any, Any], Any]


def count(name: str, value: float, unit: MetricUnit = MetricUnit.Count) -> None:
    """Add one metric value to this invocation's EMF record (a no-op outside Lambda)."""
    if IN_LAMBDA:
        metrics.add_metric(name=name, unit=unit, value=value)


def entry_point(logger: Logger, correlation_id_path: str | None = JOB_ID) -> Callable[[Handler], Handler]:
    """Decorate a handler: Lambda context and correlation id in its logs, metrics flushed at the end."""

    def decorate(handler: Handler) -> Handler:
        wrapped = logger.inject_lambda_context(handler, correlation_id_path=correlation_id_path)
        return metrics.log_metrics(wrapped) if IN_LAMBDA else wrapped

    return decorate
