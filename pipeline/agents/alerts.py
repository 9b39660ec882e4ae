"""The alerts agent: `articles.enriched` -> `alerts.<subscription>` for every subscription a story matches.

Each worker follows every subscription (`SubscriptionFeed`); stories are matched as they come, in
small batches. Entity and phrase alerts go out at once; query subscriptions then cost one
Elasticsearch round trip per batch, so they never hold the cheap alerts back. The table
`alerts-sent` (story id -> the last version alerted to each subscription, changelogged and
partitioned like the stories) is what keeps a replay, a redelivery after a crash or a rebalance
from alerting twice: an alert is recorded there before it is sent, and one recorded but not known
to be sent (a worker killed in between) is looked for on its topic (`pipeline.alerts.ledger`).
Duplicates never reach `articles.enriched`, so a copy never alerts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import faust
from elasticsearch import ApiError, TransportError
from pydantic import ValidationError

from pipeline.agents.batches import batches, in_event_context
from pipeline.alerts import Matcher, build_alert
from pipeline.alerts.delivered import ReadBackError, already_sent
from pipeline.alerts.ledger import Action, Ledger
from pipeline.alerts.queries import QueryMatcher
from pipeline.alerts.store import SubscriptionFeed
from pipeline.retrying import async_retry_forever
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import ALERTS_TABLE, alert_topic
from schemas import EnrichedArticle
from schemas.alerts import Alert

log = logging.getLogger(__name__)

BATCH_SIZE = 64
BATCH_WITHIN_S = 0.05
EXPIRE_EVERY_S = 60


def register(app: faust.App, settings: Settings) -> Counter[str]:
    """Add the alerts agent to `app`; returns its live counters."""
    topics = settings.topics
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    # Keys and values are bytes: story id -> `Ledger.dump()`.
    table = app.Table(ALERTS_TABLE, default=None, key_type=bytes, value_type=bytes,
                      partitions=topics.enriched_partitions)
    window_s = settings.dedup.window_days * 86_400
    counters: Counter[str] = Counter()
    feed = SubscriptionFeed(settings)
    queries = QueryMatcher(connect(settings), settings.elasticsearch.index_alias)
    io_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts-io")
    alert_topics: dict[str, faust.TopicT] = {}

    @app.task
    async def follow_subscriptions() -> None:
        feed.start()

    async def retrying(what: str, errors: tuple[type[Exception], ...], call, *args):
        """`call(*args)` in a thread, again and again while it fails with `errors`: an outage
        (Elasticsearch, Kafka) holds alerts back rather than dropping one."""
        def waiting(error: BaseException, delay: float) -> None:
            log.warning("alerts: cannot %s (%s: %.200s); retrying in %.0f s", what, type(error).__name__, error, delay)

        async def in_thread():
            return await asyncio.get_running_loop().run_in_executor(io_thread, call, *args)

        return await async_retry_forever(errors, waiting, first_s=0.5)(in_thread)

    def topic_of(name: str) -> faust.TopicT:
        if name not in alert_topics:
            alert_topics[name] = app.topic(alert_topic(settings, name), partitions=1)
        return alert_topics[name]

    def write(key: bytes, event: faust.EventT, ledger: Ledger) -> asyncio.Future:
        """Store `ledger` and return its changelog record's future (`table[key] = ...` drops it)."""
        value = ledger.dump()
        table.data[key] = value
        return table.send_changelog(event.message.partition, key, value)

    async def on_topics(unsure: list[tuple[bytes, Alert, int]]) -> set[str]:
        """The ids of the `unsure` alerts that are on their topics."""
        found: set[str] = set()
        for name in {alert.subscription for _, alert, _ in unsure}:
            ids = {alert.id for _, alert, _ in unsure if alert.subscription == name}
            since_ms = min(since for _, alert, since in unsure if alert.subscription == name)
            found |= await retrying(f"read back {name}'s alerts", (ReadBackError,), already_sent,
                                    settings, alert_topic(settings, name), ids, since_ms)
        return found

    async def raise_alerts(matcher: Matcher, events: list[faust.EventT], stories: list[EnrichedArticle],
                           hits: list[set[str]] | None = None) -> None:
        """Alerts for the entity and phrase subscriptions, or with `hits` for the query ones.

        Each alert is recorded in the table (acknowledged) before it is sent, and confirmed there
        once it is acknowledged itself (`pipeline.alerts.ledger`)."""
        now_ms = int(time.time() * 1000)
        ledgers: dict[bytes, tuple[faust.EventT, Ledger]] = {}
        fresh: list[tuple[bytes, Alert]] = []
        unsure: list[tuple[bytes, Alert, int]] = []
        for event, story, query_hits in zip(events, stories, hits or [set() for _ in stories]):
            key = story.article.id.encode()
            ledger = ledgers[key][1] if key in ledgers else Ledger.load(table.get(key), event.message.partition)
            ledgers[key] = (event, ledger)
            for match in matcher.match(story, query_hits):
                name = match.subscription.name
                if hits is not None and name not in matcher.queries:
                    continue  # alerted in the first pass
                action = ledger.action(match.subscription, story.version)
                if action is Action.SEND:
                    mark = ledger.record(name, story.version, now_ms)
                    fresh.append((key, build_alert(match, story, is_update=mark.is_update)))
                elif action is Action.VERIFY:
                    mark = ledger.unconfirmed[name]
                    unsure.append((key, build_alert(match, story, is_update=mark.is_update), mark.since_ms))
                else:
                    counters["already_alerted"] += 1
        if not fresh and not unsure:
            return
        await asyncio.gather(*(write(key, *ledgers[key]) for key in {key for key, _ in fresh}))
        found = await on_topics(unsure) if unsure else set()
        if unsure:
            log.warning("alerts: %d alert(s) recorded but not confirmed (their worker stopped): %d already on "
                        "their topics, %d sent now", len(unsure), len(found), len(unsure) - len(found))
        to_send = fresh + [(key, alert) for key, alert, _ in unsure if alert.id not in found]
        await asyncio.gather(*[await topic_of(alert.subscription).send(key=alert.id.encode(),
                                                                       value=alert.model_dump_json().encode())
                               for _, alert in to_send])
        counters["alerts"] += len(to_send)
        handled: dict[bytes, set[str]] = {}
        for key, alert in [*fresh, *((key, alert) for key, alert, _ in unsure)]:
            handled.setdefault(key, set()).add(alert.subscription)
        for key, names in handled.items():
            event, ledger = ledgers[key]
            if ledger.confirm(names):  # only these: another pass may still have to look for its own
                write(key, event, ledger)  # if lost, a replay looks on the topic again

    def expire(events: list[faust.EventT], cutoff: float) -> None:
        """Forget stories older than the window, partition by partition: a deletion goes to the
        changelog partition of the current event, so each is made in the context of an event of
        the partition its story belongs to (those of this batch; the others in a later one)."""
        for event in {event.message.partition: event for event in events}.values():
            in_event_context(event)
            for key, value in list(table.items()):
                entry = Ledger.load(value, event.message.partition)
                if entry.partition == event.message.partition and entry.at < cutoff:
                    del table[key]
                    counters["expired"] += 1

    @app.agent(enriched, concurrency=1)
    async def alert(stream: faust.Stream) -> None:
        last_expiry = time.monotonic()
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S, "alerts"):
            if not feed.ready.is_set():
                await asyncio.get_running_loop().run_in_executor(None, feed.ready.wait)
            matcher = feed.matcher
            readable, stories, versions = [], [], set()
            for event in events:
                try:
                    story = EnrichedArticle.model_validate_json(event.value)
                except ValidationError:  # the index agent dead-letters it; nothing to alert
                    counters["unreadable"] += 1
                    continue
                # A version on the topic twice (at least once) in one batch: its second reading would
                # find the first one's alert recorded but not yet sent, and send it again.
                if (story.article.id, story.version) not in versions:
                    versions.add((story.article.id, story.version))
                    readable.append(event)
                    stories.append(story)
            # Entities and phrases first, at once; query subscriptions wait for Elasticsearch.
            await raise_alerts(matcher, readable, stories)
            if matcher.queries:
                hits = await retrying("match query subscriptions", (TransportError, ApiError), queries.match, stories, matcher.queries)
                await raise_alerts(matcher, readable, stories, hits)
            counters["stories"] += len(stories)
            if time.monotonic() - last_expiry > EXPIRE_EVERY_S:
                last_expiry = time.monotonic()
                expire(readable, cutoff=time.time() - window_s)

    return counters
