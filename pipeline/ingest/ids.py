"""Stable story ids: the Kafka key every version of a story shares."""

from __future__ import annotations

import hashlib
import re
from datetime import date

_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]+")


def story_id(source: str, *, uri: str | None = None, headline: str = "", published: date | None = None) -> str:
    """The story's id: from its own `uri` when it has one, else a hash of source, headline and date.

    A hash keeps the id short and safe as an Elasticsearch `_id` and a Kafka key whatever the
    source's identifiers look like.
    """
    if uri and uri.strip():
        basis = f"uri\x1f{uri.strip()}"
    else:
        basis = "\x1f".join(
            ["story", source.strip().lower(), " ".join(headline.split()).lower(), published.isoformat() if published else ""]
        )
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24]
    prefix = _UNSAFE.sub("-", source.strip().lower())[:40] or "story"
    return f"{prefix}-{digest}"
