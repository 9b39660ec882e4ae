"""Alerts on the real stack: each subscription gets each matching story once, through copies, an
update, a replay of every enriched story, and a subscription added while the worker runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from kafka import KafkaProducer
from kafka.partitioner import murmur2

from pipeline import loadgen
from pipeline.alerts import alert_id
from pipeline.alerts.ledger import Ledger, Unconfirmed
from pipeline.alerts.store import SubscriptionStore
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.search import SearchRequest, search
from pipeline.settings import settings_env
from pipeline.topics import ALERTS_TABLE, alert_topic, changelog_topic
from schemas.alerts import Subscription
from tests.integration.conftest import read_topic
from tests.integration.workers import WorkerProcess, agent_crashes, caught_up, drain, produce

SUBSCRIPTIONS = [
    Subscription(name="esper", any_entities=["person:Mark Esper"], updates=True),
    Subscription(name="baghdad", any_entities=["place:Baghdad"]),
    Subscription(name="embassy", phrases=["embassy"]),
    Subscription(name="preemptive", query="preemptive AND Iran"),
    Subscription(name="nothing", phrases=["zeppelin"]),
]


def alerts(settings, name):
    return [value for _, value in read_topic(settings, alert_topic(settings, name))]


def test_each_subscription_is_alerted_once_per_story(settings, es, sample_texts, tmp_path):
    stories = [parse_wire_text(text, source="voa") for text in sample_texts.values()]
    esper = next(s for s in stories if s.headline.startswith("Esper"))
    store = SubscriptionStore(settings)
    for subscription in SUBSCRIPTIONS:
        store.put(subscription)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        produce(settings, [*stories, loadgen.resend(esper), loadgen.syndicate(esper, "metro-herald")])
        enriched = drain(settings, [settings.topics.enriched], lambda records: len(records) == len(stories), workers=[worker])
        caught_up(settings, settings.topics.enriched, workers=[worker])
        # An update, then a subscription added while the worker runs, then a replay of everything
        # enriched, each record twice in a row: the new subscription's alerts from the replay are
        # new versions read twice in one batch, and must still go out once.
        produce(settings, [loadgen.update(esper, "Esper said on Friday the embassy in Baghdad would reopen.")])
        drain(settings, [settings.topics.enriched], lambda records: len(records) == len(stories) + 1, workers=[worker])
        store.put(Subscription(name="volcano", phrases=["volcano"]))
        time.sleep(2)  # the worker's subscription feed polls every 0.5 s
        producer = KafkaProducer(**settings.kafka.client_config())
        for _, value in read_topic(settings, settings.topics.enriched):
            for _ in range(2):
                producer.send(settings.topics.enriched, key=value["article"]["id"].encode(), value=json.dumps(value).encode())
        producer.flush()
        producer.close()
        caught_up(settings, settings.topics.enriched, workers=[worker])
        got = {sub.name: alerts(settings, sub.name) for sub in [*SUBSCRIPTIONS, Subscription(name="volcano", phrases=["v"])]}
        tailed = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "alerts", "tail", "esper", "--from-beginning", "--json", "--count", "2"],
            env={**os.environ, **settings_env(settings)}, capture_output=True, text=True, timeout=60,
        )
        status = subprocess.run([sys.executable, "-m", "pipeline.cli", "status", "--json"],
                                env={**os.environ, **settings_env(settings)}, capture_output=True, text=True, timeout=60)
    finally:
        worker.stop()
    assert not agent_crashes(worker)
    # `wirestream status`: each subscription (config/alerts.yaml's too) with the time of its newest
    # alert, none for one never matched.
    last = {row["name"]: row["last_alert"] for row in json.loads(status.stdout)["subscriptions"]}
    assert {sub.name for sub in SUBSCRIPTIONS} | {"volcano"} <= set(last) and last["nothing"] is None
    assert last["esper"] == max(alert["alerted_at"] for alert in got["esper"]).replace("Z", "+00:00")

    # What each subscription should have matched, found without the alerts code: the enrichment's
    # entities, the text itself, and a search of the main index.
    by_id = {value["article"]["id"]: value for _, value in enriched}

    def with_entity(kind, name):
        return {i for i, s in by_id.items() if any(e["type"] == kind and e["name"] == name for e in s["entities"])}

    def with_word(word):
        return {s.id for s in stories if re.search(rf"\b{word}\b", "\n".join([s.headline, s.body_text, *s.captions]), re.I)}

    alias = settings.elasticsearch.index_alias
    es.indices.refresh(index=alias)
    expected = {
        "esper": with_entity("person", "Mark Esper"),
        "baghdad": with_entity("place", "Baghdad"),
        "embassy": with_word("embassy"),
        "preemptive": {hit.id for hit in search(es, alias, SearchRequest("preemptive AND Iran", limit=50, syntax="lucene")).hits},
        "nothing": set(),
        "volcano": with_word("volcano"),
    }
    assert esper.id in expected["esper"] & expected["baghdad"] & expected["embassy"] & expected["preemptive"]
    assert expected["volcano"]
    for name, want in expected.items():
        ids = [alert["id"] for alert in got[name]]
        assert len(ids) == len(set(ids)), f"{name}: an alert was sent twice: {ids}"
        first_versions = {alert["story_id"] for alert in got[name] if alert["version"] == 1}
        assert first_versions == want, name
    # Only the subscription that follows updates heard of version 2, once, marked as an update.
    assert [(a["story_id"], a["is_update"]) for a in got["esper"] if a["version"] == 2] == [(esper.id, True)]
    assert all(a["version"] == 1 for name in ("baghdad", "embassy", "preemptive") for a in got[name])
    # The copies never alerted: every alert names a story's own id, and the snippet shows the match.
    assert all(a["story_id"] in by_id for alerts_ in got.values() for a in alerts_)
    [query_alert] = [a for a in got["preemptive"] if a["story_id"] == esper.id]
    assert query_alert["matched"] == ["query:preemptive AND Iran"] and "<em>" in query_alert["snippet"]
    assert "<em>embassy</em>" in next(a for a in got["embassy"] if a["story_id"] == esper.id)["snippet"].lower()
    # `wirestream alerts tail` shows the same alerts, as JSON lines.
    assert tailed.returncode == 0, tailed.stderr
    assert [json.loads(line)["id"] for line in tailed.stdout.splitlines()] == [a["id"] for a in got["esper"][:2]]


def test_tail_shows_an_alert_sent_twice_once(settings):
    # After a worker crash the same alert (same id) can be sent again: at least once.
    SubscriptionStore(settings).put(Subscription(name="twice", phrases=["anything"]))
    topic = alert_topic(settings, "twice")
    records = [(b"twice:a:v1", b'{"id": "twice:a:v1"}'), (b"twice:a:v1", b'{"id": "twice:a:v1"}'),
               (b"twice:b:v1", b'{"id": "twice:b:v1"}')]
    producer = KafkaProducer(**settings.kafka.client_config())
    for key, value in records:
        producer.send(topic, key=key, value=value)
    producer.close()
    tailed = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "alerts", "tail", "twice", "--from-beginning", "--json", "--count", "2"],
        env={**os.environ, **settings_env(settings)}, capture_output=True, text=True, timeout=60,
    )
    assert tailed.returncode == 0, tailed.stderr
    assert [json.loads(line)["id"] for line in tailed.stdout.splitlines()] == ["twice:a:v1", "twice:b:v1"]


def test_an_alert_recorded_but_unconfirmed_is_looked_for_on_its_topic(settings, sample_texts, tmp_path):
    """What a worker killed between recording an alert and hearing it was sent leaves behind: the
    next owner sends the alert only if it is not on its topic already (a query subscription's in
    its own pass, after the phrase ones)."""
    on_topic, missing, new = [parse_wire_text(text, source="voa") for text in list(sample_texts.values())[:3]]
    word = next(w for w in re.findall(r"[A-Za-z]{6,}", missing.headline))
    every, query = Subscription(name="every", phrases=["the"]), Subscription(name="query", query=word)
    SubscriptionStore(settings).put(every, query)
    now_ms = int(time.time() * 1000)
    producer = KafkaProducer(**settings.kafka.client_config())
    partitions = list(range(settings.topics.enriched_partitions))
    for story, names in ((on_topic, [every.name]), (missing, [every.name, query.name])):
        key = story.id.encode()
        ledger = Ledger((murmur2(key) & 0x7fffffff) % len(partitions), now_ms / 1000, dict.fromkeys(names, 1),
                        {name: [Unconfirmed(1, now_ms, is_update=False)] for name in names})
        producer.send(changelog_topic(settings, ALERTS_TABLE), key=key, value=ledger.dump(), partition=ledger.partition)
    sent_before = alert_id(every.name, on_topic.id, 1)
    producer.send(alert_topic(settings, every.name), key=sent_before.encode(),
                  value=json.dumps({"id": sent_before, "sent_before": True}).encode())
    producer.flush()
    producer.close()

    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        produce(settings, [on_topic, missing, new])
        drain(settings, [alert_topic(settings, every.name)], lambda records: len(records) >= 3, workers=[worker])
        caught_up(settings, settings.topics.enriched, workers=[worker])
    finally:
        worker.stop()
    assert not agent_crashes(worker)
    got = alerts(settings, every.name)
    assert sorted(alert["id"] for alert in got) == sorted(alert_id(every.name, s.id, 1) for s in (on_topic, missing, new))
    assert next(alert for alert in got if alert["id"] == sent_before).get("sent_before")
    assert [alert["story_id"] for alert in alerts(settings, query.name)].count(missing.id) == 1
    assert "1 already on their topics" in worker.log.read_text()
