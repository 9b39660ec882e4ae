"""RSS and Atom feeds, read with feedparser."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import datetime, timezone

import feedparser
from pydantic import ValidationError

from pipeline.ingest.errors import InvalidInput
from pipeline.ingest.html_text import html_to_text
from pipeline.ingest.ids import story_id
from schemas import Article

FORMAT = "feed"


def parse_feed(data: bytes, *, source: str) -> Iterator[tuple[str, Article | InvalidInput]]:
    """(entry id or position, article or the reason it was refused) for each entry."""
    feed = feedparser.parse(data)
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
