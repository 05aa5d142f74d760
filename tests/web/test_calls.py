"""Calls on the demo page in Chromium against the emulator: real WebRTC between browser
contexts (Chromium's fake camera, microphone and screen: tests/web/conftest.py), the
signalling through the emulator, the ring timeout run by its timers (CallRingSeconds 5 in
tests/conftest.py).

A call is connected when every RTCPeerConnection of the page (window.switchboardDemo.call
.peers, one per remote peer) reports connectionState "connected" and the remote <video>
has decoded frames (videoWidth > 0). Screenshots land in test-artifacts/web/. Every wait
is an `expect` or a wait_for_function with a timeout derived from tests/waits.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.waits import after
from tests.web.conftest import TIMEOUT_MS, Demo

pytestmark = pytest.mark.timeout(300)
RING_SECONDS = 5  # CallRingSeconds in tests/conftest.py
WAIT_MS = TIMEOUT_MS + int(after() * 1000)

CONNECTED = """
(count) => {
  const call = window.switchboardDemo.call;
  if (!call || call.peers.size !== count) return false;
  return [...call.peers.values()].every((p) => p.pc && p.pc.connectionState === "connected");
}
"""

# Frames decoded from every remote camera tile (and, with `screens`, that many remote screens).
VIDEO_FLOWING = """
({ cameras, screens }) => {
  const playing = (sel) => [...document.querySelectorAll(sel)]
    .filter((v) => v.videoWidth > 0 && v.readyState >= 2);
  return playing("[data-testid=remote-video]").length >= cameras &&
         playing("[data-testid=remote-screen]").length >= screens;
}
"""

PEERS = """
() => {
  const call = window.switchboardDemo.call;
  if (!call) return null;
  return [...call.peers.values()].map((p) => ({
    userId: p.userId, state: p.pc && p.pc.connectionState, screen: p.screen,
    videoTracks: p.pc ? p.pc.getReceivers()
      .filter((r) => r.track.kind === "video" && !r.track.muted).length : 0,
    streams: p.streams.size,
  }));
}
"""


def connected(page: Any, peers: int) -> list[dict[str, Any]]:
    """Wait until each of the page's `peers` connections is connected; what they are."""
    page.wait_for_function(CONNECTED, arg=peers, timeout=WAIT_MS)
    return list(page.evaluate(PEERS))


def video_flowing(page: Any, cameras: int = 1, screens: int = 0) -> None:
    page.wait_for_function(
        VIDEO_FLOWING, arg={"cameras": cameras, "screens": screens}, timeout=WAIT_MS
    )


def in_call(page: Any) -> bool:
    return bool(page.evaluate("() => window.switchboardDemo.call !== null"))


def call_entry(page: Any) -> Any:
    return page.get_by_test_id("call-entry")


