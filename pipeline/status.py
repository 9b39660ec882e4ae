"""`wirestream status`: what an operator checks first, on one screen or as JSON.

The services, the worker group and its members, how far behind each stage is (the group's lag on
the topic the stage reads), what the stages refused by reason, what the index holds, and each
subscription with its last alert. Each part is read on its own: a service that is down leaves its
part empty with the reason, and the rest still shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafka import KafkaConsumer, TopicPartition

from pipeline import stack
from pipeline.alerts.store import SubscriptionStore
from pipeline.dlq import read_dead_letters
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import alert_topic
from pipeline.consumer_group import GroupOffsets
from schemas.alerts import Alert


@dataclass
class Lag:
    stages: str
    topic: str
    lag: int


@dataclass
class Status:
    services: list[stack.ServiceStatus] = field(default_factory=list)
    group: dict = field(default_factory=dict)
    lag: list[Lag] = field(default_factory=list)
    dead_letters: list[dict] = field(default_factory=list)
    index: dict = field(default_factory=dict)
    subscriptions: list[dict] = field(default_factory=list)
    #: Part -> why it could not be read.
    problems: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def collect(settings: Settings) -> Status:
    """Everything `wirestream status` shows, each part read on its own."""
    status = Status(services=stack.status())
    for part, read in (("group", _group), ("dead_letters", _dead_letters), ("index", _index),
                       ("subscriptions", _subscriptions)):
        try:
            read(settings, status)
        except Exception as error:  # noqa: BLE001 - one part down must not hide the others
            status.problems[part] = f"{type(error).__name__}: {error}".splitlines()[0]
    return status


def stage_topics(settings: Settings) -> list[tuple[str, str]]:
    """(the stages reading it, topic), in pipeline order."""
    topics = settings.topics
    return [("dedup", topics.raw), ("enrich", topics.unique), ("index", topics.duplicates),
            ("index, alerts", topics.enriched)]


def lag_reader(settings: Settings) -> Callable[[], dict[tuple[str, int], int]]:
    """A function that reads the group's lag on every pipeline topic, per partition, over one
    client kept between calls (opened on the first call: the worker's /metrics)."""
    offsets: list[GroupOffsets] = []

    def read() -> dict[tuple[str, int], int]:
        if not offsets:
            offsets.append(GroupOffsets(settings))
        positions = offsets[0].positions([topic for _, topic in stage_topics(settings)])
        return {tp: end - committed for tp, (committed, end) in positions.items()}

    return read


def _group(settings: Settings, status: Status) -> None:
    offsets = GroupOffsets(settings)
    try:
        state, members = offsets.describe()
        status.group = {"id": settings.faust.app_id, "state": state, "members": members}
        for stages, topic in stage_topics(settings):
            status.lag.append(Lag(stages, topic, offsets.lag(topic)))
    finally:
        offsets.close()


def _dead_letters(settings: Settings, status: Status) -> None:
    found = read_dead_letters(settings, timeout_s=10)
    status.dead_letters = [{"stage": stage, "reason": reason, "count": count}
                           for (stage, reason), count in found.by_reason()]


def _index(settings: Settings, status: Status) -> None:
    client = connect(settings)
    alias = settings.elasticsearch.index_alias
    if not client.indices.exists_alias(name=alias):
        status.index = {"alias": alias, "stories": 0}
        return
    response = client.search(index=alias, size=0, track_total_hits=True, aggs={
        "versions": {"sum": {"field": "version"}}, "copies": {"sum": {"field": "copies"}},
        "latest": {"max": {"field": "indexed_at"}}})
    aggs = response["aggregations"]
    status.index = {"alias": alias, "stories": response["hits"]["total"]["value"],
                    "versions": int(aggs["versions"]["value"] or 0), "copies": int(aggs["copies"]["value"] or 0),
                    "last_indexed": aggs["latest"].get("value_as_string")}


def _subscriptions(settings: Settings, status: Status) -> None:
    subscriptions = SubscriptionStore(settings).load()
    last = _last_alerts(settings, list(subscriptions))
    status.subscriptions = [{"name": name, "topic": alert_topic(settings, name), "last_alert": last.get(name)}
                            for name in sorted(subscriptions)]


def _last_alerts(settings: Settings, names: list[str]) -> dict[str, str]:
    """Subscription -> when its newest alert was sent (ISO time), for those that sent one."""
    consumer = KafkaConsumer(**settings.kafka.client_config(), enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=2000)
    try:
        existing = consumer.topics()
        partitions = {TopicPartition(alert_topic(settings, name), 0): name for name in names
                      if alert_topic(settings, name) in existing}
        ends = consumer.end_offsets(list(partitions)) if partitions else {}
        latest = [tp for tp, end in ends.items() if end > 0]
        if not latest:
            return {}
        consumer.assign(latest)
        for tp in latest:
            consumer.seek(tp, ends[tp] - 1)
        last: dict[str, str] = {}
        for record in consumer:
            try:
                last[partitions[TopicPartition(record.topic, record.partition)]] = \
                    Alert.model_validate_json(record.value).alerted_at.isoformat()
            except ValueError:
                continue
            if len(last) == len(latest):
                break
        return last
    finally:
        consumer.close()
