"""Push notifications for the members who had no live connection when a message was sent.

EventBridge invokes this with one ``message.undelivered`` event (docs/events.md): the
chat, the message, its sender, a body preview and ``userIds``, the members to notify.
A real hook looks up each user's device tokens and calls a push provider (APNs, FCM,
Web Push, SNS mobile push); this one logs, as JSON, the notification it would send to
each user, so that you can watch it work locally before you wire a provider in.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger()
log.setLevel(logging.INFO)

PREVIEW_CHARS = 100


def notification(detail: dict[str, Any]) -> dict[str, str]:
    """What a phone shows: who wrote, and the start of what they wrote."""
    body = detail.get("body") or ""
    preview = body if len(body) <= PREVIEW_CHARS else body[: PREVIEW_CHARS - 1] + "…"
    return {"title": str(detail.get("senderId")), "body": preview}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    if event.get("detail-type") != "message.undelivered" or detail.get("version") != 1:
        log.warning("not a message.undelivered v1 event: %s", event.get("detail-type"))
        return {"pushed": 0}
    note = notification(detail)
    users = [u for u in detail.get("userIds") or [] if isinstance(u, str)]
    for user_id in users:
        # A real hook: tokens = devices_of(user_id); provider.send(tokens, note, data=...)
        log.info(
            json.dumps(
                {
                    "msg": "push",
                    "userId": user_id,
                    "chatId": detail.get("chatId"),
                    "messageId": detail.get("messageId"),
                    "notification": note,
                    "eventId": event.get("id"),
                }
            )
        )
    return {"pushed": len(users)}
