"""Matching one enriched story against every subscription: pure, no Kafka, no Elasticsearch.

Entities and phrases are matched here. A query subscription is matched by Elasticsearch
(`pipeline.alerts.queries`), whose answer comes in as `query_hits`; the rest of that
subscription's criteria and filters still apply here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas import EnrichedArticle, Entity
from schemas.alerts import Alert, EntityRef, Subscription

SNIPPET_CHARS = 240
EM_START, EM_END = "<em>", "</em>"


@dataclass(frozen=True)
class Match:
    """A story that a subscription matched: what matched, and a snippet showing it."""

    subscription: Subscription
    matched: list[str]
    snippet: str


def words_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Any of `terms` as whole words, case-insensitive, any whitespace between words."""
    alternatives = [r"\s+".join(map(re.escape, term.split())) for term in terms if term.strip()]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)


class Matcher:
    """Every subscription, prepared once; `match(story)` returns the subscriptions it matches."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self.subscriptions = {sub.name: sub for sub in subscriptions}
        self._phrases = {
            sub.name: [(phrase, words_pattern([phrase])) for phrase in sub.phrases] for sub in self.subscriptions.values()
        }
        #: Subscription name -> its Elasticsearch query, for those that have one.
        self.queries = {name: sub.query for name, sub in self.subscriptions.items() if sub.query and sub.query.strip()}

    def match(self, story: EnrichedArticle, query_hits: Mapping[str, str] = {}) -> list[Match]:
        """The subscriptions `story` matches. `query_hits` maps each query subscription whose query
        matched this story to Elasticsearch's highlighted passage."""
        entities = {(entity.type, entity.name.casefold()): entity for entity in story.entities}
        article = story.article
        text = "\n\n".join([article.headline, article.body_text, *article.captions])
        matches = []
        for sub in self.subscriptions.values():
            if sub.sections and (article.section or "").casefold() not in {s.casefold() for s in sub.sections}:
                continue
            if sub.sources and article.source.casefold() not in {s.casefold() for s in sub.sources}:
                continue
            found: list[Entity] = []
            if sub.any_entities or sub.all_entities:
                def salient(ref: EntityRef) -> Entity | None:
                    entity = entities.get((ref.type, ref.name.casefold()))
                    return entity if entity is not None and entity.salience >= sub.min_salience else None

                any_of = [entity for entity in map(salient, sub.any_entities) if entity]
                all_of = [salient(ref) for ref in sub.all_entities]
                if (sub.any_entities and not any_of) or not all(all_of):
                    continue
                found = any_of + all_of
            phrases = [phrase for phrase, pattern in self._phrases[sub.name] if pattern.search(text)]
            if sub.phrases and not phrases:
                continue
            if sub.name in self.queries and sub.name not in query_hits:
                continue
            matched = [f"{e.type.value}:{e.name}" for e in found] + [f"phrase:{p}" for p in phrases]
            if sub.name in self.queries:
                matched.append(f"query:{sub.query}")
            terms = [*phrases, *(form for entity in found for form in (entity.name, *entity.forms))]
            snippet = _snippet(article.body_text, terms) or query_hits.get(sub.name) or _lead(article.body_text)
            matches.append(Match(sub, matched, snippet))
        return matches


def should_alert(sub: Subscription, version: int, alerted_version: int | None) -> bool:
    """Whether a story version that matched `sub` is alerted, given the last version of the same
    story already alerted to it: never the same or an older version (a replay, a late arrival);
    a newer one only when the subscription follows updates."""
    if alerted_version is None:
        return True
    return version > alerted_version and sub.updates


def alert_id(subscription: str, story_id: str, version: int) -> str:
    return f"{subscription}:{story_id}:v{version}"


def build_alert(match: Match, story: EnrichedArticle, is_update: bool) -> Alert:
    article = story.article
    return Alert(
        id=alert_id(match.subscription.name, article.id, story.version),
        subscription=match.subscription.name, story_id=article.id, version=story.version, is_update=is_update,
        headline=article.headline, link=article.uri, source=article.source, section=article.section,
        versioncreated=article.versioncreated, matched=match.matched, snippet=match.snippet,
    )


def _snippet(text: str, terms: list[str]) -> str | None:
    """About SNIPPET_CHARS of `text` around the first of `terms`, every term in it emphasised."""
    pattern = words_pattern(terms)
    first = pattern.search(text) if pattern else None
    if first is None:
        return None
    start = max(0, first.start() - SNIPPET_CHARS // 3)
    end = min(len(text), start + SNIPPET_CHARS)
    # Whole words only: move both ends to the nearest space inside the window.
    if start > 0:
        start = text.find(" ", start, first.start()) + 1 or start
    if end < len(text):
        end = text.rfind(" ", first.end(), end) if text.rfind(" ", first.end(), end) > 0 else end
    window = " ".join(text[start:end].split())
    marked = pattern.sub(lambda m: f"{EM_START}{m.group(0)}{EM_END}", window)
    return ("…" if start > 0 else "") + marked + ("…" if end < len(text) else "")


def _lead(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= SNIPPET_CHARS else words[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
