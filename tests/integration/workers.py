"""Running real `wirestream worker` processes against a test's own topics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from pipeline.producer import ArticleProducer
from pipeline.settings import Settings, settings_env
from schemas import Article


class WorkerProcess:
    """A worker subprocess; `kill()` is kill -9, as a crash would be."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", "--loglevel", "warning"],
            env={**os.environ, **settings_env(settings)}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


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
