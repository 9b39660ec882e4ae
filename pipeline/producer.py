"""Feeding articles onto Kafka with kafka-python: inputs in, `articles.raw` and `articles.dlq` out."""

from __future__ import annotations

import base64
import glob
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaProducer

from pipeline.ingest import Rejected
from pipeline.settings import Settings
from schemas import Article, DeadLetter

#: Dead letters keep at most this much of the raw input.
MAX_DEAD_LETTER_RAW = 256 * 1024


@dataclass
class ProduceSummary:
    sent: int = 0
    rejected: int = 0


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
        self._producer = KafkaProducer(
            bootstrap_servers=settings.kafka.bootstrap_servers,
            client_id="wirestream-producer",
            acks="all",
            enable_idempotence=True,
            retries=2**31 - 1,
            delivery_timeout_ms=120_000,
            linger_ms=5,
            max_request_size=4 * 1024 * 1024,
            key_serializer=lambda key: key.encode("utf-8") if key is not None else None,
        )

    def send(self, item: Article | Rejected) -> None:
        """Queue an article on the raw topic, or a refused input on the dead-letter topic."""
        if isinstance(item, Article):
            self._producer.send(self.topics.raw, key=item.id, value=item.model_dump_json().encode("utf-8"))
        else:
            self._producer.send(self.topics.dlq, key=item.input[:200], value=dead_letter(item).model_dump_json().encode("utf-8"))

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> ArticleProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
        self.close()


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
