"""The whole pipeline into the real Elasticsearch: searchable, one document per story in its latest
version, copies counted, replays harmless, rejected documents dead-lettered."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from kafka import KafkaProducer

from pipeline import loadgen
from pipeline.embedding import DIMS, Embedder
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.search import QueryError, SearchRequest, query_entities, search
from pipeline.settings import CONFIG_DIR
from pipeline.status import Lag, collect, stage_topics
from schemas import EnrichedArticle
from tests.integration.conftest import documents, read_topic, wait_until
from tests.integration.workers import WorkerProcess, produce


def test_stories_are_searchable_once_in_their_latest_version(settings, es, sample_texts, tmp_path):
    alias = settings.elasticsearch.index_alias
    stories = [parse_wire_text(text, source="voa") for text in sample_texts.values()]
    esper = next(s for s in stories if s.headline.startswith("Esper"))
    newer = loadgen.update(esper, "Esper said on Friday the United States would respond to any new attack.")
    port = free_port()
    worker = WorkerProcess(settings, tmp_path / "worker.log", options=["--http-port", str(port)])
    try:
        produce(settings, [*stories, loadgen.resend(esper), loadgen.syndicate(esper, "metro-herald"), newer])
        wait_until(lambda: len(documents(es, alias)) == len(stories) and documents(es, alias)[esper.id]["version"] == 2
                   and documents(es, alias)[esper.id]["copies"] == 2, 120, "the index")

        indexed = documents(es, alias)
        assert set(indexed) == {s.id for s in stories}  # copies never became documents
        assert "respond to any new attack" in indexed[esper.id]["body_text"]

        first = search(es, alias, SearchRequest("preemptive action Iran"))
        assert first.hits[0].id == esper.id and any("\x02" in s for s in first.hits[0].snippets)
        filtered = search(es, alias, SearchRequest(people=["Mark Esper"], places=["Baghdad"]))
        assert [hit.id for hit in filtered.hits] == [esper.id]
        assert ("Mark Esper", 1) in filtered.facets["people"]
        with pytest.raises(QueryError, match="Cannot parse"):
            search(es, alias, SearchRequest("preemptive AND (Iran", syntax="lucene"))
        # Plain text is the default: a question's "?", a pasted headline's quotes, colon and brackets
        # are text, and the entities a query names lift the stories tagged with them.
        esper_headline = indexed[esper.id]["headline"]
        for text in ("Would the U.S. take preemptive action against Iran?", f'"{esper_headline}": (AND) Iran/Iraq',
                     "preemptive AND (Iran"):
            assert search(es, alias, SearchRequest(text)).hits[0].id == esper.id, text
        gazetteer = load_gazetteer(gazetteer_files(CONFIG_DIR))
        by_entity = search(es, alias, SearchRequest("Esper", mentioned=query_entities("Esper", gazetteer)))
        assert by_entity.hits[0].id == esper.id
        # Every story has its vector, and a query sharing no word with a story finds it by meaning.
        assert all(len(doc["embedding"]) == DIMS for doc in indexed.values())
        volcano = next(s for s in stories if "Volcano" in s.headline)
        meaning = SearchRequest("magma ashfall Luzon")
        assert search(es, alias, meaning).hits == []  # the words alone find nothing
        hybrid = search(es, alias, meaning, Embedder.load())
        assert hybrid.hits[0].id == volcano.id and hybrid.hits[0].headline == volcano.headline

        # Replay everything the sink consumed, plus a document Elasticsearch will reject.
        enriched = [value for _, value in read_topic(settings, settings.topics.enriched)]
        broken = EnrichedArticle.model_validate(enriched[0])
        broken = broken.model_copy(update={"article": broken.article.model_copy(update={"id": "too-long-uri", "uri": "u" * 40_000})})
        producer = KafkaProducer(**settings.kafka.client_config(), max_request_size=4 * 1024 * 1024)
        for value in enriched:
            producer.send(settings.topics.enriched, key=value["article"]["id"].encode(),
                          value=EnrichedArticle.model_validate(value).model_dump_json().encode())
        producer.send(settings.topics.enriched, key=b"too-long-uri", value=broken.model_dump_json().encode())
        producer.flush()
        producer.close()
        letters = read_topic(settings, settings.topics.index_dlq, expect=1, timeout_s=60)
        # What an operator checks first, while the worker runs: `wirestream status`.
        wait_until(lambda: collect(settings).lag == [Lag(stages, topic, 0) for stages, topic in stage_topics(settings)],
                   60, "no lag on any stage")
        status = collect(settings)
        # The worker's own view: ready (holding partitions, none stalled), and its stages' counters.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as ready:
            assert ready.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
    finally:
        worker.stop()

    assert f'wirestream_events_total{{outcome="indexed",stage="index"}} {float(len(stories) + 1)}' in metrics
    assert 'wirestream_events_total{outcome="dead_letters",stage="index"} 1.0' in metrics
    assert "wirestream_partitions_assigned" in metrics
    for timing in ('wirestream_batch_seconds_count{stage="dedup"}', 'wirestream_batch_seconds_count{stage="index"}',
                   'wirestream_model_seconds_count{model="entities"}', "wirestream_elasticsearch_request_seconds_count"):
        assert timing in metrics
    assert f'wirestream_consumer_lag{{partition="0",topic="{settings.topics.raw}"}} 0.0' in metrics  # all caught up

    assert not status.problems and all(service.running for service in status.services)
    assert status.group["state"] == "Stable" and len(status.group["members"]) == 1
    assert status.index["stories"] == len(stories) and status.index["versions"] == len(stories) + 1
    assert status.index["copies"] == 2 and status.index["last_indexed"]
    assert [(row["stage"], row["count"]) for row in status.dead_letters] == [("index", 1)]

    assert [(key, letter["stage"]) for key, letter in letters] == [("too-long-uri", "index")]
    assert "uri" in letters[0][1]["reason"] and "\n" not in letters[0][1]["reason"]
    after = documents(es, alias)
    assert set(after) == set(indexed) and after[esper.id]["version"] == 2  # the replay changed nothing


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
