"""What the services share about child processes: free ports, readiness, and lifetime.

A service process is started with `preexec_fn=die_with_parent`, so that it gets SIGTERM
when the emulator's process dies however it dies (Linux), and is ready once its port
accepts connections.
"""

from __future__ import annotations

import signal
import socket
import sys
import time


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{host}:{port} did not start accepting connections") from None
            time.sleep(0.05)


def die_with_parent() -> None:
    """In the child: get SIGTERM when the emulator dies, however it dies (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
