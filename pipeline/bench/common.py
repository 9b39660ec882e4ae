"""What the benchmarks share: the sample stories they generate load from."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.wiretext import parse_wire_text
from schemas import Article


def load_samples(samples: Path) -> list[Article]:
    """The wire stories in a folder, parsed."""
    stories = [parse_wire_text(p.read_text(encoding="utf-8"), source="voa") for p in sorted(samples.glob("*.txt"))]
    if not stories:
        raise FileNotFoundError(f"no wire stories (*.txt) in {samples}")
    return stories