def test_a_video_call_rings_every_device_connects_shares_a_screen_and_hangs_up(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Standup")
    pa = demo.open(alice, chat=chat)
    phone = demo.open(bob, chat=chat, device="phone")
    laptop = demo.open(bob, chat=chat, device="laptop")

    # Alice calls; both of Bob's devices ring.
    pa.get_by_test_id("call-video").click()
    expect(pa.get_by_test_id("call-status")).to_contain_text("Calling")
    for device in (phone, laptop):
        expect(device.get_by_test_id("incoming-call")).to_contain_text(f"{alice} is calling")
        expect(device.get_by_test_id("incoming-call")).to_contain_text("Video call")
    expect(call_entry(phone)).to_have_attribute("data-status", "ringing")
    demo.shot(laptop, "1-bob-laptop-ringing")

    # Bob answers on his phone: the laptop stops ringing and stays out of the call.
    phone.get_by_test_id("accept-call").click()
    expect(laptop.get_by_test_id("incoming-call")).to_have_count(0)
    [to_bob] = connected(pa, 1)
    [to_alice] = connected(phone, 1)
    assert (to_bob["userId"], to_alice["userId"]) == (bob, alice)
    video_flowing(pa)
    video_flowing(phone)
    assert not in_call(laptop)
    expect(laptop.get_by_test_id("call-view")).to_be_hidden()
    for page in (pa, phone, laptop):
        expect(call_entry(page)).to_have_attribute("data-status", "active")
    expect(pa.get_by_test_id("call-status")).to_contain_text(f"In call with {bob}")
    demo.shot(pa, "2-alice-in-call")

    # Bob shares his screen: announced (call:screen), and a second video track arrives at
    # Alice by renegotiation (a new offer on the same connection), with frames.
    phone.get_by_test_id("call-screen").click()
    expect(phone.get_by_test_id("screen-indicator")).to_have_text("You are sharing your screen")
    expect(pa.get_by_test_id("screen-indicator")).to_have_text(f"{bob} is sharing their screen")
    video_flowing(pa, cameras=1, screens=1)
    [sharing] = connected(pa, 1)
    assert sharing["screen"] is True and sharing["videoTracks"] == 2, sharing
    assert sharing["streams"] == 2, sharing
    demo.shot(pa, "3-alice-sees-bob-screen")

    # Bob stops sharing: the indicator and the screen tile go; the call goes on.
    phone.get_by_test_id("call-screen").click()
    expect(pa.get_by_test_id("screen-indicator")).to_be_hidden()
    expect(pa.get_by_test_id("remote-screen")).to_have_count(0)
    connected(pa, 1)

    # Alice hangs up: the call ends on both sides; every history shows it with its length.
    pa.get_by_test_id("call-hangup").click()
    expect(pa.get_by_test_id("call-view")).to_be_hidden()
    expect(phone.get_by_test_id("call-view")).to_be_hidden()
    assert not in_call(pa)
    phone.wait_for_function("() => window.switchboardDemo.call === null", timeout=WAIT_MS)
    for page in (pa, phone, laptop):
        expect(call_entry(page)).to_have_attribute("data-status", "ended")
        expect(call_entry(page)).to_have_text(re.compile(r"^Video call — \d+:\d\d$"))
    item = pa.get_by_test_id("chat-item").filter(has_text="Standup")
    expect(item).to_contain_text("📞 Video call — ")
    demo.shot(phone, "4-bob-call-ended")


def test_a_call_nobody_answers_is_missed_in_both_histories(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Nobody home")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)
    pa.get_by_test_id("call-audio").click()
    ringing = pb.get_by_test_id("incoming-call")
    expect(ringing).to_contain_text("Audio call")
    demo.shot(pb, "1-bob-ringing")

    # Nobody answers: after the ring timeout the server ends it (call:missed, call:ended).
    waited = TIMEOUT_MS + int(after(RING_SECONDS) * 1000)
    expect(ringing).to_have_count(0, timeout=waited)
    expect(pa.get_by_test_id("call-view")).to_be_hidden(timeout=waited)
    for page in (pa, pb):
        expect(call_entry(page)).to_have_attribute("data-status", "missed")
        expect(call_entry(page)).to_have_text("Missed audio call")
    assert not in_call(pa) and not in_call(pb)
    demo.shot(pb, "2-bob-missed")


def test_a_declined_call_stops_ringing_and_says_so(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Not now")
    pa = demo.open(alice, chat=chat)
    phone = demo.open(bob, chat=chat, device="phone")
    laptop = demo.open(bob, chat=chat, device="laptop")
    pa.get_by_test_id("call-video").click()
    expect(laptop.get_by_test_id("incoming-call")).to_have_count(1)
    phone.get_by_test_id("decline-call").click()
    # The other device stops ringing; the caller's call ends (nobody left to ring).
    expect(laptop.get_by_test_id("incoming-call")).to_have_count(0)
    expect(pa.get_by_test_id("call-view")).to_be_hidden()
    for page in (pa, phone, laptop):
        expect(call_entry(page)).to_have_text("Video call · declined")


def test_three_peers_make_a_full_mesh(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    """An audio call of three: the second to answer offers to both peers already in it;
    every page ends with two connected RTCPeerConnections."""
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat = create_chat(alice, bob, carol, name="Trio")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)
    pc = demo.open(carol, chat=chat)
    pa.get_by_test_id("call-audio").click()
    pb.get_by_test_id("accept-call").click()
    connected(pb, 1)
    pc.get_by_test_id("accept-call").click()
    for page, others in ((pa, {bob, carol}), (pb, {alice, carol}), (pc, {alice, bob})):
        peers = connected(page, 2)
        assert {p["userId"] for p in peers} == others
    demo.shot(pc, "carol-in-a-call-of-three")
    # Carol leaves: the others stay connected to each other.
    pc.get_by_test_id("call-hangup").click()
    connected(pa, 1)
    connected(pb, 1)
    pb.get_by_test_id("call-hangup").click()
    expect(pa.get_by_test_id("call-view")).to_be_hidden()
    expect(call_entry(pc)).to_have_attribute("data-status", "ended")
