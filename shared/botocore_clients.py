"""botocore clients made once per container, on first use, counted, and made anew when
the settings change (a test pointing at another endpoint or region).

``Any``: botocore makes its clients' methods at run time. The endpoint comes from
botocore's own ``AWS_ENDPOINT_URL_<SERVICE>`` variables when set, as in the emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.config import Config

from shared.config import on_change, settings
from shared.observability import calls


class LazyClient:
    """``client = LazyClient("lambda", config)``; ``client()`` is the one client."""

    def __init__(self, service: str, config: Config | Callable[[], Config]) -> None:
        self.service = service
        self.config = config  # or a function of the settings, called when the client is made
        self._lock = threading.Lock()
        self._client: Any = None
        on_change(self.forget)

    def forget(self) -> None:
        with self._lock:
            self._client = None

    def __call__(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = calls.instrument(
                    botocore.session.get_session().create_client(
                        self.service,
                        region_name=settings().region,
                        config=self.config if isinstance(self.config, Config) else self.config(),
                    )
                )
            return self._client
