"""The dedup index: every story seen within the window, and the identity rules that place a new article.

The identity model (the README's "Deduplication" section says the same for users):

- A **story** is what the index shows as one document. It has an id (the id of the article that
  started it), a version (1, 2, ...: dedup's own counter, which also orders writes to
  Elasticsearch) and the fingerprints of its current text.
- An article is compared with the story of the same id (or of an id that joined a story before),
  else with the stories whose text it resembles. Against a story it is one of:
  - **exact**: the same normalised headline and text: a copy;
  - **part**: its text is the beginning of the story's (a lead, a truncation): a copy, whichever
    arrived first;
  - **fuller**: the story's text is the beginning of its text (the short copy came first): the
    story's next version, showing the fuller text, whoever wrote it; the short text counts as a
    copy when another outlet sent it;
  - **related**: a changed text of the same story: the next version when the same source sent it
    with a newer or equal timestamp, a **stale** copy when its timestamp is older, and a **near**
    copy when another outlet sent it;
  - **unrelated**: a text that shares neither its beginning nor most of its words with the
    story. Under the same id that is an id collision (a generic headline, a broken feed): the
    article becomes a story of its own under a derived id, and the collision is reported.
- Two different ids are one story only on strong evidence: exact text, one text the beginning
  of the other, or a near-duplicate (estimated Jaccard similarity of 4-token shingles at least
  `NEAR_THRESHOLD`) whose openings agree. Under one id (the same source's own id, or source,
  headline and date) weaker evidence is enough: the source says it is the same story.
- The result does not depend on arrival order within the window: a short copy before the full
  text, or after it, ends in the same story with the fuller text.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import numpy as np
from pydantic import AwareDatetime, BaseModel

from pipeline.dedup.fingerprint import LEAD_WORDS, NUM_PERM, PREFIX_WORDS, fingerprint, is_prefix, opening_overlap
from schemas import Article, MatchKind

log = logging.getLogger(__name__)

#: Estimated Jaccard similarity of shingle sets from which two texts under different ids are one story...
NEAR_THRESHOLD = 0.6
#: ...provided their openings (first 40 tokens) overlap at least this much, unless the similarity
#: reaches `SURE_THRESHOLD` (a paragraph added after the lead changes the opening, not the story).
OPENING_THRESHOLD = 0.5
SURE_THRESHOLD = 0.8
#: Under one id, a changed text is the same story when its shingles overlap this much, or its
#: opening overlaps `SAME_ID_OPENING`; below both, it is unrelated text under a colliding id.
SAME_ID_JACCARD = 0.15
SAME_ID_OPENING = 0.4
#: Under one id, a text of at least this many tokens that begins the other is a lead of it.
SAME_ID_MIN_TOKENS = 4
#: A part longer than the prefix window must also have this share of its shingles in the whole.
LONG_PART_CONTAINMENT = 0.7
#: Within one story, a shorter text with this estimated share of its shingles in the other is a cut of it.
ESTIMATED_CONTAINMENT = 0.8
#: A text is fuller than a story's when it has at least this many tokens more.
FULLER_MIN_TOKENS = 8
#: LSH recalls candidates a little below the threshold, so that estimation noise costs no recall:
#: 16 bands of 4 values is datasketch's optimum for a threshold of 0.4 with 64 permutations.
LSH_BANDS, LSH_ROWS = 16, 4
#: Other ids remembered per story (versions sent under ids of their own).
MAX_ALIASES = 32


class Relation(Enum):
    EXACT = "exact"
    PART = "part"  # the article's text begins the story's
    FULLER = "fuller"  # the story's text begins the article's
    RELATED = "related"
    UNRELATED = "unrelated"


class StoryState(BaseModel):
    """What the index remembers of one story, as JSON in the Faust table."""

    id: str
    source: str
    versioncreated: AwareDatetime
    exact: str
    openings: list[int] = []
    prefix: str  # base64 of the first tokens' 16-bit hashes
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
    #: Ids of other articles that became versions of this story; an article under one of them is
    #: compared with it as under the story's own id. (A copy's id is not one: another outlet's id
    #: does not vouch for this story.)
    aliases: list[str] = []


@dataclass(slots=True)
class Story:
    """One story in memory: the fingerprints as bytes (about 1 KB), not as Python lists."""

    id: str
    source: str
    versioncreated: datetime
    exact: str
    openings: tuple[int, ...]
    prefix: bytes
    minhash: bytes
    word_count: int
    version: int = 1
    copies: int = 0
    seen_at: float = 0.0
    made_by: tuple[int, ...] = ()
    copies_upto: int = -1
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, article: Article, now: float, source_offset: int | None) -> Story:
        print_ = fingerprint(article.headline, article.body_text)
        return cls(article.id, article.source, article.versioncreated, print_.exact, print_.openings, print_.prefix,
                   print_.minhash, print_.word_count, seen_at=now,
                   made_by=(-1 if source_offset is None else source_offset,))

    @classmethod
    def from_json(cls, data: bytes | str) -> Story:
        state = StoryState.model_validate_json(data)
        return cls(state.id, state.source, state.versioncreated, state.exact, tuple(state.openings),
                   base64.b64decode(state.prefix), base64.b64decode(state.minhash), state.word_count,
                   state.version, state.copies, state.seen_at, tuple(state.made_by), state.copies_upto,
                   tuple(state.aliases))

    def to_json(self) -> bytes:
        """The table value. Built without validation: every field comes from a validated article."""
        return StoryState.model_construct(
            id=self.id, source=self.source, versioncreated=self.versioncreated, exact=self.exact,
            openings=list(self.openings),
            prefix=base64.b64encode(self.prefix).decode("ascii"), minhash=base64.b64encode(self.minhash).decode("ascii"),
            word_count=self.word_count, version=self.version, copies=self.copies, seen_at=self.seen_at,
            made_by=list(self.made_by), copies_upto=self.copies_upto, aliases=list(self.aliases),
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
    #: The article's own id belonged to an unrelated story: it was given `story_id` instead.
    collided_with: str | None = None

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
    """Stories by id and alias, plus lookups by exact text, by opening, and by MinHash bands."""

    def __init__(self) -> None:
        self.stories: dict[str, Story] = {}
        self._by_alias: dict[str, str] = {}
        self._by_exact: dict[str, str] = {}
        # Different stories may open with the same words (a quote, a standard lead-in).
        self._by_opening: dict[int, set[str]] = {}
        self._bands = Bands()

    def __len__(self) -> int:
        return len(self.stories)

    def add(self, story: Story) -> None:
        """Insert or replace a story (also used to rebuild the index from the table)."""
        self.remove(story.id)
        self.stories[story.id] = story
        for alias in story.aliases:
            self._by_alias[alias] = story.id
        self._by_exact[story.exact] = story.id
        for key in story.openings:
            self._by_opening.setdefault(key, set()).add(story.id)
        self._bands.insert(story.id, story.minhash)

    def remove(self, story_id: str) -> None:
        story = self.stories.pop(story_id, None)
        if story is None:
            return
        for alias in story.aliases:
            if self._by_alias.get(alias) == story_id:
                del self._by_alias[alias]
        if self._by_exact.get(story.exact) == story_id:
            del self._by_exact[story.exact]
        for key in story.openings:
            if key in self._by_opening:
                self._by_opening[key].discard(story_id)
                if not self._by_opening[key]:
                    del self._by_opening[key]
        self._bands.remove(story_id, story.minhash)

    def expired(self, before: float) -> list[str]:
        """Ids of stories last seen before `before` (epoch seconds)."""
        return [story_id for story_id, story in self.stories.items() if story.seen_at < before]

    def observe(self, article: Article, now: float, source_offset: int | None = None) -> Decision:
        """Place an article in its story and record it; the decision's `state` is what to persist.

        `source_offset`, the article's offset in `articles.raw`, tells a replay from a copy: after
        a crash or a rebalance the events since the last commit are read again, and one that made
        a version of a story may have been recorded here while its output was never sent. Such an
        event is a replay of that version (published again, nothing counted), not a copy of itself;
        a copy read again is recorded again but not counted again (`copies_upto`)."""
        fresh = Story.of(article, now, source_offset)
        collided_with = None
        known = self.stories.get(self._by_alias.get(article.id, article.id))
        if known is not None:
            if replay := _replay(known, source_offset):
                return replay
            relation = _relation(fresh, known)
            if relation is Relation.FULLER and known.word_count < LEAD_WORDS:
                # The story under this id is a snippet too short to have been matched with anything
                # else; its fuller text may belong to a story already told under another id.
                if (elsewhere := self._match(fresh)) is not None and elsewhere[0] is not known:
                    return self._claim(elsewhere[0], fresh, elsewhere[1], source_offset)
            if relation is not Relation.UNRELATED:
                return self._join(known, fresh, relation, same_id=True)
            collided_with = known.id
            fresh.id = _derived_id(article.id, fresh.exact)
            log.warning("dedup: %s carries the id of an unrelated story; kept apart as %s", article.id, fresh.id)
            if (derived := self.stories.get(fresh.id)) is not None:
                return _replay(derived, source_offset) or self._join(derived, fresh, _relation(fresh, derived), True)

        match = self._match(fresh)
        if match is None:
            self.add(fresh)
            return Decision(fresh.id, True, 1, fresh, collided_with=collided_with)
        known, relation = match
        if replay := _replay(known, source_offset):
            return replay
        return self._join(known, fresh, relation, same_id=False)

    def _claim(self, known: Story, fresh: Story, relation: Relation, source_offset: int | None) -> Decision:
        """Join `fresh` to `known`, and from now on read its id as `known`'s."""
        if replay := _replay(known, source_offset):
            return replay
        article_id = fresh.id
        decision = self._join(known, fresh, relation, same_id=False)
        story = self.stories[decision.story_id]
        story.aliases = _with_alias(story, article_id)
        self._by_alias[article_id] = story.id
        return decision

    def _join(self, known: Story, fresh: Story, relation: Relation, same_id: bool) -> Decision:
        """`fresh` belongs to `known`'s story: a copy of it, or its next version. A changed text is
        an update when it comes under the story's id (or one that joined it) or from the source that
        started the story, else another outlet's copy."""
        if relation is Relation.RELATED:
            # Already one story: a shorter text whose shingles all lie in the other's is a cut of
            # it, even where it does not begin the same way (a paragraph added on top since).
            if fresh.word_count < known.word_count and _containment(fresh, known) >= ESTIMATED_CONTAINMENT:
                relation = Relation.PART
            elif _fuller(fresh, known) and _containment(known, fresh) >= ESTIMATED_CONTAINMENT:
                relation = Relation.FULLER
        if relation is Relation.EXACT:
            return self._copy(known, fresh, MatchKind.EXACT, 1.0)
        older = fresh.versioncreated < known.versioncreated
        if relation is Relation.PART:
            kind = MatchKind.STALE if older and fresh.source == known.source else MatchKind.CONTAINMENT
            return self._copy(known, fresh, kind, _containment(fresh, known))
        if relation is Relation.FULLER:
            # The story so far was a short copy of this text: from now on it shows this one.
            return self._new_version(known, fresh, short_copy=fresh.source != known.source)
        similarity = _jaccard(known, fresh)
        if older:
            return self._copy(known, fresh, MatchKind.STALE, similarity)
        if same_id or fresh.source == known.source:
            return self._new_version(known, fresh)
        return self._copy(known, fresh, MatchKind.NEAR, similarity)

    def _new_version(self, known: Story, fresh: Story, short_copy: bool = False) -> Decision:
        article_id = fresh.id
        fresh.id, fresh.source = known.id, known.source
        fresh.version, fresh.copies = known.version + 1, known.copies + short_copy
        fresh.made_by = known.made_by + fresh.made_by
        fresh.copies_upto = known.copies_upto
        fresh.aliases = _with_alias(known, article_id)
        self.add(fresh)
        return Decision(known.id, True, fresh.version, fresh, MatchKind.NEAR, _jaccard(known, fresh))

    def _copy(self, known: Story, fresh: Story, kind: MatchKind, similarity: float) -> Decision:
        source_offset = fresh.made_by[0] if fresh.made_by and fresh.made_by[0] >= 0 else None
        if source_offset is not None and source_offset <= known.copies_upto:
            return Decision(known.id, False, known.version, known, kind, round(similarity, 4), replay=True)
        known.copies += 1
        known.seen_at = fresh.seen_at
        if source_offset is not None:
            known.copies_upto = source_offset
        return Decision(known.id, False, known.version, known, kind, round(similarity, 4))

    def _match(self, fresh: Story) -> tuple[Story, Relation] | None:
        """The story `fresh` belongs to among those of other ids, on strong evidence only."""
        if (story_id := self._by_exact.get(fresh.exact)) is not None:
            return self.stories[story_id], Relation.EXACT
        if fresh.word_count < LEAD_WORDS:
            return None  # too little text to say it is another id's copy
        best: tuple[Story, Relation] | None = None
        best_similarity = 0.0
        for story_id in self._bands.candidates(fresh.minhash):
            known = self.stories[story_id]
            similarity = _jaccard(fresh, known)
            if similarity > best_similarity and similarity >= NEAR_THRESHOLD and known.word_count >= LEAD_WORDS:
                if similarity >= SURE_THRESHOLD or opening_overlap(fresh.prefix, known.prefix) >= OPENING_THRESHOLD:
                    relation = _containing(fresh, known, LEAD_WORDS) or Relation.RELATED
                    best, best_similarity = (known, relation), similarity
        if best is not None:
            return best
        opening_alike = {story_id for key in fresh.openings for story_id in self._by_opening.get(key, ())}
        for story_id in sorted(opening_alike):
            known = self.stories[story_id]
            if relation := _containing(fresh, known, LEAD_WORDS):
                return known, relation
        return None


