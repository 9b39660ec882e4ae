"""A harness for runs of the whole pipeline: `wirestream worker` as a child process on a run's own
settings, and waits on what it does, as the demo, the benchmarks and the integration tests use them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kafka import KafkaConsumer
from kafka.errors import CoordinatorLoadInProgressError, CoordinatorNotAvailableError, NotCoordinatorError

from pipeline.consumer_group import GroupOffsets
from pipeline.retrying import wait_until
from pipeline.settings import Settings, settings_env


class WorkerProcess:
    """A `wirestream worker` subprocess with the topics and app id of `settings`, logging to `log`.
    `kill()` is kill -9, as a crash would be; `stop()` is a clean shutdown. `options` go to
    `wirestream worker` (`--http-port 9464`). With `restart` (the default) it runs under
    `--restart`, as a user would run it: a worker that exits on a stall is replaced; `kill()` kills
    the supervisor and the worker together, a machine's crash. The benchmarks run it bare, so that
    its process is the worker they measure."""

    def __init__(self, settings: Settings, log: Path, env: dict[str, str] | None = None,
                 options: Sequence[str] = (), restart: bool = True) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", "--loglevel", "warning",
             *(["--restart"] if restart else []), *options],
            env={**os.environ, **settings_env(settings), **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the worker and what it started
            self.process.wait(timeout=30)
        self._log.close()

    def stop(self, timeout_s: float = 30) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


COORDINATOR_STARTING = (CoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorError)


class Stalled(RuntimeError):
    """The records waited for did not arrive in time, or a worker died."""


def read_until(
    settings: Settings,
    topics: list[str],
    until: Callable[[list[tuple[str, dict]]], bool],
    *,
    workers: Sequence[WorkerProcess] = (),
    timeout_s: float = 120,
) -> list[tuple[str, dict]]:
    """Read `topics` from the beginning until `until(records)` holds; records are (topic, JSON value).
    Raises `Stalled` on timeout or when one of `workers` has died."""
    consumer = KafkaConsumer(*topics, **settings.kafka.client_config(),
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=500)
    records: list[tuple[str, dict]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise Stalled(f"timed out after {timeout_s:.0f} s with {len(records)} records on {topics}")
            _check_alive(workers)
            records += [(message.topic, json.loads(message.value)) for message in consumer]
    finally:
        consumer.close()
    return records


def wait_caught_up(settings: Settings, topic: str, *, workers: Sequence[WorkerProcess] = (),
                   timeout_s: float = 60) -> None:
    """Until the worker group has committed everything on `topic`. Raises `Stalled` on timeout or
    when one of `workers` has died."""
    offsets = GroupOffsets(settings)

    def caught_up() -> bool:
        _check_alive(workers)
        return not offsets.lag(topic)

    try:
        wait_until(caught_up, timeout_s, f"the workers catching up with {topic}")
    except TimeoutError:
        raise Stalled(f"the workers did not catch up with {topic} in {timeout_s:.0f} s") from None
    finally:
        offsets.close()


def _check_alive(workers: Sequence[WorkerProcess]) -> None:
    if dead := [worker for worker in workers if not worker.alive()]:
        raise Stalled(f"a worker died; see its log {dead[0].log}")


def wait_group_stable(settings: Settings, members: int, timeout_s: float = 60) -> None:
    """Until the worker group is stable with `members` workers, each holding its partitions (a
    worker joining later would move partitions, and the batches in flight would be read again)."""
    offsets = GroupOffsets(settings)
    try:
        # Right after the broker starts, its group coordinator may still be loading: not yet.
        wait_until(lambda: offsets.members() == members, timeout_s, "a stable group", tolerating=COORDINATOR_STARTING)
    except TimeoutError:
        raise Stalled(f"the {members} workers did not form a stable group in {timeout_s:.0f} s") from None
    finally:
        offsets.close()
