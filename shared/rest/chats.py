"""REST routes for chats: create one, list the caller's, read a chat's history.

A chat the caller is not a member of is 404 (``NotFound``), so chat ids cannot be
probed.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared import errors, protocol
from shared.lifecycle import membership
from shared.protocol import Field
from shared.rest.requests import caller_id, json_object
from shared.store import chats, messages, receipts, sync

CHAT_FIELDS = {"name": Field(required=False, max_chars=protocol.MAX_CHAT_NAME_CHARS, is_id=False)}


def _member_list(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > protocol.MAX_CHAT_MEMBERS:
        raise errors.Invalid(f"members must be a list of at most {protocol.MAX_CHAT_MEMBERS}")
    for member in value:
        if not isinstance(member, str) or not protocol.is_id(member):
            raise errors.Invalid("members must be user ids")
    return value


async def create_chat(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    body = await json_object(request)
    members = _member_list(body.pop("members", []))
    fields = protocol.validate_fields(CHAT_FIELDS, body, where="body")
    wire = membership.create(user_id, members, fields.get("name"))
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
        raise errors.Invalid(f"{name} must be an integer {low}-{high}")
    return int(raw)


async def chat_messages(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_id = request.path_params["chat_id"]
    if not protocol.is_id(chat_id) or chats.membership(chat_id, user_id) is None:
        raise errors.NotFound("no such chat")
    limit = _query_int(request, "limit", messages.DEFAULT_PAGE, 1, messages.MAX_PAGE)
    cursor = request.query_params.get("cursor")
    after = request.query_params.get("after")
    for name, value in (("cursor", cursor), ("after", after)):
        if value is not None and not protocol.is_id(value):
            raise errors.Invalid(f"invalid {name}")
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


routes = [
    Route("/chats", create_chat, methods=["POST"]),
    Route("/chats", list_chats, methods=["GET"]),
    Route("/chats/{chat_id}/messages", chat_messages, methods=["GET"]),
]
