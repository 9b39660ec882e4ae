"""The stall detector: a worker that owns events it does not handle, while nothing it owns was
committed for a while, is stalled. It says so on /readyz and /metrics at once (`WorkerHealth`),
and after `STALL_S` it exits with status 75 (`pipeline.agents.exits`), one line saying why, for its
supervisor (`wirestream worker --restart`, docker-compose's `restart:`) to start a new worker.

The one cause of such stalls found here — Faust losing its place in a partition nothing was
committed on yet, at a rebalance — is fixed in `pipeline/agents/transport.py`. Faust's users
report others (faust-streaming #175, #523: agents that stop consuming with no error). A new
worker reads every owned partition from its committed offset again, as after a crash, so nothing
is lost and the sinks make the second reading harmless. Before it exits, the worker logs what its
consumer knows of the stalled partitions and where each of its tasks waits: the clues to a cause.

Stalled is told from honest waiting by progress, not by what Faust says is in flight (a dropped
event can stay "in flight" for ever): a worker busy with a backlog commits somewhere every few
seconds, and one waiting for Elasticsearch (down, or still starting) is paused, not stalled.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import time
from collections.abc import Iterable

import faust
from faust.types import TP

from pipeline.agents.exits import exit_worker
from pipeline.health import WorkerHealth
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.consumer_group import GroupOffsets

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
#: How long a worker may own events it does not handle, committing nothing anywhere, before it exits.
STALL_S = 20.0
#: While paused longer than this, say so once per this long (a rebalance that never ends looks like this).
PAUSE_NOTE_S = 60.0

Partition = tuple[str, int]


class StallDetector:
    """Pure bookkeeping of committed offsets: which partitions are behind while no owned partition's
    commit has moved for `stall_s`."""

    def __init__(self, stall_s: float = STALL_S) -> None:
        self.stall_s = stall_s
        self._moved: dict[Partition, tuple[int, float]] = {}  # partition -> (committed, when it last moved)

    def observe(self, positions: dict[Partition, tuple[int, int]], paused: bool, now: float) -> list[Partition]:
        """`positions`: the owned partitions' (committed, end) offsets; `paused`: the worker waits for
        something outside it (a rebalance, table recovery, Elasticsearch), which starts the clock
        again. Returns the partitions behind when nothing moved for `stall_s`; empty otherwise."""
        if paused:
            self._moved.clear()
            return []
        moved = {}
        for partition, (committed, _) in positions.items():
            last = self._moved.get(partition)
            moved[partition] = last if last and last[0] == committed else (committed, now)
        self._moved = moved  # partitions no longer owned are forgotten; owned again, they start afresh
        if any(now - when < self.stall_s for _, when in moved.values()):
            return []
        return [partition for partition, (committed, end) in positions.items() if committed < end]


def task_chains(app: faust.App | None = None) -> str:
    """Where the worker waits, so a stall's log says where it stopped: one line per task of the
    running loop, the chain of coroutines it waits in, outermost first (a task's own stack shows one
    frame). A chain ends opaque where a task awaits an agent (`coroutine_wrapper`) or an `async for`
    step (`async_generator_asend`), so `app`'s agents and the async generators under way follow,
    and the tasks of its consumer's fetching thread."""
    lines = ["  " + _chain(task.get_coro()) for task in asyncio.all_tasks()]
    if app is not None:
        lines += [f"  agent {agent.name}: {_chain(getattr(actor, 'it', None))}"
                  for agent in app.agents.values() for actor in list(agent._actors)]
        # Faust fetches in a thread with a loop of its own (aiokafka's consumer).
        fetching = getattr(getattr(app.consumer, "_thread", None), "thread_loop", None)
        lines += [f"  consumer thread: {_chain(task.get_coro())}" for task in (asyncio.all_tasks(fetching) if fetching else ())]
    lines += [f"  async for: {_chain(agen)}" for agen in gc.get_objects() if inspect.isasyncgen(agen) and agen.ag_running]
    return "\n".join(sorted(lines))


