"""The dedup index: every story seen within the window, and the rules that classify a new one."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH
from pydantic import AwareDatetime, BaseModel


from pipeline.dedup.fingerprint import NUM_PERM, fingerprint, is_prefix, minhash_from_values
from schemas import Article, MatchKind

#: Estimated Jaccard similarity of shingle sets from which two stories are the same story.
NEAR_THRESHOLD = 0.6
#: LSH recalls candidates a little below the threshold, so that estimation noise costs no recall.
LSH_THRESHOLD = 0.4


class StoryState(BaseModel):
    """What the index remembers of one story (JSON in the Faust table)."""

    id: str
    source: str
    versioncreated: AwareDatetime
    exact: str
    lead: str | None
    prefix: str  # base64 of the first words' 16-bit hashes
    minhash: list[int]
    word_count: int
    version: int = 1
    copies: int = 0
    seen_at: float


@dataclass(frozen=True)
class Decision:
    """What to do with an article: publish it as `version` of `story_id`, or record a copy."""

    story_id: str
    unique: bool
    version: int
    state: StoryState
    match: MatchKind | None = None
    similarity: float = 1.0

    @property
    def is_update(self) -> bool:
        return self.unique and self.version > 1


class DedupIndex:
    """Stories by id, plus lookups by exact text, by lead, and by MinHash LSH."""

    def __init__(self) -> None:
        self.stories: dict[str, StoryState] = {}
        self._minhashes: dict[str, MinHash] = {}
        self._by_exact: dict[str, str] = {}
        # Different stories may open with the same words (a quote, a standard lead-in).
        self._by_lead: dict[str, set[str]] = {}
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)

    def __len__(self) -> int:
        return len(self.stories)

    def add(self, state: StoryState) -> None:
        """Insert or replace a story (also used to rebuild the index from the table)."""
        self.remove(state.id)
        minhash = minhash_from_values(state.minhash)
        self.stories[state.id] = state
        self._minhashes[state.id] = minhash
        self._by_exact[state.exact] = state.id
        if state.lead:
            self._by_lead.setdefault(state.lead, set()).add(state.id)
        self._lsh.insert(state.id, minhash)

    def remove(self, story_id: str) -> None:
        state = self.stories.pop(story_id, None)
        if state is None:
            return
        del self._minhashes[story_id]
        if self._by_exact.get(state.exact) == story_id:
            del self._by_exact[state.exact]
        if state.lead and state.lead in self._by_lead:
            self._by_lead[state.lead].discard(story_id)
            if not self._by_lead[state.lead]:
                del self._by_lead[state.lead]
        self._lsh.remove(story_id)

    def expired(self, before: float) -> list[str]:
        """Ids of stories last seen before `before` (epoch seconds)."""
        return [story_id for story_id, state in self.stories.items() if state.seen_at < before]

    def observe(self, article: Article, now: float) -> Decision:
        """Classify an article and record it; the decision's `state` is what to persist."""
        print_ = fingerprint(article.headline, article.body_text)
        fresh = StoryState(
            id=article.id,
            source=article.source,
            versioncreated=article.versioncreated,
            exact=print_.exact,
            lead=print_.lead,
            prefix=base64.b64encode(print_.prefix).decode("ascii"),
            minhash=[int(v) for v in print_.minhash.hashvalues],
            word_count=print_.word_count,
            seen_at=now,
        )

        known = self.stories.get(article.id)
        if known is not None:
            return self._same_id(known, fresh)

        match = self._match(fresh, print_.minhash)
        if match is None:
            self.add(fresh)
            return Decision(article.id, True, 1, fresh)
        known, kind, similarity = match
        if known.source == fresh.source and fresh.versioncreated > known.versioncreated and kind is not MatchKind.CONTAINMENT:
            # The same outlet re-issued its story under a new headline: a new version of it.
            return self._new_version(known, fresh)
        return self._copy(known, kind, similarity, now)

    def _same_id(self, known: StoryState, fresh: StoryState) -> Decision:
        if fresh.versioncreated < known.versioncreated:
            return self._copy(known, MatchKind.STALE, _similarity(known, fresh), fresh.seen_at)
        if fresh.exact == known.exact:
            return self._copy(known, MatchKind.EXACT, 1.0, fresh.seen_at)
        return self._new_version(known, fresh)

    def _new_version(self, known: StoryState, fresh: StoryState) -> Decision:
        state = fresh.model_copy(update={"id": known.id, "version": known.version + 1, "copies": known.copies})
        self.add(state)
        return Decision(known.id, True, state.version, state, MatchKind.NEAR, _similarity(known, fresh))

    def _copy(self, known: StoryState, kind: MatchKind, similarity: float, now: float) -> Decision:
        state = known.model_copy(update={"copies": known.copies + 1, "seen_at": now})
        self.stories[known.id] = state
        return Decision(known.id, False, known.version, state, kind, round(similarity, 4))

    def _match(self, fresh: StoryState, minhash: MinHash) -> tuple[StoryState, MatchKind, float] | None:
        if (story_id := self._by_exact.get(fresh.exact)) is not None:
            return self.stories[story_id], MatchKind.EXACT, 1.0
        best: tuple[StoryState, MatchKind, float] | None = None
        for story_id in self._lsh.query(minhash):
            similarity = minhash.jaccard(self._minhashes[story_id])
            if similarity >= NEAR_THRESHOLD and (best is None or similarity > best[2]):
                best = (self.stories[story_id], MatchKind.NEAR, similarity)
        if best is not None:
            return best
        prefix = base64.b64decode(fresh.prefix)
        for story_id in sorted(self._by_lead.get(fresh.lead, ())) if fresh.lead else ():
            known = self.stories[story_id]
            if fresh.word_count <= known.word_count and is_prefix(prefix, base64.b64decode(known.prefix)):
                return known, MatchKind.CONTAINMENT, _containment(fresh, known, minhash, self._minhashes[story_id])
        return None


def _similarity(a: StoryState, b: StoryState) -> float:
    return float(minhash_from_values(a.minhash).jaccard(minhash_from_values(b.minhash)))


def _containment(part: StoryState, whole: StoryState, part_hash: MinHash, whole_hash: MinHash) -> float:
    """Estimated share of `part`'s shingles found in `whole`: |A∩B| = J/(1+J)·(|A|+|B|)."""
    jaccard = part_hash.jaccard(whole_hash)
    shared = jaccard / (1 + jaccard) * (part.word_count + whole.word_count)
    return max(0.0, min(1.0, shared / max(1, part.word_count)))
