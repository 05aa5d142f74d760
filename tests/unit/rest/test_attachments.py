"""shared.rest.attachments: members ask for uploads and fresh download URLs; nobody else can."""

from __future__ import annotations

import pytest

from shared.attachments import attached
from tests.unit.conftest import Upload
from tests.unit.rest.conftest import Api, Clock


@pytest.fixture
def chat(api: Api, ticking: Clock) -> str:
    """A chat of alice (admin) and bob."""
    answer = api("POST", "/chats", body={"name": "team", "members": ["bob"]})
    assert answer.status == 201
    return str(answer.body["id"])


UPLOAD = {"name": "cat.png", "size": 1234, "contentType": "image/png"}


def test_a_member_gets_an_upload_grant_for_their_own_key_in_the_chat(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/attachments", body=UPLOAD, user="bob")
    assert answer.status == 201
    grant = answer.body
    assert (grant["name"], grant["size"], grant["contentType"]) == ("cat.png", 1234, "image/png")
    assert grant["upload"]["fields"]["key"] == f"pending/{chat}/bob/{grant['attachmentId']}"
    assert grant["upload"]["url"]
    assert grant["expiresAt"].endswith("Z")


def test_a_non_member_gets_404_and_no_grant(api: Api, chat: str) -> None:
    for chat_id in (chat, "no-such-chat", "bad/id"):
        answer = api("POST", f"/chats/{chat_id}/attachments", body=UPLOAD, user="carol")
        assert (answer.status, answer.error[0]) == (404, "not_found"), chat_id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (UPLOAD | {"contentType": "text/html"}, 400),
        (UPLOAD | {"size": 0}, 400),
        (UPLOAD | {"size": 26 * 1024 * 1024}, 413),
        ({"name": "x"}, 400),
    ],
    ids=["forbidden type", "empty", "over the limit", "missing fields"],
)
def test_a_bad_upload_request_gets_a_coded_error(
    api: Api, chat: str, body: dict[str, object], status: int
) -> None:
    answer = api("POST", f"/chats/{chat}/attachments", body=body)
    assert (answer.status, answer.error[0]) == (status, "bad_request")


def test_a_member_gets_a_fresh_url_of_an_attached_file_and_a_non_member_gets_404(
    api: Api, chat: str, upload: Upload
) -> None:
    upload(chat, "alice", "IMG", data=b"12345")
    attached.attach(chat, "alice", ["IMG"])
    answer = api("GET", f"/chats/{chat}/attachments/IMG", user="bob")
    assert answer.status == 200
    assert {k: answer.body[k] for k in ("id", "name", "size", "contentType")} == {
        "id": "IMG",
        "name": "cat.png",
        "size": 5,
        "contentType": "image/png",
    }
    assert "X-Amz-Signature=" in answer.body["url"]
    assert api("GET", f"/chats/{chat}/attachments/IMG", user="carol").status == 404
    assert api("GET", f"/chats/{chat}/attachments/NOPE").status == 404


def test_an_upload_not_yet_attached_has_no_download(api: Api, chat: str, upload: Upload) -> None:
    upload(chat, "alice", "PENDING")
    assert api("GET", f"/chats/{chat}/attachments/PENDING").status == 404
