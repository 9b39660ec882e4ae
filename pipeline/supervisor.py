"""`wirestream worker --restart`: the worker as a child process, started again whenever it exits
with an error, as docker-compose's `restart: unless-stopped` does for the containers.

A worker exits non-zero when it cannot go on by itself (the stall detector gave up on a partition,
a deadline passed, a setting is wrong): a new process reads every owned partition from its
committed offset again, as after a crash, and loses nothing. A clean exit (0) or a stop signal
(forwarded to the worker) ends the loop.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

#: Waits between restarts after quick failures in a row; a worker that ran `STEADY_S` resets them.
RESTART_WAITS_S = (1, 2, 5, 10, 30)
STEADY_S = 60.0


def supervise(command: Sequence[str], say: Callable[[str], None], *,
              waits_s: Sequence[float] = RESTART_WAITS_S, steady_s: float = STEADY_S) -> int:
    """Run `command` until it exits 0 or SIGTERM/SIGINT arrives; restart it after any other exit,
    saying so in one line. Returns the last exit status."""
    stopping = threading.Event()
    child: subprocess.Popen | None = None

    def forward(signum: int, _frame: object) -> None:
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    quick_failures = 0
    try:
        while True:
            started = time.monotonic()
            child = subprocess.Popen(list(command))
            status = child.wait()
            if status == 0 or stopping.is_set():
                return status
            ran = time.monotonic() - started
            quick_failures = 0 if ran >= steady_s else quick_failures + 1
            wait = waits_s[min(max(quick_failures, 1), len(waits_s)) - 1]
            say(f"worker exited with status {status} after {ran:.0f} s; starting a new one in {wait:.0f} s")
            if stopping.wait(wait):
                return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
