"""The dedup agent: `articles.raw` -> `articles.unique` and `articles.duplicates`, through
`DedupStage` (`pipeline/dedup/stage.py`, where what it decides is described).

It needs a global view (near-duplicates carry different keys), so it reads the one-partition raw
topic with concurrency 1, one event at a time. This adapter gives the stage a Faust table (whose
changelog lets a restarted or rebalanced worker recover every story seen) and sends its outputs.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import faust

from pipeline.agents.dead_letters import position
from pipeline.agents.exits import within
from pipeline.dedup.stage import DedupStage, Out
from pipeline.metrics import BATCH_SECONDS, timed
from pipeline.settings import Settings
from pipeline.topics import DEDUP_TABLE

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 60
REPORT_EVERY_S = 30


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the dedup agent to `app`; returns its live counters."""
    topics = settings.topics
    raw = app.topic(topics.raw, partitions=topics.raw_partitions)
    outputs = {Out.UNIQUE: app.topic(topics.unique, partitions=topics.unique_partitions),
               Out.DUPLICATES: app.topic(topics.duplicates, partitions=topics.unique_partitions),
               Out.DEAD_LETTERS: app.topic(topics.dlq, partitions=1)}
    # Keys and values are bytes (the app's raw serializers): story id -> StoryState JSON.
    table = app.Table(DEDUP_TABLE, default=None, key_type=bytes, value_type=bytes, partitions=topics.raw_partitions)
    stage = DedupStage(table, window_s=settings.dedup.window_days * 86_400)

    @app.on_partitions_revoked.connect
    async def forget(sender: faust.App, revoked: set, **kwargs: object) -> None:
        stage.forget()

    @app.agent(raw, concurrency=1)
    async def dedup(stream: faust.Stream) -> None:
        last_expiry = last_report = time.monotonic()
        # Acked by hand once handled: Faust's own iteration acks in a `finally`, even an event whose
        # handling was cut short (see pipeline.agents.batches).
        stream = stream.noack()
        decided = BATCH_SECONDS.labels("dedup")
        async for event in stream.events():
            with timed(decided):
                for output in stage.observe(position(event), event.message.offset, event.value, now=time.time()):
                    await within(outputs[output.to].send(key=output.key, value=output.value), f"a send to {output.to.value}")
                await stream.ack(event)
            now = time.monotonic()
            if now - last_expiry > EXPIRE_EVERY_S:
                last_expiry = now
                stage.expire(now=time.time())
            if now - last_report > REPORT_EVERY_S:
                last_report = now
                log.info("dedup: %s", dict(stage.counters))

    return stage.counters
