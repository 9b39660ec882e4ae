"""Fixtures the unit tests share: the entity engine loads once per run (about two seconds)."""

import pytest

from pipeline.enrich import EntityEngine
from pipeline.ingest.wiretext import parse_wire_text


@pytest.fixture(scope="session")
def engine() -> EntityEngine:
    return EntityEngine.from_config()


@pytest.fixture(scope="session")
def sample_stories(sample_texts):
    """File stem -> the parsed sample story."""
    return {name: parse_wire_text(text, source="voa") for name, text in sample_texts.items()}
