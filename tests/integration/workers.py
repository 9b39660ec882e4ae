"""Helpers for tests that run real `wirestream worker` processes against their own topics."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaConsumer

from pipeline.producer import ArticleProducer
from pipeline.settings import Settings
from pipeline.workers import WorkerProcess
from schemas import Article

__all__ = ["WorkerProcess", "drain", "produce"]


def drain(settings, topics, until, timeout_s=90):
    """Read `topics` from the beginning until `until(records)` holds; records are (topic, value)."""
    consumer = KafkaConsumer(*topics, bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=1000)
    records, deadline = [], time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for message in consumer:
                records.append((message.topic, json.loads(message.value)))
            if until(records):
                return records
    finally:
        consumer.close()
    pytest.fail(f"timed out after {timeout_s} s with {len(records)} records on {topics}")


def produce(settings: Settings, articles: list[Article]) -> None:
    with ArticleProducer(settings) as producer:
        for article in articles:
            producer.send(article)