async def consumer_state(app: faust.App, stalled: list[Partition], positions: dict[Partition, tuple[int, int]]) -> str:
    """One line per stalled partition: what Faust's consumer holds of it (its private bookkeeping,
    read for the log only), to tell a partition never fetched from events fetched and never acked."""
    consumer, lines = app.consumer, []
    try:
        for topic, partition in stalled:
            tp = TP(topic, partition)
            committed, end = positions[(topic, partition)]
            flags = [name for name, tps in (("active", consumer._active_partitions),
                                            ("buffered", consumer._buffered_partitions),
                                            ("paused", consumer._paused_partitions)) if tps and tp in tps]
            lines.append(f"  {topic}[{partition}]: committed {committed}, end {end}, "
                         f"fetch position {await consumer.position(tp)}, read up to {consumer._read_offset.get(tp)}, "
                         f"commit base {consumer._committed_offset.get(tp)}; {' '.join(flags) or 'not fetched'}; "
                         f"unacked {_few(m.offset for m in consumer.unacked if m.tp == tp)}; "
                         f"acked, not committed {_few(consumer._acked.get(tp, ()))}; "
                         f"gaps {_few((i.begin, i.end) for i in consumer._gap.get(tp, ()))}")
    except Exception as error:  # noqa: BLE001 - Faust's internals may change; the exit must not depend on them
        lines.append(f"  (cannot read it: {type(error).__name__}: {error})")
    return "\n".join(lines)


def _few(items: Iterable[object], shown: int = 8) -> str:
    items = sorted(items)
    return str(items[:shown])[:-1] + (", ...]" if len(items) > shown else "]")


def _chain(awaited: object) -> str:
    chain = []
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None) or getattr(awaited, "ag_frame", None)
        if frame is None:
            chain.append(type(awaited).__name__)
            break
        chain.append(f"{frame.f_code.co_name} ({'/'.join(frame.f_code.co_filename.split('/')[-2:])}:{frame.f_lineno})")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None) or getattr(awaited, "ag_await", None)
    return " > ".join(chain)


def register(app: faust.App, settings: Settings, health: WorkerHealth | None = None) -> None:
    """Add the stall detector's timer to `app`. The stalled partitions it finds are reported to
    `health` (readiness, metrics) at once; after `STALL_S` the worker exits (`exit_worker`)."""
    topics = settings.topics
    watched = {topics.raw, topics.unique, topics.enriched, topics.duplicates}
    detector = StallDetector()
    elasticsearch = connect(settings)
    offsets: GroupOffsets | None = None  # opened at the first look: Kafka may not be up when the worker starts
    paused_since: float | None = None  # the watch is paused (see below) since
    last_note = 0.0

    @app.timer(CHECK_EVERY_S)
    async def watch() -> None:
        owned = [tp for tp in app.consumer.assignment() if tp.topic in watched]
        if not owned:
            return
        nonlocal offsets, paused_since, last_note
        loop = asyncio.get_running_loop()
        try:
            offsets = offsets or await loop.run_in_executor(None, GroupOffsets, settings)
            positions = await loop.run_in_executor(None, offsets.positions, sorted({tp.topic for tp in owned}))
        except Exception as error:  # noqa: BLE001 - the broker may be restarting; look again later
            log.info("watchdog: cannot read the group's offsets (%s)", type(error).__name__)
            return
        # The sinks wait for Elasticsearch, and a new worker would not bring it back.
        paused = app.rebalancing or app.in_recovery or not await loop.run_in_executor(None, elasticsearch.ping)
        mine = {(tp.topic, tp.partition) for tp in owned}
        now = time.monotonic()
        stalled = detector.observe({p: v for p, v in positions.items() if p in mine}, paused, now)
        if health:
            health.stalled = len(stalled)
        paused_since = (paused_since or now) if paused else None
        if paused_since and now - paused_since > PAUSE_NOTE_S and now - last_note > PAUSE_NOTE_S:
            last_note = now
            log.warning("watchdog: paused for %.0f s (rebalancing: %s, recovering tables: %s, else Elasticsearch "
                        "not answering): stalls are not looked for meanwhile", now - paused_since,
                        app.rebalancing, app.in_recovery)
        if stalled:
            waiting = sum(positions[p][1] - positions[p][0] for p in stalled)
            where = ", ".join(f"{t}[{p}]" for t, p in stalled)
            log.warning("watchdog: what the consumer knows of %s:\n%s\nWhere the worker's tasks wait:\n%s",
                        where, await consumer_state(app, stalled, positions), task_chains(app))
            await app.consumer.commit()  # what was handled is not handled twice; flushes the producer first
            exit_worker(f"stalled: {waiting} event(s) on {where} waiting while nothing was committed for "
                        f"{detector.stall_s:.0f} s")
