"""How a worker gives up: one line saying why, its child processes stopped, exit status 75.

A worker gives up when waiting cannot help (a partition stalled, Elasticsearch failing a request
for minutes while it answers). It does not restart itself: what supervises it does
(`wirestream worker --restart`, docker-compose's `restart:`), and the new worker reads every
partition from its committed offset again, as after a crash, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

T = TypeVar("T")

log = logging.getLogger("wirestream.worker")

#: EX_TEMPFAIL: "try again", for the supervisor.
EXIT_STATUS = 75

#: Called before the exit (the model processes' `close`), registered by the app.
before_exit: list[Callable[[], None]] = []

#: How long a record may take to be queued for Kafka, or acknowledged by it (an output, a dead letter,
#: a table's changelog record). Far above a broker restart; a producer stuck for longer is not coming back.
KAFKA_DEADLINE_S = 300.0


def exit_worker(reason: str) -> NoReturn:
    """Log `reason` as the worker's last line and exit at once. Not `sys.exit`: Faust's shutdown
    would wait for the very tasks that are stuck."""
    log.error("worker cannot go on: %s; exiting with status %d for a new worker to take over", reason, EXIT_STATUS)
    for hook in before_exit:
        try:
            hook()
        except Exception as error:  # noqa: BLE001 - the exit must happen all the same
            log.warning("before exit: %s", error)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(EXIT_STATUS)


@contextmanager
def exit_on(*errors: type[BaseException]) -> Iterator[None]:
    """Around an agent's loop: one of `errors` ends the worker (`exit_worker`), not only the agent
    (Faust would log the crash and leave the agent's partitions unread)."""
    try:
        yield
    except errors as error:
        exit_worker(str(error))


async def within(work: Awaitable[T], what: str, seconds: float = KAFKA_DEADLINE_S) -> T:
    """`await work`, or end the worker (`exit_worker`) when it takes longer than `seconds`."""
    try:
        return await asyncio.wait_for(work, seconds)
    except asyncio.TimeoutError:
        exit_worker(f"{what} did not complete within {seconds:.0f} s")
