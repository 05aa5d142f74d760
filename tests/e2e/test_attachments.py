"""Attachments through the emulator, end to end: a member asks for an upload, posts the file
to S3 with the grant (the emulator's S3 checks the presigned POST as S3 does), sends a
message naming it, and every member downloads it through a presigned GET. Every rule is
shown refusing with a code and storing nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.waits import after
from tests.wsclient import ChatClient

Api = Callable[..., httpx.Response]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # any bytes: S3 does not look inside


def grant(api: Api, user_id: str, chat_id: str, **changes: Any) -> httpx.Response:
    body = {"name": "cat.png", "size": len(PNG), "contentType": "image/png", **changes}
    return api(user_id, "POST", f"/chats/{chat_id}/attachments", json=body)


def post_file(
    upload: dict[str, Any], data: bytes = PNG, content_type: str | None = None
) -> httpx.Response:
    """The browser's part: the grant's fields, then the file, as multipart/form-data."""
    fields = dict(upload["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    with httpx.Client(timeout=after(5)) as client:
        return client.post(upload["url"], data=fields, files={"file": ("cat.png", data)})


def uploaded(api: Api, user_id: str, chat_id: str, data: bytes = PNG) -> str:
    answer = grant(api, user_id, chat_id, size=len(data))
    assert answer.status_code == 201, answer.text
    posted = post_file(answer.json()["upload"], data)
    assert posted.status_code == 204, posted.text
    return str(answer.json()["attachmentId"])


def bucket_of(api: Api, user_id: str, chat_id: str) -> str:
    """The attachments bucket, read off a grant's path-style URL."""
    return urlsplit(grant(api, user_id, chat_id).json()["upload"]["url"]).path.strip("/")


@pytest.fixture
def s3(emulator: Any) -> Any:
    """boto3's S3 client on the emulator, header-signed (what the functions use)."""
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{emulator.port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def files_of(s3: Any, bucket: str, chat_id: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"files/{chat_id}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def history(api: Api, user_id: str, chat_id: str) -> list[dict[str, Any]]:
    response = api(user_id, "GET", f"/chats/{chat_id}/messages")
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def send(client: ChatClient, chat_id: str, *ids: str, body: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"chatId": chat_id, "attachments": list(ids)}
    if body is not None:
        data["body"] = body
    return client.request("message:send", data)


def error_code(reply: dict[str, Any]) -> str:
    assert reply["event"] == "error", reply
    return str(reply["data"]["code"])


# ---------------------------------------------------------------- the round trip


def test_an_image_goes_to_s3_and_every_member_downloads_it_from_the_message(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    s3: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    sender, receiver = connect(alice), connect(bob)
    attachment_id = uploaded(api, alice, chat_id)
    reply = send(sender, chat_id, attachment_id, body="look")
    assert reply["event"] == "ack", reply
    heard = receiver.wait_event("message:new")["data"]
    [shown] = heard["attachments"]
    assert (shown["id"], shown["name"], shown["size"], shown["contentType"]) == (
        attachment_id,
        "cat.png",
        len(PNG),
        "image/png",
    )
    with httpx.Client(timeout=after(5)) as browser:
        download = browser.get(shown["url"])
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("inline")
    # History shows it too, and a member asks for a fresh URL by id.
    [stored] = history(api, bob, chat_id)
    assert [a["id"] for a in stored["attachments"]] == [attachment_id]
    fresh = api(bob, "GET", f"/chats/{chat_id}/attachments/{attachment_id}")
    assert fresh.status_code == 200 and fresh.json()["size"] == len(PNG)
    bucket = urlsplit(shown["url"]).path.split("/")[1]
    assert files_of(s3, bucket, chat_id) == [f"files/{chat_id}/{attachment_id}"]


def test_deleting_the_message_deletes_the_file(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    s3: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    sender = connect(alice)
    attachment_id = uploaded(api, alice, chat_id)
    message = send(sender, chat_id, attachment_id)["data"]
    url = message["attachments"][0]["url"]
    deleted = sender.request("message:delete", {"chatId": chat_id, "messageId": message["id"]})
    assert deleted["event"] == "ack", deleted
    assert files_of(s3, bucket_of(api, alice, chat_id), chat_id) == []
    with httpx.Client(timeout=after(5)) as browser:
        # S3 answers 404, or 403 when the URL's signer may not list the bucket.
        assert browser.get(url).status_code in (403, 404)
    assert api(bob, "GET", f"/chats/{chat_id}/attachments/{attachment_id}").status_code == 404
    assert history(api, bob, chat_id)[0]["attachments"] == []


# ---------------------------------------------------------------- refusals


def test_s3_refuses_a_file_of_another_size_or_type_than_granted_and_keeps_nothing(
    api: Api, create_chat: Callable[..., str], user: Callable[[str], str], s3: Any
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    answer = grant(api, alice, chat_id)
    upload, attachment_id = answer.json()["upload"], answer.json()["attachmentId"]
    bigger = post_file(upload, PNG + b"more")
    smaller = post_file(upload, PNG[:-1])
    html = post_file(upload, content_type="text/html")
    assert (bigger.status_code, smaller.status_code, html.status_code) == (400, 400, 403)
    bucket = urlsplit(upload["url"]).path.strip("/")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"pending/{chat_id}/")
    assert listed.get("KeyCount", 0) == 0, attachment_id


def test_a_forbidden_type_or_a_size_over_the_limit_gets_no_grant(
    api: Api, create_chat: Callable[..., str], user: Callable[[str], str]
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    html = grant(api, alice, chat_id, contentType="text/html")
    svg = grant(api, alice, chat_id, contentType="image/svg+xml")
    huge = grant(api, alice, chat_id, size=26 * 1024 * 1024)
    assert [r.status_code for r in (html, svg, huge)] == [400, 400, 413]
    assert {r.json()["error"]["code"] for r in (html, svg, huge)} == {"bad_request"}


def test_a_message_naming_another_chats_or_another_users_upload_is_refused_and_not_stored(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    s3: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id, other_chat = create_chat(alice, bob), create_chat(alice, bob)
    alices_upload = uploaded(api, alice, chat_id)
    elsewhere = uploaded(api, alice, other_chat)
    alice_client, bob_client = connect(alice), connect(bob)
    assert error_code(send(bob_client, chat_id, alices_upload, body="mine now")) == "not_found"
    assert error_code(send(alice_client, chat_id, elsewhere, body="moved")) == "not_found"
    assert error_code(send(alice_client, chat_id, "01NOSUCHUPLOAD0000000000000")) == "not_found"
    assert history(api, alice, chat_id) == []
    assert files_of(s3, bucket_of(api, alice, chat_id), chat_id) == []


def test_a_non_member_gets_neither_a_grant_nor_a_url_and_a_tampered_url_is_refused(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, carol = user("alice"), user("carol")
    chat_id = create_chat(alice)
    first, second = uploaded(api, alice, chat_id), uploaded(api, alice, chat_id, PNG[:100])
    message = send(connect(alice), chat_id, first, second)["data"]
    assert grant(api, carol, chat_id).status_code == 404
    assert api(carol, "GET", f"/chats/{chat_id}/attachments/{first}").status_code == 404
    url = message["attachments"][0]["url"]
    parts = urlsplit(url)
    with httpx.Client(timeout=after(5)) as browser:
        assert browser.get(url).status_code == 200
        # The same signature on the other file's key, and the file with no signature.
        swapped = url.replace(f"/{first}?", f"/{second}?")
        assert browser.get(swapped).status_code == 403
        assert browser.get(f"{parts.scheme}://{parts.netloc}{parts.path}").status_code == 403
