"""REST paging for a resume that answers hasMore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard_client.history import HistoryError, fetch_after, messages_after_url
from tests.client.conftest import OpenDevice

pytestmark = pytest.mark.anyio


def test_the_url_escapes_the_chat_id() -> None:
    url = messages_after_url("http://h/api/", "a|b+c", "01J", 100)
    assert url == "http://h/api/chats/a%7Cb%2Bc/messages?after=01J&limit=100"


async def test_pages_of_messages_after_an_id_oldest_first(
    emulator: Any,
    device: OpenDevice,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    sender = await device(alice)
    sent = [await sender.client.send_message(chat_id, f"m{i}") for i in range(5)]
    token = emulator.token(alice)
    page, cursor = await fetch_after(emulator.rest_url, token, chat_id, sent[0]["id"], limit=3)
    assert [m["id"] for m in page] == [m["id"] for m in sent[1:4]]
    assert cursor == sent[3]["id"]
    page, cursor = await fetch_after(emulator.rest_url, token, chat_id, cursor, limit=3)
    assert [m["id"] for m in page] == [sent[4]["id"]] and cursor is None


async def test_a_chat_of_someone_else_is_an_error_with_its_status(
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    chat_id = create_chat(user("alice"))
    with pytest.raises(HistoryError) as info:
        await fetch_after(emulator.rest_url, emulator.token(user("mallory")), chat_id, "0" * 26)
    assert info.value.status == 404
