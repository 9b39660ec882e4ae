"""The contract: one pydantic model per event on every Wirestream topic.

Field names follow IPTC ninjs where ninjs has one (`headline`, `byline`, `located`, `firstcreated`,
`versioncreated`, `body_text`, `language`, `uri`), so users of real wire feeds recognise them.
Every event carries `schema_version`; the JSON Schema files under `schemas/json/` are generated
from these models by `wirestream schemas export`, and a test fails when they drift.
"""

from schemas.events import (
    Article,
    DeadLetter,
    DuplicateRecord,
    EnrichedArticle,
    Entity,
    EntityType,
    GeoPoint,
    MatchKind,
    UniqueArticle,
)

__all__ = [
    "Article",
    "DeadLetter",
    "DuplicateRecord",
    "EnrichedArticle",
    "Entity",
    "EntityType",
    "GeoPoint",
    "MatchKind",
    "UniqueArticle",
]
