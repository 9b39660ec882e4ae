"""The newsroom page left running after `wirestream demo`, so the URL it prints opens: a
`wirestream serve --open` process of its own on the demo's topics and index, its pid under
`.stack/newsroom/`, stopped by the next demo or by `wirestream stack down` (only when the pid is
still that server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

from pipeline.retrying import wait_until
from pipeline.settings import Settings, settings_env
from pipeline.stack import STATE_DIR, alive, port_open

HOME = STATE_DIR / "newsroom"
PID_FILE = HOME / "pid"
LOG_FILE = HOME / "newsroom.log"


def start(settings: Settings, port: int = 8080, timeout_s: float = 60) -> str:
    """Serve the page on the topics and index of `settings` on 127.0.0.1:`port` in the background
    (replacing the page an earlier demo left); returns its URL. Raises RuntimeError with the reason
    when it cannot."""
    stop()
    if port_open(port):
        raise RuntimeError(f"port {port} is taken by another process")
    HOME.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pipeline.cli", "serve", "--open", "--port", str(port)]
    with LOG_FILE.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **settings_env(settings)},
                                   start_new_session=True)  # outlives the demo and its terminal's Ctrl-C
    PID_FILE.write_text(str(process.pid))
    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the newsroom page exited at start-up (status {process.returncode}); see {LOG_FILE}")
        try:
            with urllib.request.urlopen(url + "api/search?q=&limit=1", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    wait_until(answers, timeout_s, "the newsroom page", interval_s=0.5)
    return url


def stop(log: Callable[[str], None] = lambda _: None) -> None:
    """Stop the page a demo left running, if its pid is still that server."""
    pid = _pid()
    PID_FILE.unlink(missing_ok=True)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not alive(pid), 30, "the newsroom page to stop", interval_s=0.2)
    log(f"newsroom page: stopped (pid {pid})")


def _pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"pipeline.cli" in command and b"serve" in command else None
