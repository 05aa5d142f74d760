"""S3 on the emulator's port (infra/gateway/s3_api.py): boto3's own presigned POSTs and
URLs, checked as S3 checks them, header-signed calls passed through to moto, and CORS from
the bucket's configuration. Each refusal is shown with nothing stored."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import botocore.auth
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.emulator import Emulator
from infra.services.aws import LOCAL_CREDENTIALS

BUCKET = "switchboard-uploadsbucket"
ALLOWED = "http://allowed.example"


def s3(emulator: Emulator, **credentials: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=emulator.s3_url,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"total_max_attempts": 1},
        ),
        **(credentials or LOCAL_CREDENTIALS),
    )


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Any:
    return s3(emulator)


@pytest.fixture
def key() -> str:
    return f"files/{uuid.uuid4().hex}.png"


@pytest.fixture
def clock(emulator: Emulator) -> Iterator[list[datetime]]:
    """`now` of the S3 front, set by the test (restored after)."""
    front = emulator.s3
    now = [datetime.now(UTC)]
    front.clock = lambda: now[0]
    yield now
    front.clock = lambda: datetime.now(UTC)


def presigned_post(client: Any, key: str, size: int = 5, **extra: Any) -> dict[str, Any]:
    fields = {"Content-Type": "image/png", "x-amz-meta-size": str(size), **extra.pop("fields", {})}
    conditions = [
        ["content-length-range", size, size],
        ["eq", "$Content-Type", "image/png"],
        {"x-amz-meta-size": str(size)},
        *extra.pop("conditions", []),
    ]
    return dict(
        client.generate_presigned_post(
            BUCKET, key, Fields=fields, Conditions=conditions, ExpiresIn=extra.pop("expires", 300)
        )
    )


def post(
    post_form: dict[str, Any], data: bytes, *, fields: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    form = {**post_form["fields"], **(fields or {})}
    return httpx.post(
        post_form["url"], data=form, files={"file": ("a.png", data, "image/png")}, **kw
    )


def stored(client: Any, key: str) -> dict[str, Any] | None:
    try:
        return dict(client.head_object(Bucket=BUCKET, Key=key))
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "404"
        return None


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    text = response.text
    code = text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    message = text.split("<Message>", 1)[1].split("</Message>", 1)[0]
    return response.status_code, code, message


# ---------------------------------------------------------------- presigned POST
def test_a_good_form_stores_the_object_with_its_type_and_metadata(client: Any, key: str) -> None:
    form = presigned_post(
        client, key, fields={"x-amz-meta-name": "a.png"}, conditions=[{"x-amz-meta-name": "a.png"}]
    )
    assert form["url"] == f"{client.meta.endpoint_url}/{BUCKET}"
    response = post(form, b"12345")
    assert response.status_code == 204, response.text
    head = stored(client, key)
    assert head is not None
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == 5
    assert head["Metadata"] == {"size": "5", "name": "a.png"}
    assert response.headers["etag"] == head["ETag"]
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert body == b"12345"


def test_success_action_status_201_answers_s3_s_xml(client: Any, key: str) -> None:
    form = presigned_post(
        client,
        key,
        fields={"success_action_status": "201"},
        conditions=[{"success_action_status": "201"}],
    )
    response = post(form, b"12345")
    assert response.status_code == 201
    assert f"<Key>{key}</Key>" in response.text and f"<Bucket>{BUCKET}</Bucket>" in response.text


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"123456", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
        (
            b"1234",
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
        ),
    ],
)
def test_a_file_outside_the_length_range_is_refused(
    client: Any, key: str, data: bytes, code: str, message: str
) -> None:
    response = post(presigned_post(client, key), data)
    assert error_of(response) == (400, code, message)
    assert stored(client, key) is None


def test_another_content_type_is_refused(client: Any, key: str) -> None:
    response = post(presigned_post(client, key), b"12345", fields={"Content-Type": "text/html"})
    assert error_of(response) == (
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", '
        '"image/png"]',
    )
    assert stored(client, key) is None


def test_a_key_other_than_the_signed_one_is_refused(client: Any, key: str) -> None:
    other = f"files/{uuid.uuid4().hex}.png"
    response = post(presigned_post(client, key), b"12345", fields={"key": other})
    status, code, message = error_of(response)
    assert (status, code) == (403, "AccessDenied")
    assert (
        message == f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{key}"]'
    )
    assert stored(client, other) is None and stored(client, key) is None


def test_other_metadata_is_refused(client: Any, key: str) -> None:
    response = post(presigned_post(client, key), b"12345", fields={"x-amz-meta-size": "1"})
    assert error_of(response)[:2] == (403, "AccessDenied")
    assert stored(client, key) is None


def test_a_field_no_condition_names_is_refused(client: Any, key: str) -> None:
    response = post(presigned_post(client, key), b"12345", fields={"x-amz-meta-extra": "x"})
    assert error_of(response) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-extra",
    )
    assert stored(client, key) is None
    # x-ignore-* fields need no condition.
    assert (
        post(presigned_post(client, key), b"12345", fields={"x-ignore-me": "x"}).status_code == 204
    )


def test_a_tampered_policy_is_refused(client: Any, key: str) -> None:
    form = presigned_post(client, key)
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    policy["conditions"] = [
        c
        for c in policy["conditions"]
        if not (isinstance(c, list) and c[0] == "content-length-range")
    ]
    tampered = base64.b64encode(json.dumps(policy).encode()).decode()
    response = post(form, b"12345", fields={"policy": tampered})
    assert error_of(response)[:2] == (403, "SignatureDoesNotMatch")
    assert stored(client, key) is None


def test_a_tampered_signature_is_refused(client: Any, key: str) -> None:
    form = presigned_post(client, key)
    signature = form["fields"]["x-amz-signature"]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    response = post(form, b"12345", fields={"x-amz-signature": forged})
    assert error_of(response)[:2] == (403, "SignatureDoesNotMatch")
    assert stored(client, key) is None


def test_a_form_signed_with_another_secret_or_an_unknown_key_is_refused(
    emulator: Emulator, key: str
) -> None:
    wrong_secret = s3(emulator, aws_access_key_id="local", aws_secret_access_key="nope")
    assert error_of(post(presigned_post(wrong_secret, key), b"12345"))[:2] == (
        403,
        "SignatureDoesNotMatch",
    )
    unknown = s3(emulator, aws_access_key_id="AKIAUNKNOWN", aws_secret_access_key="x")
    assert error_of(post(presigned_post(unknown, key), b"12345"))[:2] == (403, "InvalidAccessKeyId")
    assert stored(s3(emulator), key) is None


def test_the_functions_credentials_sign_forms_with_their_session_token(
    emulator: Emulator, key: str
) -> None:
    function_client = s3(emulator, **emulator.credentials.as_boto3())
    form = presigned_post(function_client, key)
    assert "x-amz-security-token" in form["fields"]
    assert post(form, b"12345").status_code == 204
    other_key = key + "2"
    form = presigned_post(function_client, other_key)
    response = post(form, b"12345", fields={"x-amz-security-token": "forged"})
    assert error_of(response)[:2] == (400, "InvalidToken")
    assert stored(s3(emulator), other_key) is None


def test_an_expired_policy_is_refused(client: Any, key: str, clock: list[datetime]) -> None:
    form = presigned_post(client, key, expires=60)
    clock[0] = datetime.now(UTC) + timedelta(seconds=61)
    response = post(form, b"12345")
    assert error_of(response) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    assert stored(client, key) is None
    clock[0] = datetime.now(UTC) + timedelta(seconds=50)
    assert post(form, b"12345").status_code == 204


def test_malformed_forms_are_refused(client: Any, emulator: Emulator, key: str) -> None:
    url = f"{emulator.s3_url}/{BUCKET}"
    form = presigned_post(client, key)
    no_file = httpx.post(url, files={k: (None, v) for k, v in form["fields"].items()})
    assert error_of(no_file)[:2] == (400, "InvalidArgument")
    broken = httpx.post(
        url,
        content=b"--x\r\nnot a form",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert error_of(broken)[:2] == (400, "MalformedPOSTRequest")
    not_a_form = httpx.post(url, content=b"x=1", headers={"content-type": "text/plain"})
    assert error_of(not_a_form)[:2] == (412, "PreconditionFailed")
    without_policy = {k: v for k, v in form["fields"].items() if k != "policy"}
    response = httpx.post(url, data=without_policy, files={"file": ("a", b"12345")})
    assert error_of(response)[:2] == (403, "AccessDenied")
    assert stored(client, key) is None


def test_a_body_over_the_front_s_cap_is_refused_unread(emulator: Emulator, key: str) -> None:
    front = emulator.s3
    cap, front.max_body = front.max_body, 1000
    try:
        form = presigned_post(s3(emulator), key, size=2000)
        response = post(form, b"x" * 2000)
        assert error_of(response)[:2] == (400, "EntityTooLarge")
    finally:
        front.max_body = cap
    assert stored(s3(emulator), key) is None


# ---------------------------------------------------------------- presigned GET
@pytest.fixture
def uploaded(client: Any, key: str) -> str:
    client.put_object(Bucket=BUCKET, Key=key, Body=b"picture", ContentType="image/png")
    return key


def test_a_presigned_get_is_served_with_moto_s_answer(client: Any, uploaded: str) -> None:
    url = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": BUCKET,
            "Key": uploaded,
            "ResponseContentDisposition": 'attachment; filename="a.png"',
        },
        ExpiresIn=60,
    )
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"picture"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == "7"
    assert response.headers["content-disposition"] == 'attachment; filename="a.png"'
    assert response.headers["etag"] and response.headers["last-modified"]
    head_url = client.generate_presigned_url(
        "head_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=60
    )
    head = httpx.head(head_url)
    assert head.status_code == 200 and head.headers["content-length"] == "7"


def test_a_presigned_get_of_the_functions_credentials_is_served(
    emulator: Emulator, uploaded: str
) -> None:
    url = s3(emulator, **emulator.credentials.as_boto3()).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded}
    )
    assert "X-Amz-Security-Token" in url
    assert httpx.get(url).status_code == 200
    assert error_of(httpx.get(url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=x")))[
        :2
    ] == (400, "InvalidToken")


def test_a_tampered_presigned_get_is_refused(client: Any, uploaded: str) -> None:
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=60
    )
    other = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded + "x"}, ExpiresIn=60
    )
    signature = url.split("X-Amz-Signature=")[1]
    forged = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    another_key = url.replace(uploaded, uploaded + "x")
    longer = url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    mixed = other.split("X-Amz-Signature=")[0] + "X-Amz-Signature=" + signature
    for tampered in (forged, another_key, longer, mixed):
        assert error_of(httpx.get(tampered))[:2] == (403, "SignatureDoesNotMatch"), tampered
    assert httpx.head(url).status_code == 403  # signed for GET


def test_an_expired_presigned_get_is_refused(client: Any, uploaded: str) -> None:
    # A URL signed two hours ago for one hour: botocore's clock moved, not the front's.
    past = datetime.now(UTC) - timedelta(hours=2)
    with mock.patch.object(
        botocore.auth, "get_current_datetime", return_value=past.replace(tzinfo=None)
    ):
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=3600
        )
    assert past.strftime("X-Amz-Date=%Y%m%dT%H") in url
    assert error_of(httpx.get(url)) == (403, "AccessDenied", "Request has expired")


def test_a_presigned_get_expires_on_the_front_s_clock(
    client: Any, uploaded: str, clock: list[datetime]
) -> None:
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=60
    )
    clock[0] = datetime.now(UTC) + timedelta(seconds=30)
    assert httpx.get(url).status_code == 200
    clock[0] = datetime.now(UTC) + timedelta(seconds=61)
    assert error_of(httpx.get(url)) == (403, "AccessDenied", "Request has expired")
    clock[0] = datetime.now(UTC) - timedelta(minutes=20)
    assert error_of(httpx.get(url)) == (403, "AccessDenied", "Request is not valid yet")


def test_presigned_urls_s3_would_not_take_are_refused(client: Any, uploaded: str) -> None:
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=60
    )
    week = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": uploaded}, ExpiresIn=8 * 24 * 3600
    )
    assert error_of(httpx.get(week))[:2] == (400, "AuthorizationQueryParametersError")
    other_region = url.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F")
    assert error_of(httpx.get(other_region))[:2] == (400, "AuthorizationQueryParametersError")
    no_date = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-Date="))
    assert error_of(httpx.get(no_date))[:2] == (400, "AuthorizationQueryParametersError")


def test_an_unsigned_request_is_refused(emulator: Emulator, uploaded: str) -> None:
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        response = httpx.request(method, f"{emulator.s3_url}/{BUCKET}/{uploaded}")
        assert response.status_code == 403, method
    assert error_of(httpx.get(f"{emulator.s3_url}/{BUCKET}/{uploaded}")) == (
        403,
        "AccessDenied",
        "Access Denied",
    )
    assert httpx.get(f"{emulator.s3_url}/{BUCKET}").status_code == 403


# ---------------------------------------------------------------- header-signed calls
def test_header_signed_calls_reach_moto(client: Any, uploaded: str) -> None:
    head = client.head_object(Bucket=BUCKET, Key=uploaded)
    assert head["ContentLength"] == 7
    copy = f"files/{uuid.uuid4().hex}.png"
    source = {"Bucket": BUCKET, "Key": uploaded}
    with pytest.raises(ClientError) as stale:
        client.copy_object(Bucket=BUCKET, Key=copy, CopySource=source, CopySourceIfMatch='"0000"')
    assert stale.value.response["Error"]["Code"] == "PreconditionFailed"
    assert stored(client, copy) is None
    with pytest.raises(ClientError) as unchanged:
        client.copy_object(
            Bucket=BUCKET, Key=copy, CopySource=source, CopySourceIfNoneMatch=head["ETag"]
        )
    assert unchanged.value.response["Error"]["Code"] == "PreconditionFailed"
    assert stored(client, copy) is None
    client.copy_object(Bucket=BUCKET, Key=copy, CopySource=source, CopySourceIfMatch=head["ETag"])
    assert client.get_object(Bucket=BUCKET, Key=copy)["Body"].read() == b"picture"
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=copy)
    assert [o["Key"] for o in listed["Contents"]] == [copy]
    deleted = client.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": uploaded}, {"Key": copy}]}
    )
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted([uploaded, copy])
    assert stored(client, uploaded) is None and stored(client, copy) is None


def test_only_the_template_s_buckets_are_served(client: Any) -> None:
    with pytest.raises(ClientError) as info:
        client.head_bucket(Bucket="not-in-the-template")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ---------------------------------------------------------------- CORS
def preflight(
    emulator: Emulator, origin: str, method: str = "POST", **headers: str
) -> httpx.Response:
    return httpx.options(
        f"{emulator.s3_url}/{BUCKET}",
        headers={"Origin": origin, "Access-Control-Request-Method": method, **headers},
    )


def test_a_preflight_from_an_allowed_origin_is_answered_from_the_rules(emulator: Emulator) -> None:
    response = preflight(emulator, ALLOWED, **{"Access-Control-Request-Headers": "X-Custom"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, POST"
    assert response.headers["access-control-allow-headers"] == "x-custom"
    assert response.headers["access-control-max-age"] == "3000"
    assert response.headers["access-control-expose-headers"] == "ETag"
    assert "Origin" in response.headers["vary"]
    wild = preflight(emulator, "https://app.wild.example", "GET")
    assert wild.status_code == 200
    assert wild.headers["access-control-allow-origin"] == "https://app.wild.example"


def test_a_preflight_nothing_allows_is_refused(emulator: Emulator) -> None:
    for origin, method in (("http://evil.example", "POST"), (ALLOWED, "PUT"), (ALLOWED, "DELETE")):
        response = preflight(emulator, origin, method)
        assert error_of(response)[:2] == (403, "AccessForbidden"), (origin, method)
        assert "access-control-allow-origin" not in response.headers
    no_origin = httpx.options(
        f"{emulator.s3_url}/{BUCKET}", headers={"Access-Control-Request-Method": "GET"}
    )
    assert no_origin.status_code == 400


def test_actual_responses_carry_cors_headers_for_allowed_origins_only(
    client: Any, key: str
) -> None:
    form = presigned_post(client, key)
    allowed = post(form, b"12345", headers={"Origin": ALLOWED})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert allowed.headers["access-control-expose-headers"] == "ETag"
    url = client.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    evil = httpx.get(url, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 200  # S3 serves it; the browser hides it without the header
    assert "access-control-allow-origin" not in evil.headers
    good = httpx.get(url, headers={"Origin": ALLOWED})
    assert good.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in good.headers["vary"]
    refused = post(presigned_post(client, key + "x"), b"1", headers={"Origin": ALLOWED})
    assert refused.status_code == 400  # errors carry them too: the page can read why
    assert refused.headers["access-control-allow-origin"] == ALLOWED


def test_the_functions_reach_s3_on_the_emulator_s_port(emulator: Emulator) -> None:
    env = emulator.invoke("EchoFunction", {"probe": True})["env"]
    assert env["AWS_ENDPOINT_URL_S3"] == f"http://127.0.0.1:{emulator.port}"
    assert env["AWS_ENDPOINT_URL_S3"] == emulator.s3_url
    assert emulator.template is not None
    assert emulator.template.bucket_named(BUCKET) is not None
