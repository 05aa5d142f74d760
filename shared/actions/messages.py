"""Message actions: send, edit, delete, react and unreact."""

from __future__ import annotations

from shared import errors, ids
from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.attachments import attached
from shared.protocol import Action, Event, Request, frame
from shared.store import message_updates, messages


@handles(Action.MESSAGE_SEND)
def send_message(request: Request, caller: Caller) -> Outcome:
    """Store once, fan out to the chat but the sender, ack the sender.

    Costs one room Query, one conditional Put and one post per recipient; and per
    attachment one HeadObject and one CopyObject (shared/attachments/attached.py), all
    before the Put: a message is stored only with every file it names in place.
    """
    chat_id = request.data["chatId"]
    attachment_ids = request.data.get("attachments") or []
    body = request.data.get("body")
    if body is None and not attachment_ids:
        raise errors.Invalid("data.body is required")
    room = caller.room_of(chat_id)
    files = attached.attach(chat_id, caller.user_id, attachment_ids) if attachment_ids else []
    try:
        message, created = messages.store(
            chat_id, caller.user_id, body or "", request.data.get("clientMessageId"), files
        )
    except Exception:
        attached.release(chat_id, files)
        raise
    if not created:  # a retry: the files the stored message does not name are not its
        kept = {a.id for a in message.attachments or ()}
        attached.release(chat_id, [a for a in files if a.id not in kept])
    wire = messages.to_wire(message)
    result = None
    if created:
        result = caller.announce(room, Event.MESSAGE_NEW, wire)
    return Outcome(frame(Event.ACK, wire, request.request_id), result)


@handles(Action.MESSAGE_EDIT)
def edit_message(request: Request, caller: Caller) -> Outcome:
    """The author replaces a message's body: ``message:edited`` to the chat, ack the sender.

    Costs one room Query, one Query (the message), one conditional UpdateItem
    and one post per recipient.
    """
    chat_id = request.data["chatId"]
    room = caller.room_of(chat_id)
    message = message_updates.edit(
        chat_id, request.data["messageId"], caller.user_id, request.data["body"]
    )
    wire = messages.to_wire(message)
    result = caller.announce(room, Event.MESSAGE_EDITED, wire)
    return Outcome(frame(Event.ACK, wire, request.request_id), result)


@handles(Action.MESSAGE_DELETE)
def delete_message(request: Request, caller: Caller) -> Outcome:
    """The author or a chat admin deletes a message (a tombstone stays in history).

    Costs one room Query, one Query, one conditional UpdateItem (plus a
    GetItem of the membership when the caller is not the author), one post
    per recipient, and one DeleteObjects when the message had attachments.
    """
    chat_id = request.data["chatId"]
    room = caller.room_of(chat_id)
    message, files = message_updates.delete(chat_id, request.data["messageId"], caller.user_id)
    attached.release(chat_id, files)
    data = {
        "chatId": chat_id,
        "messageId": message.id,
        "deletedBy": message.deleted_by,
        "deletedAt": ids.iso_from_ms(int(message.deleted_at)),
        "version": int(message.version),
    }
    result = caller.announce(room, Event.MESSAGE_DELETED, data)
    return Outcome(frame(Event.ACK, data, request.request_id), result)


def _reaction(request: Request, caller: Caller, add: bool) -> Outcome:
    chat_id = request.data["chatId"]
    emoji = request.data["emoji"]
    room = caller.room_of(chat_id)
    change = message_updates.react if add else message_updates.unreact
    message, changed = change(chat_id, request.data["messageId"], caller.user_id, emoji)
    data = {
        "chatId": chat_id,
        "messageId": message.id,
        "emoji": emoji,
        "userId": caller.user_id,
        "added": add,
        "reactions": messages.reactions_to_wire(message.reactions),
        "version": int(message.version),
    }
    result = caller.announce(room, Event.MESSAGE_REACTION, data) if changed else None
    return Outcome(frame(Event.ACK, data, request.request_id), result)


@handles(Action.MESSAGE_REACT)
def react(request: Request, caller: Caller) -> Outcome:
    """Add the caller's reaction: ``message:reaction`` to the chat unless it was already there.

    Costs one room Query, one Query, one conditional UpdateItem (none when the
    reaction was already there) and one post per recipient.
    """
    return _reaction(request, caller, add=True)


@handles(Action.MESSAGE_UNREACT)
def unreact(request: Request, caller: Caller) -> Outcome:
    """Remove the caller's reaction: ``message:reaction`` (added: false) unless it was not there.

    Costs like react, plus one UpdateItem when the caller was the emoji's last user.
    """
    return _reaction(request, caller, add=False)
