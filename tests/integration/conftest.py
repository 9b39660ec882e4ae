"""Fixtures for tests against the real Kafka and Elasticsearch that `wirestream stack up` starts.

These tests never skip: when a service is down they fail and say how to start it. Each test gets
its own topic names (and index names), so tests neither see nor disturb each other's data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from pipeline import retrying
from pipeline.bench.common import delete_indices, delete_topics
from pipeline.settings import Settings
from pipeline.stack import Elasticsearch as ElasticsearchService
from pipeline.stack import Kafka as KafkaService
from pipeline.topics import ensure_topics

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def kafka_ready() -> None:
    if not KafkaService().healthy():
        pytest.fail("Kafka is not answering on 127.0.0.1:9092: run `wirestream stack up` (or `make test`)")


@pytest.fixture(scope="session")
def es_ready() -> None:
    if not ElasticsearchService().healthy():
        pytest.fail("Elasticsearch is not answering on 127.0.0.1:9200: run `wirestream stack up` (or `make test`)")


@pytest.fixture
def settings(kafka_ready: None) -> Iterator[Settings]:
    """Settings whose topics and Faust app id are unique to this test, created on the broker; the
    test's topics and indices are deleted after it (its workers have stopped by then)."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings = Settings().isolated(prefix)
    ensure_topics(settings)
    yield settings
    delete_topics(settings, prefix)
    if ElasticsearchService().healthy():
        with Elasticsearch("http://127.0.0.1:9200", request_timeout=30) as client:
            delete_indices(client, prefix)


@pytest.fixture
def small_raw_topic(settings: Settings) -> Settings:
    """The test's settings with a raw topic of its own that takes records of 100 KB at most: for what
    happens to an article the broker refuses."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    small = settings.model_copy(update={"topics": settings.topics.model_copy(update={"raw": settings.topics.raw + "-small"})})
    admin = KafkaAdminClient(**settings.kafka.client_config())
    try:
        admin.create_topics([NewTopic(small.topics.raw, 1, 1, topic_configs={"max.message.bytes": "100000"})])
    finally:
        admin.close()
    return small


@pytest.fixture
def es(es_ready: None) -> Iterator[Elasticsearch]:
    client = Elasticsearch("http://127.0.0.1:9200", request_timeout=30)
    yield client
    client.close()


def read_topic(settings: Settings, topic: str, *, expect: int | None = None, timeout_s: float = 20) -> list[tuple[str, dict]]:
    """Every (key, JSON value) on a topic, from the beginning; waits until `expect` have arrived."""
    consumer = KafkaConsumer(
        topic,
        **settings.kafka.client_config(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2000 if expect is None else int(timeout_s * 1000),
    )
    records = []
    try:
        for message in consumer:
            records.append((message.key.decode() if message.key else None, json.loads(message.value)))
            if expect is not None and len(records) >= expect:
                break
    finally:
        consumer.close()
    return records


def documents(es: Elasticsearch, alias: str, fields: list[str] | None = None) -> dict[str, dict]:
    """Every story indexed under `alias` (up to 10,000), refreshed first: id -> document, or only its
    `fields`; none before the index exists."""
    if not es.indices.exists_alias(name=alias):
        return {}
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=10_000, source_includes=fields)["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def wait_until(check, timeout_s: float, what: str, tolerating: tuple[type[Exception], ...] = ()) -> None:
    """Poll `check` until it holds, or fail the test naming `what`. Exceptions of the `tolerating`
    types count as "not yet" (Elasticsearch on its way back up)."""
    try:
        retrying.wait_until(check, timeout_s, what, tolerating=tolerating)
    except TimeoutError:
        pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
