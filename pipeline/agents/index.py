"""The index agents: `articles.enriched` -> Elasticsearch, and `articles.duplicates` -> copy counts.

Offsets advance only after Elasticsearch acknowledged the batch: the bulk write blocks (retrying)
while Elasticsearch is down, so the agent stops consuming instead of dropping. Documents
Elasticsearch rejects go to the index dead-letter topic with its reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import faust
from elasticsearch import ApiError, TransportError
from pydantic import ValidationError

from pipeline.agents.batches import batches
from pipeline.agents.dead_letters import position, publish
from pipeline.ingest import Rejected
from pipeline.producer import dead_letter as make_dead_letter
from pipeline.settings import Settings
from pipeline.sinks.documents import copies_action, index_action, ndjson
from pipeline.sinks.elasticsearch import BulkWriter, connect, ensure_index
from schemas import DuplicateRecord, EnrichedArticle

log = logging.getLogger(__name__)

BATCH_SIZE = 2_000
BATCH_WITHIN_S = 0.1
#: Copy counts for stories not indexed yet, kept until the story arrives (bounded).
MAX_WAITING_COPIES = 100_000


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
    waiting: dict[str, int] = {}  # story id -> copies seen before the story was indexed
    ready = asyncio.Event()

    async def write(actions):
        return await asyncio.get_running_loop().run_in_executor(io_thread, writer.write, actions)

    def write_stories(stories: list[EnrichedArticle]):
        # A story's copy count may have been raised in the index since this version left dedup:
        # keep the higher. On the one I/O thread, so no copy-count write comes in between.
        counted = writer.copies(alias, [story.article.id for story in stories])
        return writer.write([
            index_action(alias, story, max(counted.get(story.article.id, 0), waiting.pop(story.article.id, 0)))
            for story in stories
        ])

    async def dead_letter(where: str, reason: str, raw: bytes) -> None:
        counters["dead_letters"] += 1
        await publish(index_dlq, make_dead_letter(Rejected(where, reason, raw), stage="index"))

    @app.task
    async def prepare_index() -> None:
        # Elasticsearch may still be starting: say so in one line and keep trying.
        delay = 1.0
        while True:
            try:
                index = await asyncio.get_running_loop().run_in_executor(io_thread, ensure_index, client, alias)
                log.info("index: writing to %s (alias %s)", index, alias)
                ready.set()
                return
            except (TransportError, ApiError) as error:
                log.warning("index: cannot reach Elasticsearch at %s (%s); retrying in %.0f s",
                            settings.elasticsearch.url, type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    @app.agent(enriched, concurrency=1)
    async def index_stories(stream: faust.Stream) -> None:
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S):
            await ready.wait()
            stories = []
            for event in events:
                try:
                    stories.append(EnrichedArticle.model_validate_json(event.value))
                except ValidationError as error:
                    await dead_letter(position(event), f"not an enriched article: {error.errors()[0]['msg']}", event.value)
            result = await asyncio.get_running_loop().run_in_executor(io_thread, write_stories, stories)
            for action, reason in result.rejected:
                await dead_letter(action[0]["index"]["_id"], reason, ndjson([action]))
            counters["indexed"] += result.written
            counters["stale_or_replayed"] += result.conflicts

    @app.agent(duplicates, concurrency=1)
    async def count_copies(stream: faust.Stream) -> None:
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S):
            await ready.wait()
            latest: dict[str, int] = {}
            for event in events:
                try:
                    record = DuplicateRecord.model_validate_json(event.value)
                except ValidationError:
                    counters["bad_duplicate_records"] += 1
                    continue
                latest[record.duplicate_of] = max(latest.get(record.duplicate_of, 0), record.copies)
            result = await write([copies_action(alias, story, copies) for story, copies in latest.items()])
            for action in result.missing:  # the story is still being enriched: apply when it is indexed
                story_id = action[0]["update"]["_id"]
                if len(waiting) < MAX_WAITING_COPIES:
                    waiting[story_id] = max(waiting.get(story_id, 0), action[1]["doc"]["copies"])
            counters["copy_counts"] += result.written

    return counters
