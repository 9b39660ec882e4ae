"""The alerts stage: a batch of enriched stories in, alerts out for every subscription each
matches, each version alerted once per subscription. No Faust here: the agent
(`pipeline/agents/alerts.py`) hands it the stories and the means to reach the outside world
(`AlertIO`), so the logic runs, and is tested, without a broker.

Entity and phrase alerts go out at once; query subscriptions then cost one Elasticsearch round trip
per batch, so they never hold the cheap alerts back. The `alerts-sent` table (story id -> its
`Ledger`, partitioned like the stories) keeps a replay, a redelivery after a crash or a rebalance
from alerting twice: an alert is recorded there before it is sent, and one recorded but not known
to be sent (a worker killed in between) is looked for on its topic (`pipeline.alerts.ledger`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from pipeline.alerts import Matcher, build_alert
from pipeline.alerts.ledger import Action, Ledger
from schemas import EnrichedArticle
from schemas.alerts import Alert

log = logging.getLogger(__name__)

#: An alert recorded this recently may still be on its way from a worker that lost the story's
#: partition at a rebalance but is still running: it is looked for on its topic only once it is
#: this old, or it would be found missing and sent a second time.
SETTLE_S = 10.0


@dataclass(frozen=True)
class Delivery:
    """One event of the enriched topic: its partition (the story's, and its table entry's) and value."""

    partition: int
    value: bytes


class AlertIO(Protocol):
    """What the stage needs of the outside world; the agent gives it Faust's table and topics."""

    def entry(self, key: bytes) -> bytes | None:
        """A story's table entry, as stored."""

    def record(self, key: bytes, partition: int, value: bytes) -> Awaitable[object]:
        """Store an entry; the awaitable completes when its changelog record is acknowledged."""

    def entries(self) -> Iterable[tuple[bytes, bytes]]:
        """Every table entry this worker holds."""

    def forget(self, key: bytes, partition: int) -> None:
        """Delete an entry of `partition` (its changelog gets the deletion)."""

    async def send(self, subscription: str, key: bytes, value: bytes) -> Awaitable[object]:
        """Queue an alert on the subscription's topic; the awaitable completes when it is acknowledged."""

    async def on_topic(self, subscription: str, ids: set[str], since_ms: int) -> set[str]:
        """Which of the alert `ids` are on the subscription's topic since `since_ms`."""

    async def query_hits(self, stories: list[EnrichedArticle], queries: dict[str, str]) -> list[set[str]]:
        """For each story, the names of the query subscriptions it matches."""

    def owns(self, partition: int) -> bool:
        """Whether this worker still holds `partition` (False from the moment a rebalance begins)."""


