"""The dedup stage: one raw article in, what it is out — a first sighting or a new version for
`articles.unique`, a copy (or a story merged into another) for `articles.duplicates`, a refusal for
the dead-letter topic. No Faust here: the agent (`pipeline/agents/dedup.py`) gives it the table
and sends what it returns.

Its memory is a `DedupIndex`, persisted in `table` (story id -> `StoryState` JSON, changelogged by
the agent's Faust table), so a restarted or rebalanced worker rebuilds it from there; stories
older than the window are removed from both.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass
from enum import Enum

from pydantic import ValidationError

from pipeline.dedup.index import DedupIndex
from pipeline.dedup.story import Story
from pipeline.ingest import InvalidInput, Rejected
from pipeline.producer import dead_letter
from schemas import Article, DeadLetter, DuplicateRecord, MatchKind, UniqueArticle

log = logging.getLogger(__name__)


class Out(Enum):
    UNIQUE = "unique"
    DUPLICATES = "duplicates"
    DEAD_LETTERS = "dead_letters"


@dataclass(frozen=True)
class Output:
    """A record for one of the stage's output topics."""

    to: Out
    key: bytes
    value: bytes


class DedupStage:
    """Classifies each raw article against every story seen in the window."""

    def __init__(self, table: MutableMapping[bytes, bytes], window_s: float, counters: Counter[str] | None = None) -> None:
        self.table = table
        self.window_s = window_s
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self.index = DedupIndex()
        self.loaded = False

    def forget(self) -> None:
        """The partition went to another worker: whoever has it next rebuilds from the table."""
        self.index, self.loaded = DedupIndex(), False

    def observe(self, where: str, offset: int, value: bytes, now: float) -> list[Output]:
        """What the raw event at `offset` (`where` names it for a dead letter) is; updates the table."""
        if not self.loaded:
            for state in self.table.values():
                self.index.add(Story.from_json(state))
            self.loaded = True
            log.info("dedup: %d stories recovered from the table", len(self.index))
        self.counters["seen"] += 1
        try:
            article = Article.model_validate_json(value)
        except ValidationError as error:
            problem = InvalidInput.from_validation(error)
            self.counters["invalid"] += 1
            letter = dead_letter(Rejected(where, problem.reason, value, problem.field), stage="dedup")
            return [_dead_letter(letter)]
        decision = self.index.observe(article, now=now, source_offset=offset)
        out = []
        for story_id, version in decision.absorbed:
            # A story found to be part of another: forgotten here, its document retired by the sink.
            self._delete(story_id)
            self.counters["merged"] += 1
            retired = DuplicateRecord(
                id=story_id, duplicate_of=decision.story_id, kind=MatchKind.MERGED, similarity=1.0,
                copies=max(1, decision.state.copies), source=decision.state.source, headline="",
                received_at=article.received_at, retired_version=version,
            )
            out.append(Output(Out.DUPLICATES, decision.story_id.encode(), retired.model_dump_json().encode()))
        if decision.replay:
            self.counters["replayed"] += 1
        else:
            self.counters["id_collisions"] += decision.collided_with is not None
            self.table[decision.story_id.encode()] = decision.state.to_json()
            self.counters["updates" if decision.is_update else "unique" if decision.unique else
                          f"duplicates.{decision.match.value}"] += 1
        if decision.unique:
            published = UniqueArticle(
                article=article.model_copy(update={"id": decision.story_id}),
                version=decision.version,
                copies=decision.state.copies,
                article_id=article.id if article.id != decision.story_id else None,
            )
            out.append(Output(Out.UNIQUE, decision.story_id.encode(), published.model_dump_json().encode()))
        else:
            record = DuplicateRecord(
                id=article.id, duplicate_of=decision.story_id, kind=decision.match,
                similarity=decision.similarity, copies=decision.state.copies, source=article.source,
                headline=article.headline, received_at=article.received_at,
            )
            out.append(Output(Out.DUPLICATES, decision.story_id.encode(), record.model_dump_json().encode()))
        return out

    def expire(self, now: float) -> None:
        """Forget the stories last seen before the window."""
        for story_id in self.index.expired(before=now - self.window_s):
            self.index.remove(story_id)
            self._delete(story_id)
            self.counters["expired"] += 1

    def _delete(self, story_id: str) -> None:
        # Not `pop`: a Faust table with a default answers a missing key instead of raising.
        if story_id.encode() in self.table:
            del self.table[story_id.encode()]


def _dead_letter(letter: DeadLetter) -> Output:
    log.warning("%s: %s refused: %s", letter.stage, letter.input, letter.reason)
    return Output(Out.DEAD_LETTERS, letter.input.encode(), letter.model_dump_json().encode())
