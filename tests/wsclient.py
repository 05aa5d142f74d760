"""A test client over a real WebSocket: send actions, await replies and pushed events."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.waits import TIMEOUT

Frame = dict[str, Any]
_ids = itertools.count(1)


class ChatClient:
    """One device of one user, connected through the emulator's WebSocket endpoint."""

    def __init__(self, url: str, token: str | None, **kwargs: Any) -> None:
        target = f"{url}?token={token}" if token is not None else url
        self.ws: ClientConnection = connect(target, open_timeout=TIMEOUT, legacy=True, **kwargs)
        self.inbox: list[Frame] = []

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.ws.close()

    def send_raw(self, text: str | bytes) -> None:
        self.ws.send(text)

    def send(self, action: str, data: Any = None, request_id: Any = None) -> Any:
        request_id = request_id if request_id is not None else f"r{next(_ids)}"
        frame: Frame = {"action": action, "requestId": request_id}
        if data is not None:
            frame["data"] = data
        self.ws.send(json.dumps(frame))
        return request_id

    def request(self, action: str, data: Any = None, timeout: float = TIMEOUT) -> Frame:
        """Send an action and wait for the frame answering it (ack, error, ...)."""
        request_id = self.send(action, data)
        return self.wait(lambda f: f.get("requestId") == request_id, timeout)

    def _receive(self, timeout: float) -> Frame | None:
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        frame = json.loads(raw)
        self.inbox.append(frame)
        return frame

    def wait(self, predicate: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        """The first frame (already received or arriving) that matches; removed from the inbox."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.inbox:
                if predicate(frame):
                    self.inbox.remove(frame)
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame within {timeout}s; inbox={self.inbox}")
            self._receive(remaining)

    def wait_event(self, event: str, timeout: float = TIMEOUT) -> Frame:
        return self.wait(lambda f: f.get("event") == event, timeout)

    def drain(self, seconds: float = 0.5) -> list[Frame]:
        """What arrives within ``seconds`` plus what was waiting; clears the inbox."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                self._receive(remaining)
            except ConnectionClosed:
                break
        frames, self.inbox = self.inbox, []
        return frames