def _relation(fresh: Story, known: Story) -> Relation:
    """How an article relates to the story under its own id: the id vouches for a short lead
    (a few tokens that begin the story), but a changed text must share words with the story."""
    if fresh.exact == known.exact:
        return Relation.EXACT
    if relation := _containing(fresh, known, SAME_ID_MIN_TOKENS):
        return relation
    if min(fresh.word_count, known.word_count) >= LEAD_WORDS and (
        _jaccard(fresh, known) >= SAME_ID_JACCARD or opening_overlap(fresh.prefix, known.prefix) >= SAME_ID_OPENING
    ):
        return Relation.RELATED
    return Relation.UNRELATED


def _containing(fresh: Story, known: Story, minimum: int) -> Relation | None:
    """PART when `fresh`'s text begins `known`'s, FULLER when the other way round; neither when
    the shorter has fewer than `minimum` tokens, or when both have the same tokens (a new
    headline over the same text is a related text, not a copy)."""
    if min(fresh.word_count, known.word_count) < minimum:
        return None
    if fresh.word_count < known.word_count and _begins(fresh, known):
        return Relation.PART
    if _fuller(fresh, known) and _begins(known, fresh):
        return Relation.FULLER
    return None


def _fuller(fresh: Story, known: Story) -> bool:
    """Whether `fresh` has more text than `known` by at least a short sentence: a few words more
    (an outlet's credit, a reworded phrase) do not make a copy the story's fuller text."""
    return fresh.word_count >= known.word_count + FULLER_MIN_TOKENS


