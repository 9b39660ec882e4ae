"""The alerts agent: `articles.enriched` -> `alerts.<subscription>` for every subscription a story matches.

Each worker follows every subscription (`SubscriptionFeed`); stories are matched as they come, in
small batches. Entity and phrase alerts go out at once; query subscriptions then cost one
Elasticsearch round trip per batch, so they never hold the cheap alerts back. The table
`alerts-sent` (story id -> the last version alerted to each subscription, changelogged and
partitioned like the stories) is what keeps a replay, a redelivery after a crash or a rebalance
from alerting twice. Duplicates never reach `articles.enriched`, so a copy never alerts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import faust
from elasticsearch import ApiError, TransportError
from faust.streams import _current_event
from pydantic import ValidationError

from pipeline.agents.batches import batches
from pipeline.alerts import Matcher, build_alert, should_alert
from pipeline.alerts.queries import QueryMatcher
from pipeline.alerts.store import SubscriptionFeed
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import ALERTS_TABLE, alert_topic
from schemas import EnrichedArticle

log = logging.getLogger(__name__)

BATCH_SIZE = 64
BATCH_WITHIN_S = 0.05
EXPIRE_EVERY_S = 60


def in_event_context(event: faust.EventT) -> None:
    """Make `event` the current event of this task, as Faust does for each event it yields. A table
    write goes to the changelog partition of the current event, and a batch (`batches`)
    sets none. Only the context variable is set: the stream's own `current_event`, which its
    batching reads, is left alone."""
    _current_event.set(weakref.ref(event))


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the alerts agent to `app`; returns its live counters."""
    topics = settings.topics
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    # Keys and values are bytes: story id -> {"at": epoch s, "p": partition, "sent": {subscription: version}}.
    table = app.Table(ALERTS_TABLE, default=None, key_type=bytes, value_type=bytes,
                      partitions=topics.enriched_partitions)
    window_s = settings.dedup.window_days * 86_400
    counters: Counter[str] = Counter()
    feed = SubscriptionFeed(settings)
    queries = QueryMatcher(connect(settings), settings.elasticsearch.index_alias)
    es_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts-es")
    alert_topics: dict[str, faust.TopicT] = {}

    @app.task
    async def follow_subscriptions() -> None:
        feed.start()

    async def match_queries(stories: list[EnrichedArticle], named: dict[str, str]) -> list[set[str]]:
        # Elasticsearch down: wait for it, as the sink does, rather than drop an alert.
        delay = 0.5
        while True:
            try:
                return await asyncio.get_running_loop().run_in_executor(es_thread, queries.match, stories, named)
            except (TransportError, ApiError) as error:
                log.warning("alerts: cannot match query subscriptions (%s); retrying in %.0f s", type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def send(alert) -> None:
        name = alert.subscription
        if name not in alert_topics:
            alert_topics[name] = app.topic(alert_topic(settings, name), partitions=1)
        await alert_topics[name].send(key=alert.id.encode(), value=alert.model_dump_json().encode())

    async def raise_alerts(matcher: Matcher, events: list[faust.EventT], stories: list[EnrichedArticle],
                           hits: list[set[str]] | None = None) -> None:
        """Alerts for the entity and phrase subscriptions, or with `hits` for the query ones."""
        for event, story, query_hits in zip(events, stories, hits or [set() for _ in stories]):
            in_event_context(event)
            key = story.article.id.encode()
            sent = json.loads(table[key])["sent"] if table.get(key) else {}
            raised = 0
            for match in matcher.match(story, query_hits):
                name = match.subscription.name
                if hits is not None and name not in matcher.queries:
                    continue  # alerted in the first pass
                if not should_alert(match.subscription, story.version, sent.get(name)):
                    counters["already_alerted"] += 1
                    continue
                await send(build_alert(match, story, is_update=name in sent))
                sent[name] = story.version
                raised += 1
            if raised:
                table[key] = json.dumps({"at": time.time(), "p": event.message.partition, "sent": sent}).encode()
            counters["alerts"] += raised

    def expire(events: list[faust.EventT], cutoff: float) -> None:
        """Forget stories older than the window, partition by partition: a deletion goes to the
        changelog partition of the current event, so each is made in the context of an event of
        the partition its story belongs to (those of this batch; the others in a later one)."""
        for event in {event.message.partition: event for event in events}.values():
            in_event_context(event)
            for key, value in list(table.items()):
                entry = json.loads(value)
                if entry["p"] == event.message.partition and entry["at"] < cutoff:
                    del table[key]
                    counters["expired"] += 1

    @app.agent(enriched, concurrency=1)
    async def alert(stream: faust.Stream) -> None:
        last_expiry = time.monotonic()
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S):
            if not feed.ready.is_set():
                await asyncio.get_running_loop().run_in_executor(None, feed.ready.wait)
            matcher = feed.matcher
            readable, stories = [], []
            for event in events:
                try:
                    stories.append(EnrichedArticle.model_validate_json(event.value))
                    readable.append(event)
                except ValidationError:  # the index agent dead-letters it; nothing to alert
                    counters["unreadable"] += 1
            # Entities and phrases first, at once; query subscriptions wait for Elasticsearch.
            await raise_alerts(matcher, readable, stories)
            if matcher.queries:
                await raise_alerts(matcher, readable, stories, await match_queries(stories, matcher.queries))
            counters["stories"] += len(stories)
            if time.monotonic() - last_expiry > EXPIRE_EVERY_S:
                last_expiry = time.monotonic()
                expire(readable, cutoff=time.time() - window_s)

    return counters
