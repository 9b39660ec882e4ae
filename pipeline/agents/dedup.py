"""The dedup agent: `articles.raw` -> `articles.unique` (first sightings and new versions) and
`articles.duplicates` (copies, with the story they duplicate).

It needs a global view (near-duplicates carry different keys), so it reads the one-partition raw
topic with concurrency 1. Its memory is a `DedupIndex`, persisted in a Faust table whose
changelog lets a restarted or rebalanced worker recover every story it has seen; stories older
than the window are removed from both.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import faust
from pydantic import ValidationError

from pipeline.agents.dead_letters import position, publish
from pipeline.dedup import DedupIndex, Story
from pipeline.ingest import InvalidInput, Rejected
from pipeline.metrics import BATCH_SECONDS, timed
from pipeline.producer import dead_letter
from pipeline.settings import Settings
from pipeline.topics import DEDUP_TABLE
from schemas import Article, DuplicateRecord, MatchKind, UniqueArticle

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 60
REPORT_EVERY_S = 30


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the dedup agent to `app`; returns its live counters."""
    topics = settings.topics
    window_s = settings.dedup.window_days * 86_400
    raw = app.topic(topics.raw, partitions=topics.raw_partitions)
    unique = app.topic(topics.unique, partitions=topics.unique_partitions)
    duplicates = app.topic(topics.duplicates, partitions=topics.unique_partitions)
    dlq = app.topic(topics.dlq, partitions=1)
    # Keys and values are bytes (the app's raw serializers): story id -> StoryState JSON.
    table = app.Table(DEDUP_TABLE, default=None, key_type=bytes, value_type=bytes, partitions=topics.raw_partitions)
    counters: Counter[str] = Counter()
    index = DedupIndex()
    loaded = False

    @app.on_partitions_revoked.connect
    async def forget(sender: faust.App, revoked: set, **kwargs: object) -> None:
        # Whoever is assigned the partition next recovers the table and rebuilds from it.
        nonlocal index, loaded
        index, loaded = DedupIndex(), False

    async def observe(event: faust.EventT) -> None:
        counters["seen"] += 1
        try:
            article = Article.model_validate_json(event.value)
        except ValidationError as error:
            problem = InvalidInput.from_validation(error)
            counters["invalid"] += 1
            rejected = Rejected(position(event), problem.reason, event.value, problem.field)
            await publish(dlq, dead_letter(rejected, stage="dedup"))
            return
        decision = index.observe(article, now=time.time(), source_offset=event.message.offset)
        for story_id, version in decision.absorbed:
            # A story found to be part of another: forgotten here, its document retired by the sink.
            if story_id.encode() in table:
                del table[story_id.encode()]
            counters["merged"] += 1
            retired = DuplicateRecord(
                id=story_id, duplicate_of=decision.story_id, kind=MatchKind.MERGED, similarity=1.0,
                copies=max(1, decision.state.copies), source=decision.state.source, headline="",
                received_at=article.received_at, retired_version=version,
            )
            await duplicates.send(key=decision.story_id.encode(), value=retired.model_dump_json().encode())
        if decision.replay:
            counters["replayed"] += 1
        else:
            counters["id_collisions"] += decision.collided_with is not None
            table[decision.story_id.encode()] = decision.state.to_json()
            counters["updates" if decision.is_update else "unique" if decision.unique else
                     f"duplicates.{decision.match.value}"] += 1
        if decision.unique:
            published = UniqueArticle(
                article=article.model_copy(update={"id": decision.story_id}),
                version=decision.version,
                copies=decision.state.copies,
                article_id=article.id if article.id != decision.story_id else None,
            )
            await unique.send(key=decision.story_id.encode(), value=published.model_dump_json().encode())
        else:
            record = DuplicateRecord(
                id=article.id, duplicate_of=decision.story_id, kind=decision.match,
                similarity=decision.similarity, copies=decision.state.copies, source=article.source, headline=article.headline,
                received_at=article.received_at,
            )
            await duplicates.send(key=decision.story_id.encode(), value=record.model_dump_json().encode())

    def expire() -> None:
        for story_id in index.expired(before=time.time() - window_s):
            index.remove(story_id)
            del table[story_id.encode()]
            counters["expired"] += 1

    @app.agent(raw, concurrency=1)
    async def dedup(stream: faust.Stream) -> None:
        nonlocal loaded
        last_expiry = last_report = time.monotonic()
        # Acked by hand once handled: Faust's own iteration acks in a `finally`, even an event whose
        # handling was cut short (see pipeline.agents.batches).
        stream = stream.noack()
        decided = BATCH_SECONDS.labels("dedup")
        async for event in stream.events():
            if not loaded:
                for value in table.values():
                    index.add(Story.from_json(value))
                loaded = True
                log.info("dedup: %d stories recovered from the table", len(index))
            with timed(decided):
                await observe(event)
                await stream.ack(event)
            now = time.monotonic()
            if now - last_expiry > EXPIRE_EVERY_S:
                last_expiry = now
                expire()
            if now - last_report > REPORT_EVERY_S:
                last_report = now
                log.info("dedup: %s", dict(counters))

    return counters
