"""The stall watchdog: a worker that owns a partition with events waiting, yet neither processes
nor commits them, restarts itself.

Faust 0.11 can lose its place in a partition across a rebalance: events fetched before the
rebalance mark the partition as read further than the offset it seeks back to afterwards, and
the events in between are dropped silently, never acked, so the committed offset never moves
again (faust-streaming issues #221 and #523 describe the same). Nothing is lost — the offsets
were not committed — but nothing moves either. Restarting the worker is what makes it read
from the committed offset again, as a crashed worker would. This watchdog tells that state from
honest waiting (Elasticsearch down, a slow batch): there the events are in flight, unacked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time

import faust

from pipeline.settings import Settings
from pipeline.workers import partition_lag

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10.0
#: How long a partition may stay behind, uncommitted and with nothing in flight, before the restart.
STALL_S = 30.0


class StallDetector:
    """Pure bookkeeping: which partitions have stayed behind, unchanged and idle, for `stall_s`."""

    def __init__(self, stall_s: float = STALL_S) -> None:
        self.stall_s = stall_s
        self._since: dict[tuple[str, int], tuple[int, float]] = {}  # partition -> (committed, since when)

    def observe(self, positions: dict[tuple[str, int], tuple[int, int]], busy: bool, now: float) -> list[tuple[str, int]]:
        """`positions`: the owned partitions' (committed, end) offsets; `busy`: events are in flight.
        Returns the partitions stalled for `stall_s` or longer."""
        if busy:
            self._since.clear()
            return []
        stalled = []
        for partition, (committed, end) in positions.items():
            if committed >= end:
                self._since.pop(partition, None)
                continue
            seen, since = self._since.get(partition, (committed, now))
            if seen != committed:
                seen, since = committed, now
            self._since[partition] = (seen, since)
            if now - since >= self.stall_s:
                stalled.append(partition)
        for partition in set(self._since) - positions.keys():
            del self._since[partition]
        return stalled


def register(app: faust.App, settings: Settings) -> None:
    """Add the watchdog timer to `app`. The restart re-executes this worker in place: the same
    process id, so a supervisor or a test still sees the same worker."""
    topics = settings.topics
    watched = {topics.raw, topics.unique, topics.enriched, topics.duplicates}
    detector = StallDetector()

    @app.timer(CHECK_EVERY_S)
    async def watch() -> None:
        owned = [tp for tp in app.consumer.assignment() if tp.topic in watched]
        if not owned:
            return
        # Rebalancing or recovering tables is waiting too, however long it takes.
        busy = app.rebalancing or app.in_recovery or any(not message.acked for message in app.consumer.unacked)
        try:
            positions = await asyncio.get_running_loop().run_in_executor(
                None, partition_lag, settings, sorted({tp.topic for tp in owned}))
        except Exception as error:  # noqa: BLE001 - the broker may be restarting; look again later
            log.info("watchdog: cannot read the group's offsets (%s)", type(error).__name__)
            return
        mine = {(tp.topic, tp.partition) for tp in owned}
        stalled = detector.observe({p: v for p, v in positions.items() if p in mine}, busy, time.monotonic())
        if stalled:
            waiting = sum(positions[p][1] - positions[p][0] for p in stalled)
            log.error("watchdog: %d event(s) on %s waiting for %.0f s, none in flight and nothing committed; "
                      "restarting this worker to read them again",
                      waiting, ", ".join(f"{t}[{p}]" for t, p in stalled), detector.stall_s)
            await app.consumer.commit()  # what was handled is not handled twice; flushes the producer first
            _reexec()


def _reexec() -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execv(sys.executable, [sys.executable, "-m", "pipeline.cli", *sys.argv[1:]])
