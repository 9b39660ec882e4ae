"""RSS and Atom feeds, read with feedparser."""

from __future__ import annotations

import calendar
import codecs
import re
from collections.abc import Iterator
from datetime import datetime, timezone

import feedparser
from pydantic import ValidationError

from pipeline.ingest.errors import InvalidInput
from pipeline.ingest.html_text import html_to_text
from pipeline.ingest.ids import story_id
from schemas import Article

FORMAT = "feed"
_DECLARES_ENTITIES = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _as_ascii(data: bytes) -> bytes:
    """The feed's bytes with UTF-16 or UTF-32 decoded, so markup can be searched for in any encoding."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").encode("ascii", errors="replace")
    if data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):  # UTF-16 without a byte order mark
        return data.decode("utf-16-le" if data[1] == 0 else "utf-16-be", errors="replace").encode("ascii", errors="replace")
    return data


def parse_feed(data: bytes, *, source: str) -> Iterator[tuple[str, Article | InvalidInput]]:
    """(entry id or position, article or the reason it was refused) for each entry."""
    if _DECLARES_ENTITIES.search(_as_ascii(data)):
        # An entity referenced N times is expanded N times: a 100 KB feed can become a 9 MB body.
        raise InvalidInput("feed declares XML entities (<!ENTITY>); refused, as feeds have no use for them")
    # Bodies become plain text here, so feedparser's HTML sanitizer (slow on hostile markup) is not needed.
    feed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not feed.entries:
        problem = feed.get("bozo_exception")
        raise InvalidInput(f"not an RSS or Atom feed with entries{f' ({problem})' if problem else ''}")
    feed_title = (feed.feed.get("title") or "").strip()
    for position, entry in enumerate(feed.entries, start=1):
        label = entry.get("id") or entry.get("link") or f"entry {position}"
        try:
            yield label, _entry(entry, source=source or feed_title or "feed")
        except InvalidInput as error:
            yield label, error


def _entry(entry: feedparser.FeedParserDict, *, source: str) -> Article:
    headline = html_to_text(entry.get("title") or "")
    if entry.get("content"):
        body = html_to_text(entry.content[0].get("value") or "")
    else:
        body = html_to_text(entry.get("summary") or "")
    if not headline:
        raise InvalidInput("missing", "headline")
    if not body:
        raise InvalidInput("missing (no content or summary)", "body_text")
    parsed = entry.get("updated_parsed") or entry.get("published_parsed")
    if parsed is None:
        raise InvalidInput("missing (no updated or published date)", "versioncreated")
    updated = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    published = entry.get("published_parsed")
    first = datetime.fromtimestamp(calendar.timegm(published), tz=timezone.utc).date() if published else updated.date()
    uri = entry.get("id") or entry.get("link")
    try:
        return Article(
            id=story_id(source, uri=uri, headline=headline, published=first),
            uri=uri,
            source=source,
            headline=headline,
            byline=entry.get("author"),
            section=(entry.get("tags") or [{}])[0].get("term"),
            firstcreated=first,
            versioncreated=updated,
            body_text=body,
            ingest_format=FORMAT,
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None
