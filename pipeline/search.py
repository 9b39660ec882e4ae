"""Searching the stories: the query (pure) and its results, for `wirestream search` and the demo.

A query is plain text by default: words, "phrases in quotes" (matched as written, stop words and
all) and -excluded words; anything else (":", "/", "?", "AND", brackets) is just text, so a pasted
headline or a question reads as what it says. Lucene's query string syntax (`preemptive AND Iran`,
`headline:Esper`) is there with `syntax="lucene"`. Words match headline (weighted 3), body and
captions through the English analyzer (stemmed, stop words out); people, organisations and places the
query names, in any alias the gazetteer knows ("Pentagon", "AMISOM"), lift the stories tagged with
them. Entity, section and date filters narrow the matches; facets count their top entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from pipeline.enrich.gazetteer import Gazetteer
from schemas import EntityType

FACETS = {"people": "people", "organisations": "organisations", "places": "places"}
#: Analysed with stemming and without stop words; quoted phrases use each field's `.exact` twin.
SEARCH_FIELDS = ["headline^3", "body_text", "captions"]
PHRASE_SUFFIX = ".exact"
SYNTAXES = ("plain", "lucene")
#: How much a story tagged with an entity the query names gains, per entity.
ENTITY_BOOST = 4.0
ENTITY_FIELDS = {EntityType.PERSON: "people", EntityType.ORGANISATION: "organisations", EntityType.PLACE: "places"}
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"


class QueryError(ValueError):
    """A query Elasticsearch cannot parse, in one line."""


@dataclass
class SearchRequest:
    query: str = ""
    people: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    section: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 10
    syntax: str = "plain"
    #: (type, canonical name) of the entities the query names, found with `query_entities`.
    mentioned: list[tuple[EntityType, str]] = field(default_factory=list)


@dataclass
class Hit:
    id: str
    score: float
    headline: str
    source: str
    section: str | None
    versioncreated: str
    version: int
    copies: int
    uri: str | None
    snippets: list[str]
    people: list[str]
    organisations: list[str]
    places: list[str]


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]


def build_query(request: SearchRequest) -> dict[str, Any]:
    """The search body: ranked text match, exact filters, highlights and entity facets."""
    filters: list[dict] = []
    for field_name, values in (("people", request.people), ("organisations", request.organisations),
                               ("places", request.places)):
        filters += [{"term": {field_name: value}} for value in values]
    if request.section:
        filters.append({"term": {"section": request.section}})
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = request.since.isoformat()
        if request.until:
            bounds["lte"] = request.until.isoformat()
        filters.append({"range": {"versioncreated": bounds}})
    if request.syntax not in SYNTAXES:
        raise QueryError(f"syntax must be one of {', '.join(SYNTAXES)}, not {request.syntax!r}")
    text = {"match_all": {}}
    if request.query.strip() and request.syntax == "lucene":
        text = {"query_string": {"query": request.query, "fields": SEARCH_FIELDS, "default_operator": "or",
                                 "quote_field_suffix": PHRASE_SUFFIX}}
    elif request.query.strip():
        text = {"simple_query_string": {"query": request.query, "fields": SEARCH_FIELDS, "default_operator": "or",
                                        "flags": "PHRASE|NOT|WHITESPACE", "quote_field_suffix": PHRASE_SUFFIX}}
    boosts = [{"term": {ENTITY_FIELDS[kind]: {"value": name, "boost": ENTITY_BOOST}}}
              for kind, name in request.mentioned if kind in ENTITY_FIELDS]
    return {
        "query": {"bool": {"must": [text], "should": boosts, "filter": filters}},
        "size": request.limit,
        "sort": ["_score", {"versioncreated": "desc"}],
        "highlight": {
            "pre_tags": [HIGHLIGHT_START],
            "post_tags": [HIGHLIGHT_END],
            "fields": {"headline": {"number_of_fragments": 0}, "body_text": {"fragment_size": 160, "number_of_fragments": 2}},
        },
        "aggs": {name: {"terms": {"field": field_name, "size": 8}} for name, field_name in FACETS.items()},
        "_source": {"excludes": ["body_text", "entities", "captions"]},
    }


def query_entities(query: str, gazetteer: Gazetteer, longest: int = 6) -> list[tuple[EntityType, str]]:
    """(type, canonical name) of each known entity the query names, longest names first: "Pentagon
    briefing" -> the Department of Defense. Names of three letters or fewer count only as written
    ("US", not the "us" of a question)."""
    forms = gazetteer.forms_folded()
    words = re.findall(r"[\w.'’-]+", query)
    found: list[tuple[EntityType, str]] = []
    index = 0
    while index < len(words):
        for size in range(min(longest, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size]).strip(".")
            entity = forms.get(phrase.casefold())
            if entity and (len(phrase) > 3 or phrase in entity.forms):
                if (entity.type, entity.name) not in found:
                    found.append((entity.type, entity.name))
                index += size
                break
        else:
            index += 1
    return found


def search(client: Elasticsearch, alias: str, request: SearchRequest) -> SearchResult:
    """Run a search; a malformed query raises `QueryError` with Elasticsearch's reason."""
    try:
        response = client.search(index=alias, **build_query(request))
    except BadRequestError as error:
        raise QueryError(error_reason(error)) from None
    hits = []
    for hit in response["hits"]["hits"]:
        doc, highlight = hit["_source"], hit.get("highlight", {})
        hits.append(Hit(
            id=hit["_id"], score=hit["_score"] or 0.0, headline=doc["headline"], source=doc["source"],
            section=doc.get("section"), versioncreated=doc["versioncreated"], version=doc["version"],
            copies=doc.get("copies", 0), uri=doc.get("uri"),
            snippets=highlight.get("body_text", []) or [],
            people=doc.get("people", []), organisations=doc.get("organisations", []), places=doc.get("places", []),
        ))
    facets = {name: [(b["key"], b["doc_count"]) for b in agg["buckets"]] for name, agg in response["aggregations"].items()}
    return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets)


def error_reason(error: BadRequestError) -> str:
    """The deepest cause Elasticsearch gives, on one line."""
    info = error.info if isinstance(error.info, dict) else {}
    cause = info.get("error", {})
    reason = cause.get("reason", str(error))
    for failure in cause.get("root_cause", []) + [c for f in cause.get("failed_shards", []) for c in [f.get("reason", {})]]:
        reason = failure.get("caused_by", {}).get("reason") or failure.get("reason") or reason
    reason = re.sub(r"\s+", " ", reason).split(" Was expecting")[0]
    return reason.strip()
