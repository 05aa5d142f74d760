"""The Python client's call helpers against the emulator: a call from invite to hang-up, the
client's own record of the calls it is a peer of, and refusals as typed errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from switchboard_client import Conflict, NotFound
from tests.client.conftest import OpenDevice

pytestmark = pytest.mark.anyio


def chat_of(api: Callable[..., httpx.Response], creator: str, member: str) -> str:
    response = api(creator, "POST", "/chats", json={"members": [member]})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_call_from_invite_to_hang_up(
    device: OpenDevice, api: Callable[..., httpx.Response], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = chat_of(api, alice, bob)
    a, b = await device(alice), await device(bob)
    invited = await a.client.invite_call(chat_id, "video")
    call_id = invited["call"]["callId"]
    assert a.client.calls == {call_id: invited["peerId"]}
    [ringing] = await b.inbox.wait_count("call:ringing", 1)
    assert (ringing["callId"], ringing["from"]) == (call_id, alice)
    answered = await b.client.accept_call(call_id)
    assert b.client.calls == {call_id: answered["peerId"]}
    with pytest.raises(Conflict):
        await b.client.accept_call(call_id)
    await a.inbox.wait_count("call:joined", 1)
    relayed = await b.client.signal(call_id, invited["peerId"], "offer", {"sdp": "v=0"})
    assert relayed["delivered"] is True
    [signal] = await a.inbox.wait_count("call:signal", 1)
    assert (signal["from"], signal["payload"]) == (answered["peerId"], {"sdp": "v=0"})
    await a.client.share_screen(call_id)
    [screen] = await b.inbox.wait_count("call:screen", 1)
    assert screen["sharing"] is True
    await a.client.leave_call(call_id)
    assert a.client.calls == {}
    await b.inbox.wait_count("call:ended", 1)
    assert b.client.calls == {}  # forgotten on call:ended
    with pytest.raises(NotFound):
        await b.client.leave_call(call_id)
    await b.inbox.wait(
        lambda: any(
            (m.get("call") or {}).get("status") == "ended" for m in b.inbox.named("message:edited")
        ),
        "the call's message settled as ended",
    )


async def test_a_message_without_body_carries_its_attachments_only_with_a_rest_url(
    device: OpenDevice, api: Callable[..., httpx.Response], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = chat_of(api, alice, bob)
    a, b = await device(alice), await device(bob)
    grant = await a.client.upload_attachment(chat_id, b"hello, file", "note.txt", "text/plain")
    sent = await a.client.send_message(chat_id, attachments=[grant["attachmentId"]])
    assert sent["body"] == "" and [x["name"] for x in sent["attachments"]] == ["note.txt"]
    await b.inbox.wait_ids([sent["id"]])
    [shown] = [m for m in b.inbox.messages(chat_id) if m["id"] == sent["id"]]
    with httpx.Client() as browser:
        assert browser.get(shown["attachments"][0]["url"]).content == b"hello, file"
    fresh = await b.client.attachment(chat_id, grant["attachmentId"])
    assert fresh["size"] == len(b"hello, file")
