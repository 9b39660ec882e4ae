"""The live subscriptions: a compacted Kafka topic keyed by subscription name, which every worker
reads from the beginning on start and then follows, so all workers match the same set.

A plain kafka-python consumer with every partition assigned (no group) reads it, in a thread of its
own: unlike a Faust agent, whose partitions are shared out among workers, every worker must see
every subscription. Putting a subscription creates its alert topic first, so an alert never has
nowhere to go; removing one writes a tombstone and leaves the topic for whoever still reads it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from itertools import chain

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from pydantic import ValidationError

from pipeline.alerts.matching import Matcher
from pipeline.settings import Settings
from pipeline.topics import alert_topic, alert_topic_spec, ensure_topics, read_to_end
from schemas.alerts import Subscription

log = logging.getLogger(__name__)


class SubscriptionFeed:
    """The subscriptions on the topic, kept current by `start()`; `matcher` always reflects the
    latest set and `ready` is set once the topic has been read to its end at start."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.subscriptions: dict[str, Subscription] = {}
        self.matcher = Matcher([])
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self, timeout_s: float = 30) -> dict[str, Subscription]:
        """Read the topic from the beginning to its current end; returns the subscriptions."""
        consumer = self._consumer()
        try:
            self._read_to_end(consumer, timeout_s)
        finally:
            consumer.close()
        return dict(self.subscriptions)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="subscriptions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                consumer = self._consumer()
                try:
                    self._read_to_end(consumer, timeout_s=30)
                    self.ready.set()
                    log.info("alerts: %d subscription(s) %s", len(self.subscriptions), sorted(self.subscriptions))
                    while not self._stop.is_set():
                        self._apply(chain.from_iterable(consumer.poll(timeout_ms=500).values()))
                finally:
                    consumer.close()
            except (KafkaError, TimeoutError) as error:
                log.warning("alerts: cannot read subscriptions (%s); retrying in 2 s", error)
                self._stop.wait(2)

    def _consumer(self) -> KafkaConsumer:
        topic = self.settings.topics.subscriptions
        consumer = KafkaConsumer(**self.settings.kafka.client_config(), enable_auto_commit=False)
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return consumer

    def _read_to_end(self, consumer: KafkaConsumer, timeout_s: float) -> None:
        self._apply(read_to_end(consumer, timeout_s, what=self.settings.topics.subscriptions))

    def _apply(self, messages: Iterable[ConsumerRecord]) -> None:
        changed = False
        for message in messages:
            try:
                name = message.key.decode("utf-8")
            except (AttributeError, UnicodeDecodeError):  # no key, or not text: no subscription's
                log.warning("alerts: ignoring a record without a UTF-8 key at %s:%s", message.partition, message.offset)
                continue
            if message.value is None:  # a tombstone: removed
                changed |= self.subscriptions.pop(name, None) is not None
                continue
            try:
                subscription = Subscription.model_validate_json(message.value)
            except ValidationError as error:
                log.warning("alerts: ignoring unreadable subscription %r: %s", name, error.errors()[0]["msg"])
                continue
            if subscription.name != name:
                log.warning("alerts: ignoring subscription %r stored under the key %r", subscription.name, name)
                continue
            self.subscriptions[name] = subscription
            changed = True
        if changed:
            self.matcher = Matcher(self.subscriptions.values())


class SubscriptionStore:
    """Add, list and remove subscriptions on the topic (the CLI's side of it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def load(self) -> dict[str, Subscription]:
        return SubscriptionFeed(self.settings).catch_up()

    def put(self, *subscriptions: Subscription) -> None:
        """Add or replace subscriptions, creating their alert topics first."""
        ensure_topics(self.settings, [alert_topic_spec(self.settings, sub.name) for sub in subscriptions])
        self._send([(sub.name, sub.model_dump_json().encode()) for sub in subscriptions])

    def sync(self, subscriptions: list[Subscription]) -> list[str]:
        """Put each subscription that is new or differs from the one on the topic; returns their names."""
        current = self.load()
        changed = [sub for sub in subscriptions if current.get(sub.name) != sub]
        if changed:
            self.put(*changed)
        return [sub.name for sub in changed]

    def remove(self, name: str) -> bool:
        """Remove a subscription; False when there was none of that name."""
        if name not in self.load():
            return False
        self._send([(name, None)])  # a tombstone
        return True

    def topic(self, name: str) -> str:
        return alert_topic(self.settings, name)

    def _send(self, records: list[tuple[str, bytes | None]]) -> None:
        producer = KafkaProducer(**self.settings.kafka.client_config(), acks="all")
        try:
            sent = [producer.send(self.settings.topics.subscriptions, key=name.encode(), value=value)
                    for name, value in records]
            for future in sent:
                future.get(timeout=30)
        finally:
            producer.close()
