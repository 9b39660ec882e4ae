"""IPTC ninjs (JSON news) objects, one per document or one per line (JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError

from pipeline.ingest.errors import InvalidInput
from pipeline.ingest.html_text import html_to_text
from pipeline.ingest.ids import story_id
from schemas import Article

FORMAT = "ninjs"


def parse_ninjs(document: Any, *, source: str, fmt: str = FORMAT) -> Article:
    """One ninjs object (1.x or 2.x field names) as an article."""
    if not isinstance(document, dict):
        raise InvalidInput(f"expected a JSON object, got {type(document).__name__}")
    headline = _text(document, "headline")
    body = _text(document, "body_text")
    if body is None and (html := _text(document, "body_html")) is not None:
        body = html_to_text(html)
    if not headline:
        raise InvalidInput("missing", "headline")
    if not body:
        raise InvalidInput("missing (neither body_text nor body_html)", "body_text")
    uri = _text(document, "uri") or _text(document, "guid")
    src = _text(document, "source") or _first_name(document.get("copyrightholder")) or source
    published = _date(document, "firstcreated")
    updated = _datetime(document, "versioncreated") or _datetime(document, "firstcreated")
    if updated is None:
        raise InvalidInput("missing (neither versioncreated nor firstcreated)", "versioncreated")
    try:
        return Article(
            id=story_id(src, uri=uri, headline=headline, published=published or updated.date()),
            uri=uri,
            source=src,
            headline=headline,
            byline=_text(document, "byline"),
            section=_text(document, "section") or _first_name(document.get("subject")),
            located=_text(document, "located"),
            firstcreated=published or updated.date(),
            versioncreated=updated,
            body_text=body,
            captions=_captions(document.get("associations")),
            language=_text(document, "language") or "en",
            ingest_format=fmt,
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


def parse_json_lines(text: str, *, source: str) -> Iterator[tuple[int, Article | InvalidInput]]:
    """(line number, article or the reason the line was refused) for each non-blank line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_ninjs(json.loads(line), source=source, fmt="jsonl")
        except json.JSONDecodeError as error:
            yield number, InvalidInput(f"not JSON: {error.msg} at column {error.colno}")
        except (InvalidInput, RecursionError) as error:
            yield number, error if isinstance(error, InvalidInput) else InvalidInput("JSON nested too deeply")


def _text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, dict):  # ninjs 2.x: {"en": "..."} for some texts
        value = next(iter(value.values()), None)
    if isinstance(value, list):  # ninjs 2.x bylines: [{"name": ...}]
        value = ", ".join(_first_name([item]) or "" for item in value) or None
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"expected text, got {type(value).__name__}", key)
    return value.strip() if value else None


def _first_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        name = value.get("name")
        return name if isinstance(name, str) else None
    return None


def _datetime(document: dict[str, Any], key: str) -> datetime | None:
    raw = _text(document, key)
    if raw is None:
        return None
    try:
        stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 date-time: {raw[:40]!r}", key) from None
    # ninjs says date-times are UTC unless they say otherwise.
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _date(document: dict[str, Any], key: str) -> date | None:
    stamp = _datetime(document, key)
    return stamp.date() if stamp else None


def _captions(associations: Any) -> list[str]:
    if not isinstance(associations, dict):
        return []
    captions = []
    for item in associations.values():
        if isinstance(item, dict):
            text = item.get("description_text") or item.get("headline")
            if isinstance(text, str) and text.strip():
                captions.append(text.strip())
    return captions