def _begins(part: Story, whole: Story) -> bool:
    """Whether `part`'s text is the beginning of `whole`'s: token for token as far as the prefix
    window reaches, and by its shingles beyond; or, where a paragraph was put on top or inserted
    since, one of `part`'s first paragraphs opens as one of `whole`'s does and nearly all its
    shingles are in `whole`."""
    if is_prefix(part.prefix, whole.prefix):
        return part.word_count <= PREFIX_WORDS or _containment(part, whole) >= LONG_PART_CONTAINMENT
    return not set(part.openings).isdisjoint(whole.openings) and _containment(part, whole) >= ESTIMATED_CONTAINMENT


def _replay(story: Story, source_offset: int | None) -> Decision | None:
    """The replay of the version of `story` that the event at `source_offset` made, if it made one."""
    if source_offset is None or source_offset not in story.made_by:
        return None
    return Decision(story.id, True, story.made_by.index(source_offset) + 1, story, replay=True)


def _with_alias(story: Story, article_id: str) -> tuple[str, ...]:
    if article_id == story.id or article_id in story.aliases:
        return story.aliases
    return (story.aliases + (article_id,))[-MAX_ALIASES:]


def _derived_id(article_id: str, exact: str) -> str:
    """The id of a story whose own id was taken by an unrelated one: stable for the same text."""
    return f"{article_id[:180]}~{hashlib.blake2b(exact.encode(), digest_size=6).hexdigest()}"


def _jaccard(a: Story, b: Story) -> float:
    """The MinHash estimate of the Jaccard similarity of two stories' shingle sets."""
    return float(np.count_nonzero(a.values() == b.values())) / NUM_PERM


def _containment(part: Story, whole: Story) -> float:
    """Estimated share of `part`'s shingles found in `whole`: |A∩B| = J/(1+J)·(|A|+|B|)."""
    jaccard = _jaccard(part, whole)
    shared = jaccard / (1 + jaccard) * (part.word_count + whole.word_count)
    return max(0.0, min(1.0, shared / max(1, part.word_count)))
