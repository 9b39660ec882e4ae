"""The dedup agent on the real Kafka: copies reduced to the unique set, state kept over a crash."""

from __future__ import annotations

from pipeline import loadgen
from pipeline.ingest.wiretext import parse_wire_text
from tests.integration.workers import WorkerProcess, drain, produce


def test_copies_are_caught_across_a_crash(settings, sample_texts, tmp_path):
    stories = [parse_wire_text(text, source="voa") for text in sample_texts.values()]
    labelled = list(loadgen.stream(stories, 240, duplicate_rate=0.4, seed=11))
    first, second = labelled[:120], labelled[120:]
    out = [settings.topics.unique, settings.topics.duplicates]

    def covers(batch):
        ids = {item.article.id for item in batch}
        return lambda records: ids <= {v["article"]["id"] if t == settings.topics.unique else v["id"] for t, v in records}

    worker = WorkerProcess(settings, tmp_path / "worker-1.log")
    try:
        produce(settings, [item.article for item in first])
        drain(settings, out, covers(first))
    finally:
        worker.kill()  # kill -9: no clean shutdown, no final commit

    worker = WorkerProcess(settings, tmp_path / "worker-2.log")
    try:
        produce(settings, [item.article for item in second])
        records = drain(settings, out, covers(second))
    finally:
        worker.stop()

    unique = {(v["article"]["id"], v["version"]) for t, v in records if t == settings.topics.unique}
    duplicates = [v for t, v in records if t == settings.topics.duplicates]
    expected_unique = {item.original_id for item in labelled if item.label == "unique"}
    assert {story for story, _ in unique} == expected_unique
    # Every update became a new version of its story, never a separate story.
    updates = [item for item in labelled if item.label == "update"]
    assert len(unique) == len(expected_unique) + len(updates)
    # Every copy sent after the restart was caught as a copy of the right story.
    caught = {(d["id"], d["duplicate_of"]) for d in duplicates}
    for item in second:
        if item.label in ("exact", "near", "containment"):
            assert (item.article.id, item.original_id) in caught, item.label
    assert any(item.label != "unique" and item.original_id in {i.article.id for i in first} for item in second)
