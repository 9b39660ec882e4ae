"""Shared fixtures: the bundled samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.bundled import SAMPLES_DIR


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.fail(f"the bundled samples are missing: expected them in {SAMPLES_DIR}")
    return SAMPLES_DIR


@pytest.fixture(scope="session")
def sample_texts(samples_dir: Path) -> dict[str, str]:
    """File stem -> text, for every sample story."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(samples_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def esper_text(sample_texts: dict[str, str]) -> str:
    return sample_texts["voa-2020-01-02-esper-iran"]
