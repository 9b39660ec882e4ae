"""Elasticsearch documents and bulk actions from pipeline events: pure, no client.

A story is one document: `_id` is the story id, and its external version comes from dedup's
story version (1, 2, 3, ...), never from a timestamp in the input, which can be equal, missing or
wrong. Elasticsearch itself then refuses an older version over a newer one, and a replay of the
same version is a no-op (a version conflict, which the sink counts as done).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from schemas import EnrichedArticle, EntityType

_ENTITY_FIELDS = {
    EntityType.PERSON: "people",
    EntityType.ORGANISATION: "organisations",
    EntityType.PLACE: "places",
    EntityType.GROUP: "groups",
}


#: Each copy-count update of a document raises its Elasticsearch version by one (an update cannot
#: carry an external version): story version n is written as n * VERSION_STRIDE, so up to a million
#: count updates fit between two story versions and never pass the next one.
VERSION_STRIDE = 2**20


def external_version(story: EnrichedArticle) -> int:
    """The Elasticsearch version of a story version: dedup's version, strided."""
    return story.version * VERSION_STRIDE


def document(story: EnrichedArticle, copies: int | None = None, *, nested: bool = True) -> dict[str, Any]:
    """The indexed document: the article's fields flattened, entity facets, and places as points.

    With `nested=False`, without the `entities` list (kept in the source for the story view) and the
    vector: for matching query subscriptions, which reach neither.
    """
    doc = story.article.model_dump(mode="json", exclude={"schema_version"})
    doc.update(
        version=story.version,
        copies=max(story.copies, copies or 0),
        authors=story.authors,
        enriched_at=story.enriched_at.isoformat(),
        indexed_at=datetime.now(timezone.utc).isoformat(),
        country_codes=sorted({e.country_code for e in story.entities if e.country_code}),
        locations=[{"lat": e.location.lat, "lon": e.location.lon} for e in story.entities if e.location],
    )
    if nested:
        doc["entities"] = [entity.model_dump(mode="json", exclude_none=True) for entity in story.entities]
        if story.embedding:
            doc["embedding"] = story.embedding
    for kind, field in _ENTITY_FIELDS.items():
        doc[field] = story.names(kind)
    return doc


def index_action(index: str, story: EnrichedArticle, copies: int | None = None) -> tuple[dict, dict]:
    """The bulk header and body that index one story version."""
    header = {"index": {"_index": index, "_id": story.article.id,
                        "version": external_version(story), "version_type": "external"}}
    return header, document(story, copies)


def retire_action(index: str, story_id: str, last_version: int) -> tuple[dict, None]:
    """The bulk header that deletes a story merged into another. Its version is just below the
    next story version the retired story could have had, so any replay of one of its versions is
    refused while the tombstone lasts (`index.gc_deletes` in the template)."""
    version = (last_version + 1) * VERSION_STRIDE - 1
    return {"delete": {"_index": index, "_id": story_id, "version": version, "version_type": "external"}}, None


def copies_action(index: str, story_id: str, copies: int) -> tuple[dict, dict]:
    """The bulk header and body that set a story's copy count (duplicates never become documents)."""
    return {"update": {"_index": index, "_id": story_id, "retry_on_conflict": 3}}, {"doc": {"copies": copies}}


def ndjson(actions: list[tuple[dict, dict | None]]) -> bytes:
    """A bulk request body (a delete has no body line)."""
    return b"".join(json.dumps(part, separators=(",", ":")).encode() + b"\n"
                    for action in actions for part in action if part is not None)
