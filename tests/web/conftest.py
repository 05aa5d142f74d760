"""Browser fixtures: Debian's Chromium through Playwright (never a downloaded browser),
one browser context per user, screenshots under test-artifacts/web/.

Chromium comes from scripts/ensure-chromium (`make test` runs it). Without it (or without
Playwright) these tests skip with the reason when run by hand, and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 30_000  # generous: the emulator shares two cores with everything else
VIEWPORT = {"width": 1280, "height": 800}
# Calls (tests/web/test_calls.py): a fake camera and microphone (a test pattern and a
# beep), permission prompts answered yes, getDisplayMedia given a fake screen (headless
# too), and media that plays without a click.
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}: run scripts/ensure-chromium (make test does)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    why = _unavailable()
    if why is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=MEDIA_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Demo:
    """Opens the demo page as users, each in a browser context of their own."""

    def __init__(self, browser: Any, base_url: str, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
        self.pages: dict[str, Any] = {}
        self.page_errors: list[str] = []

    def open(self, user_id: str, chat: str | None = None, device: str | None = None) -> Any:
        """The page signed in as `user_id` (with `chat` open), once it is connected; each
        `device` of one user is a browser context (and a connection) of its own."""
        name = f"{user_id}-{device}" if device else user_id
        context = self.browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{name}: {error}"))
        self.pages[name] = page
        query = f"?user={user_id}" + (f"&chat={chat}" if chat else "")
        page.goto(f"{self.base_url}/{query}")
        from playwright.sync_api import expect

        expect(page.locator("#conn-text")).to_have_text("Connected")
        if chat:
            expect(page.get_by_test_id("conv-name")).not_to_be_empty()
        return page

    def shot(self, page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.test_name}-{name}.png"
        page.screenshot(path=str(path))
        return path

    def close(self, failed: bool) -> None:
        for user_id, page in self.pages.items():
            if failed and not page.is_closed():
                # The page may be gone; the failure is what matters.
                with contextlib.suppress(Exception):
                    self.shot(page, f"FAILED-{user_id}")
            page.context.close()


@pytest.fixture
def demo(browser: Any, emulator: Any, request: pytest.FixtureRequest) -> Iterator[Demo]:
    session = Demo(browser, f"http://127.0.0.1:{emulator.port}", request.node.name)
    yield session
    report = getattr(request.node, "report_call", None)
    session.close(failed=report is None or report.failed)
    # An uncaught exception in the page fails the test that caused it.
    assert not session.page_errors, session.page_errors
