"""multipart/form-data parsing (infra/gateway/multipart.py): parts kept byte for byte."""

from __future__ import annotations

import httpx
import pytest

from infra.gateway.multipart import MalformedForm, parse_form


def test_httpx_s_form_comes_back_exactly() -> None:
    binary = bytes(range(256)) * 4 + b"\r\n--\r\n\r\n"
    request = httpx.Request(
        "POST",
        "http://x/",
        data={"key": "files/a", "x-amz-meta-name": "é"},
        files={"file": ("a b.png", binary, "image/png")},
    )
    body = request.read()
    parts = parse_form(body, request.headers["content-type"])
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("key", None, None),
        ("x-amz-meta-name", None, None),
        ("file", "a b.png", "image/png"),
    ]
    assert parts[0].text == "files/a" and parts[1].text == "é"
    assert parts[2].value == binary


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--", "text/plain"),
        (b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--", "multipart/form-data"),
        (b"nothing here", "multipart/form-data; boundary=b"),
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1",
            "multipart/form-data; boundary=b",
        ),
        (
            b"--b\r\nContent-Disposition: attachment\r\n\r\n1\r\n--b--",
            "multipart/form-data; boundary=b",
        ),
        (b"--b\r\nno blank line\r\n--b--", "multipart/form-data; boundary=b"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(MalformedForm):
        parse_form(body, content_type)
