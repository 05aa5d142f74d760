"""REST endpoints for memberships and presence reads (mounted by shared.rest).

A chat the caller is not a member of is 404 (never 403), so chat ids cannot be
probed; a member who lacks the right (not an admin) gets 403.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared import errors, ids, protocol
from shared.lifecycle import membership, status
from shared.protocol import Field
from shared.rest.requests import caller_id, json_object
from shared.store import chats, connections
from shared.store.models import Member

ADD_FIELDS = {
    "userId": Field(),
    "role": Field(required=False, kind="choice", choices=("member", "admin")),
}


def _chat_member(request: Request, user_id: str) -> tuple[str, Member]:
    chat_id = request.path_params["chat_id"]
    member = chats.membership(chat_id, user_id) if protocol.is_id(chat_id) else None
    if member is None:
        raise errors.NotFound("no such chat")
    return chat_id, member


async def add_member(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_id, me = _chat_member(request, user_id)
    if me.role != "admin":
        raise errors.Forbidden("only a chat admin can add members")
    fields = protocol.validate_fields(ADD_FIELDS, await json_object(request), where="body")
    role = fields.get("role") or "member"
    added = membership.add(chat_id, fields["userId"], added_by=user_id, role=role)
    body = {"chatId": chat_id, "userId": fields["userId"], "role": role, "added": added}
    return JSONResponse(body, status_code=201 if added else 200)


async def remove_member(request: Request) -> Response:
    user_id = caller_id(request)
    chat_id, me = _chat_member(request, user_id)
    target = request.path_params["user_id"]
    if target != user_id and me.role != "admin":
        raise errors.Forbidden("only a chat admin can remove others")
    if not protocol.is_id(target) or not membership.remove(chat_id, target, removed_by=user_id):
        raise errors.NotFound("no such member")
    return Response(status_code=204)


async def list_members(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_id, _ = _chat_member(request, user_id)
    online = {u["userId"]: u["status"] for u in status.chat_users(chat_id)}
    members = [
        {
            "userId": m.user_id,
            "role": m.role,
            "joinedAt": ids.iso_from_ms(int(m.joined_at)),
            "online": m.user_id in online,
            "status": online.get(m.user_id, "offline"),
            "lastReadId": m.last_read_id,
            "readAt": ids.iso_from_ms(int(m.read_at)) if m.read_at else None,
        }
        for m in Member.query(chat_id)
    ]
    return JSONResponse({"chatId": chat_id, "members": members})


async def online_members(request: Request) -> JSONResponse:
    user_id = caller_id(request)
    chat_id, _ = _chat_member(request, user_id)
    return JSONResponse({"chatId": chat_id, "users": status.chat_users(chat_id)})


async def user_presence(request: Request) -> JSONResponse:
    """Presence of a user the caller shares a chat with (or their own); 404 otherwise."""
    user_id = caller_id(request)
    target = request.path_params["user_id"]
    if target != user_id:
        shared_chat = protocol.is_id(target) and set(connections.user_chat_ids(user_id)) & set(
            connections.user_chat_ids(target)
        )
        if not shared_chat:
            raise errors.NotFound("no such user")
    return JSONResponse(status.user_status(target))


routes = [
    Route("/chats/{chat_id}/members", add_member, methods=["POST"]),
    Route("/chats/{chat_id}/members", list_members, methods=["GET"]),
    Route("/chats/{chat_id}/members/{user_id}", remove_member, methods=["DELETE"]),
    Route("/chats/{chat_id}/online", online_members, methods=["GET"]),
    Route("/users/{user_id}/presence", user_presence, methods=["GET"]),
]
