"""Fixtures of the call tests: a local Management API the calls post to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import config
from tests.unit import management_stub
from tests.unit.management_stub import Gateway


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with management_stub.serving(monkeypatch) as server:
        yield server
