"""The dispatch table: which function answers each client action."""

from __future__ import annotations

from collections.abc import Callable

from shared.actions import messages as message_actions
from shared.actions import receipts as receipt_actions
from shared.actions import session as session_actions
from shared.actions import typing as typing_actions
from shared.actions.caller import Caller, Outcome
from shared.protocol import Action, ErrorCode, ProtocolError, Request

Handler = Callable[[Request, Caller], Outcome]

HANDLERS: dict[Action, Handler] = {
    Action.HELLO: session_actions.hello,
    Action.SYNC: session_actions.catch_up,
    Action.PRESENCE_HEARTBEAT: session_actions.heartbeat,
    Action.PRESENCE_SET: session_actions.set_status,
    Action.TYPING_START: typing_actions.start,
    Action.TYPING_STOP: typing_actions.stop,
    Action.TYPING_LIST: typing_actions.who,
    Action.MESSAGE_SEND: message_actions.send_message,
    Action.MESSAGE_EDIT: message_actions.edit_message,
    Action.MESSAGE_DELETE: message_actions.delete_message,
    Action.MESSAGE_REACT: message_actions.react,
    Action.MESSAGE_UNREACT: message_actions.unreact,
    Action.MESSAGE_READ: receipt_actions.read_message,
    Action.CHAT_READ_ALL: receipt_actions.read_all,
}


def dispatch(request: Request, caller: Caller) -> Outcome:
    handler = HANDLERS.get(request.action)
    if handler is None:
        raise ProtocolError(ErrorCode.UNKNOWN_ACTION, f"action {request.action} is not available")
    return handler(request, caller)
