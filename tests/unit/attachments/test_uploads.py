"""shared.attachments.uploads: an upload request is checked, and its grant lets S3 take
exactly the declared file under the requester's own key."""

from __future__ import annotations

import base64
import json

import pytest

from shared import config, errors
from shared.attachments import uploads


def request(**changes: object) -> dict[str, object]:
    return {"name": "cat.png", "size": 1234, "contentType": "image/png", **changes}


def test_a_valid_request_is_read_as_name_size_and_type(domain: config.Settings) -> None:
    assert uploads.check_request(request()) == ("cat.png", 1234, "image/png")


@pytest.mark.parametrize(
    "body",
    [
        request(size=0),
        request(size=-1),
        request(size="12"),
        request(size=True),
        request(size=1.5),
        request(contentType="text/html"),
        request(contentType="image/svg+xml"),
        request(contentType="IMAGE/PNG"),
        request(name=""),
        request(name="x" * 256),
        request(name="bell\x07.png"),
        request(owner="bob"),
        {"size": 1, "contentType": "image/png"},
    ],
)
def test_a_malformed_request_or_a_forbidden_type_is_invalid(
    domain: config.Settings, body: dict[str, object]
) -> None:
    with pytest.raises(errors.Invalid) as refused:
        uploads.check_request(body)
    assert not isinstance(refused.value, errors.TooLarge)


def test_a_file_over_the_size_limit_is_too_large(domain: config.Settings, configure) -> None:
    configure(attachment_max_bytes=1000)
    assert uploads.check_request(request(size=1000))[1] == 1000
    with pytest.raises(errors.TooLarge):
        uploads.check_request(request(size=1001))


def test_with_attachments_turned_off_nothing_can_be_uploaded(
    domain: config.Settings, configure
) -> None:
    configure(attachments_per_message=0)
    with pytest.raises(errors.Forbidden):
        uploads.check_request(request())


def test_a_grant_is_a_presigned_post_for_exactly_that_file_under_the_requesters_key(
    domain: config.Settings,
) -> None:
    grant = uploads.grant("c1", "alice", "naïve cat.png", 1234, "image/png")
    attachment_id = grant["attachmentId"]
    fields = grant["upload"]["fields"]
    assert fields["key"] == f"pending/c1/alice/{attachment_id}"
    assert fields["Content-Type"] == "image/png"
    assert fields["x-amz-meta-size"] == "1234"
    assert fields["x-amz-meta-name"] == "na%C3%AFve%20cat.png"  # metadata is ASCII
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"key": fields["key"]} in conditions
    assert {"bucket": domain.attachments_bucket} in conditions
    assert (grant["name"], grant["size"], grant["contentType"]) == (
        "naïve cat.png",
        1234,
        "image/png",
    )


def test_every_grant_names_a_new_attachment(domain: config.Settings) -> None:
    first = uploads.grant("c1", "alice", "a.png", 1, "image/png")
    second = uploads.grant("c1", "alice", "a.png", 1, "image/png")
    assert first["attachmentId"] != second["attachmentId"]
