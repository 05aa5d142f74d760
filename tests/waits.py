"""How long a test waits for something to happen: one configurable timeout.

``SWITCHBOARD_TEST_TIMEOUT`` (seconds, default 10) is the slack a busy machine
may need beyond what a wait expects on an idle one. A test that waits for an
event due after ``t`` seconds waits up to ``after(t)``; a test never sleeps a
fixed time to let something happen, it polls until a deadline from here.
"""

from __future__ import annotations

import os

TIMEOUT = float(os.environ.get("SWITCHBOARD_TEST_TIMEOUT") or 10)


def after(expected_seconds: float = 0.0) -> float:
    """Seconds to wait for something expected ``expected_seconds`` from now."""
    return expected_seconds + TIMEOUT
