"""One entry point for every input format: bytes in, articles or `Rejected` records out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePath

from pipeline.ingest.errors import InvalidInput, Rejected
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.ninjs import parse_json_lines, parse_ninjs
from pipeline.ingest.wiretext import parse_wire_text
from schemas import Article

FORMATS = ("wire", "ninjs", "jsonl", "feed")

_EXTENSIONS = {
    ".txt": "wire",
    ".wire": "wire",
    ".json": "ninjs",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
# C0/C1 control characters other than tab and newlines: never meaningful in a story.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def detect_format(name: str, raw: bytes) -> str:
    """The format of an input, by its extension, else by its first bytes."""
    by_extension = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if by_extension:
        return by_extension
    head = raw.lstrip()[:200]
    if head.startswith((b"{", b"[")):
        return "jsonl" if head.startswith(b"{") and b"\n{" in raw.strip() else "ninjs"
    if head.startswith(b"<"):
        return "feed"
    return "wire"


def decode(raw: bytes, *, max_bytes: int) -> str:
    """The input as text, or `InvalidInput` when it is empty, oversize or not UTF-8."""
    if len(raw) > max_bytes:
        raise InvalidInput(f"too large: {len(raw):,} bytes, the limit is {max_bytes:,}")
    if not raw.strip():
        raise InvalidInput("empty input")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"not UTF-8: invalid byte 0x{raw[error.start]:02x} at offset {error.start}") from None
    text = _CONTROL.sub("", text)
    if not text.strip():
        raise InvalidInput("empty input (only control characters)")
    return text


def parse_bytes(
    name: str,
    raw: bytes,
    *,
    fmt: str | None = None,
    source: str,
    timezone: str = "America/New_York",
    max_bytes: int = 2_000_000,
) -> Iterator[Article | Rejected]:
    """Every article in one input, and a `Rejected` for each part that cannot be one.

    A JSON Lines file or a feed yields one result per line or entry, so one bad line never
    costs the good ones.
    """
    produced = False
    for result in _parse(name, raw, fmt=fmt or detect_format(name, raw), source=source, timezone=timezone, max_bytes=max_bytes):
        produced = True
        yield result
    if not produced:
        yield Rejected(name, "no articles in this input", raw)


def _parse(name: str, raw: bytes, *, fmt: str, source: str, timezone: str, max_bytes: int) -> Iterator[Article | Rejected]:
    if fmt not in FORMATS:
        yield Rejected(name, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", raw)
        return
    try:
        if fmt == "feed":
            # feedparser reads the encoding from the XML declaration itself.
            if len(raw) > max_bytes:
                decode(raw, max_bytes=max_bytes)
            for label, result in parse_feed(raw, source=source):
                yield _or_rejected(f"{name}#{label}", result, raw)
            return
        text = decode(raw, max_bytes=max_bytes)
        if fmt == "wire":
            yield parse_wire_text(text, source=source, timezone=timezone)
        elif fmt == "jsonl":
            lines = text.splitlines()
            for number, result in parse_json_lines(text, source=source):
                yield _or_rejected(f"{name}:{number}", result, lines[number - 1].encode("utf-8"))
        else:
            yield from _ninjs_document(name, text, raw, source=source)
    except InvalidInput as error:
        yield Rejected(name, error.reason, raw, error.field)


def _ninjs_document(name: str, text: str, raw: bytes, *, source: str) -> Iterator[Article | Rejected]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise InvalidInput("JSON nested too deeply") from None
    items = document if isinstance(document, list) else [document]
    for position, item in enumerate(items):
        label = f"{name}[{position}]" if isinstance(document, list) else name
        try:
            yield parse_ninjs(item, source=source)
        except InvalidInput as error:
            yield Rejected(label, error.reason, json.dumps(item).encode("utf-8") if len(items) > 1 else raw, error.field)


def _or_rejected(label: str, result: Article | InvalidInput, raw: bytes) -> Article | Rejected:
    if isinstance(result, InvalidInput):
        return Rejected(label, result.reason, raw, result.field)
    return result
