"""Event models. Each is serialised as JSON on its topic, keyed by the story id."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_HEADLINE_CHARS = 1_000
#: A story's text (headline, body, captions, credits) at most: below spaCy's `max_length` (1,000,000
#: characters), and its event well below the broker's 4 MiB message limit.
MAX_TEXT_CHARS = 900_000
#: Story timestamps outside these bounds are feed errors (year 1, 9999, a clock far ahead), refused at ingest.
EARLIEST_STORY = datetime(1900, 1, 1, tzinfo=timezone.utc)
#: How far ahead of this machine's clock a story's time may be (a wire's wrong time zone, clock skew).
FUTURE_TOLERANCE = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Article(_Event):
    """A wire story as it enters the pipeline (topic `articles.raw`)."""

    schema_version: Literal[1] = 1
    id: str = Field(
        min_length=1,
        max_length=200,
        description="Stable story id: from the source's own id or URL, else a hash of source, "
        "headline and date. Every version of a story shares it; it is the Kafka key.",
    )
    uri: str | None = Field(None, description="The source's own identifier or URL (ninjs `uri`).")
    source: str = Field(min_length=1, max_length=100, description="Wire or outlet, e.g. `voa`.")
    headline: str = Field(min_length=1, max_length=MAX_HEADLINE_CHARS)
    byline: str | None = Field(None, description="Author names without the leading `By`.")
    section: str | None = None
    located: str | None = Field(None, description="The dateline, e.g. `PENTAGON`.")
    firstcreated: date | None = Field(None, description="Publication date.")
    versioncreated: AwareDatetime = Field(
        description="When this version was last updated; newer versions supersede older ones."
    )
    body_text: str = Field(min_length=1, description="The story's own text, paragraphs split by blank lines.")
    captions: list[str] = Field(default_factory=list, description="Photo captions, in order.")
    credits: list[str] = Field(
        default_factory=list, description="Contribution lines, e.g. `X contributed to this report.`"
    )
    language: str = Field("en", min_length=2, max_length=12)
    ingest_format: str = Field(description="The input format it was parsed from.")
    received_at: AwareDatetime = Field(default_factory=_now)

    @field_validator("headline", "body_text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _taggable(self) -> Article:
        size = len(self.headline) + len(self.body_text) + sum(map(len, self.captions)) + sum(map(len, self.credits))
        if size > MAX_TEXT_CHARS:
            raise ValueError(f"too long: {size:,} characters of text, the limit is {MAX_TEXT_CHARS:,}")
        return self

    @field_validator("firstcreated", "versioncreated")
    @classmethod
    def _plausible_time(cls, value: date | datetime | None) -> date | datetime | None:
        if value is None:
            return value
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        if moment < EARLIEST_STORY:
            raise ValueError(f"{value.isoformat()} is before {EARLIEST_STORY.year}: not a story's time")
        if moment > _now() + FUTURE_TOLERANCE:
            raise ValueError(f"{value.isoformat()} is in the future")
        return value


class UniqueArticle(_Event):
    """A first sighting, or a new version of a known story (topic `articles.unique`)."""

    schema_version: Literal[1] = 1
    article: Article
    version: int = Field(ge=1, description="1 for a first sighting, then 2, 3, ... per update.")
    copies: int = Field(0, ge=0, description="Duplicate copies seen so far.")
    article_id: str | None = Field(
        None, description="The id the article arrived with, where it differs from the story id `article.id`: "
        "another outlet's fuller text, a version sent under a new headline, or an id an unrelated story had taken.",
    )


class MatchKind(str, Enum):
    """How a copy matched the story it duplicates."""

    EXACT = "exact"
    NEAR = "near"
    CONTAINMENT = "containment"
    STALE = "stale"  # an older version of a known story, arriving late
    MERGED = "merged"  # a whole story found to be part of another: its document is retired


class DuplicateRecord(_Event):
    """A copy of a known story, or a story merged into another (topic `articles.duplicates`)."""

    schema_version: Literal[1] = 1
    id: str = Field(description="The copy's own id; for `merged`, the id of the story merged away.")
    duplicate_of: str = Field(description="The id of the story it duplicates.")
    kind: MatchKind
    similarity: float = Field(ge=0, le=1)
    copies: int = Field(1, ge=1, description="Copies of that story seen so far, this one included.")
    source: str
    headline: str = Field(description="The copy's headline (empty for `merged`).")
    received_at: AwareDatetime
    retired_version: int | None = Field(
        None, ge=1, description="For `merged`: the last version the story merged away had; its document is deleted "
        "with a version above it, so no replay of it comes back.")


class DeadLetter(_Event):
    """Input the pipeline could not accept, with the reason (topic `articles.dlq`)."""

    schema_version: Literal[1] = 1
    stage: str = Field(description="Where it was refused: `ingest`, `dedup`, `index`, ...")
    input: str = Field(description="Where it came from: a path, a URL, `stdin`, a topic offset.")
    reason: str = Field(description="One line a person can act on.")
    field: str | None = Field(None, description="The offending field, when there is one.")
    raw: str = Field(description="The raw bytes, base64, cut to `raw_size` at most 256 KiB.")
    raw_size: int = Field(ge=0, description="The size of the original input in bytes.")
    occurred_at: AwareDatetime = Field(default_factory=_now)


class EntityType(str, Enum):
    """What an entity is. `group` covers nationalities, religious and political groups (NORP)."""

    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    GROUP = "group"


class GeoPoint(_Event):
    """A point Kibana can draw (Elasticsearch `geo_point` order: lat, lon)."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Entity(_Event):
    """One entity of a story, all its mentions merged under its canonical name."""

    name: str = Field(description="Canonical name, e.g. `Mark Esper` for `Esper` and `Secretary Esper`.")
    type: EntityType
    mentions: int = Field(ge=1)
    first_offset: int = Field(
        ge=0, description="Character offset of the first mention in the tagged text: the headline, "
        "a blank line, the body, a blank line, then each caption separated by blank lines."
    )
    in_headline: bool
    salience: float = Field(ge=0, le=1, description="How central the entity is to the story, 0..1.")
    role: str | None = Field(None, description="A title seen before the name, e.g. `Defense Secretary`.")
    wikidata: str | None = Field(None, description="Wikidata id from the gazetteer, e.g. `Q30`.")
    country_code: str | None = Field(None, description="ISO 3166-1 alpha-2 code, for places.")
    location: GeoPoint | None = Field(None, description="Coordinates, for places that resolve.")
    forms: list[str] = Field(default_factory=list, description="The surface forms seen, as written.")


class EnrichedArticle(_Event):
    """A unique story with its entities (topic `articles.enriched`)."""

    schema_version: Literal[1] = 1
    article: Article
    version: int = Field(ge=1)
    copies: int = Field(0, ge=0)
    authors: list[str] = Field(default_factory=list, description="People in the byline: authors, not subjects.")
    entities: list[Entity] = Field(default_factory=list, description="Most salient first.")
    embedding: list[float] | None = Field(
        None, description="The story's vector for hybrid search (headline and lead, unit length, "
        "`pipeline.embedding`); none when vectors are off or the model is not installed.")
    enriched_at: AwareDatetime = Field(default_factory=_now)

    def names(self, kind: EntityType) -> list[str]:
        """Canonical names of one type, most salient first."""
        return [entity.name for entity in self.entities if entity.type is kind]
