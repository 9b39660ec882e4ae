"""Every Kafka topic the pipeline uses, created up front with the settings each needs.

Topics are declared here rather than by Faust (the app runs with `topic_allow_declare=False`):
one place says each topic's partitions, retention and compaction, including Faust's own table
changelogs and its assignor topic, and they all exist with a leader before a worker, the producer
or the CLI uses them, whichever starts first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.consumer.fetcher import ConsumerRecord

from pipeline.retrying import wait_until
from pipeline.settings import Settings

DAY_MS = 24 * 60 * 60 * 1000

#: Faust table names; their changelog topics are `<app id>-<table>-changelog`.
DEDUP_TABLE = "dedup-stories"
ALERTS_TABLE = "alerts-sent"
#: Copy counts of stories not indexed yet (keyed by story id, like `articles.duplicates`).
WAITING_COPIES_TABLE = "index-waiting-copies"


class TopicError(RuntimeError):
    """A topic that could not be created or has no leader, in one line."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def changelog_topic(settings: Settings, table: str) -> str:
    return f"{settings.faust.app_id}-{table}-changelog"


def pipeline_topics(settings: Settings) -> list[TopicSpec]:
    t = settings.topics
    keep = {"retention.ms": str(int(settings.dedup.window_days * DAY_MS))}
    return [
        TopicSpec(t.raw, t.raw_partitions, keep),
        TopicSpec(t.unique, t.unique_partitions, keep),
        TopicSpec(t.duplicates, t.unique_partitions, keep),
        TopicSpec(t.enriched, t.enriched_partitions, keep),
        # Dead letters wait for a person: keep them for 30 days and allow large raw copies.
        TopicSpec(t.dlq, 1, {"retention.ms": str(30 * DAY_MS), "max.message.bytes": "4194304"}),
        TopicSpec(t.index_dlq, 1, {"retention.ms": str(30 * DAY_MS), "max.message.bytes": "4194304"}),
        # Table state is co-partitioned with the stream that updates it, and compacted.
        TopicSpec(changelog_topic(settings, DEDUP_TABLE), t.raw_partitions, {"cleanup.policy": "compact"}),
        TopicSpec(changelog_topic(settings, ALERTS_TABLE), t.enriched_partitions, {"cleanup.policy": "compact"}),
        TopicSpec(changelog_topic(settings, WAITING_COPIES_TABLE), t.unique_partitions, {"cleanup.policy": "compact"}),
        # Every worker reads all subscriptions; compaction keeps the latest of each name.
        TopicSpec(t.subscriptions, 1, {"cleanup.policy": "compact"}),
        TopicSpec(f"{settings.faust.app_id}-__assignor-__leader", 1),
    ]


def alert_topic(settings: Settings, subscription: str) -> str:
    return f"{settings.topics.alerts}.{subscription}"


def alert_topic_spec(settings: Settings, subscription: str) -> TopicSpec:
    """One partition, so a subscriber reads its alerts in the order they were raised."""
    keep = {"retention.ms": str(int(settings.dedup.window_days * DAY_MS))}
    return TopicSpec(alert_topic(settings, subscription), 1, keep)


def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None, wait_s: float = 30) -> list[str]:
    """Create the topics that are missing, and wait until each has a leader (a write to a topic
    the broker is still setting up is refused and retried: alerts on a new subscription's topic
    would come late); returns the names created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    specs = specs if specs is not None else pipeline_topics(settings)
    admin = KafkaAdminClient(**settings.kafka.client_config(), client_id="wirestream-topics")
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.config) for spec in missing],
                    timeout_ms=30_000,
                )
            except TopicAlreadyExistsError:
                pass  # another worker starting at the same moment created them: the same topics
            except KafkaError as error:  # kafka-python's message repeats the whole request: name the cause
                names = ", ".join(spec.name for spec in missing)
                raise TopicError(f"cannot create {names}: {type(error).__name__} ({error.description})") from None
            _wait_for_leaders(admin, [spec.name for spec in missing], wait_s)
        return [spec.name for spec in missing]
    finally:
        admin.close()


def _wait_for_leaders(admin, names: list[str], wait_s: float) -> None:
    leaderless = list(names)

    def all_led() -> bool:
        leaderless[:] = [t["name"] for t in admin.describe_topics(leaderless)
                         if t["error_code"] or not t["partitions"] or any(p["leader_id"] < 0 for p in t["partitions"])]
        return not leaderless

    try:
        wait_until(all_led, wait_s, "partition leaders", interval_s=0.1)
    except TimeoutError:
        raise TopicError(f"{', '.join(leaderless)}: no partition leader after {wait_s:.0f} s; is the broker healthy?") from None


def read_to_end(consumer: KafkaConsumer, timeout_s: float, what: str) -> Iterator[ConsumerRecord]:
    """The records of `consumer`'s assigned partitions, from their positions to the end offsets they
    had when the reading began; raises TimeoutError naming `what` when that takes over `timeout_s`."""
    partitions = list(consumer.assignment())
    end = consumer.end_offsets(partitions)
    deadline = time.monotonic() + timeout_s
    while any(consumer.position(tp) < end[tp] for tp in partitions):
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read {what} within {timeout_s:.0f} s")
        for records in consumer.poll(timeout_ms=500).values():
            yield from records
