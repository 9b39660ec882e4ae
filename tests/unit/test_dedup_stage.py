"""The dedup stage without Faust: raw events in, outputs and table entries out, with a dict for
the table. (The same stage on the real Kafka: tests/integration/test_dedup_worker.py.)"""

from __future__ import annotations

import json
import time

from pipeline import loadgen
from pipeline.dedup.stage import DedupStage, Out
from pipeline.ingest.wiretext import parse_wire_text


def test_first_sightings_copies_versions_replays_and_refusals(esper_text):
    esper = parse_wire_text(esper_text, source="voa")
    table: dict[bytes, bytes] = {}
    stage = DedupStage(table, window_s=7 * 86_400)
    now = time.time()

    def observe(offset, article):
        return stage.observe(f"raw@0:{offset}", offset, article.model_dump_json().encode(), now)

    [first] = observe(0, esper)
    assert first.to is Out.UNIQUE and json.loads(first.value)["version"] == 1
    [copy] = observe(1, loadgen.syndicate(esper, "metro-herald"))
    assert copy.to is Out.DUPLICATES and json.loads(copy.value)["duplicate_of"] == esper.id
    [update] = observe(2, loadgen.update(esper, "Esper said on Friday the United States would respond."))
    assert update.to is Out.UNIQUE and json.loads(update.value)["version"] == 2
    [replay] = observe(0, esper)  # the first event read again after a crash: published again, not a copy
    assert replay.to is Out.UNIQUE and stage.counters["replayed"] == 1
    [letter] = stage.observe("raw@0:3", 3, b'{"headline": 1}', now)
    assert letter.to is Out.DEAD_LETTERS and letter.key == b"raw@0:3" and json.loads(letter.value)["stage"] == "dedup"
    assert set(table) == {esper.id.encode()}

    # A worker that takes the partition over rebuilds from the table: the copy is still a copy.
    successor = DedupStage(table, window_s=7 * 86_400)
    [again] = successor.observe("raw@0:4", 4, loadgen.syndicate(esper, "city-paper").model_dump_json().encode(), now)
    assert again.to is Out.DUPLICATES and successor.counters["seen"] == 1

    successor.expire(now=now + 8 * 86_400)
    assert not table and successor.counters["expired"] == 1
