"""shared.attachments.bucket: one key per chat and uploader, and a missing object is None."""

from __future__ import annotations

from shared import config
from shared.attachments import bucket
from tests.unit.attachments.conftest import s3


def test_keys_name_the_chat_and_the_uploader_of_a_pending_file_and_the_chat_of_an_attached_one():
    assert bucket.pending_key("c1", "alice", "A1") == "pending/c1/alice/A1"
    assert bucket.file_key("c1", "A1") == "files/c1/A1"


def test_head_answers_none_for_a_missing_object_and_the_object_otherwise(
    domain: config.Settings,
) -> None:
    assert bucket.head("files/c1/nothing") is None
    s3().put_object(Bucket=domain.attachments_bucket, Key="files/c1/A1", Body=b"abc")
    head = bucket.head("files/c1/A1")
    assert head is not None and head["ContentLength"] == 3


def test_the_client_signs_with_sigv4_and_uses_path_style_only_for_a_local_endpoint(
    domain: config.Settings, configure
) -> None:
    config_aws = bucket.client().meta.config
    assert config_aws.signature_version == "s3v4"
    assert config_aws.s3["addressing_style"] == "virtual"
    configure(s3_endpoint="http://127.0.0.1:4566")
    assert bucket.client().meta.config.s3["addressing_style"] == "path"
