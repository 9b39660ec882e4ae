"""What the benchmarks share: the sample stories they generate load from, and cleaning up after a run."""

from __future__ import annotations

from pathlib import Path

from elasticsearch import Elasticsearch
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
    admin = KafkaAdminClient(**settings.kafka.client_config())
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefix)]
        for i in range(0, len(mine), 200):
            admin.delete_topics(mine[i:i + 200], timeout_ms=60_000)
    finally:
        admin.close()


def delete_indices(client: Elasticsearch, prefix: str) -> None:
    """The run's indices and templates, by name (Elasticsearch refuses to delete by wildcard)."""
    for index in client.indices.get(index=f"{prefix}-*", allow_no_indices=True, ignore_unavailable=True):
        client.indices.delete(index=index)
    templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}-*")
    for template in templates.get("index_templates", []):
        client.indices.delete_index_template(name=template["name"])
