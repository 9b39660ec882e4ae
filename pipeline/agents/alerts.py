"""The alerts agent: `articles.enriched` -> `alerts.<subscription>`, through `AlertStage`
(`pipeline/alerts/stage.py`, where the logic and its guarantees are described).

This adapter gives the stage Faust's table (`alerts-sent`, changelogged and partitioned like the
stories), the alert topics, and the outside calls retried while a service is away (reading alerts
back from their topic, matching query subscriptions in Elasticsearch): an outage holds alerts back
rather than dropping one. Each worker follows every subscription (`SubscriptionFeed`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
from faust.types import TP

from pipeline.agents.batches import batches, in_event_context
from pipeline.agents.exits import within
from pipeline.alerts.delivered import ReadBackError, already_sent
from pipeline.alerts.queries import QueryMatcher
from pipeline.alerts.stage import AlertStage, Delivery
from pipeline.alerts.store import SubscriptionFeed
from pipeline.retrying import async_retry_forever
from pipeline.settings import Settings
from pipeline.topics import ALERTS_TABLE, alert_topic
from schemas import EnrichedArticle

log = logging.getLogger(__name__)

BATCH_SIZE = 64
BATCH_WITHIN_S = 0.05
EXPIRE_EVERY_S = 60


class FaustAlertIO:
    """`AlertIO` on Faust: the table, the alert topics, and the outside calls in a thread, retried."""

    def __init__(self, app: faust.App, settings: Settings, table: faust.types.TableT) -> None:
        self.app, self.settings, self.table = app, settings, table
        self.enriched = settings.topics.enriched
        self.queries = QueryMatcher()
        self._io_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts-io")
        self._topics: dict[str, faust.TopicT] = {}
        #: An event of each partition of the batch at hand: a deletion goes to the changelog
        #: partition of the current event (`forget`).
        self.events_by_partition: dict[int, faust.EventT] = {}

    def entry(self, key: bytes) -> bytes | None:
        return self.table.get(key)

    def record(self, key: bytes, partition: int, value: bytes) -> Awaitable[Any]:
        self.table.data[key] = value  # not `table[key] = ...`, which drops the changelog record's future
        acknowledged = self.table.send_changelog(partition, key, value)
        # A task: it runs (and keeps its deadline) whether the stage awaits it or not.
        return asyncio.ensure_future(within(acknowledged, "an alerts-table changelog record"))

    def entries(self) -> Iterable[tuple[bytes, bytes]]:
        return self.table.items()

    def forget(self, key: bytes, partition: int) -> None:
        in_event_context(self.events_by_partition[partition])
        del self.table[key]

    async def send(self, subscription: str, key: bytes, value: bytes) -> Awaitable[Any]:
        if subscription not in self._topics:
            self._topics[subscription] = self.app.topic(alert_topic(self.settings, subscription), partitions=1)
        acknowledged = await within(self._topics[subscription].send(key=key, value=value), f"a send to {subscription}'s topic")
        return asyncio.ensure_future(within(acknowledged, f"an alert's acknowledgement on {subscription}'s topic"))

    async def on_topic(self, subscription: str, ids: set[str], since_ms: int) -> set[str]:
        return await self._retrying(f"read back {subscription}'s alerts", (ReadBackError,), already_sent,
                                    self.settings, alert_topic(self.settings, subscription), ids, since_ms)

    async def query_hits(self, stories: list[EnrichedArticle], queries: dict[str, str]) -> list[set[str]]:
        return self.queries.match(stories, queries)

    def owns(self, partition: int) -> bool:
        return not self.app.rebalancing and TP(self.enriched, partition) in self.app.consumer.assignment()

    async def _retrying(self, what: str, errors: tuple[type[Exception], ...], call: Callable[..., Any], *args: Any) -> Any:
        def waiting(error: BaseException, delay: float) -> None:
            log.warning("alerts: cannot %s (%s: %.200s); retrying in %.0f s", what, type(error).__name__, error, delay)

        async def in_thread() -> Any:
            return await asyncio.get_running_loop().run_in_executor(self._io_thread, call, *args)

        return await async_retry_forever(errors, waiting, first_s=0.5)(in_thread)


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the alerts agent to `app`; returns its live counters."""
    topics = settings.topics
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    # Keys and values are bytes: story id -> `Ledger.dump()`.
    table = app.Table(ALERTS_TABLE, default=None, key_type=bytes, value_type=bytes,
                      partitions=topics.enriched_partitions)
    io = FaustAlertIO(app, settings, table)
    stage = AlertStage(io, window_s=settings.dedup.window_days * 86_400)
    feed = SubscriptionFeed(settings)

    @app.task
    async def follow_subscriptions() -> None:
        feed.start()

    @app.agent(enriched, concurrency=1)
    async def alert(stream: faust.Stream) -> None:
        last_expiry = time.monotonic()
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "alerts"):
            if not feed.ready.is_set():
                await asyncio.get_running_loop().run_in_executor(None, feed.ready.wait)
            if not await stage.handle(feed.matcher, [Delivery(event.message.partition, event.value) for event in events]):
                events.unacked = True  # a rebalance took a partition away mid-batch: its next owner finishes it
                continue
            if time.monotonic() - last_expiry > EXPIRE_EVERY_S:
                last_expiry = time.monotonic()
                # The stories of the partitions this batch came from; the others' in a later batch.
                io.events_by_partition = {event.message.partition: event for event in events}
                stage.expire(io.events_by_partition)

    return stage.counters
