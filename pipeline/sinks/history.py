"""A story's history for the newsroom page, in two small indices beside the articles index: one
document per story version (`<alias>-history`: when, its headline, which paragraphs it added and
removed) and one per copy (`<alias>-copies`: which outlet, what kind of copy). Pure: documents,
bulk actions and mappings, no client.

The articles index keeps only each story's latest version; these keep what the page shows of the
others without a second copy of every text: the index stage compares a new version with the one it
replaces, which it reads anyway (for its copy count), and stores only the difference.
"""

from __future__ import annotations

from typing import Any

from schemas import DuplicateRecord, EnrichedArticle

#: Of each paragraph added or removed, this much is kept.
PARAGRAPH_CHARS = 300
#: The fields of the current document the comparison needs.
PREVIOUS_FIELDS = ["version", "headline", "body_text"]

MAPPINGS: dict[str, dict[str, Any]] = {
    "history": {"properties": {
        "story_id": {"type": "keyword"}, "version": {"type": "integer"}, "versioncreated": {"type": "date"},
        "headline": {"type": "text"}, "headline_changed": {"type": "boolean"},
        "added": {"type": "text", "index": False}, "removed": {"type": "text", "index": False}}},
    "copies": {"properties": {
        "story_id": {"type": "keyword"}, "source": {"type": "keyword"}, "kind": {"type": "keyword"},
        "similarity": {"type": "float"}, "headline": {"type": "text"}, "received_at": {"type": "date"}}},
}


def index_name(alias: str, kind: str) -> str:
    """`articles-history` or `articles-copies` for the alias `articles`."""
    return f"{alias}-{kind}"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The paragraphs `after` has that `before` has not, and those it dropped, in text order, each
    cut to `PARAGRAPH_CHARS`."""
    old, new = paragraphs(before), paragraphs(after)
    old_set, new_set = set(old), set(new)
    cut = lambda p: p if len(p) <= PARAGRAPH_CHARS else p[:PARAGRAPH_CHARS - 1] + "…"  # noqa: E731
    return [cut(p) for p in new if p not in old_set], [cut(p) for p in old if p not in new_set]


def as_previous(story: EnrichedArticle) -> dict:
    """The `PREVIOUS_FIELDS` of a version about to be indexed, for comparing the next one with it."""
    return {"version": story.version, "headline": story.article.headline, "body_text": story.article.body_text}


def history_action(alias: str, story: EnrichedArticle, previous: dict | None) -> tuple[dict, dict] | None:
    """The history document of `story`'s version, compared with `previous` (the indexed document it
    replaces, or None for a first version); None when `previous` is this version or a newer one."""
    if previous is not None and previous.get("version", 0) >= story.version:
        return None  # a replay or a late older version: the index keeps the newer one too
    article = story.article
    added, removed = changes(previous["body_text"], article.body_text) if previous else ([], [])
    doc = {"story_id": article.id, "version": story.version, "versioncreated": article.versioncreated.isoformat(),
           "headline": article.headline, "headline_changed": bool(previous) and previous.get("headline") != article.headline,
           "added": added, "removed": removed}
    return {"index": {"_index": index_name(alias, "history"), "_id": f"{article.id}:v{story.version}"}}, doc


def copy_action(alias: str, record: DuplicateRecord) -> tuple[dict, dict]:
    """The copy document of one copy record (its id is the copy's own: a record read twice is one)."""
    doc = {"story_id": record.duplicate_of, "source": record.source, "kind": record.kind.value,
           "similarity": record.similarity, "headline": record.headline, "received_at": record.received_at.isoformat()}
    return {"index": {"_index": index_name(alias, "copies"), "_id": f"{record.duplicate_of}:{record.id}"}}, doc
