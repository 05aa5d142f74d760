"""shared.botocore_clients: one client per container, counted, made anew when settings change."""

from __future__ import annotations

from collections.abc import Callable

from botocore.config import Config

from shared import config
from shared.botocore_clients import LazyClient
from shared.observability import calls


def test_one_client_until_the_settings_change(
    configure: Callable[..., config.Settings],
) -> None:
    lazy = LazyClient("sqs", Config())
    first = lazy()
    assert lazy() is first
    assert first.meta.region_name == config.settings().region
    configure(region="eu-west-1")
    second = lazy()
    assert second is not first and second.meta.region_name == "eu-west-1"


def test_its_calls_are_counted(aws: None) -> None:
    client = LazyClient("sqs", Config())()
    calls.reset()
    client.list_queues()
    assert calls.counted() == {"sqs.ListQueues": 1}
