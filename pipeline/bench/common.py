"""What the benchmarks share: the sample stories they generate load from, and cleaning up after a run."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaAdminClient

from pipeline.ingest.wiretext import parse_wire_text
from pipeline.settings import Settings
from schemas import Article


def load_samples(samples: Path) -> list[Article]:
    """The wire stories in a folder, parsed."""
    stories = [parse_wire_text(p.read_text(encoding="utf-8"), source="voa") for p in sorted(samples.glob("*.txt"))]
    if not stories:
        raise FileNotFoundError(f"no wire stories (*.txt) in {samples}")
    return stories


def delete_topics(settings: Settings, prefix: str) -> None:
    """The topics whose names start with `prefix` (a run's own, alert topics among them): a benchmark
    leaves nothing behind."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefix)]
        for i in range(0, len(mine), 200):
            admin.delete_topics(mine[i:i + 200], timeout_ms=60_000)
    finally:
        admin.close()
