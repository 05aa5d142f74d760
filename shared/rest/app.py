"""The REST API (a Starlette app): chats and history, JWT bearer auth.

Served by the ApiFunction through Mangum behind an HTTP API, and by the
emulator under /api. Errors are JSON ``{"error": {"code", "message"}}``; a chat
the caller is not a member of is 404, so chat ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared import protocol
from shared.delivery import fanout
from shared.protocol import ErrorCode, Event, Field, ProtocolError
from shared.rest import members as rest_members
from shared.rest.support import ApiError, caller_id, error_response, json_object
from shared.store import chats, messages, receipts, sync

CHAT_FIELDS = {"name": Field(required=False, max_chars=protocol.MAX_CHAT_NAME_CHARS, is_id=False)}


def _member_list(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > protocol.MAX_CHAT_MEMBERS:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"members must be a list of at most {protocol.MAX_CHAT_MEMBERS}"
        )
    for member in value:
        if not isinstance(member, str) or not protocol.is_id(member):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "members must be user ids")
    return value


async def create_chat(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    body = await json_object(request)
    members = _member_list(body.pop("members", []))
    fields = protocol.validate_fields(CHAT_FIELDS, body, where="body")
    chat, member_ids, live = chats.create_chat(user_id, members, fields.get("name"))
    wire = chats.chat_to_wire(chat, member_ids)
    targets = [entry.connection_id for entries in live.values() for entry in entries]
    if targets:
        fanout.post_to_connections(targets, protocol.frame(Event.CHAT_CREATED, wire))
    return JSONResponse(wire, status_code=201)


async def list_chats(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_list = chats.user_chats(user_id)
    summaries = receipts.chat_summaries(user_id, chat_list)
    return JSONResponse(
        {
            "chats": [
                {**chats.chat_to_wire(chat), **summary}
                for chat, summary in zip(chat_list, summaries, strict=True)
            ]
        }
    )


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ApiError(400, ErrorCode.BAD_REQUEST, f"{name} must be an integer {low}-{high}")
    return int(raw)


async def chat_messages(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_id = request.path_params["chat_id"]
    if not protocol.is_id(chat_id) or chats.membership(chat_id, user_id) is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such chat")
    limit = _query_int(request, "limit", messages.DEFAULT_PAGE, 1, messages.MAX_PAGE)
    cursor = request.query_params.get("cursor")
    after = request.query_params.get("after")
    for name, value in (("cursor", cursor), ("after", after)):
        if value is not None and not protocol.is_id(value):
            raise ApiError(400, ErrorCode.BAD_REQUEST, f"invalid {name}")
    if after is not None:  # oldest first, newer than `after`: catching up after a sync
        newer, more = sync.messages_after(chat_id, after, limit)
        next_after = newer[-1].id if more else None
        return JSONResponse(
            {"messages": [messages.to_wire(m) for m in newer], "nextCursor": next_after}
        )
    page, next_cursor = messages.history(chat_id, limit, cursor)
    return JSONResponse(
        {"messages": [messages.to_wire(m) for m in page], "nextCursor": next_cursor}
    )


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code.value, exc.message)


async def _protocol_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProtocolError)
    return error_response(400, exc.code.value, exc.message)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return error_response(exc.status_code, code, str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(500, ErrorCode.INTERNAL_ERROR.value, "internal error, retry later")


app = Starlette(
    routes=[
        Route("/chats", create_chat, methods=["POST"]),
        Route("/chats", list_chats, methods=["GET"]),
        Route("/chats/{chat_id}/messages", chat_messages, methods=["GET"]),
        *rest_members.routes,
    ],
    exception_handlers={
        ApiError: _api_error,
        ProtocolError: _protocol_error,
        HTTPException: _http_error,
        Exception: _internal_error,
    },
)
