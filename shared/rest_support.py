"""What every REST endpoint shares: bearer-token auth, JSON bodies, JSON errors."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from shared import log
from shared.auth import AuthError, verify_token
from shared.protocol import ErrorCode

MAX_REQUEST_BYTES = 64 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def caller_id(request: Request) -> str:
    """The user of the request's bearer token, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "missing bearer token")
    try:
        user_id = verify_token(token.strip())
    except AuthError as error:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "invalid token") from error
    log.bind(userId=user_id)  # the invocation line and any later record carry it
    return user_id


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400/413."""
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise ApiError(413, ErrorCode.BAD_REQUEST, "request body too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as error:
        raise ApiError(400, ErrorCode.BAD_REQUEST, "body is not valid JSON") from error
    if not isinstance(body, dict):
        raise ApiError(400, ErrorCode.BAD_REQUEST, "body must be a JSON object")
    return body
