"""The sink's bulk writer against the real Elasticsearch: a request refused as a whole loses only
the action that spoiled it."""

from __future__ import annotations

import uuid

from pipeline.sinks.elasticsearch import BulkWriter


def test_a_bulk_request_refused_whole_is_split_down_to_the_bad_action(es):
    index = f"test-{uuid.uuid4().hex[:8]}-bulk"
    good = [({"index": {"_index": index, "_id": f"doc-{n}", "version": 5, "version_type": "external"}}, {"n": n})
            for n in range(7)]
    # A negative external version fails validation of the whole request (400), not just its item.
    bad = ({"index": {"_index": index, "_id": "bad", "version": -3, "version_type": "external"}}, {"n": -1})
    try:
        result = BulkWriter(es).write([*good[:4], bad, *good[4:]])
        assert result.written == 7
        assert [(action[0]["index"]["_id"], reason.split(":")[0]) for action, reason in result.rejected] == [("bad", "400")]
        assert "version" in result.rejected[0][1] and "\n" not in result.rejected[0][1]
        es.indices.refresh(index=index)
        assert es.count(index=index)["count"] == 7
        assert BulkWriter(es).current(index, ["doc-1", "missing"], ["n"]) == {"doc-1": {"n": 1}}
    finally:
        es.options(ignore_status=404).indices.delete(index=index)
