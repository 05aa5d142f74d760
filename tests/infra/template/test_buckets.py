"""S3 buckets in the template: what `Ref` and `Fn::GetAtt` give, and what the reader keeps
(name, CORS rules, lifecycle rules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.template.intrinsics import Resolver, TemplateError, bucket_name
from infra.template.reader import CorsRule, load_template

ROOT = Path(__file__).resolve().parents[3]
VALID_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _resolver(**resources: dict[str, object]) -> Resolver:
    return Resolver(resources=dict(resources), parameters={}, stack_name="my-stack")


def test_a_bucket_without_a_name_is_named_after_the_stack_and_logical_id() -> None:
    r = _resolver(Files={"Type": "AWS::S3::Bucket", "Properties": {}})
    assert r.resolve({"Ref": "Files"}) == "my-stack-files"
    assert r.resolve({"Fn::GetAtt": ["Files", "Arn"]}) == "arn:aws:s3:::my-stack-files"
    assert r.resolve({"Fn::Sub": "${Files.Arn}/files/*"}) == "arn:aws:s3:::my-stack-files/files/*"
    assert r.resolve({"Fn::GetAtt": "Files.DomainName"}) == "my-stack-files.s3.amazonaws.com"
    assert (
        r.resolve({"Fn::GetAtt": "Files.RegionalDomainName"})
        == "my-stack-files.s3.us-east-1.amazonaws.com"
    )
    with pytest.raises(TemplateError, match="no such attribute"):
        r.resolve({"Fn::GetAtt": "Files.StreamArn"})


def test_a_bucket_name_is_taken_as_written() -> None:
    r = _resolver(
        Files={
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": {"Fn::Sub": "x-${AWS::Region}"}},
        }
    )
    assert r.resolve({"Ref": "Files"}) == "x-us-east-1"
    assert r.resolve({"Fn::GetAtt": "Files.Arn"}) == "arn:aws:s3:::x-us-east-1"


def test_made_up_names_follow_s3_rules_and_long_ones_stay_apart() -> None:
    long_stack = "A-Very_Long-Stack-Name-" + "x" * 60
    first = bucket_name(long_stack, "AttachmentsBucket")
    second = bucket_name(long_stack, "AttachmentsBucket2")
    for name in (first, second, bucket_name("s", "B"), bucket_name("Stack", "Bucket")):
        assert VALID_BUCKET.match(name), name
        assert len(name) <= 63
    assert first != second
    assert bucket_name("Stack", "Bucket") == "stack-bucket"


def test_the_project_template_s_attachments_bucket() -> None:
    template = load_template(
        ROOT / "template.yaml",
        {
            "Stage": "dev",
            "RedisUrl": "redis://x",
            "CorsAllowedOrigins": "https://a.example,https://b.example",
        },
    )
    bucket = template.buckets["AttachmentsBucket"]
    assert bucket.name == "switchboard-attachmentsbucket"
    assert bucket.arn == "arn:aws:s3:::switchboard-attachmentsbucket"
    assert template.bucket_named(bucket.name) is bucket
    assert template.bucket_named("other") is None
    # The CommaDelimitedList parameter is a list of origins, as CloudFormation passes it.
    assert bucket.cors_rules == [
        CorsRule(
            allowed_methods=("GET", "HEAD", "POST"),
            allowed_origins=("https://a.example", "https://b.example"),
            allowed_headers=("*",),
            max_age=3000,
        )
    ]
    (rule,) = bucket.lifecycle_rules
    assert rule["Prefix"] == "pending/" and rule["Status"] == "Enabled"
    for function in template.functions.values():
        assert function.environment["ATTACHMENTS_BUCKET"] == bucket.name


def _template_with(tmp_path: Path, cors_rule: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  Files:\n"
        "    Type: AWS::S3::Bucket\n"
        "    Properties:\n"
        "      CorsConfiguration:\n"
        f"        CorsRules: [{cors_rule}]\n"
    )
    return path


def test_a_cors_rule_s3_would_refuse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="AllowedMethods"):
        load_template(_template_with(tmp_path, "{AllowedOrigins: ['*']}"))
    with pytest.raises(TemplateError, match="none of"):
        load_template(_template_with(tmp_path, "{AllowedOrigins: ['*'], AllowedMethods: [PATCH]}"))
    template = load_template(
        _template_with(
            tmp_path,
            "{AllowedOrigins: ['https://x.example'], AllowedMethods: [PUT], "
            "ExposedHeaders: [ETag], Id: one}",
        )
    )
    assert template.buckets["Files"].cors_rules == [
        CorsRule(("PUT",), ("https://x.example",), exposed_headers=("ETag",), id="one")
    ]
    assert template.buckets["Files"].name == "switchboard-files"
