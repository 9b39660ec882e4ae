"""The index stage without Faust or Elasticsearch: its bookkeeping of copy counts that come before
their story, stale versions and refusals, through a fake `IndexIO` and a writer that keeps
documents in a dict. (The same stage on the real node: tests/integration/test_index_worker.py.)"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from pipeline.ingest.wiretext import parse_wire_text
from pipeline.sinks.elasticsearch import BulkResult
from pipeline.sinks.stage import Delivery, IndexStage
from schemas import DuplicateRecord, EnrichedArticle, MatchKind


class DictWriter:
    """`BulkWriter`'s two calls on a dict: external versions, updates of missing documents, and a
    document the node refuses (an id starting with "bad")."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.history: dict[str, dict[str, dict]] = {}  # index -> id -> document

    def current(self, index, ids, fields):
        return {i: {f: self.docs[i][f] for f in fields if f in self.docs[i]} for i in ids if i in self.docs}

    def write(self, actions):
        result = BulkResult()
        for header, body in actions:
            (kind, meta), = header.items()
            doc_id = meta["_id"]
            if meta.get("_index", "articles") != "articles":  # the history's own indices
                self.history.setdefault(meta["_index"], {})[doc_id] = body
                result.written += 1
            elif doc_id.startswith("bad"):
                result.rejected.append(((header, body), "document_parsing_exception: field [uri] too long"))
            elif kind == "index":
                if doc_id in self.docs and self.docs[doc_id]["_version"] >= meta["version"]:
                    result.conflicts += 1
                else:
                    self.docs[doc_id] = {**body, "_version": meta["version"]}
                    result.written += 1
            elif kind == "update":
                if doc_id in self.docs:
                    self.docs[doc_id].update(body["doc"])
                    result.written += 1
                else:
                    result.missing.append((header, body))
        return result


class FakeIO:
    def __init__(self) -> None:
        self.table: dict[bytes, bytes] = {}
        self.letters: list[tuple[str, str]] = []

    async def blocking(self, call, *args):
        return call(*args)

    def waiting(self, key):
        return self.table.get(key)

    def set_waiting(self, key, partition, value):
        if value is None:
            del self.table[key]
        else:
            self.table[key] = value

    async def dead_letter(self, where, reason, raw):
        self.letters.append((where, reason))


def copy_of(story_id: str, copies: int) -> Delivery:
    record = DuplicateRecord(id=f"copy-{copies}", duplicate_of=story_id, kind=MatchKind.EXACT, similarity=1.0,
                             copies=copies, source="metro-herald", headline="", received_at=datetime.now(timezone.utc))
    return Delivery("articles.duplicates@1:0", 1, record.model_dump_json().encode())


def version(story: EnrichedArticle, number: int) -> Delivery:
    return Delivery("articles.enriched@1:0", 1, story.model_copy(update={"version": number}).model_dump_json().encode())


def test_a_copy_count_that_comes_first_waits_for_its_story(esper_text):
    story = EnrichedArticle(article=parse_wire_text(esper_text, source="voa"), version=1)
    io, writer = FakeIO(), DictWriter()
    stage = IndexStage(io, writer, "articles")
    asyncio.run(stage.count_copies([copy_of(story.article.id, 2), copy_of(story.article.id, 3)]))
    assert io.table == {story.article.id.encode(): b"3"} and not writer.docs  # the highest count, waiting

    asyncio.run(stage.index([version(story, 1)]))
    assert writer.docs[story.article.id]["copies"] == 3 and not io.table  # applied, no longer waiting
    asyncio.run(stage.count_copies([copy_of(story.article.id, 4)]))
    assert writer.docs[story.article.id]["copies"] == 4

    asyncio.run(stage.index([version(story, 2), version(story, 1)]))  # a late older version changes nothing
    assert writer.docs[story.article.id]["copies"] == 4  # nor does a new version lower the count
    assert stage.counters["indexed"] == 2 and stage.counters["stale_or_replayed"] == 1
    # The history: one document per version, one per copy.
    assert sorted(writer.history["articles-history"]) == [f"{story.article.id}:v1", f"{story.article.id}:v2"]
    assert sorted(doc["source"] for doc in writer.history["articles-copies"].values()) == ["metro-herald"] * 3


def test_what_cannot_be_indexed_is_a_dead_letter_with_the_reason(esper_text):
    story = EnrichedArticle(article=parse_wire_text(esper_text, source="voa"), version=1)
    bad = story.model_copy(update={"article": story.article.model_copy(update={"id": "bad-uri"})})
    io, writer = FakeIO(), DictWriter()
    stage = IndexStage(io, writer, "articles")
    asyncio.run(stage.index([Delivery("articles.enriched@0:7", 0, b"{}"), version(bad, 1), version(story, 1)]))
    assert [where for where, _ in io.letters] == ["articles.enriched@0:7", "bad-uri"]
    assert io.letters[0][1].startswith("not an enriched article:") and "too long" in io.letters[1][1]
    assert list(writer.docs) == [story.article.id] and stage.counters["dead_letters"] == 2
    assert list(writer.history["articles-history"]) == [f"{story.article.id}:v1"]  # none for the refused one


def test_two_versions_in_one_batch_show_what_the_later_added(esper_text):
    first = EnrichedArticle(article=parse_wire_text(esper_text, source="voa"), version=1)
    update = first.model_copy(update={"version": 2, "article": first.article.model_copy(
        update={"body_text": first.article.body_text + "\n\nThe Pentagon later said more troops would follow."})})
    io, writer = FakeIO(), DictWriter()
    asyncio.run(IndexStage(io, writer, "articles").index([
        Delivery("articles.enriched@1:0", 1, update.model_dump_json().encode()), version(first, 1)]))
    history = writer.history["articles-history"]
    assert history[f"{first.article.id}:v2"]["added"] == ["The Pentagon later said more troops would follow."]
    assert history[f"{first.article.id}:v1"]["added"] == []  # a first version adds nothing to compare
