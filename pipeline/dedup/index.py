"""The dedup index: every story seen within the window, and the rules that classify a new one."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from datetime import datetime

import numpy as np
from pydantic import AwareDatetime, BaseModel

from pipeline.dedup.fingerprint import NUM_PERM, fingerprint, is_prefix
from schemas import Article, MatchKind

#: Estimated Jaccard similarity of shingle sets from which two stories are the same story.
NEAR_THRESHOLD = 0.6
#: LSH recalls candidates a little below the threshold, so that estimation noise costs no recall:
#: 16 bands of 4 values is datasketch's optimum for a threshold of 0.4 with 64 permutations.
LSH_BANDS, LSH_ROWS = 16, 4


class StoryState(BaseModel):
    """What the index remembers of one story, as JSON in the Faust table."""

    id: str
    source: str
    versioncreated: AwareDatetime
    exact: str
    lead: str | None
    prefix: str  # base64 of the first words' 16-bit hashes
    minhash: str  # base64 of the MinHash values, uint32 little-endian
    word_count: int
    version: int = 1
    copies: int = 0
    seen_at: float
    #: The `articles.raw` offsets (one partition) of the events that made versions 1, 2, ... (-1: not known).
    made_by: list[int] = []
    #: The highest `articles.raw` offset counted as a copy of it (-1: none): a copy read again is
    #: not counted again (the partition is read in order, so every copy before it was counted).
    copies_upto: int = -1


@dataclass(slots=True)
class Story:
    """One story in memory: the fingerprints as bytes (about 1 KB), not as Python lists."""

    id: str
    source: str
    versioncreated: datetime
    exact: str
    lead: str | None
    prefix: bytes
    minhash: bytes
    word_count: int
    version: int = 1
    copies: int = 0
    seen_at: float = 0.0
    made_by: tuple[int, ...] = ()
    copies_upto: int = -1

    @classmethod
    def from_json(cls, data: bytes | str) -> Story:
        state = StoryState.model_validate_json(data)
        return cls(state.id, state.source, state.versioncreated, state.exact, state.lead,
                   base64.b64decode(state.prefix), base64.b64decode(state.minhash), state.word_count,
                   state.version, state.copies, state.seen_at, tuple(state.made_by), state.copies_upto)

    def to_json(self) -> bytes:
        """The table value. Built without validation: every field comes from a validated article."""
        return StoryState.model_construct(
            id=self.id, source=self.source, versioncreated=self.versioncreated, exact=self.exact, lead=self.lead,
            prefix=base64.b64encode(self.prefix).decode("ascii"), minhash=base64.b64encode(self.minhash).decode("ascii"),
            word_count=self.word_count, version=self.version, copies=self.copies, seen_at=self.seen_at,
            made_by=list(self.made_by), copies_upto=self.copies_upto,
        ).model_dump_json().encode()

    def values(self) -> np.ndarray:
        return np.frombuffer(self.minhash, dtype="<u4")


@dataclass(frozen=True)
class Decision:
    """What to do with an article: publish it as `version` of `story_id`, or record a copy."""

    story_id: str
    unique: bool
    version: int
    state: Story
    match: MatchKind | None = None
    similarity: float = 1.0
    #: The event that made `version`, read again: publish it again, count nothing.
    replay: bool = False

    @property
    def is_update(self) -> bool:
        return self.unique and self.version > 1


class Bands:
    """LSH banding over MinHash values: stories that agree on all rows of any band are candidates.

    datasketch's `MinHashLSH` does the same, but keeps a Python set per bucket and every band key
    twice: 4.3 of the 9.5 KB a story cost in memory. Here a bucket holds one id, or a set only when
    stories collide, and band keys are recomputed from the values when a story is removed.
    """

    def __init__(self, bands: int = LSH_BANDS, rows: int = LSH_ROWS) -> None:
        self._slices = [slice(band * rows * 4, (band + 1) * rows * 4) for band in range(bands)]
        self._buckets: list[dict[int, str | set[str]]] = [{} for _ in range(bands)]

    def _keys(self, minhash: bytes) -> list[int]:
        return [hash(minhash[part]) for part in self._slices]

    def insert(self, story_id: str, minhash: bytes) -> None:
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if there is None:
                buckets[key] = story_id
            elif isinstance(there, set):
                there.add(story_id)
            elif there != story_id:
                buckets[key] = {there, story_id}

    def remove(self, story_id: str, minhash: bytes) -> None:
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if there == story_id:
                del buckets[key]
            elif isinstance(there, set):
                there.discard(story_id)
                if len(there) == 1:
                    buckets[key] = next(iter(there))

    def candidates(self, minhash: bytes) -> set[str]:
        found: set[str] = set()
        for buckets, key in zip(self._buckets, self._keys(minhash)):
            there = buckets.get(key)
            if isinstance(there, set):
                found |= there
            elif there is not None:
                found.add(there)
        return found


class DedupIndex:
    """Stories by id, plus lookups by exact text, by lead, and by MinHash bands."""

    def __init__(self) -> None:
        self.stories: dict[str, Story] = {}
        self._by_exact: dict[str, str] = {}
        # Different stories may open with the same words (a quote, a standard lead-in).
        self._by_lead: dict[str, set[str]] = {}
        self._bands = Bands()

    def __len__(self) -> int:
        return len(self.stories)

    def add(self, story: Story) -> None:
        """Insert or replace a story (also used to rebuild the index from the table)."""
        self.remove(story.id)
        self.stories[story.id] = story
        self._by_exact[story.exact] = story.id
        if story.lead:
            self._by_lead.setdefault(story.lead, set()).add(story.id)
        self._bands.insert(story.id, story.minhash)

    def remove(self, story_id: str) -> None:
        story = self.stories.pop(story_id, None)
        if story is None:
            return
        if self._by_exact.get(story.exact) == story_id:
            del self._by_exact[story.exact]
        if story.lead and story.lead in self._by_lead:
            self._by_lead[story.lead].discard(story_id)
            if not self._by_lead[story.lead]:
                del self._by_lead[story.lead]
        self._bands.remove(story_id, story.minhash)

    def expired(self, before: float) -> list[str]:
        """Ids of stories last seen before `before` (epoch seconds)."""
        return [story_id for story_id, story in self.stories.items() if story.seen_at < before]

    def observe(self, article: Article, now: float, source_offset: int | None = None) -> Decision:
        """Classify an article and record it; the decision's `state` is what to persist.

        `source_offset`, the article's offset in `articles.raw`, tells a replay from a copy: after
        a crash or a rebalance the events since the last commit are read again, and one that made
        a version of a story may have been recorded here while its output was never sent. Such an
        event is a replay of that version (published again, nothing counted), not a copy of itself;
        a copy read again is recorded again but not counted again (`copies_upto`)."""
        print_ = fingerprint(article.headline, article.body_text)
        fresh = Story(
            id=article.id, source=article.source, versioncreated=article.versioncreated, exact=print_.exact,
            lead=print_.lead, prefix=print_.prefix, minhash=print_.minhash,
            word_count=print_.word_count, seen_at=now, made_by=(-1 if source_offset is None else source_offset,),
        )
        known = self.stories.get(article.id)
        if known is not None:
            return _replay(known, source_offset) or self._same_id(known, fresh, source_offset)

        match = self._match(fresh)
        if match is None:
            self.add(fresh)
            return Decision(article.id, True, 1, fresh)
        known, kind, similarity = match
        if replay := _replay(known, source_offset):
            return replay
        if known.source == fresh.source and fresh.versioncreated > known.versioncreated and kind is not MatchKind.CONTAINMENT:
            # The same outlet re-issued its story under a new headline: a new version of it.
            return self._new_version(known, fresh)
        return self._copy(known, kind, similarity, now, source_offset)

    def _same_id(self, known: Story, fresh: Story, source_offset: int | None) -> Decision:
        if fresh.versioncreated < known.versioncreated:
            return self._copy(known, MatchKind.STALE, _jaccard(known, fresh), fresh.seen_at, source_offset)
        if fresh.exact == known.exact:
            return self._copy(known, MatchKind.EXACT, 1.0, fresh.seen_at, source_offset)
        return self._new_version(known, fresh)

    def _new_version(self, known: Story, fresh: Story) -> Decision:
        fresh.id, fresh.version, fresh.copies = known.id, known.version + 1, known.copies
        fresh.made_by = known.made_by + fresh.made_by
        self.add(fresh)
        return Decision(known.id, True, fresh.version, fresh, MatchKind.NEAR, _jaccard(known, fresh))

    def _copy(self, known: Story, kind: MatchKind, similarity: float, now: float, source_offset: int | None) -> Decision:
        if source_offset is not None and source_offset <= known.copies_upto:
            return Decision(known.id, False, known.version, known, kind, round(similarity, 4), replay=True)
        known.copies += 1
        known.seen_at = now
        if source_offset is not None:
            known.copies_upto = source_offset
        return Decision(known.id, False, known.version, known, kind, round(similarity, 4))

    def _match(self, fresh: Story) -> tuple[Story, MatchKind, float] | None:
        if (story_id := self._by_exact.get(fresh.exact)) is not None:
            return self.stories[story_id], MatchKind.EXACT, 1.0
        best: tuple[Story, MatchKind, float] | None = None
        for story_id in self._bands.candidates(fresh.minhash):
            similarity = _jaccard(fresh, self.stories[story_id])
            if similarity >= NEAR_THRESHOLD and (best is None or similarity > best[2]):
                best = (self.stories[story_id], MatchKind.NEAR, similarity)
        if best is not None:
            return best
        for story_id in sorted(self._by_lead.get(fresh.lead, ())) if fresh.lead else ():
            known = self.stories[story_id]
            if fresh.word_count <= known.word_count and is_prefix(fresh.prefix, known.prefix):
                return known, MatchKind.CONTAINMENT, _containment(fresh, known)
        return None


def _replay(story: Story, source_offset: int | None) -> Decision | None:
    """The replay of the version of `story` that the event at `source_offset` made, if it made one."""
    if source_offset is None or source_offset not in story.made_by:
        return None
    return Decision(story.id, True, story.made_by.index(source_offset) + 1, story, replay=True)


def _jaccard(a: Story, b: Story) -> float:
    """The MinHash estimate of the Jaccard similarity of two stories' shingle sets."""
    return float(np.count_nonzero(a.values() == b.values())) / NUM_PERM


def _containment(part: Story, whole: Story) -> float:
    """Estimated share of `part`'s shingles found in `whole`: |A∩B| = J/(1+J)·(|A|+|B|)."""
    jaccard = _jaccard(part, whole)
    shared = jaccard / (1 + jaccard) * (part.word_count + whole.word_count)
    return max(0.0, min(1.0, shared / max(1, part.word_count)))
