"""A story's history documents: what changed between versions, and its copies. Pure."""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline import loadgen
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.sinks.history import PARAGRAPH_CHARS, changes, copy_action, history_action
from schemas import DuplicateRecord, EnrichedArticle, MatchKind


def test_changes_are_the_paragraphs_added_and_removed():
    before = "Lead.\n\nOld second paragraph.\n\nThird."
    after = "Lead.\n\nThird.\n\nA new closing paragraph " + "x" * 400
    added, removed = changes(before, after)
    assert removed == ["Old second paragraph."]
    assert len(added) == 1 and added[0].startswith("A new closing") and len(added[0]) == PARAGRAPH_CHARS


def test_a_version_is_described_against_the_one_it_replaces(esper_text):
    first = EnrichedArticle(article=parse_wire_text(esper_text, source="voa"), version=1)
    updated = loadgen.update(first.article, "Esper said on Friday the United States would respond.")
    second = EnrichedArticle(article=updated.model_copy(update={"id": first.article.id}), version=2)
    header, doc = history_action("articles", first, None)
    assert header == {"index": {"_index": "articles-history", "_id": f"{first.article.id}:v1"}}
    assert (doc["version"], doc["added"], doc["removed"], doc["headline_changed"]) == (1, [], [], False)
    previous = {"version": 1, "headline": first.article.headline, "body_text": first.article.body_text}
    _, doc = history_action("articles", second, previous)
    assert doc["version"] == 2 and doc["added"] == ["Esper said on Friday the United States would respond."]
    assert history_action("articles", first, {**previous, "version": 2}) is None  # a late older version


def test_each_copy_is_one_document_however_often_its_record_is_read():
    record = DuplicateRecord(id="metro-1", duplicate_of="voa-1", kind=MatchKind.NEAR, similarity=0.93, copies=2,
                             source="metro-herald", headline="Esper: ...", received_at=datetime.now(timezone.utc))
    header, doc = copy_action("articles", record)
    assert header["index"] == {"_index": "articles-copies", "_id": "voa-1:metro-1"}
    assert (doc["story_id"], doc["source"], doc["kind"]) == ("voa-1", "metro-herald", "near")
