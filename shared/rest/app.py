"""The REST API (a Starlette app) and its one mapping of errors to HTTP answers.

Served by the ApiFunction through Mangum behind an HTTP API, and by the
emulator under /api. Routes live in ``chats``, ``members`` and ``attachments``; callers are the
users the HTTP API's authorizer vouched for (``requests.caller_id``). Errors
are JSON ``{"error": {"code", "message"}}``: a domain refusal gets its wire code
(``protocol.error_code``) and the status that code means on HTTP
(``protocol.http_status``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared import errors
from shared.protocol import ErrorCode, error_code, http_status
from shared.rest import attachments, chats, members


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return error_response(http_status(exc), error_code(exc).value, exc.message)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return error_response(exc.status_code, code, str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(500, ErrorCode.INTERNAL_ERROR.value, "internal error, retry later")


app = Starlette(
    routes=[*chats.routes, *members.routes, *attachments.routes],
    exception_handlers={
        errors.DomainError: _domain_error,
        HTTPException: _http_error,
        Exception: _internal_error,
    },
)
