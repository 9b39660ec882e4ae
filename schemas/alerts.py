"""Alert subscriptions (topic `alert-subscriptions`, keyed by name) and the alerts they receive
(topic `alerts.<name>`, keyed by alert id)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from schemas.events import EntityType, _Event, _now

#: Kafka's legal topic characters but '.': the subscription's topic is `alerts.<name>`, and Kafka takes
#: topics that differ only by '.' and '_' ("alerts.a.b", "alerts.a_b") for one another.
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"


class EntityRef(_Event):
    """A canonical entity to watch, written `type:Name` in files and on the command line."""

    type: EntityType
    name: str = Field(min_length=1, max_length=300)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            kind, sep, name = value.partition(":")
            if not sep:
                raise ValueError(f"write an entity as type:Name, e.g. person:Mark Esper, not {value!r}")
            known = ", ".join(t.value for t in EntityType)
            if kind.strip() not in {t.value for t in EntityType}:
                raise ValueError(f"unknown entity type {kind.strip()!r} (one of {known})")
            return {"type": kind.strip(), "name": name.strip()}
        return value

    def __str__(self) -> str:
        return f"{self.type.value}:{self.name}"


class Subscription(_Event):
    """What an editor watches. Every criterion given must match (entities, phrases, query); the
    filters then narrow it. A subscription with no criterion is refused."""

    schema_version: Literal[1] = 1
    name: str = Field(
        pattern=NAME_PATTERN,
        description="Letters, digits, '_' or '-'; alerts go to the topic `alerts.<name>`.",
    )
    any_entities: list[EntityRef] = Field(default_factory=list, description="Match when the story has any of these.")
    all_entities: list[EntityRef] = Field(default_factory=list, description="Match when the story has all of these.")
    phrases: list[str] = Field(
        default_factory=list, description="Match when any word or phrase appears (case-insensitive, whole words)."
    )
    query: str | None = Field(
        None, description="A Lucene query_string query (the subset pipeline/alerts/lucene.py supports), matched "
        "against the story's fields as the index analyses them."
    )
    sections: list[str] = Field(default_factory=list, description="Only stories in one of these sections.")
    sources: list[str] = Field(default_factory=list, description="Only stories from one of these sources.")
    min_salience: float = Field(0, ge=0, le=1, description="Matched entities must be at least this central.")
    updates: bool = Field(False, description="Alert again for every new version of a story already alerted.")

    @field_validator("name", mode="before")
    @classmethod
    def _topic_name(cls, value: object) -> object:
        if isinstance(value, str) and not re.match(NAME_PATTERN, value):
            raise ValueError(
                f"{value!r} cannot name an alerts topic: use 1-200 letters, digits, '_' or '-' (no '.', which Kafka "
                f"confuses with '_')"
            )
        return value

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        if any(not re.search(r"\w", phrase) for phrase in value):
            raise ValueError("a phrase must contain a letter or digit")
        return [" ".join(phrase.split()) for phrase in value]

    @model_validator(mode="after")
    def _something_to_match(self) -> Subscription:
        if not (self.any_entities or self.all_entities or self.phrases or (self.query or "").strip()):
            raise ValueError("give at least one of any_entities, all_entities, phrases or query")
        return self


class Alert(_Event):
    """A story that matched a subscription (topic `alerts.<subscription>`)."""

    schema_version: Literal[1] = 1
    id: str = Field(description="`<subscription>:<story id>:v<version>`: the same alert is never sent twice.")
    subscription: str
    story_id: str
    version: int = Field(ge=1)
    is_update: bool = Field(description="True when the subscription was already alerted to an earlier version.")
    headline: str
    link: str | None = Field(None, description="The story's own URL or identifier.")
    source: str
    section: str | None = None
    versioncreated: datetime
    matched: list[str] = Field(description="What matched: `person:Mark Esper`, `phrase:embassy`, `query:...`.")
    snippet: str = Field(description="A passage of the story with the matched words in <em>...</em>.")
    alerted_at: AwareDatetime = Field(default_factory=_now)
