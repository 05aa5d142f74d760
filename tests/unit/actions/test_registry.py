"""shared.actions.registry: ``@handles`` makes a function the one answer to an action."""

from __future__ import annotations

import pytest

from shared.actions import dispatch, registry
from shared.actions.caller import Caller, Outcome
from shared.protocol import Action, Request


def answer(request: Request, caller: Caller) -> Outcome:
    return Outcome("answered")


def test_every_action_of_the_protocol_has_a_handler_and_nothing_else_is_registered() -> None:
    assert dispatch.MODULES  # importing dispatch imports the modules that register
    assert set(registry.HANDLERS) == set(Action)


def test_every_handler_lives_in_one_of_the_action_modules() -> None:
    modules = {module.__name__ for module in dispatch.MODULES}
    assert {handler.__module__ for handler in registry.HANDLERS.values()} == modules


def test_handles_registers_the_function_and_returns_it_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "HANDLERS", {})
    assert registry.handles(Action.HELLO)(answer) is answer
    assert dict(registry.HANDLERS) == {Action.HELLO: answer}


def test_registering_a_second_handler_for_an_action_raises_and_keeps_the_first() -> None:
    first = registry.HANDLERS[Action.MESSAGE_SEND]
    with pytest.raises(RuntimeError, match="message:send is handled twice"):
        registry.handles(Action.MESSAGE_SEND)(answer)
    assert registry.HANDLERS[Action.MESSAGE_SEND] is first


def test_registering_the_same_function_twice_raises_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "HANDLERS", {})
    registry.handles(Action.SYNC)(answer)
    with pytest.raises(RuntimeError, match="handled twice"):
        registry.handles(Action.SYNC)(answer)
