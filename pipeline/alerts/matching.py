"""Matching one enriched story against every subscription: pure, no Kafka, no Elasticsearch.

Entities and phrases are matched here. A query subscription is matched by `pipeline.alerts.queries`,
whose answer comes in as `query_hits`; the rest of that subscription's criteria and filters still
apply here, and its snippet shows the query's words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from schemas import EnrichedArticle, Entity, EntityType
from schemas.alerts import Alert, EntityRef, Subscription

SNIPPET_CHARS = 240
EM_START, EM_END = "<em>", "</em>"
#: Words of a query string that are syntax, not terms to show in a snippet.
QUERY_OPERATORS = {"and", "or", "not", "to"}


@dataclass(frozen=True)
class Match:
    """A story that a subscription matched: what matched, and a snippet showing it."""

    subscription: Subscription
    matched: list[str]
    snippet: str


def words(text: str) -> list[str]:
    """The words of `text`, case-folded: what phrases are matched on."""
    return re.findall(r"\w+", text.casefold())


def words_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Any of `terms` as whole words in `text`, case-insensitive, whatever is between the words."""
    alternatives = [r"\W+".join(map(re.escape, term_words)) for term in terms if (term_words := words(term))]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)


class Matcher:
    """Every subscription, indexed once by what can trigger it (an entity, a phrase, a query), so
    a story is only checked against the subscriptions it could match: a thousand subscriptions
    cost about what a few do."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self.subscriptions = {sub.name: sub for sub in subscriptions}
        #: Subscription name -> its query, for those that have one.
        self.queries = {name: sub.query for name, sub in self.subscriptions.items() if sub.query and sub.query.strip()}
        self._phrases = {name: [(p, tuple(words(p))) for p in sub.phrases] for name, sub in self.subscriptions.items()}
        self._lengths = sorted({len(w) for phrases in self._phrases.values() for _, w in phrases})
        self._by_entity: defaultdict[tuple[EntityType, str], list[str]] = defaultdict(list)
        self._by_phrase: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
        for name, sub in self.subscriptions.items():
            # One criterion is enough to find it: any of its any-entities, else its first
            # all-entity, else any of its phrases; a query-only one is found by its query.
            if sub.any_entities or sub.all_entities:
                for ref in sub.any_entities or sub.all_entities[:1]:
                    self._by_entity[(ref.type, ref.name.casefold())].append(name)
            else:
                for _, phrase_words in self._phrases[name]:
                    self._by_phrase[phrase_words].append(name)

    def match(self, story: EnrichedArticle, query_hits: Collection[str] = ()) -> list[Match]:
        """The subscriptions `story` matches; `query_hits` names the query subscriptions whose
        query this story matches."""
        article = story.article
        entities = {(entity.type, entity.name.casefold()): entity for entity in story.entities}
        tokens = words("\n".join([article.headline, article.body_text, *article.captions]))
        grams = {tuple(tokens[i:i + n]) for n in self._lengths for i in range(len(tokens) - n + 1)}
        candidates = dict.fromkeys(name for key in entities for name in self._by_entity.get(key, ()))
        candidates.update(dict.fromkeys(name for gram in grams for name in self._by_phrase.get(gram, ())))
        candidates.update(dict.fromkeys(name for name in query_hits if name in self.subscriptions))
        matches = []
        for name in candidates:
            sub = self.subscriptions[name]
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
            phrases = [phrase for phrase, phrase_words in self._phrases[name] if phrase_words in grams]
            if sub.phrases and not phrases:
                continue
            if name in self.queries and name not in query_hits:
                continue
            matched = [f"{e.type.value}:{e.name}" for e in found] + [f"phrase:{p}" for p in phrases]
            terms = [*phrases, *(form for entity in found for form in (entity.name, *entity.forms))]
            if name in self.queries:
                matched.append(f"query:{sub.query}")
                terms += [word for word in words(sub.query) if word not in QUERY_OPERATORS]
            snippet = _snippet(article.body_text, terms) or _lead(article.body_text)
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
    if end < len(text) and (space := text.rfind(" ", first.end(), end)) > 0:
        end = space
    window = " ".join(text[start:end].split())
    marked = pattern.sub(lambda m: f"{EM_START}{m.group(0)}{EM_END}", window)
    return ("…" if start > 0 else "") + marked + ("…" if end < len(text) else "")


def _lead(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= SNIPPET_CHARS else words[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
