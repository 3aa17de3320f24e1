"""Lambda handlers run in-process, for moto and for the HTTP front.

moto runs Lambda code only in Docker. We replace the private method
`moto.awslambda.models.LambdaFunction._invoke_lambda` (moto==5.2.5, pinned in
pyproject.toml) with one that imports the function's handler from the path template.yaml
gives and calls it, and wrap `LambdaFunction.invoke` so asynchronous invokes do not block
their caller. Every invocation path then runs the real code: Lambda-ARN tasks in
the state machine, `lambda:invoke`, S3 notifications and direct invokes. Failures are
returned as {"errorType", "errorMessage"}, so Retry/Catch match Python exception class
names exactly as on AWS. tests/integration/test_moto_patch_point.py fails loudly if the
patch point moves.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .template import ACCOUNT, REGION, Template

logger = logging.getLogger(__name__)
PATCH_TARGET = "moto.awslambda.models.LambdaFunction._invoke_lambda"
INVOKE_TARGET = "moto.awslambda.models.LambdaFunction.invoke"
# Asynchronous invokes run at most this many at a time (the dispatcher, mostly).
EVENT_WORKERS = 4


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 30
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class InProcessLambdas:
    """The template's functions by name, imported lazily (once) and called in-process."""

    def __init__(self, template: Template):
        self._template = template
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()
        # functions are invoked by their physical name (an explicit FunctionName, else the logical id)
        self._logical = {template.physical_name(k): k for k in template.of_type("AWS::Serverless::Function")}
        self._logical |= {k: k for k in template.of_type("AWS::Serverless::Function")}

    def handler(self, name: str) -> Callable[..., Any]:
        with self._lock:
            if name not in self._handlers:
                code_dir, module_name, function = self._template.function_entry(self._logical[name])
                spec = importlib.util.spec_from_file_location(module_name, code_dir / f"{module_name}.py")
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load handler module {module_name} from {code_dir}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
                self._handlers[name] = getattr(module, function)
            return self._handlers[name]

    def context(self, name: str) -> LambdaContext:
        props = self._template.function_properties(self._logical[name])
        return LambdaContext(name, int(props.get("MemorySize", 128)), int(props.get("Timeout", 3)))

    def call(self, name: str, event: Any) -> Any:
        """Call a handler directly (the HTTP front's proxy integration)."""
        return self.handler(name)(event, self.context(name))

    def invoke(self, name: str, event: Any) -> tuple[str, bool, str]:
        """moto's `_invoke_lambda` contract: (payload JSON, errored, logs)."""
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        try:
            return json.dumps(self.call(name, event)), False, ""
        except Exception as err:  # the function failed: report it as Lambda does
            logger.info("function %s raised %s: %s", name, type(err).__name__, err)
            return json.dumps({
                "errorType": type(err).__name__,
                "errorMessage": str(err),
                "stackTrace": traceback.format_exception(err)[-5:],
            }), True, ""


def install_moto_patch(lambdas: InProcessLambdas) -> None:
    """Route every moto Lambda invocation to the in-process handlers.

    moto runs an asynchronous invoke (InvocationType=Event) to its end before it answers;
    Lambda queues it and answers 202 at once. `LambdaFunction.invoke` is wrapped so Event
    invokes run on a small pool of their own, as on AWS: an API request that wakes the
    dispatcher does not wait for the dispatcher's work (or its lease) under the request."""
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.__dict__.get("_invoke_lambda")
    if original is None or list(inspect.signature(original).parameters) != ["self", "event"]:
        raise RuntimeError(f"{PATCH_TARGET} moved or changed shape: check the pinned moto version")
    invoke = LambdaFunction.__dict__.get("invoke")
    if invoke is None or list(inspect.signature(invoke).parameters) != [
            "self", "body", "request_headers", "response_headers"]:
        raise RuntimeError(f"{INVOKE_TARGET} moved or changed shape: check the pinned moto version")
    events = ThreadPoolExecutor(max_workers=EVENT_WORKERS, thread_name_prefix="lambda-event")

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return lambdas.invoke(self.function_name, event)

    def _invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if request_headers.get("x-amz-invocation-type") != "Event":
            return invoke(self, body, request_headers, response_headers)
        events.submit(lambdas.invoke, self.function_name, body)  # failures are logged by invoke()
        return ""

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    LambdaFunction.invoke = _invoke  # type: ignore[method-assign]
