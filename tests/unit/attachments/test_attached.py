"""shared.attachments.attached: a message takes only the sender's own uploads to its chat,
of the declared size and an allowed type, all or none; members get presigned URLs; a
deleted message's files go."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from shared import config, errors
from shared.attachments import attached, bucket
from shared.store.models import Attachment
from tests.unit.attachments.conftest import exists
from tests.unit.conftest import Upload


def test_an_upload_is_checked_and_copied_under_the_chat(upload: Upload) -> None:
    upload("c1", "alice", "A1", data=b"12345", name="chat photo é.png")
    [attachment] = attached.attach("c1", "alice", ["A1"])
    assert (attachment.id, attachment.name, attachment.size, attachment.content_type) == (
        "A1",
        "chat photo é.png",
        5,
        "image/png",
    )
    assert exists("files/c1/A1")


@pytest.mark.parametrize(
    ("chat_id", "sender_id"),
    [("c2", "alice"), ("c1", "bob")],
    ids=["another chat's upload", "another uploader's upload"],
)
def test_an_upload_of_another_chat_or_another_uploader_is_not_found(
    upload: Upload, chat_id: str, sender_id: str
) -> None:
    upload("c1", "alice", "A1")
    with pytest.raises(errors.NotFound):
        attached.attach(chat_id, sender_id, ["A1"])
    assert not exists(f"files/{chat_id}/A1")


def test_a_size_lie_and_a_forbidden_type_are_refused_and_nothing_is_copied(
    upload: Upload,
) -> None:
    upload("c1", "alice", "LIE", data=b"123456", declared=3)
    upload("c1", "alice", "HTML", content_type="text/html")
    with pytest.raises(errors.Invalid, match="not the size it was declared"):
        attached.attach("c1", "alice", ["LIE"])
    with pytest.raises(errors.Invalid, match="type that is not allowed"):
        attached.attach("c1", "alice", ["HTML"])
    assert not exists("files/c1/LIE") and not exists("files/c1/HTML")


def test_a_file_over_the_limit_is_too_large(upload: Upload, configure) -> None:
    upload("c1", "alice", "BIG", data=b"x" * 11)
    configure(attachment_max_bytes=10)
    with pytest.raises(errors.TooLarge):
        attached.attach("c1", "alice", ["BIG"])


def test_it_is_all_or_nothing(upload: Upload) -> None:
    upload("c1", "alice", "A1")
    with pytest.raises(errors.NotFound):
        attached.attach("c1", "alice", ["A1", "MISSING"])
    assert not exists("files/c1/A1")


def test_more_than_the_limit_or_one_id_twice_is_invalid(upload: Upload, configure) -> None:
    for name in ("A1", "A2", "A3"):
        upload("c1", "alice", name)
    configure(attachments_per_message=2)
    with pytest.raises(errors.Invalid, match="at most 2"):
        attached.attach("c1", "alice", ["A1", "A2", "A3"])
    with pytest.raises(errors.Invalid, match="twice"):
        attached.attach("c1", "alice", ["A1", "A1"])
    assert [a.id for a in attached.attach("c1", "alice", ["A1", "A2"])] == ["A1", "A2"]


def test_release_deletes_the_files(upload: Upload) -> None:
    upload("c1", "alice", "A1")
    upload("c1", "alice", "A2")
    files = attached.attach("c1", "alice", ["A1", "A2"])
    assert attached.release("c1", files) is True
    assert not exists("files/c1/A1") and not exists("files/c1/A2")
    assert attached.release("c1", []) is True


def test_a_member_sees_a_short_lived_presigned_get_of_the_attached_file(
    domain: config.Settings, configure
) -> None:
    configure(attachment_url_seconds=120)
    image = Attachment.of("A1", "cat.png", 5, "image/png")
    document = Attachment.of("A2", "report.pdf", 9, "application/pdf")
    [shown, downloaded] = attached.to_wire("c1", [image, document])
    assert {k: shown[k] for k in ("id", "name", "size", "contentType")} == {
        "id": "A1",
        "name": "cat.png",
        "size": 5,
        "contentType": "image/png",
    }
    url = urlsplit(shown["url"])
    query = parse_qs(url.query)
    assert unquote(url.path).endswith(f"{domain.attachments_bucket}/files/c1/A1") or (
        url.hostname or ""
    ).startswith(domain.attachments_bucket)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-disposition"] == ["inline; filename*=UTF-8''cat.png"]
    disposition = parse_qs(urlsplit(downloaded["url"]).query)["response-content-disposition"]
    assert disposition == ["attachment; filename*=UTF-8''report.pdf"]
    assert attached.to_wire("c1", None) == []


def test_find_reads_an_attached_file_and_not_a_pending_one(upload: Upload) -> None:
    upload("c1", "alice", "A1", name="cat.png")
    assert attached.find("c1", "A1") is None
    attached.attach("c1", "alice", ["A1"])
    found = attached.find("c1", "A1")
    assert found is not None and (found.name, found.size) == ("cat.png", 15)
    assert attached.find("c2", "A1") is None
    assert bucket.file_key("c1", "A1") == "files/c1/A1"
