"""REST routes for attachments: ask for an upload, and get a fresh download URL.

``POST /chats/{chatId}/attachments`` (name, size, contentType) answers 201 with a new
attachment id and a presigned S3 POST for exactly that file (shared/attachments/uploads.py).
``GET /chats/{chatId}/attachments/{attachmentId}`` answers the file's metadata and a new
presigned GET URL, for a member whose URL expired. A chat the caller is not a member of
is 404, like every chat route.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared import errors, protocol
from shared.attachments import attached, uploads
from shared.rest.requests import caller_id, json_object
from shared.store import chats


def _member_chat(request: Request) -> tuple[str, str]:
    user_id = caller_id(request)
    chat_id = request.path_params["chat_id"]
    if not protocol.is_id(chat_id) or chats.membership(chat_id, user_id) is None:
        raise errors.NotFound("no such chat")
    return chat_id, user_id


async def request_upload(request: Request) -> JSONResponse:
    """One GetItem (the membership); the presigned POST is made locally."""
    chat_id, user_id = _member_chat(request)
    name, size, content_type = uploads.check_request(await json_object(request))
    return JSONResponse(uploads.grant(chat_id, user_id, name, size, content_type), status_code=201)


async def attachment(request: Request) -> JSONResponse:
    """One GetItem (the membership) and one HeadObject (the file)."""
    chat_id, _ = _member_chat(request)
    attachment_id = request.path_params["attachment_id"]
    found = attached.find(chat_id, attachment_id) if protocol.is_id(attachment_id) else None
    if found is None:
        raise errors.NotFound("no such attachment")
    return JSONResponse(attached.download(chat_id, found))


routes = [
    Route("/chats/{chat_id}/attachments", request_upload, methods=["POST"]),
    Route("/chats/{chat_id}/attachments/{attachment_id}", attachment, methods=["GET"]),
]
