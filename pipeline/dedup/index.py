"""The dedup index: every story seen within the window, and the identity rules that place a new article.

The identity model (the README's "Deduplication" section says the same for users):

- A **story** is what the index shows as one document. It has an id (the id of the article that
  started it), a version (1, 2, ...: dedup's own counter, which also orders writes to
  Elasticsearch), the fingerprints of its current text and of a few earlier versions' texts.
- An article is compared with the story of the same id (or of an id that joined a story before),
  and with the stories whose texts it resembles. Against a story it is one of:
  - **exact**: the same normalised headline and text: a copy;
  - **part**: its text is the beginning of the story's (a lead, a truncation): a copy, whichever
    arrived first;
  - **fuller**: the story's text is the beginning of its text (the short copy came first): the
    story's next version, showing the fuller text, whoever wrote it; the short text counts as a
    copy when another outlet sent it;
  - **related**: a changed text of the same story: the next version when its timestamp is newer,
    or equal and it comes under the story's id or from an outlet that sent a text of it before; a
    **stale** copy when its timestamp is older, and a **near** copy otherwise;
  - **earlier**: a copy of one of the story's earlier versions (a **stale** copy);
  - **unrelated**: a text that shares neither its beginning nor most of its words with the
    story. Under the same id that is an id collision (a generic headline, a broken feed): the
    article becomes a story of its own under a derived id, and the collision is reported.
- Two different ids are one story only on strong evidence: exact text, one text the beginning
  of the other, or a near-duplicate (estimated Jaccard similarity of 4-token shingles at least
  0.6) whose openings agree. Under one id (the same source's own id, or source, headline and
  date) weaker evidence is enough: the source says it is the same story.
- The result does not depend on arrival order within the window. A short copy before the full
  text, or after it, ends in the same story with the fuller text; and an article that belongs to
  two stories at once (the full text of a lead that started one story, whose correction started
  another) **merges** them: the story with the latest, fullest text absorbs the other, whose
  document is retired (`Decision.absorbed`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from pipeline.dedup.bands import band_keys
from pipeline.dedup.keytable import KeyTable
from pipeline.dedup.story import Story
from pipeline.dedup.texts import (
    Relation,
    Text,
    checked_part,
    containment,
    jaccard,
    refine,
    same_id_relation,
    strong_relation,
)
from schemas import Article, MatchKind

log = logging.getLogger(__name__)

#: Other ids remembered per story (versions sent under ids of their own, stories merged into it).
MAX_ALIASES = 32
#: Earlier versions' texts a story keeps, so a late copy of one still finds the story.
MAX_EARLIER = 3
#: Outlets a story remembers having sent one of its texts.
MAX_SOURCES = 8
#: Merges a story remembers (to retire the merged stories again when their article is replayed).
MAX_MERGED = 8


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
    #: Stories merged into this one by this article, with the last version each had: retire them.
    absorbed: tuple[tuple[str, int], ...] = ()

    @property
    def is_update(self) -> bool:
        return self.unique and self.version > 1


class DedupIndex:
    """Stories by id and alias, plus lookups of their texts by opening and by MinHash bands."""

    def __init__(self) -> None:
        self.stories: dict[str, Story] = {}
        self._by_alias: dict[str, str] = {}
        # Every text's lookup keys (bands, openings) -> the slot of its story.
        self._keys = KeyTable()
        self._slot_ids: list[str | None] = []
        self._free_slots: list[int] = []

    def __len__(self) -> int:
        return len(self.stories)

    def add(self, story: Story) -> None:
        """Insert or replace a story (also used to rebuild the index from the table). The texts of
        a story in the index must not change: `remove` it first, as the lookups are keyed by them."""
        self.remove(story.id)
        self.stories[story.id] = story
        story.slot = self._free_slots.pop() if self._free_slots else len(self._slot_ids)
        if story.slot == len(self._slot_ids):
            self._slot_ids.append(story.id)
        self._slot_ids[story.slot] = story.id
        for alias in story.aliases:
            self._by_alias[alias] = story.id
        for text in story.texts():
            for key in _lookup_keys(text):
                self._keys.add(key, story.slot)

    def remove(self, story_id: str) -> None:
        story = self.stories.pop(story_id, None)
        if story is None:
            return
        for alias in story.aliases:
            if self._by_alias.get(alias) == story_id:
                del self._by_alias[alias]
        for text in story.texts():
            for key in _lookup_keys(text):
                self._keys.discard(key, story.slot)
        self._slot_ids[story.slot] = None
        self._free_slots.append(story.slot)

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
        home = self.stories.get(self._by_alias.get(article.id, article.id))
        home_relation = None
        if home is not None:
            if replay := _replay(home, source_offset):
                return replay
            home_relation = _relation(fresh.text, home, same_id=True)
            if home_relation is Relation.UNRELATED:
                collided_with = home.id
                fresh.id = _derived_id(article.id, fresh.text.exact)
                log.warning("dedup: %s carries the id of an unrelated story; kept apart as %s", article.id, fresh.id)
                home = self.stories.get(fresh.id)
                home_relation = home and _relation(fresh.text, home, same_id=True)
                if home is not None and (replay := _replay(home, source_offset)):
                    return replay

        matches = {story.id: (story, relation) for story, relation in self._matches(fresh.text) if story is not home}
        others = [story for story, _ in matches.values()]
        if home is None and not others:
            self.add(fresh)
            return Decision(fresh.id, True, 1, fresh, collided_with=collided_with)
        for other in others if home is None else ():
            if replay := _replay(other, source_offset):
                return replay
        story, absorbed = self._merge([home] if home is not None else [], others, source_offset)
        if absorbed:  # the survivor holds the texts of all it absorbed: relate to them anew
            relation = _relation(fresh.text, story, same_id=home is not None)
        else:
            relation = home_relation if home is not None else matches[story.id][1]
        if relation in (None, Relation.UNRELATED):
            relation = Relation.EARLIER  # it matched a story merged in: a text of its past
        decision = self._join(story, fresh, relation, same_id=home is not None)
        if decision.replay:  # the article read again: whatever it merged is retired again
            absorbed = tuple((story_id, version) for offset, story_id, version in story.merged if offset == source_offset)
        return replace(decision, collided_with=collided_with, absorbed=absorbed)

    def _matches(self, text: Text) -> list[tuple[Story, Relation]]:
        """The stories one of whose texts `text` strongly relates to (under another id), with how."""
        slots = {slot for key in _lookup_keys(text) for slot in self._keys.get(key)}
        candidates = {self._slot_ids[slot] for slot in slots}
        related = ((self.stories[story_id], _relation(text, self.stories[story_id], same_id=False))
                   for story_id in sorted(candidates))
        return [(story, relation) for story, relation in related if relation is not None]

    def _merge(self, home: list[Story], others: list[Story],
               source_offset: int | None) -> tuple[Story, tuple[tuple[str, int], ...]]:
        """One story of all that an article belongs to: the one with the latest, fullest text (the
        story under the article's id on a tie) absorbs the others: their texts, copies (their
        versions count as copies now), ids and the raw offsets they were made from."""
        stories = home + others
        if len(stories) == 1:
            return stories[0], ()
        survivor = max(stories, key=lambda s: (s.versioncreated, s.word_count, s in home))
        self.remove(survivor.id)  # out of the lookups while its texts change
        absorbed = []
        for other in stories:
            if other is survivor:
                continue
            self.remove(other.id)
            survivor.earlier = _kept(survivor.earlier, other.texts(), survivor.text)
            survivor.copies += other.copies + other.version
            survivor.aliases = _with_alias(survivor, other.id, *other.aliases)
            for source in (other.source, *other.sources):
                survivor.sources = _with_source(survivor, source)
            survivor.copies_upto = max(survivor.copies_upto, other.copies_upto, *other.made_by)
            survivor.seen_at = max(survivor.seen_at, other.seen_at)
            absorbed.append((other.id, other.version))
            if source_offset is not None:
                survivor.merged = (*survivor.merged, (source_offset, other.id, other.version))[-MAX_MERGED:]
            log.info("dedup: story %s merged into %s", other.id, survivor.id)
        self.add(survivor)
        return survivor, tuple(absorbed)

    def _join(self, known: Story, fresh: Story, relation: Relation, same_id: bool) -> Decision:
        """`fresh` belongs to `known`'s story: a copy of it, or its next version. A changed text is
        an update when it is newer, or as new and under the story's id (or one that joined it) or
        from an outlet that sent a text of the story before; else a copy."""
        text = fresh.text
        if relation is Relation.RELATED:
            relation = refine(text, known.text)  # already one story: a cut, or fuller, or changed
        # The newer text wins, fuller or not (a fuller but older text is an earlier version); a cut
        # checked token for token is a cut whatever its time says.
        own = same_id or fresh.source == known.source or fresh.source in known.sources
        older, newer = fresh.versioncreated < known.versioncreated, fresh.versioncreated > known.versioncreated
        if relation is Relation.PART and newer and not checked_part(text, known.text):
            relation = Relation.RELATED  # shorter, judged by shingles, and newer: a correction that cut text
        if relation is Relation.EARLIER and newer:
            relation = Relation.RELATED  # like an earlier text of the story, but later than its current one
        if relation is Relation.FULLER and older:
            relation = Relation.RELATED  # an earlier, longer version of the story arriving late
        if relation is Relation.EXACT:
            return self._copy(known, fresh, MatchKind.EXACT, 1.0)
        if relation is Relation.EARLIER:
            return self._copy(known, fresh, MatchKind.STALE, max(jaccard(text, t) for t in known.earlier or (known.text,)))
        if relation is Relation.PART:
            kind = MatchKind.STALE if older and fresh.source == known.source else MatchKind.CONTAINMENT
            return self._copy(known, fresh, kind, containment(text, known.text))
        if relation is Relation.FULLER:
            # The story so far was a short copy of this text: from now on it shows this one.
            return self._new_version(known, fresh, short_copy=fresh.source != known.source)
        # A changed text: the next version, or a copy whose text the story keeps among its earlier
        # ones (an older version the index never showed), so that copies of it find the story.
        similarity = jaccard(known.text, text)
        if newer or (own and not older):  # a later text of the story, from anyone; or its own outlet's
            return self._new_version(known, fresh)
        decision = self._copy(known, fresh, MatchKind.STALE if older else MatchKind.NEAR, similarity)
        if not decision.replay and text.exact not in {t.exact for t in known.texts()}:
            self.remove(known.id)  # out of the lookups while its texts change
            known.earlier = _kept(known.earlier, (text,), known.text)
            self.add(known)
        return decision

    def _new_version(self, known: Story, fresh: Story, short_copy: bool = False) -> Decision:
        article_id, article_source = fresh.id, fresh.source
        fresh.id, fresh.source = known.id, known.source
        fresh.version, fresh.copies = known.version + 1, known.copies + short_copy
        fresh.earlier = _kept(known.earlier, (known.text,), fresh.text)
        fresh.made_by = known.made_by + fresh.made_by
        fresh.copies_upto = known.copies_upto
        fresh.sources = _with_source(known, article_source)
        fresh.aliases = _with_alias(known, article_id)
        fresh.seen_at = max(fresh.seen_at, known.seen_at)
        self.add(fresh)
        return Decision(known.id, True, fresh.version, fresh, MatchKind.NEAR, jaccard(known.text, fresh.text))

    def _copy(self, known: Story, fresh: Story, kind: MatchKind, similarity: float) -> Decision:
        source_offset = fresh.made_by[0] if fresh.made_by and fresh.made_by[0] >= 0 else None
        if source_offset is not None and source_offset <= known.copies_upto:
            return Decision(known.id, False, known.version, known, kind, round(similarity, 4), replay=True)
        known.copies += 1
        known.seen_at = fresh.seen_at
        known.sources = _with_source(known, fresh.source)
        if source_offset is not None:
            known.copies_upto = source_offset
        return Decision(known.id, False, known.version, known, kind, round(similarity, 4))


def _lookup_keys(text: Text) -> list[int]:
    """Where a text is looked up: by each MinHash band and each opening. (Not by its exact text: the
    same text has the same MinHash, so every band finds it.)"""
    return [*band_keys(text.minhash), *text.opening_keys()]


def _relation(text: Text, story: Story, same_id: bool) -> Relation | None:
    """How a text relates to a story: to its current text, else (a late copy) to an earlier one.
    Under the story's id weaker evidence counts (UNRELATED at worst); under another id only strong
    evidence does (None without it)."""
    relate = same_id_relation if same_id else strong_relation
    relation = relate(text, story.text)
    if relation not in (None, Relation.UNRELATED):
        return relation
    if any(relate(text, earlier) not in (None, Relation.UNRELATED) for earlier in story.earlier):
        return Relation.EARLIER
    return relation


def _replay(story: Story, source_offset: int | None) -> Decision | None:
    """The replay of the version of `story` that the event at `source_offset` made, if it made one
    (with the stories it merged, to retire again)."""
    if source_offset is None or source_offset not in story.made_by:
        return None
    absorbed = tuple((story_id, version) for offset, story_id, version in story.merged if offset == source_offset)
    return Decision(story.id, True, story.made_by.index(source_offset) + 1, story, replay=True, absorbed=absorbed)


def _kept(earlier: tuple[Text, ...], more: tuple[Text, ...], current: Text) -> tuple[Text, ...]:
    """A story's earlier texts with `more` added: the latest `MAX_EARLIER`, none twice, not the current."""
    texts = {text.exact: text for text in (*earlier, *more) if text.exact != current.exact}
    return tuple(texts.values())[-MAX_EARLIER:]


def _with_alias(story: Story, *article_ids: str) -> tuple[str, ...]:
    fresh = tuple(i for i in dict.fromkeys(article_ids) if i != story.id and i not in story.aliases)
    return (story.aliases + fresh)[-MAX_ALIASES:]


def _with_source(story: Story, source: str) -> tuple[str, ...]:
    if source == story.source or source in story.sources:
        return story.sources
    return (story.sources + (source,))[-MAX_SOURCES:]


def _derived_id(article_id: str, exact: bytes) -> str:
    """The id of a story whose own id was taken by an unrelated one: stable for the same text."""
    return f"{article_id[:180]}~{hashlib.blake2b(exact.hex().encode(), digest_size=6).hexdigest()}"
