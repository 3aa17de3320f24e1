"""The HTTP front of `medialens serve`: what API Gateway does for a Lambda proxy
integration. Routes come from the Api events in template.yaml; each request becomes a
REST (v1) proxy event for the function that the template names."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from .lambdas import InProcessLambdas

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


def _json_error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"error": {"code": code, "message": message}}), status,
                    content_type="application/json")


class ApiFront:
    def __init__(self, routes: list[tuple[str, str, str]], lambdas: InProcessLambdas,
                 max_body_bytes: int, stage: str = "local", after_write: Callable[[], None] | None = None):
        self._lambdas = lambdas
        self._after_write = after_write  # the state directory's flush: an accepted job is on disk
        self._max_body = max_body_bytes
        self._stage = stage
        self._routes = [(method, path, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"),
                         function) for method, path, function in routes]

    def _match(self, method: str, path: str) -> tuple[str, str, dict[str, str]] | Response:
        allowed = []
        for route_method, template, pattern, function in self._routes:
            found = pattern.match(path)
            if found:
                if route_method in (method, "ANY"):
                    return template, function, found.groupdict()
                allowed.append(route_method)
        if allowed:
            return _json_error(405, "method_not_allowed", f"{method} is not allowed on {path}")
        return _json_error(404, "not_found", f"no route {method} {path}")

    def _event(self, request: Request, resource: str, params: dict[str, str]) -> dict[str, Any]:
        body = request.get_data(cache=False)
        content_type = request.headers.get("Content-Type", "")
        is_text = not body or content_type.startswith(TEXT_TYPES)
        query = request.args
        return {
            "resource": resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers.items()),
            "multiValueHeaders": {k: request.headers.getlist(k) for k, _ in request.headers.items()},
            "queryStringParameters": dict(query.items()) or None,
            "multiValueQueryStringParameters": {k: query.getlist(k) for k in query} or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": (body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode()) if body else None,
            "isBase64Encoded": not is_text,
            "requestContext": {
                "requestId": str(uuid.uuid4()), "stage": self._stage, "resourcePath": resource,
                "httpMethod": request.method, "path": f"/{self._stage}{request.path}",
                "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
            },
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = self._max_body
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        matched = self._match(request.method, request.path)
        if isinstance(matched, Response):
            return matched
        resource, function, params = matched
        try:
            event = self._event(request, resource, params)
        except RequestEntityTooLarge:
            return _json_error(413, "payload_too_large", f"request body exceeds {self._max_body} bytes")
        try:
            result = self._lambdas.call(function, event)
        except Exception as err:  # API Gateway answers 502 when the integration fails
            return _json_error(502, "internal_error", f"{type(err).__name__}: {err}")
        headers: list[tuple[str, str]] = []
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(key, v) for v in values]
        headers += list((result.get("headers") or {}).items())
        if self._after_write and request.method in WRITE_METHODS and result.get("statusCode", 200) < 300:
            self._after_write()
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        return Response(data, result.get("statusCode", 200), headers=headers)
