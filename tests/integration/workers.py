"""Helpers for tests that run real `wirestream worker` processes against their own topics."""

from __future__ import annotations

import pytest

from pipeline.producer import ArticleProducer
from pipeline.settings import Settings
from pipeline.workers import Stalled, WorkerProcess, read_until
from schemas import Article

__all__ = ["WorkerProcess", "drain", "produce"]


def drain(settings, topics, until, timeout_s=90):
    """Read `topics` from the beginning until `until(records)` holds; records are (topic, value)."""
    try:
        return read_until(settings, topics, until, timeout_s=timeout_s)
    except Stalled as stalled:
        pytest.fail(str(stalled))


def produce(settings: Settings, articles: list[Article]) -> None:
    with ArticleProducer(settings) as producer:
        for article in articles:
            producer.send(article)
