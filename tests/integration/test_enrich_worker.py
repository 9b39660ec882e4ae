"""The enrichment agent on the real Kafka: every unique story arrives enriched, bad events go to the DLQ."""

from __future__ import annotations

from kafka import KafkaProducer

from pipeline.ingest.wiretext import parse_wire_text
from tests.integration.conftest import read_topic
from tests.integration.workers import WorkerProcess, drain, produce


def test_samples_come_out_enriched_and_a_bad_event_is_dead_lettered(settings, sample_texts, tmp_path):
    stories = [parse_wire_text(text, source="voa") for text in sample_texts.values()]
    # A malformed event straight onto the unique topic: enrichment must refuse it, not stop.
    producer = KafkaProducer(**settings.kafka.client_config())
    producer.send(settings.topics.unique, key=b"broken", value=b'{"article": "not an article"}').get(timeout=10)
    producer.close()

    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        produce(settings, stories)
        records = drain(settings, [settings.topics.enriched],
                        lambda records: len(records) >= len(stories), timeout_s=120)
    finally:
        worker.stop()

    enriched = {value["article"]["id"]: value for _, value in records}
    assert set(enriched) == {story.id for story in stories}
    esper = next(value for value in enriched.values() if value["article"]["headline"].startswith("Esper"))
    people = {e["name"] for e in esper["entities"] if e["type"] == "person"}
    assert {"Mark Esper", "Mark Milley", "Ali Khamenei"} <= people
    assert esper["authors"] == ["Carla Babb"]
    baghdad = next(e for e in esper["entities"] if e["name"] == "Baghdad")
    assert baghdad["country_code"] == "IQ" and baghdad["location"]

    letters = [value for _, value in read_topic(settings, settings.topics.dlq)]
    assert [(letter["stage"], letter["field"]) for letter in letters] == [("enrich", "article")]
