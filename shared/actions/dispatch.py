"""Run a parsed client action: find its handler (registered with ``@handles`` in the
action modules imported here) and call it."""

from __future__ import annotations

from shared.actions import calls, messages, presence, receipts, session, typing  # noqa: F401
from shared.actions.caller import Caller, Outcome
from shared.actions.registry import HANDLERS
from shared.protocol import ErrorCode, ProtocolError, Request

MODULES = (calls, messages, presence, receipts, session, typing)  # each registers its actions


def dispatch(request: Request, caller: Caller) -> Outcome:
    handler = HANDLERS.get(request.action)
    if handler is None:
        raise ProtocolError(ErrorCode.UNKNOWN_ACTION, f"action {request.action} is not available")
    return handler(request, caller)
