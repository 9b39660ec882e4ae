"""Helpers for tests that run real `wirestream worker` processes against their own topics."""

from __future__ import annotations

import pytest

from pipeline.producer import ArticleProducer
from pipeline.settings import Settings
from pipeline.worker_processes import Stalled, WorkerProcess, read_until, wait_caught_up
from schemas import Article

__all__ = ["WorkerProcess", "agent_crashes", "caught_up", "drain", "produce"]


def drain(settings, topics, until, timeout_s=90, workers=()):
    """Read `topics` from the beginning until `until(records)` holds; records are (topic, value).
    Fails at once when one of `workers` has died."""
    try:
        return read_until(settings, topics, until, workers=workers, timeout_s=timeout_s)
    except Stalled as stalled:
        pytest.fail(str(stalled))


def caught_up(settings, topic, timeout_s=90, workers=()):
    """Wait until the worker group has committed everything on `topic` (every agent reading it is done)."""
    try:
        wait_caught_up(settings, topic, workers=workers, timeout_s=timeout_s)
    except Stalled as stalled:
        pytest.fail(str(stalled))


def produce(settings: Settings, articles: list[Article]) -> None:
    with ArticleProducer(settings) as producer:
        for article in articles:
            producer.send(article)


def agent_crashes(worker: WorkerProcess) -> list[str]:
    """The agent crashes a worker logged, other than being cancelled at shutdown. Faust restarts a
    crashed agent, so a crash shows only here."""
    lines = worker.log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if "Crashed reason=" in line and "CancelledError" not in line]
