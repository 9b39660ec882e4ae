"""The index stage: batches of enriched stories, and of copy records, into Elasticsearch. No Faust
here: the agents (`pipeline/agents/index.py`) hand it the batches and the means to reach the
outside world (`IndexIO`), so the logic runs, and is tested, without a broker.

Each story is one document in its latest version (dedup's version is the document's external
version, so a replayed or late older version is a no-op); its `copies` is the highest count heard
of. A copy count can arrive before its story is indexed (enrichment takes longer than dedup): it
waits in the `waiting` table (changelogged, as the copies' offsets are committed) and is applied
when the story is written. Documents Elasticsearch rejects become dead letters with its reason.
Each new version and each copy also gets a small document in the story's history
(`pipeline.sinks.history`), for the newsroom page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from pipeline.sinks.documents import copies_action, index_action, ndjson, retire_action
from pipeline.sinks.elasticsearch import BulkResult, BulkWriter
from pipeline.sinks.history import PREVIOUS_FIELDS, as_previous, copy_action, history_action
from schemas import DuplicateRecord, EnrichedArticle, MatchKind

T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    """One event: where it came from (`topic@partition:offset`), its partition, its value."""

    where: str
    partition: int
    value: bytes


class IndexIO(Protocol):
    """What the stage needs of the outside world; the agents give it Faust's table and topics."""

    async def blocking(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` on the stage's one I/O thread (Elasticsearch's calls block)."""

    def waiting(self, key: bytes) -> bytes | None:
        """A story's copy count waiting for its document, as stored."""

    def set_waiting(self, key: bytes, partition: int, value: bytes | None) -> None:
        """Store (or with None, delete) a waiting count; its changelog record goes to `partition`."""

    async def dead_letter(self, where: str, reason: str, raw: bytes) -> None:
        """Publish a refusal on the index dead-letter topic."""


class IndexStage:
    """Writes stories and copy counts with `writer` to the index behind `alias`."""

    def __init__(self, io: IndexIO, writer: BulkWriter, alias: str, counters: Counter[str] | None = None) -> None:
        self.io, self.writer, self.alias = io, writer, alias
        self.counters: Counter[str] = counters if counters is not None else Counter()

    async def index(self, deliveries: list[Delivery]) -> None:
        """Write a batch of enriched stories, with any copy counts waiting for them."""
        stories, partition_of = [], {}
        for delivery in deliveries:
            try:
                story = EnrichedArticle.model_validate_json(delivery.value)
            except ValidationError as error:
                await self._dead_letter(delivery.where, f"not an enriched article: {error.errors()[0]['msg']}", delivery.value)
                continue
            stories.append(story)
            partition_of[story.article.id.encode()] = delivery.partition
        stashed = self._waiting(partition_of)
        result, versions = await self.io.blocking(self._write_stories, stories, stashed)
        # A count stashed while this batch was being written: the document exists now.
        late = {story: count for story, count in self._waiting(partition_of).items() if count > stashed.get(story, -1)}
        if late:
            await self.io.blocking(self.writer.write, [copies_action(self.alias, story, count) for story, count in late.items()])
        for key, partition in partition_of.items():
            if self.io.waiting(key) is not None:
                self.io.set_waiting(key, partition, None)
        for action, reason in result.rejected:
            await self._dead_letter(action[0]["index"]["_id"], reason, ndjson([action]))
        self.counters["indexed"] += result.written
        self.counters["stale_or_replayed"] += result.conflicts
        self.counters["history_versions"] += versions.written

    async def count_copies(self, deliveries: list[Delivery]) -> None:
        """Apply a batch of copy records (and retire stories merged into others)."""
        latest: dict[str, int] = {}
        retired: dict[str, int] = {}
        partition_of: dict[bytes, int] = {}
        copies: list = []
        for delivery in deliveries:
            try:
                record = DuplicateRecord.model_validate_json(delivery.value)
            except ValidationError:
                self.counters["bad_duplicate_records"] += 1
                continue
            partition_of[record.duplicate_of.encode()] = delivery.partition
            copies.append(copy_action(self.alias, record))
            latest[record.duplicate_of] = max(latest.get(record.duplicate_of, 0), record.copies)
            if record.kind is MatchKind.MERGED and record.retired_version:
                retired[record.id] = max(retired.get(record.id, 0), record.retired_version)
        result: BulkResult = await self.io.blocking(self.writer.write, [
            *(retire_action(self.alias, story, version) for story, version in retired.items()),
            *(copies_action(self.alias, story, copies) for story, copies in latest.items())])
        self.counters["retired"] += len(retired)
        for action in result.missing:  # the story is still being enriched: apply when it is indexed
            key = action[0]["update"]["_id"].encode()
            count = max(int(self.io.waiting(key) or 0), action[1]["doc"]["copies"])
            self.io.set_waiting(key, partition_of[key], str(count).encode())
        self.counters["copy_counts"] += result.written
        self.counters["history_copies"] += (await self.io.blocking(self.writer.write, copies)).written

    def _waiting(self, keys: dict[bytes, int]) -> dict[str, int]:
        return {key.decode(): int(value) for key in keys if (value := self.io.waiting(key)) is not None}

    def _write_stories(self, stories: list[EnrichedArticle], stashed: dict[str, int]) -> tuple[BulkResult, BulkResult]:
        """The stories' documents, then their history's; on the one I/O thread, so no copy-count
        write comes between reading a document and replacing it."""
        current = self.writer.current(self.alias, [story.article.id for story in stories], ["copies", *PREVIOUS_FIELDS])
        written = self.writer.write([
            # A story's copy count may have been raised in the index since this version left dedup: keep the higher.
            index_action(self.alias, story, max(current.get(story.article.id, {}).get("copies", 0),
                                                stashed.get(story.article.id, 0)))
            for story in stories
        ])
        refused = {action[0]["index"]["_id"] for action, _ in written.rejected}
        # Two versions of a story in one batch: the later is compared with the earlier, not with
        # what the index held before the batch.
        previous, versions = dict(current), []
        for story in sorted(stories, key=lambda story: story.version):
            if story.article.id not in refused and (action := history_action(self.alias, story, previous.get(story.article.id))):
                versions.append(action)
                previous[story.article.id] = as_previous(story)
        return written, self.writer.write(versions)

    async def _dead_letter(self, where: str, reason: str, raw: bytes) -> None:
        self.counters["dead_letters"] += 1
        await self.io.dead_letter(where, reason, raw)
