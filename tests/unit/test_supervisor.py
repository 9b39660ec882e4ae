"""`wirestream worker --restart`: a child that fails is started again; a clean exit or a stop ends it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from pipeline.supervisor import supervise


def test_a_failing_child_is_started_again_until_it_exits_cleanly(tmp_path):
    runs = tmp_path / "runs"
    # Exits 75 (as a stalled worker does) the first two times, then 0.
    script = (f"import pathlib, sys; p = pathlib.Path({str(runs)!r}); n = len(p.read_text()) if p.exists() else 0; "
              "p.write_text('x' * (n + 1)); sys.exit(75 if n < 2 else 0)")
    said: list[str] = []
    status = supervise([sys.executable, "-c", script], said.append, waits_s=(0.05, 0.1))
    assert status == 0 and runs.read_text() == "xxx"
    assert len(said) == 2 and said[0].startswith("worker exited with status 75 after 0 s; starting a new one")


def test_a_stop_signal_reaches_the_child_and_ends_the_loop(tmp_path):
    ready = tmp_path / "ready"
    child = (f"import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(3)); "
             f"pathlib.Path({str(ready)!r}).write_text('up'); time.sleep(60)")
    supervisor = subprocess.Popen([sys.executable, "-c",
                                   "import sys; from pipeline.supervisor import supervise; "
                                   f"sys.exit(supervise([sys.executable, '-c', {child!r}], print))"])
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=20) == 3  # the child's own status, and no restart


def test_a_stop_during_the_wait_between_restarts_ends_at_once():
    stop = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    stop.start()
    started = time.monotonic()
    status = supervise([sys.executable, "-c", "import sys; sys.exit(1)"], lambda line: None, waits_s=(30,))
    assert status == 1 and time.monotonic() - started < 10
