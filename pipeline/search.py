"""Searching the stories: the query (pure) and its results, for `wirestream search` and the demo.

Queries use Lucene's query string syntax (`preemptive AND Iran`, `"embassy compound"`,
`headline:Esper`), over headline, body and captions; entity, section and date filters narrow it;
facets count the top people, organisations and places of the matching stories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

FACETS = {"people": "people", "organisations": "organisations", "places": "places"}
SEARCH_FIELDS = ["headline^3", "headline.exact^3", "body_text", "body_text.exact", "captions"]
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
    text = (
        {"query_string": {"query": request.query, "fields": SEARCH_FIELDS, "default_operator": "or"}}
        if request.query.strip()
        else {"match_all": {}}
    )
    return {
        "query": {"bool": {"must": [text], "filter": filters}},
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
