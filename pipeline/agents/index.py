"""The index agents: `articles.enriched` -> Elasticsearch, and `articles.duplicates` -> copy
counts, through `IndexStage` (`pipeline/sinks/stage.py`, where what it writes is described).

Offsets advance only after Elasticsearch acknowledged the batch: the bulk write blocks (retrying)
while Elasticsearch is down, so the agents stop consuming instead of dropping. A request the node
keeps failing while it answers ends the worker after a deadline (`DeadlineExceeded`, `exit_on`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import faust
from elasticsearch import ApiError, TransportError

from pipeline.agents.batches import batches, in_event_context
from pipeline.agents.dead_letters import position, publish
from pipeline.agents.exits import exit_on, exit_worker
from pipeline.ingest import Rejected
from pipeline.producer import dead_letter
from pipeline.retrying import async_retry_forever
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import (BulkWriter, DeadlineExceeded, MappingOutdated, connect, ensure_history_indices,
                                         ensure_index)
from pipeline.sinks.stage import Delivery, IndexStage
from pipeline.topics import WAITING_COPIES_TABLE

log = logging.getLogger(__name__)

BATCH_SIZE = 2_000
BATCH_WITHIN_S = 0.1

T = TypeVar("T")


class FaustIndexIO:
    """`IndexIO` on Faust: the waiting-copies table, the dead-letter topic, the I/O thread."""

    def __init__(self, table: faust.types.TableT, dlq: faust.TopicT, io_thread: ThreadPoolExecutor) -> None:
        self.table, self.dlq, self._io_thread = table, dlq, io_thread
        #: An event of each partition of the batch at hand: a table write goes to the changelog
        #: partition of the current event (`set_waiting`).
        self.events_by_partition: dict[int, faust.EventT] = {}

    async def blocking(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io_thread, call, *args)

    def waiting(self, key: bytes) -> bytes | None:
        return self.table.get(key)

    def set_waiting(self, key: bytes, partition: int, value: bytes | None) -> None:
        in_event_context(self.events_by_partition[partition])
        if value is None:
            del self.table[key]
        else:
            self.table[key] = value

    async def dead_letter(self, where: str, reason: str, raw: bytes) -> None:
        await publish(self.dlq, dead_letter(Rejected(where, reason, raw), stage="index"))

    def deliveries(self, events: list[faust.EventT]) -> list[Delivery]:
        """The batch for the stage; remembers an event of each partition for the table's writes."""
        self.events_by_partition = {event.message.partition: event for event in events}
        return [Delivery(position(event), event.message.partition, event.value) for event in events]


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the index agents to `app`; returns their live counters."""
    topics = settings.topics
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    duplicates = app.topic(topics.duplicates, partitions=topics.unique_partitions)
    alias = settings.elasticsearch.index_alias
    client = connect(settings)
    # Copy counts that came before their story was indexed (story id -> count, as text). A table with
    # a changelog, not a dict: the copies' offsets are committed, so a kill -9 must not lose them.
    waiting = app.Table(WAITING_COPIES_TABLE, default=None, key_type=bytes, value_type=bytes,
                        partitions=topics.unique_partitions)
    # One IO per agent (each remembers its own batch's events), one I/O thread for both, so that no
    # copy-count write comes between reading a story's count and writing the story.
    dlq = app.topic(topics.index_dlq, partitions=1)
    io_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-sink")
    stories_io, copies_io = FaustIndexIO(waiting, dlq, io_thread), FaustIndexIO(waiting, dlq, io_thread)
    writer = BulkWriter(client)
    stories = IndexStage(stories_io, writer, alias)
    copies = IndexStage(copies_io, writer, alias, counters=stories.counters)
    ready = asyncio.Event()

    def unreachable(error: BaseException, delay: float) -> None:
        log.warning("index: cannot reach Elasticsearch at %s (%s); retrying in %.0f s",
                    settings.elasticsearch.url, type(error).__name__, delay)

    def prepare() -> str:
        try:
            index = ensure_index(client, alias)
        except MappingOutdated as error:
            exit_worker(str(error))
        ensure_history_indices(client, alias)
        return index

    @app.task
    async def prepare_index() -> None:
        # Elasticsearch may still be starting: say so in one line and keep trying.
        index = await async_retry_forever((TransportError, ApiError), unreachable)(stories_io.blocking, prepare)
        log.info("index: writing to %s (alias %s)", index, alias)
        ready.set()

    @app.agent(enriched, concurrency=1)
    async def index_stories(stream: faust.Stream) -> None:
        with exit_on(DeadlineExceeded):
            async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "index"):
                await ready.wait()
                await stories.index(stories_io.deliveries(events))

    @app.agent(duplicates, concurrency=1)
    async def count_copies(stream: faust.Stream) -> None:
        with exit_on(DeadlineExceeded):
            async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "index-copies"):
                await ready.wait()
                await copies.count_copies(copies_io.deliveries(events))

    return stories.counters
