"""Which function answers each client action: filled by ``@handles(Action.X)`` on the
functions of the action modules, read by ``dispatch``."""

from __future__ import annotations

from collections.abc import Callable

from shared.actions.caller import Caller, Outcome
from shared.protocol import Action, Request

Handler = Callable[[Request, Caller], Outcome]
HANDLERS: dict[Action, Handler] = {}


def handles(action: Action) -> Callable[[Handler], Handler]:
    """Register the decorated function as the one answer to ``action``."""

    def register(handler: Handler) -> Handler:
        if action in HANDLERS:
            raise RuntimeError(f"{action} is handled twice: {HANDLERS[action]} and {handler}")
        HANDLERS[action] = handler
        return handler

    return register
