"""Alerts as they are published, for the page: one Kafka consumer of every `alerts.*` topic in a
thread of its own, each alert handed to every open event stream (server-sent events). A page that
connects first gets the newest alerts already sent (what a demo or the night shift alerted on)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections import deque

from kafka import KafkaConsumer, TopicPartition

from pipeline.settings import Settings

log = logging.getLogger(__name__)

#: What a slow page may fall behind by before it misses alerts (it is told so).
QUEUE_SIZE = 200
#: The alerts already sent that a page opening gets first: at most this many, newest.
RECENT = 30


class AlertFeed:
    """Starts following every alert topic a few alerts before its end (and picks up new topics within
    seconds); keeps the newest alerts for the pages that open later."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._listeners: set[asyncio.Queue] = set()
        self._recent: deque[dict] = deque(maxlen=RECENT)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="newsroom-alerts", daemon=True)

    @property
    def started(self) -> bool:
        return self._loop is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def listen(self) -> asyncio.Queue:
        """A queue of alerts for one page: the newest already sent, oldest first, then each as it comes."""
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        for alert in sorted(self._recent, key=lambda alert: alert.get("alerted_at", "")):
            queue.put_nowait(alert)
        self._listeners.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)

    def _publish(self, alert: dict) -> None:
        self._recent.append(alert)
        for queue in list(self._listeners):
            if queue.full():
                continue  # that page is not reading: it misses this one rather than holding the others
            queue.put_nowait(alert)

    def _follow(self) -> None:
        pattern = re.compile(re.escape(self.settings.topics.alerts + ".") + ".+")
        consumer, known, first = None, set(), True
        while not self._stop.is_set():
            try:
                if consumer is None:
                    consumer = KafkaConsumer(**self.settings.kafka.client_config(), enable_auto_commit=False)
                    known, first = set(), True
                topics = {t for t in consumer.topics() if pattern.fullmatch(t)}
                if topics - known:
                    self._assign(consumer, topics, topics - known, from_end=first)
                    known = topics
                first = False
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        try:
                            alert = json.loads(record.value)
                        except (TypeError, ValueError):
                            continue
                        if "story_id" in alert and self._loop is not None:
                            self._loop.call_soon_threadsafe(self._publish, alert)
            except Exception as error:  # noqa: BLE001 - Kafka away: the page says nothing new meanwhile
                log.warning("newsroom: cannot follow the alert topics (%s); trying again", error)
                consumer = None
                self._stop.wait(5)
        if consumer is not None:
            consumer.close()

    @staticmethod
    def _assign(consumer: KafkaConsumer, topics: set[str], new: set[str], from_end: bool) -> None:
        """Read every alert topic: those there when the page started from a few alerts before their
        end, those created since (a new subscription's) from their beginning. No group, no commits:
        every page server sees every alert."""
        kept = {tp: consumer.position(tp) for tp in consumer.assignment()}
        partitions = [TopicPartition(t, p) for t in sorted(topics) for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        for tp in partitions:
            if tp in kept:
                consumer.seek(tp, kept[tp])
            elif tp.topic in new and not from_end:
                consumer.seek(tp, 0)
        if from_end:
            fresh = [tp for tp in partitions if tp not in kept]
            starts, ends = consumer.beginning_offsets(fresh), consumer.end_offsets(fresh)
            for tp in fresh:
                consumer.seek(tp, max(starts[tp], ends[tp] - RECENT))
