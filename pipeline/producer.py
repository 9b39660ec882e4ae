"""Feeding articles onto Kafka with kafka-python: inputs in, `articles.raw` and `articles.dlq` out."""

from __future__ import annotations

import base64
import glob
import sys
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from pipeline.ingest import Rejected
from pipeline.settings import Settings
from schemas import Article, DeadLetter

#: Dead letters keep at most this much of the raw input.
MAX_DEAD_LETTER_RAW = 256 * 1024


@dataclass
class ProduceSummary:
    sent: int = 0
    rejected: int = 0
    lost: int = 0


@dataclass(frozen=True)
class Delivery:
    """What became of one item handed to `ArticleProducer.deliver`.

    `sent`: an article on the raw topic. Else `reason` says why not, and `dead_lettered` whether
    the item (a refused input, or an article the broker refused) is on the dead-letter topic.
    """

    item: Article | Rejected
    sent: bool
    dead_lettered: bool = False
    reason: str | None = None

    @property
    def label(self) -> str:
        """The article's id, or the refused input's name."""
        return self.item.id if isinstance(self.item, Article) else self.item.input


def dead_letter(rejected: Rejected, stage: str = "ingest") -> DeadLetter:
    """The dead-letter event for a refused input."""
    return DeadLetter(
        stage=stage,
        input=rejected.input,
        reason=rejected.reason,
        field=rejected.field,
        raw=base64.b64encode(rejected.raw[:MAX_DEAD_LETTER_RAW]).decode("ascii"),
        raw_size=len(rejected.raw),
    )


class ArticleProducer:
    """An idempotent producer for articles and dead letters (acks=all, retries, in order per key)."""

    def __init__(self, settings: Settings) -> None:
        self.topics = settings.topics
        self._settings = settings
        self._producer = self._open()

    def _open(self) -> KafkaProducer:
        settings = self._settings
        return KafkaProducer(
            **settings.kafka.client_config(),
            client_id="wirestream-producer",
            acks="all",
            enable_idempotence=True,
            retries=2**31 - 1,
            delivery_timeout_ms=120_000,
            linger_ms=5,
            max_request_size=4 * 1024 * 1024,
            key_serializer=lambda key: key.encode("utf-8") if key is not None else None,
        )

    def send(self, item: Article | Rejected) -> FutureRecordMetadata:
        """Queue an article on the raw topic, or a refused input on the dead-letter topic; the
        future says whether the broker took it. Raises `KafkaError` for a record refused at once."""
        if isinstance(item, Article):
            return self._producer.send(self.topics.raw, key=item.id, value=item.model_dump_json().encode("utf-8"))
        return self._producer.send(self.topics.dlq, key=item.input[:200], value=dead_letter(item).model_dump_json().encode("utf-8"))

    def deliver(self, items: Iterable[Article | Rejected], timeout: float = 60) -> list[Delivery]:
        """Send every item and wait until the broker has each: nothing is reported sent that is not
        on its topic. An article the broker refuses (too large for it, say) goes to the dead-letter
        topic with the broker's reason; what cannot reach either topic comes back with `reason`."""
        outcomes = self._send_all(items, timeout)
        deliveries, letters = [], []
        for item, error in outcomes:
            if error is None:
                deliveries.append(Delivery(item, sent=isinstance(item, Article), dead_lettered=isinstance(item, Rejected),
                                           reason=None if isinstance(item, Article) else item.reason))
            elif isinstance(item, Article):
                letters.append(Rejected(item.id, f"not delivered to {self.topics.raw}: {error}",
                                        item.model_dump_json().encode("utf-8")))
            else:
                deliveries.append(Delivery(item, sent=False, reason=f"{item.reason}; not delivered to {self.topics.dlq}: {error}"))
        if letters:
            # kafka-python 3 treats any refused batch of an idempotent producer as fatal (the Java
            # client fails only that batch): every later send would fail too. Start a new one.
            self._producer.close(timeout=timeout)
            self._producer = self._open()
        for letter, error in self._send_all(letters, timeout):
            deliveries.append(Delivery(letter, sent=False, dead_lettered=error is None,
                                       reason=letter.reason if error is None else f"{letter.reason}; nor to {self.topics.dlq}: {error}"))
        return deliveries

    def _send_all(self, items: Iterable[Article | Rejected], timeout: float) -> list[tuple[Article | Rejected, str | None]]:
        pending: list[tuple[Article | Rejected, FutureRecordMetadata | str]] = []
        for item in items:
            try:
                pending.append((item, self.send(item)))
            except KafkaError as error:  # refused before it was queued: too large for max_request_size
                pending.append((item, _one_line(error)))
        if pending:
            self.flush(timeout)
        return [(item, outcome if isinstance(outcome, str) else _failure(outcome)) for item, outcome in pending]

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> ArticleProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
        self.close()


def _failure(future: FutureRecordMetadata) -> str | None:
    if not future.is_done:
        return "the broker did not acknowledge it in time"
    return _one_line(future.exception) if future.failed() else None


def _one_line(error: BaseException | None) -> str:
    return " ".join(str(error or "unknown error").split()) or type(error).__name__


def read_inputs(targets: list[str]) -> Iterator[tuple[str, bytes | Rejected]]:
    """(name, raw bytes) for every file, folder (recursively), glob, URL or `-` (stdin) named;
    a `Rejected` instead of bytes for one that cannot be read."""
    for target in targets:
        if target == "-":
            yield "stdin", sys.stdin.buffer.read()
        elif target.startswith(("http://", "https://")):
            yield target, _fetch(target)
        else:
            paths = [Path(p) for p in sorted(glob.glob(target, recursive=True))] if glob.has_magic(target) else [Path(target)]
            if not paths:
                yield target, Rejected(target, "no file matches this pattern", b"")
            for path in paths:
                if path.is_dir():
                    for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                        yield str(child), _read(child)
                else:
                    yield str(path), _read(path)


def _read(path: Path) -> bytes | Rejected:
    try:
        return path.read_bytes()
    except OSError as error:
        return Rejected(str(path), f"unreadable: {error.strerror or error}", b"")


def _fetch(url: str) -> bytes | Rejected:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except OSError as error:
        return Rejected(url, f"could not fetch: {error}", b"")
