"""Fixtures of the unit layer: in-process domain code, settings overridden per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from shared import config


@pytest.fixture
def configure() -> Iterator[Callable[..., config.Settings]]:
    """``configure(rate_limits="off", ...)``: settings changed until the test ends."""
    with ExitStack() as stack:

        def change(**changes: Any) -> config.Settings:
            return stack.enter_context(config.override(**changes))

        yield change
