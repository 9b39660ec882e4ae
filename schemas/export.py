"""Generate `schemas/json/*.schema.json` from the models (`wirestream schemas export`)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.alerts import Alert, Subscription
from schemas.events import Article, DeadLetter, DuplicateRecord, EnrichedArticle, UniqueArticle

JSON_DIR = Path(__file__).resolve().parent / "json"

#: topic role -> model; the file name is the role.
MODELS: dict[str, type[BaseModel]] = {
    "article": Article,
    "unique-article": UniqueArticle,
    "duplicate-record": DuplicateRecord,
    "enriched-article": EnrichedArticle,
    "dead-letter": DeadLetter,
    "subscription": Subscription,
    "alert": Alert,
}


def render(model: type[BaseModel]) -> str:
    """The committed text of one model's JSON Schema."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def export(directory: Path = JSON_DIR) -> list[Path]:
    """Write every model's schema; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in MODELS.items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export():
        print(path)
