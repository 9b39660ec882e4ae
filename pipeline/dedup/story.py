"""A story as the dedup index holds it (`Story`: fingerprints as bytes) and as its table stores it
(`StoryState`: JSON, the current text's fingerprints at the top level)."""

from __future__ import annotations

import base64
import sys
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from pipeline.dedup.fingerprint import NUM_PERM
from pipeline.dedup.texts import Text
from schemas import Article


class TextState(BaseModel):
    exact: str
    openings: list[int] = []
    prefix: str  # base64 of the first tokens' hashes, packed (`pipeline.dedup.fingerprint.pack_prefix`)
    minhash: str  # base64 of the MinHash values, a byte each (before 2026-12: uint32 little-endian)
    word_count: int

    @classmethod
    def of(cls, text: Text) -> TextState:
        return cls.model_construct(
            exact=text.exact.hex(), openings=list(text.opening_keys()), prefix=base64.b64encode(text.prefix).decode("ascii"),
            minhash=base64.b64encode(text.minhash).decode("ascii"), word_count=text.word_count)

    def text(self) -> Text:
        prefix, minhash = base64.b64decode(self.prefix), base64.b64decode(self.minhash)
        if len(minhash) == 4 * NUM_PERM:  # a state written before fingerprints were packed: full-width
            return Text.from_parts(self.exact, self.openings, prefix, minhash, self.word_count)
        return Text.packed(bytes.fromhex(self.exact), self.openings, prefix, minhash, self.word_count)


class StoryState(TextState):
    """What the index remembers of one story, as JSON in the Faust table (its current text's
    fingerprints at the top level)."""

    id: str
    source: str
    versioncreated: AwareDatetime
    earlier: list[TextState] = []
    version: int = 1
    copies: int = 0
    seen_at: float
    #: The `articles.raw` offsets (one partition) of the events that made versions 1, 2, ... (-1: not known).
    made_by: list[int] = []
    #: The highest `articles.raw` offset counted as a copy of it (-1: none): a copy read again is
    #: not counted again (the partition is read in order, so every copy before it was counted).
    copies_upto: int = -1
    #: Ids of other articles that became versions of this story, and of stories merged into it; an
    #: article under one of them is compared with it as under the story's own id. (A copy's id is
    #: not one: another outlet's id does not vouch for this story.)
    aliases: list[str] = []
    #: The stories merged into this one: (raw offset of the article that merged them, story id, its
    #: last version), so a replay of that article retires them again.
    merged: list[tuple[int, str, int]] = []
    #: The outlets that sent a text of this story, copies included: a newer text from one of them
    #: is the story's next version (the wire that started it may have been a syndicator).
    sources: list[str] = []


@dataclass(slots=True)
class Story:
    """One story in memory: fingerprints as bytes (about 700 bytes a text), not as Python lists."""

    id: str
    source: str
    versioncreated: datetime
    text: Text
    earlier: tuple[Text, ...] = ()
    version: int = 1
    copies: int = 0
    seen_at: float = 0.0
    made_by: tuple[int, ...] = ()
    copies_upto: int = -1
    aliases: tuple[str, ...] = ()
    merged: tuple[tuple[int, str, int], ...] = ()
    sources: tuple[str, ...] = ()
    slot: int = -1  # where the index's lookups find it (`DedupIndex`), not part of the state

    @classmethod
    def of(cls, article: Article, now: float, source_offset: int | None) -> Story:
        # Outlets' names repeat across stories: one string each, not one a story.
        return cls(article.id, sys.intern(article.source), article.versioncreated, Text.of(article.headline, article.body_text),
                   seen_at=now, made_by=(-1 if source_offset is None else source_offset,))

    @classmethod
    def from_json(cls, data: bytes | str) -> Story:
        state = StoryState.model_validate_json(data)
        return cls(state.id, sys.intern(state.source), state.versioncreated, state.text(), tuple(e.text() for e in state.earlier),
                   state.version, state.copies, state.seen_at, tuple(state.made_by), state.copies_upto,
                   tuple(state.aliases), tuple(tuple(entry) for entry in state.merged), tuple(map(sys.intern, state.sources)))

    def to_json(self) -> bytes:
        """The table value. Built without validation: every field comes from a validated article."""
        current = TextState.of(self.text)
        return StoryState.model_construct(
            **current.__dict__, id=self.id, source=self.source, versioncreated=self.versioncreated,
            earlier=[TextState.of(text) for text in self.earlier], version=self.version, copies=self.copies,
            seen_at=self.seen_at, made_by=list(self.made_by), copies_upto=self.copies_upto, aliases=list(self.aliases),
            merged=list(self.merged), sources=list(self.sources),
        ).model_dump_json().encode()

    def texts(self) -> tuple[Text, ...]:
        return (self.text, *self.earlier)

    @property
    def word_count(self) -> int:
        return self.text.word_count
