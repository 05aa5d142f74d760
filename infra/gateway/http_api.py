"""The HTTP API: requests under `/api/...` become payload 2.0 events for `HttpApi` functions."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from infra.gateway import events
from infra.runtime.pools import LambdaRuntime
from infra.template.reader import HttpRoute

PREFIX = "/api"


def _path_regex(template: str) -> re.Pattern[str]:
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(piece)
    # Whole path, any character (API Gateway routes a decoded %0A like any other):
    # fullmatch, since `$` would let a final newline by, and DOTALL for `.+`.
    return re.compile(pattern, re.DOTALL)


def match_route(
    routes: list[HttpRoute], method: str, path: str
) -> tuple[HttpRoute, dict[str, str]] | None:
    """Most specific first: literal paths, then parameters, then greedy, then $default."""

    def rank(route: HttpRoute) -> tuple[bool, bool, int, bool]:
        return (
            route.path == "$default",
            "+}" in route.path,
            route.path.count("{"),
            route.method == "ANY",
        )

    for route in sorted(routes, key=rank):
        if route.method not in ("ANY", method):
            continue
        if route.path == "$default":
            return route, {}
        match = _path_regex(route.path).fullmatch(path)
        if match:
            return route, match.groupdict()
    return None


def _response(payload: Any) -> Response:
    if not isinstance(payload, dict) or "statusCode" not in payload:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(body, status_code=200, media_type="application/json")
    raw_body = payload.get("body") or ""
    content = (
        base64.b64decode(raw_body) if payload.get("isBase64Encoded") else str(raw_body).encode()
    )
    response = Response(content, status_code=int(payload["statusCode"]))
    for key, value in (payload.get("headers") or {}).items():
        response.headers[str(key)] = str(value)
    for key, values in (payload.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(str(key), str(value))
    for cookie in payload.get("cookies") or []:
        response.headers.append("set-cookie", str(cookie))
    return response


class HttpApiProxy:
    def __init__(self, routes: list[HttpRoute], runtime: LambdaRuntime) -> None:
        self.routes = routes
        self.runtime = runtime

    async def handle(self, request: Request) -> Response:
        # scope["path"], not request.url.path: building a URL drops tabs and newlines
        # (urlsplit), and the function must see the path it was sent to refuse it.
        path = request.scope["path"][len(PREFIX) :] or "/"
        matched = match_route(self.routes, request.method, path)
        if matched is None:
            return Response(
                json.dumps({"message": "Not Found"}), status_code=404, media_type="application/json"
            )
        route, path_parameters = matched
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        client = request.client
        event = events.http_api_event(
            method=request.method,
            path=path,
            raw_query=raw_query,
            headers=list(request.headers.items()),
            query=parse_qsl(raw_query, keep_blank_values=True),
            body=await request.body(),
            route_key=route.route_key,
            path_parameters=path_parameters,
            api_id=route.api_id,
            domain_name=request.headers.get("host", "127.0.0.1"),
            source_ip=client.host if client else "127.0.0.1",
        )
        try:
            result = await self.runtime.invoke_async(route.function_id, event)
        except Exception:
            result = None
        if result is None or result.error is not None:
            return Response(
                json.dumps({"message": "Internal Server Error"}),
                status_code=500,
                media_type="application/json",
            )
        try:
            return _response(result.payload)
        except (TypeError, ValueError):
            return Response(
                json.dumps({"message": "Internal Server Error"}),
                status_code=500,
                media_type="application/json",
            )
