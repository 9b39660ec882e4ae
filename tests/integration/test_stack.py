"""The local stack serves real Kafka and Elasticsearch behaviour."""

import uuid

from kafka import KafkaConsumer, KafkaProducer

from pipeline import stack


def test_kafka_round_trip_with_kafka_python(settings):
    topic = settings.topics.raw
    producer = KafkaProducer(**settings.kafka.client_config(), acks="all")
    producer.send(topic, key=b"story-1", value=b"hello wire").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic, **settings.kafka.client_config(), auto_offset_reset="earliest", consumer_timeout_ms=10_000
    )
    messages = [(m.key, m.value) for m in consumer]
    consumer.close()
    assert messages == [(b"story-1", b"hello wire")]


def test_english_full_text_search(es):
    index = f"test-{uuid.uuid4().hex[:8]}"
    es.indices.create(index=index, mappings={"properties": {"body": {"type": "text", "analyzer": "english"}}})
    try:
        es.index(index=index, id="1", document={"body": "The U.S. is prepared to take preemptive military actions"}, refresh=True)
        es.index(index=index, id="2", document={"body": "Wildfires scorch Australia"}, refresh=True)
        # Stemming: "prepares" and "action" match "prepared" and "actions".
        hits = es.search(index=index, query={"match": {"body": "prepares action"}})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
        tokens = es.indices.analyze(index=index, field="body", text="The militias were attacking")["tokens"]
        assert [t["token"] for t in tokens] == ["militia", "were", "attack"]
    finally:
        es.indices.delete(index=index)


def test_status_reports_both_services_running_with_memory():
    statuses = {s.name: s for s in stack.status()}
    assert statuses["kafka"].running and statuses["elasticsearch"].running
    assert all(s.rss_mb and s.rss_mb > 50 for s in statuses.values())


def test_up_again_is_a_no_op():
    assert stack.up(lambda _: None) == {"kafka": 0.0, "elasticsearch": 0.0}
