"""Attachments on the demo page in Chromium against the emulator: a file picked in one
window goes through the REST grant and the emulator's S3 (a presigned POST), the message
names it, and the other window shows the image inline (loaded from its presigned URL,
decoded: naturalWidth > 0) and any other file as a link with its name and size.

Screenshots land in test-artifacts/web/. Every wait is an `expect` (or a wait_for_function)
with a timeout derived from tests/waits.py.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.waits import after
from tests.web.conftest import TIMEOUT_MS, Demo

pytestmark = pytest.mark.timeout(300)
WAIT_MS = TIMEOUT_MS + int(after() * 1000)


def png(width: int, height: int) -> bytes:
    """A real PNG (a gradient), so the browser has something to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def loaded_images(page: Any) -> list[dict[str, Any]]:
    """Every inline image of the conversation, once each has loaded and decoded."""
    page.wait_for_function(
        """() => {
          const images = [...document.querySelectorAll("[data-testid=attachment-image]")];
          return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
        }""",
        timeout=WAIT_MS,
    )
    return list(
        page.locator("[data-testid=attachment-image]").evaluate_all(
            "images => images.map((i) => ({src: i.src, width: i.naturalWidth, alt: i.alt}))"
        )
    )


def test_an_image_and_a_file_round_trip(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Holiday pics")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)

    # Alice picks an image: it uploads at once (REST grant, then S3), waiting in the tray.
    image = png(64, 48)
    pa.locator("#attach-input").set_input_files(
        {"name": "beach.png", "mimeType": "image/png", "buffer": image}
    )
    tray = pa.get_by_test_id("tray-item")
    expect(tray).to_have_attribute("data-status", "ready", timeout=WAIT_MS)
    demo.shot(pa, "1-alice-tray")
    pa.locator("#input").fill("The beach 🏖️")
    pa.locator("#input").press("Enter")
    expect(tray).to_have_count(0)

    # Bob sees it inline: the <img> loaded from the attachment's presigned URL, decoded.
    row = pb.get_by_test_id("message").filter(has_text="The beach 🏖️")
    expect(row.get_by_test_id("attachment-image")).to_have_count(1)
    [shown] = loaded_images(pb)
    assert shown["width"] == 64 and shown["alt"] == "beach.png", shown
    assert shown["src"].startswith("http"), shown
    # Alice's copy is the stored one (its S3 URL), not her local preview.
    expect(pa.locator(".msg.draft")).to_have_count(0)
    [mine] = loaded_images(pa)
    assert mine["width"] == 64 and not mine["src"].startswith("blob:"), mine
    # The same bytes came back.
    fetched = pb.evaluate(
        "async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()).length",
        shown["src"],
    )
    assert fetched == len(image)

    # A file of another allowed type, without a body: a link with its name and size.
    notes = b"Packing list\n- towel\n- sunscreen\n" * 40
    pb.locator("#attach-input").set_input_files(
        {"name": "packing.txt", "mimeType": "text/plain", "buffer": notes}
    )
    expect(pb.get_by_test_id("tray-item")).to_have_attribute(
        "data-status", "ready", timeout=WAIT_MS
    )
    pb.locator("#input").press("Enter")
    link = pa.get_by_test_id("attachment-file")
    expect(link).to_contain_text("packing.txt")
    expect(link).to_contain_text(f"{round(len(notes) / 1024)} KB")
    assert link.get_attribute("href", timeout=WAIT_MS).startswith("http")
    # The chat list says what the last message was.
    item = pa.get_by_test_id("chat-item").filter(has_text="Holiday pics")
    expect(item).to_contain_text("📎 packing.txt")
    demo.shot(pa, "2-alice-sees-both")
    demo.shot(pb, "3-bob-sees-both")

    # Reloaded, history (REST) brings the image back with a URL of its own.
    pb.reload()
    expect(pb.locator("#conn-text")).to_have_text("Connected")
    [again] = loaded_images(pb)
    assert again["width"] == 64


def test_a_type_that_is_not_allowed_is_refused_before_upload(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="No scripts")
    pa = demo.open(alice, chat=chat)
    pa.locator("#attach-input").set_input_files(
        {"name": "page.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"}
    )
    expect(pa.locator(".toast")).to_contain_text("cannot be attached")
    expect(pa.get_by_test_id("tray-item")).to_have_count(0)
