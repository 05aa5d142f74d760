"""multipart/form-data, parsed from bytes already read (with a size limit) into its parts.

Owns splitting a body at its boundary (RFC 7578) and reading each part's
`Content-Disposition` (`name`, `filename`) and `Content-Type`. Part contents are kept as
bytes, exactly as sent. Anything malformed raises `MalformedForm`. Starlette's own form
parser needs python-multipart, which the emulator does not install.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


class MalformedForm(ValueError):
    """The body is not multipart/form-data as its Content-Type announces it."""


@dataclass(frozen=True)
class FormPart:
    name: str
    value: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.value.decode("utf-8", errors="replace")


def boundary_of(content_type: str) -> str:
    """The boundary of a `multipart/form-data; boundary=...` Content-Type."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        raise MalformedForm("not multipart/form-data")
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise MalformedForm("no boundary")
    return boundary


def _headers(block: bytes) -> Message:
    message = Message()
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise MalformedForm(f"a part header without a colon: {line!r}")
        message[name.strip()] = value.strip()
    return message


def parse_form(body: bytes, content_type: str) -> list[FormPart]:
    """The parts of `body`, in order."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    data = b"\r\n" + body
    marker = b"\r\n" + delimiter
    start = data.find(marker)
    if start < 0:
        raise MalformedForm("no boundary in the body")
    parts: list[FormPart] = []
    position = start + len(marker)
    while True:
        if data.startswith(b"--", position):
            return parts  # the closing delimiter
        if not data.startswith(b"\r\n", position):
            # Whitespace may follow a delimiter (RFC 2046's transport padding).
            line_end = data.find(b"\r\n", position)
            if line_end < 0 or data[position:line_end].strip(b" \t"):
                raise MalformedForm("a delimiter not followed by a line break")
            position = line_end
        position += 2
        end = data.find(marker, position)
        if end < 0:
            raise MalformedForm("a part without a closing delimiter")
        head, separator, value = data[position:end].partition(b"\r\n\r\n")
        if not separator:
            raise MalformedForm("a part without a blank line after its headers")
        headers = _headers(head)
        disposition = headers.get("content-disposition")
        if disposition is None or headers.get_content_disposition() != "form-data":
            raise MalformedForm("a part that is not form-data")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MalformedForm("a part without a name")
        filename = headers.get_param("filename", header="content-disposition")
        parts.append(
            FormPart(
                name=name,
                value=value,
                filename=filename if isinstance(filename, str) else None,
                content_type=headers.get("content-type"),
            )
        )
        position = end + len(marker)
