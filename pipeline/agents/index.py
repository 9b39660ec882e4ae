"""The index agents: `articles.enriched` -> Elasticsearch, and `articles.duplicates` -> copy counts.

Offsets advance only after Elasticsearch acknowledged the batch: the bulk write blocks (retrying)
while Elasticsearch is down, so the agent stops consuming instead of dropping. Documents
Elasticsearch rejects go to the index dead-letter topic with its reason. A request the node keeps
failing while it answers ends the worker after a deadline (`DeadlineExceeded`, `exit_on`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import faust
from elasticsearch import ApiError, TransportError
from pydantic import ValidationError

from pipeline.agents.batches import batches, in_event_context
from pipeline.agents.dead_letters import position, publish
from pipeline.agents.exits import exit_on
from pipeline.ingest import Rejected
from pipeline.producer import dead_letter as make_dead_letter
from pipeline.retrying import async_retry_forever
from pipeline.settings import Settings
from pipeline.sinks.documents import copies_action, index_action, ndjson, retire_action
from pipeline.sinks.elasticsearch import BulkWriter, DeadlineExceeded, connect, ensure_index
from pipeline.topics import WAITING_COPIES_TABLE
from schemas import DuplicateRecord, EnrichedArticle, MatchKind

log = logging.getLogger(__name__)

BATCH_SIZE = 2_000
BATCH_WITHIN_S = 0.1


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the index agents to `app`; returns their live counters."""
    topics = settings.topics
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    duplicates = app.topic(topics.duplicates, partitions=topics.unique_partitions)
    index_dlq = app.topic(topics.index_dlq, partitions=1)
    alias = settings.elasticsearch.index_alias
    counters: Counter[str] = Counter()
    client = connect(settings)
    writer = BulkWriter(client)
    io_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-sink")
    # Copy counts that came before their story was indexed (story id -> count, as text). A table with
    # a changelog, not a dict: the copies' offsets are committed, so a kill -9 must not lose them.
    waiting = app.Table(WAITING_COPIES_TABLE, default=None, key_type=bytes, value_type=bytes,
                        partitions=topics.unique_partitions)
    ready = asyncio.Event()

    async def write(actions):
        return await asyncio.get_running_loop().run_in_executor(io_thread, writer.write, actions)

    def waiting_counts(keys: list[bytes]) -> dict[str, int]:
        return {key.decode(): int(value) for key in keys if (value := waiting.get(key)) is not None}

    def write_stories(stories: list[EnrichedArticle], stashed: dict[str, int]):
        # A story's copy count may have been raised in the index since this version left dedup:
        # keep the higher. On the one I/O thread, so no copy-count write comes in between.
        counted = writer.copies(alias, [story.article.id for story in stories])
        return writer.write([
            index_action(alias, story, max(counted.get(story.article.id, 0), stashed.get(story.article.id, 0)))
            for story in stories
        ])

    async def dead_letter(where: str, reason: str, raw: bytes) -> None:
        counters["dead_letters"] += 1
        await publish(index_dlq, make_dead_letter(Rejected(where, reason, raw), stage="index"))

    def unreachable(error: BaseException, delay: float) -> None:
        log.warning("index: cannot reach Elasticsearch at %s (%s); retrying in %.0f s",
                    settings.elasticsearch.url, type(error).__name__, delay)

    async def prepare() -> str:
        return await asyncio.get_running_loop().run_in_executor(io_thread, ensure_index, client, alias)

    @app.task
    async def prepare_index() -> None:
        # Elasticsearch may still be starting: say so in one line and keep trying.
        index = await async_retry_forever((TransportError, ApiError), unreachable)(prepare)
        log.info("index: writing to %s (alias %s)", index, alias)
        ready.set()

    @app.agent(enriched, concurrency=1)
    async def index_stories(stream: faust.Stream) -> None:
        with exit_on(DeadlineExceeded):
            async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "index"):
                await ready.wait()
                stories, event_of = [], {}
                for event in events:
                    try:
                        stories.append(EnrichedArticle.model_validate_json(event.value))
                        event_of[stories[-1].article.id.encode()] = event
                    except ValidationError as error:
                        await dead_letter(position(event), f"not an enriched article: {error.errors()[0]['msg']}", event.value)
                keys = [story.article.id.encode() for story in stories]
                stashed = waiting_counts(keys)
                result = await asyncio.get_running_loop().run_in_executor(io_thread, write_stories, stories, stashed)
                # A count stashed while this batch was being written: the document exists now.
                late = waiting_counts(keys)
                if any(count > stashed.get(story, -1) for story, count in late.items()):
                    await write([copies_action(alias, story, count) for story, count in late.items()
                                 if count > stashed.get(story, -1)])
                for key in keys:
                    if key in waiting:
                        in_event_context(event_of[key])  # the deletion goes to the story's changelog partition
                        del waiting[key]
                for action, reason in result.rejected:
                    await dead_letter(action[0]["index"]["_id"], reason, ndjson([action]))
                counters["indexed"] += result.written
                counters["stale_or_replayed"] += result.conflicts

    @app.agent(duplicates, concurrency=1)
    async def count_copies(stream: faust.Stream) -> None:
        with exit_on(DeadlineExceeded):
            async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "index-copies"):
                await ready.wait()
                latest: dict[str, int] = {}
                retired: dict[str, int] = {}
                event_of = {}
                for event in events:
                    try:
                        record = DuplicateRecord.model_validate_json(event.value)
                    except ValidationError:
                        counters["bad_duplicate_records"] += 1
                        continue
                    event_of[record.duplicate_of.encode()] = event
                    latest[record.duplicate_of] = max(latest.get(record.duplicate_of, 0), record.copies)
                    if record.kind is MatchKind.MERGED and record.retired_version:
                        retired[record.id] = max(retired.get(record.id, 0), record.retired_version)
                result = await write([*(retire_action(alias, story, version) for story, version in retired.items()),
                                      *(copies_action(alias, story, copies) for story, copies in latest.items())])
                counters["retired"] += len(retired)
                for action in result.missing:  # the story is still being enriched: apply when it is indexed
                    key = action[0]["update"]["_id"].encode()
                    in_event_context(event_of[key])
                    waiting[key] = str(max(int(waiting.get(key) or 0), action[1]["doc"]["copies"])).encode()
                counters["copy_counts"] += result.written

    return counters
