"""The alerts stage without Faust: batches in through a fake of its outside world (`AlertIO`),
alerts and table entries out. (The same stage on the real Kafka and Elasticsearch:
tests/integration/test_alerts_worker.py and the kill -9 tests.)"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from pipeline.alerts import Matcher
from pipeline.alerts.ledger import Ledger
from pipeline.alerts.stage import AlertStage, Delivery
from pipeline.ingest.wiretext import parse_wire_text
from schemas import EnrichedArticle, Entity, EntityType
from schemas.alerts import Subscription


class FakeIO:
    """A dict for the table, lists for the topics; records every call in order."""

    def __init__(self, on_topics: set[str] = frozenset(), owned_for: int = 1_000) -> None:
        self.owned_for = owned_for  # sends before a rebalance takes the partition away
        self.table: dict[bytes, bytes] = {}
        self.sent: dict[str, list[dict]] = {}
        self.calls: list[str] = []
        self.on_topics = set(on_topics)
        self.query_batches = 0

    def entry(self, key):
        return self.table.get(key)

    def record(self, key, partition, value):
        self.table[key] = value
        self.calls.append(f"record {key.decode()}")
        return done()

    def entries(self):
        return self.table.items()

    def forget(self, key, partition):
        del self.table[key]

    async def send(self, subscription, key, value):
        self.calls.append(f"send {subscription}")
        self.sent.setdefault(subscription, []).append(json.loads(value))
        return done()

    def owns(self, partition):
        return len([call for call in self.calls if call.startswith("send")]) < self.owned_for

    async def on_topic(self, subscription, ids, since_ms):
        return ids & self.on_topics

    async def query_hits(self, stories, queries):
        self.query_batches += 1
        return [{name for name in queries if "Iran" in story.article.body_text} for story in stories]


def done() -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@pytest.fixture
def story(esper_text) -> EnrichedArticle:
    return EnrichedArticle(article=parse_wire_text(esper_text, source="voa"), version=1, entities=[
        Entity(name="Mark Esper", type=EntityType.PERSON, mentions=3, first_offset=0, in_headline=True, salience=0.9,
               forms=["Esper"])])


def deliveries(*stories: EnrichedArticle) -> list[Delivery]:
    return [Delivery(partition=2, value=s.model_dump_json().encode()) for s in stories]


def run(stage: AlertStage, matcher: Matcher, batch: list[Delivery]) -> None:
    asyncio.run(stage.handle(matcher, batch))


ESPER = Subscription(name="esper", any_entities=["person:Mark Esper"], updates=True)
IRAN = Subscription(name="iran", query="Iran")


def test_a_story_is_alerted_once_per_version_and_recorded_before_it_is_sent(story):
    io = FakeIO()
    stage = AlertStage(io, window_s=86_400)
    matcher = Matcher([ESPER])
    run(stage, matcher, deliveries(story, story))  # the same version twice in one batch
    run(stage, matcher, deliveries(story))  # and again later (a replay)
    key = story.article.id
    assert [alert["story_id"] for alert in io.sent["esper"]] == [key]
    assert io.calls[:2] == [f"record {key}", "send esper"]  # recorded (acknowledged), then sent
    assert not Ledger.load(io.table[key.encode()], 2).unconfirmed  # confirmed once sent
    assert stage.counters["already_alerted"] == 1

    run(stage, matcher, deliveries(story.model_copy(update={"version": 2})))
    assert [alert["is_update"] for alert in io.sent["esper"]] == [False, True]


@pytest.mark.parametrize("already_on_topic", [True, False])
def test_an_alert_recorded_but_not_confirmed_is_sent_only_if_not_on_its_topic(story, already_on_topic):
    from pipeline.alerts import build_alert

    matcher = Matcher([ESPER])
    [match] = matcher.match(story)
    alert_id = build_alert(match, story, is_update=False).id
    io = FakeIO(on_topics={alert_id} if already_on_topic else set())
    ledger = Ledger.load(None, 2)
    recorded_ms = int(time.time() * 1000) - 9_800  # by a worker that stopped (or lost the partition) 9.8 s ago
    ledger.record("esper", 1, recorded_ms)
    io.table[story.article.id.encode()] = ledger.dump()
    stage = AlertStage(io, window_s=86_400)
    started = time.monotonic()
    run(stage, matcher, deliveries(story))
    assert time.monotonic() - started >= 0.15  # looked on the topic only once the alert was 10 s old
    assert len(io.sent.get("esper", [])) == (0 if already_on_topic else 1)
    assert not Ledger.load(io.table[story.article.id.encode()], 2).unconfirmed


def test_query_subscriptions_cost_one_round_trip_per_batch_and_only_when_there_are_some(story):
    io = FakeIO()
    stage = AlertStage(io, window_s=86_400)
    run(stage, Matcher([ESPER]), deliveries(story))
    assert io.query_batches == 0
    other = story.model_copy(update={"article": story.article.model_copy(update={"id": "voa-other"})})
    run(stage, Matcher([ESPER, IRAN]), deliveries(story, other))
    assert io.query_batches == 1
    assert sorted(alert["story_id"] for alert in io.sent["iran"]) == sorted([story.article.id, "voa-other"])
    assert io.calls.index("send esper") < io.calls.index("send iran")  # the cheap alerts first


def test_unreadable_events_are_counted_and_old_entries_expire(story):
    io = FakeIO()
    stage = AlertStage(io, window_s=60)
    run(stage, Matcher([ESPER]), [Delivery(2, b"{not json"), *deliveries(story)])
    assert stage.counters["unreadable"] == 1 and stage.counters["stories"] == 1
    at = Ledger.load(io.table[story.article.id.encode()], 2).at
    stage.expire([3], now=at + 120)  # another partition's turn: this entry stays
    assert io.table
    stage.expire([2], now=at + 30)  # not old enough yet
    assert io.table
    stage.expire([2], now=at + 120)
    assert not io.table and stage.counters["expired"] == 1


def test_a_worker_that_loses_the_partition_mid_batch_leaves_the_rest_to_the_next_owner(story):
    io = FakeIO(owned_for=1)
    stage = AlertStage(io, window_s=86_400, settle_s=0)
    matcher = Matcher([ESPER, Subscription(name="esper-too", any_entities=["person:Mark Esper"])])
    assert asyncio.run(stage.handle(matcher, deliveries(story))) is False  # the batch must stay unacked
    assert sum(len(sent) for sent in io.sent.values()) == 1
    entry = Ledger.load(io.table[story.article.id.encode()], 2)
    assert set(entry.unconfirmed) == {"esper", "esper-too"}  # both recorded, neither confirmed

    # The next owner reads the batch again: it finds the one sent and sends only the other.
    successor = AlertStage(FakeIO(on_topics={alert["id"] for sent in io.sent.values() for alert in sent}), 86_400, settle_s=0)
    successor.io.table = dict(io.table)
    assert asyncio.run(successor.handle(matcher, deliveries(story))) is True
    assert [name for name, sent in successor.io.sent.items() if sent] == [n for n in ("esper", "esper-too") if n not in io.sent]


@pytest.mark.parametrize("split", [False, True])
def test_two_versions_of_a_story_cut_short_in_one_batch_are_both_alerted_when_read_again(story, split):
    """The kill -9 test's lost alert: a batch held versions 1 and 2 of a story, and a rebalance came
    before either alert went out. Read again (in one batch or two), each version is sent once."""
    io = FakeIO(owned_for=0)
    stage = AlertStage(io, window_s=86_400, settle_s=0)
    matcher = Matcher([ESPER])
    second = story.model_copy(update={"version": 2})
    assert asyncio.run(stage.handle(matcher, deliveries(story, second))) is False
    assert not io.sent

    successor = AlertStage(FakeIO(), 86_400, settle_s=0)
    successor.io.table = dict(io.table)
    for batch in ([story], [second]) if split else ([story, second],):
        assert asyncio.run(successor.handle(matcher, deliveries(*batch))) is True
    assert [(alert["version"], alert["is_update"]) for alert in successor.io.sent["esper"]] == [(1, False), (2, True)]
    assert not Ledger.load(successor.io.table[story.article.id.encode()], 2).unconfirmed
