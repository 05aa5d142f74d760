"""The server API's edge: a call in either shape becomes one answer, with the one mapping
of domain refusals to error codes and HTTP statuses.

A Lambda invocation's payload (``{"command", "args"}``) is answered with the answer
itself; an HTTP API request (payload format 2.0, route ``POST /server/{command}``)
with the answer as its JSON body and the status its code means
(``protocol.http_status``). Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": {"code", "message"}}``; a refusal changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from shared import errors
from shared.protocol import ErrorCode, ProtocolError, http_status
from shared.server_api import commands
from shared.server_api.schema import Call, code_of, parse_body, parse_call

Answer = dict[str, Any]
INTERNAL = {"code": ErrorCode.INTERNAL_ERROR.value, "message": "internal error, retry later"}


def is_http(event: Mapping[str, Any]) -> bool:
    """Whether the event came through the HTTP API (it has a request context)."""
    return isinstance(event.get("requestContext"), Mapping)


def _answer(parse: Callable[[], Call], endpoint: str | None) -> tuple[int, Answer, str | None]:
    """(HTTP status, answer, the command's name when it parsed)."""
    command = None
    try:
        call = parse()
        command = call.command.value
        result = commands.run(call, endpoint)
    except errors.DomainError as refused:
        error = {"code": code_of(refused), "message": refused.message}
        return http_status(refused), {"ok": False, "error": error}, command
    return 200, {"ok": True, "result": result}, command


def invocation(payload: Any, endpoint: str | None = None) -> tuple[Answer, dict[str, Any]]:
    """A Lambda invocation's payload: (the answer, fields for the log line)."""
    status, answer, command = _answer(lambda: parse_call(payload), endpoint)
    return answer, _report(command, status, answer)


def http_request(
    event: Mapping[str, Any], endpoint: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An HTTP API payload 2.0 event: (the HTTP response, fields for the log line)."""
    parameters = event.get("pathParameters")
    name = parameters.get("command") if isinstance(parameters, Mapping) else None
    body = event.get("body")

    def parse() -> Call:
        return parse_body(str(name or ""), _text(body, bool(event.get("isBase64Encoded"))))

    status, answer, command = _answer(parse, endpoint)
    return response(status, answer), _report(command, status, answer)


def _text(body: Any, base64_encoded: bool) -> str | None:
    """The body as text: API Gateway base64-encodes a body whose content type it does
    not take for text; it must still be UTF-8 JSON."""
    if not isinstance(body, str):
        return None
    if not base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as invalid:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the body is not UTF-8 JSON") from invalid


def response(status: int, answer: Answer) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(answer, separators=(",", ":"), ensure_ascii=False),
    }


def failed(http: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer when the command raised something unexpected (logged by the wrapper)."""
    answer = {"ok": False, "error": INTERNAL}
    return (response(500, answer) if http else answer), {"status": 500}


def _report(command: str | None, status: int, answer: Answer) -> dict[str, Any]:
    fields: dict[str, Any] = {"command": command, "status": status}
    if not answer["ok"]:
        fields["error"] = answer["error"]["code"]
    return fields