class AlertStage:
    """Matches each batch against `matcher` (the subscriptions of the moment) and sends the alerts."""

    def __init__(self, io: AlertIO, window_s: float, counters: Counter[str] | None = None,
                 settle_s: float = SETTLE_S) -> None:
        self.io = io
        self.window_s = window_s
        self.settle_s = settle_s
        self.counters: Counter[str] = counters if counters is not None else Counter()

    async def handle(self, matcher: Matcher, deliveries: list[Delivery]) -> bool:
        """Alert every subscription each story of the batch matches, once per version. Returns False
        when a rebalance took one of the batch's partitions away before all its alerts were sent:
        the batch must then not be acknowledged, and its next owner finishes it (the alerts already
        sent are recorded, and found on their topics)."""
        readable, stories, versions = [], [], set()
        for delivery in deliveries:
            try:
                story = EnrichedArticle.model_validate_json(delivery.value)
            except ValidationError:  # the index stage dead-letters it; nothing to alert
                self.counters["unreadable"] += 1
                continue
            # A version on the topic twice (at least once) in one batch: its second reading would find
            # the first one's alert recorded but not yet sent, and send it again.
            if (story.article.id, story.version) not in versions:
                versions.add((story.article.id, story.version))
                readable.append(delivery)
                stories.append(story)
        if not await self._raise(matcher, readable, stories):
            return False
        if matcher.queries:
            hits = await self.io.query_hits(stories, matcher.queries)
            if not await self._raise(matcher, readable, stories, hits):
                return False
        self.counters["stories"] += len(stories)
        return True

    def expire(self, partitions: Iterable[int], now: float | None = None) -> None:
        """Forget the stories of `partitions` older than the window."""
        cutoff = (now or time.time()) - self.window_s
        for partition in set(partitions):
            for key, value in list(self.io.entries()):
                entry = Ledger.load(value, partition)
                if entry.partition == partition and entry.at < cutoff:
                    self.io.forget(key, partition)
                    self.counters["expired"] += 1

    async def _raise(self, matcher: Matcher, deliveries: list[Delivery], stories: list[EnrichedArticle],
                     hits: list[set[str]] | None = None) -> bool:
        """Alerts for the entity and phrase subscriptions, or with `hits` for the query ones; False
        when the batch was given up (see `handle`).

        Each alert is recorded in the table (acknowledged) before it is sent, and confirmed there
        once it is acknowledged itself (`pipeline.alerts.ledger`). An alert is sent only while its
        partition is still this worker's: a worker that lost it at a rebalance, but runs on, leaves
        the rest to the new owner, which finds what was recorded (and sent) before the rebalance."""
        now_ms = int(time.time() * 1000)
        ledgers: dict[bytes, tuple[int, Ledger]] = {}
        fresh: list[tuple[bytes, Alert]] = []
        unsure: list[tuple[bytes, Alert, int]] = []
        for delivery, story, query_hits in zip(deliveries, stories, hits or [set() for _ in stories]):
            key = story.article.id.encode()
            ledger = ledgers[key][1] if key in ledgers else Ledger.load(self.io.entry(key), delivery.partition)
            ledgers[key] = (delivery.partition, ledger)
            for match in matcher.match(story, query_hits):
                name = match.subscription.name
                if hits is not None and name not in matcher.queries:
                    continue  # alerted in the first pass
                action = ledger.action(match.subscription, story.version)
                if action is Action.SEND:
                    mark = ledger.record(name, story.version, now_ms)
                    fresh.append((key, build_alert(match, story, is_update=mark.is_update)))
                elif action is Action.VERIFY:
                    mark = ledger.mark(name, story.version)
                    unsure.append((key, build_alert(match, story, is_update=mark.is_update), mark.since_ms))
                else:
                    self.counters["already_alerted"] += 1
        if not fresh and not unsure:
            return True
        await asyncio.gather(*(self._record(key, *ledgers[key]) for key in {key for key, _ in fresh}))
        found = await self._on_topics(unsure) if unsure else set()
        if unsure:
            log.warning("alerts: %d alert(s) recorded but not confirmed (their worker stopped): %d already on "
                        "their topics, %d sent now", len(unsure), len(found), len(unsure) - len(found))
        to_send = fresh + [(key, alert) for key, alert, _ in unsure if alert.id not in found]
        sent, acknowledged = [], []
        for key, alert in to_send:
            if not self.io.owns(ledgers[key][0]):
                break
            acknowledged.append(await self.io.send(alert.subscription, alert.id.encode(), alert.model_dump_json().encode()))
            sent.append((key, alert))
        await asyncio.gather(*acknowledged)
        self.counters["alerts"] += len(sent)
        if len(sent) < len(to_send):
            log.warning("alerts: a rebalance took a partition away mid-batch: %d alert(s) left to its next owner",
                        len(to_send) - len(sent))
            return False
        handled: dict[bytes, set[tuple[str, int]]] = {}
        for key, alert in [*fresh, *((key, alert) for key, alert, _ in unsure)]:
            handled.setdefault(key, set()).add((alert.subscription, alert.version))
        for key, alerts in handled.items():
            partition, ledger = ledgers[key]
            if ledger.confirm(alerts):  # only these: another pass or batch may still have to look for its own
                self._record(key, partition, ledger)  # if lost, a replay looks on the topic again
        return True

    def _record(self, key: bytes, partition: int, ledger: Ledger) -> Awaitable[object]:
        return self.io.record(key, partition, ledger.dump())

    async def _on_topics(self, unsure: list[tuple[bytes, Alert, int]]) -> set[str]:
        """The ids of the `unsure` alerts that are on their topics."""
        newest_ms = max(since for _, _, since in unsure)
        if (wait := self.settle_s - (time.time() * 1000 - newest_ms) / 1000) > 0:
            await asyncio.sleep(wait)
        found: set[str] = set()
        for name in {alert.subscription for _, alert, _ in unsure}:
            ids = {alert.id for _, alert, _ in unsure if alert.subscription == name}
            since_ms = min(since for _, alert, since in unsure if alert.subscription == name)
            found |= await self.io.on_topic(name, ids, since_ms)
        return found
