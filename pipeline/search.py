"""Searching the stories: the query (pure) and its results, for `wirestream search` and the demo.

A query is plain text by default: words, "phrases in quotes" (matched as written, stop words and
all) and -excluded words; anything else (":", "/", "?", "AND", brackets) is just text, so a pasted
headline or a question reads as what it says. Lucene's query string syntax (`preemptive AND Iran`,
`headline:Esper`) is there with `syntax="lucene"`. Words match headline (weighted 3), body and
captions through the English analyzer (stemmed, stop words out); people, organisations and places the
query names, in any alias the gazetteer knows ("Pentagon", "AMISOM"), lift the stories tagged with
them. Entity, section and date filters narrow the matches; facets count their top entities.

With an `Embedder`, a plain query is also run as a vector search (kNN over the stories' vectors,
which find "Pyongyang rocket launch" in a story that says "North Korea fired a ballistic missile"),
and the two rankings are fused here by reciprocal rank (Elasticsearch's own RRF needs a paid
licence). A query with "quotes" or -exclusions asks for exact words, so it stays lexical.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from pipeline.embedding import Embedder
from pipeline.enrich.gazetteer import Gazetteer
from schemas import EntityType

FACETS = {"people": "people", "organisations": "organisations", "places": "places", "sections": "section",
          "sources": "source"}
#: Analysed with stemming and without stop words; quoted phrases use each field's `.exact` twin.
SEARCH_FIELDS = ["headline^3", "body_text", "captions"]
PHRASE_SUFFIX = ".exact"
SYNTAXES = ("plain", "lucene")
#: How much a story tagged with an entity the query names gains, per entity.
ENTITY_BOOST = 4.0
ENTITY_FIELDS = {EntityType.PERSON: "people", EntityType.ORGANISATION: "organisations", EntityType.PLACE: "places"}
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"
#: Stories each ranking of a hybrid search contributes before they are fused.
CANDIDATES = 50
#: Reciprocal rank fusion's constant: a story's score is the sum of 1 / (RRF_K + its rank).
RRF_K = 60
_EXACT_INTENT = re.compile(r'"|(?:^|\s)-\w')


class QueryError(ValueError):
    """A query Elasticsearch cannot parse, in one line."""


@dataclass
class SearchRequest:
    query: str = ""
    people: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    section: str | None = None
    source: str | None = None
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
    if request.syntax not in SYNTAXES:
        raise QueryError(f"syntax must be one of {', '.join(SYNTAXES)}, not {request.syntax!r}")
    boosts = [{"term": {ENTITY_FIELDS[kind]: {"value": name, "boost": ENTITY_BOOST}}}
              for kind, name in request.mentioned if kind in ENTITY_FIELDS]
    return {
        "query": {"bool": {"must": [text_query(request)], "should": boosts, "filter": filters(request)}},
        "size": request.limit,
        "sort": ["_score", {"versioncreated": "desc"}],
        "highlight": _highlight(),
        "aggs": _facet_aggs(),
        "_source": _SOURCE,
    }


def knn_query(vector: list[float], request: SearchRequest, k: int = CANDIDATES) -> dict[str, Any]:
    """The vector half of a hybrid search: the `k` stories nearest the query's vector, under the
    same filters as the words."""
    return {
        "knn": {"field": "embedding", "query_vector": vector, "k": k, "num_candidates": min(4 * k, 10_000),
                "filter": filters(request)},
        "size": k,
        "_source": False,
    }


def is_hybrid(request: SearchRequest) -> bool:
    """Whether a vector search joins the words: plain text with no "quotes" or -exclusions."""
    return request.syntax == "plain" and bool(request.query.strip()) and not _EXACT_INTENT.search(request.query)


def fuse(rankings: list[list[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: (id, score) best first; ties keep the first ranking's order."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def filters(request: SearchRequest) -> list[dict]:
    """The exact conditions: entities, section, source, date range."""
    found: list[dict] = []
    for field_name, values in (("people", request.people), ("organisations", request.organisations),
                               ("places", request.places)):
        found += [{"term": {field_name: value}} for value in values]
    for field_name, value in (("section", request.section), ("source", request.source)):
        if value:
            found.append({"term": {field_name: value}})
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = request.since.isoformat()
        if request.until:
            bounds["lte"] = request.until.isoformat()
        found.append({"range": {"versioncreated": bounds}})
    return found


def text_query(request: SearchRequest) -> dict[str, Any]:
    """The words of the query, in its syntax; every story when there are none."""
    if not request.query.strip():
        return {"match_all": {}}
    if request.syntax == "lucene":
        return {"query_string": {"query": request.query, "fields": SEARCH_FIELDS, "default_operator": "or",
                                 "quote_field_suffix": PHRASE_SUFFIX}}
    return {"simple_query_string": {"query": request.query, "fields": SEARCH_FIELDS, "default_operator": "or",
                                    "flags": "PHRASE|NOT|WHITESPACE", "quote_field_suffix": PHRASE_SUFFIX}}


_SOURCE = {"excludes": ["body_text", "entities", "captions", "embedding"]}


def _highlight(query: dict | None = None) -> dict[str, Any]:
    fields = {"headline": {"number_of_fragments": 0}, "body_text": {"fragment_size": 160, "number_of_fragments": 2}}
    return {"pre_tags": [HIGHLIGHT_START], "post_tags": [HIGHLIGHT_END], "fields": fields,
            **({"highlight_query": query} if query else {})}


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


def search(client: Elasticsearch, alias: str, request: SearchRequest,
           embedder: Embedder | None = None) -> SearchResult:
    """Run a search, hybrid when an `embedder` is given and the query `is_hybrid`; a malformed
    query raises `QueryError` with Elasticsearch's reason."""
    try:
        if embedder is None or not is_hybrid(request):
            response = client.search(index=alias, **build_query(request))
            return _result(response["hits"]["hits"], response["hits"]["total"]["value"], response["aggregations"])
        return _hybrid(client, alias, request, embedder)
    except BadRequestError as error:
        raise QueryError(error_reason(error)) from None


def hybrid_ranking(client: Elasticsearch, alias: str, request: SearchRequest,
                   embedder: Embedder) -> tuple[list[str], list[tuple[str, float]]]:
    """The ids of the vector's nearest stories and the fused (id, score) ranking, best first.
    Elasticsearch ranks the words while the query is embedded here."""
    candidates = max(CANDIDATES, request.limit)  # a long page still gets the whole of both rankings
    words = build_query(request)
    words.update(size=candidates, _source=False)
    for unused in ("highlight", "sort", "aggs"):
        words.pop(unused)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(client.search, index=alias, **words)
        vector = embedder.embed_one(request.query).tolist()
        lexical = pending.result()
    nearest = [hit["_id"] for hit in client.search(index=alias, **knn_query(vector, request, candidates))["hits"]["hits"]]
    return nearest, fuse([[hit["_id"] for hit in lexical["hits"]["hits"]], nearest])


def _hybrid(client: Elasticsearch, alias: str, request: SearchRequest, embedder: Embedder) -> SearchResult:
    """The fused ranking's first stories, fetched with their highlights. The total and the facets
    count what the ranking draws on, the word matches and the vector's nearest stories (under the
    same filters), so a facet's count is what choosing it shows."""
    nearest, fused = hybrid_ranking(client, alias, request, embedder)
    fused = fused[: request.limit]
    drawn_on = {"bool": {"should": [text_query(request), {"ids": {"values": nearest}}], "minimum_should_match": 1,
                         "filter": filters(request)}}
    chosen = client.search(index=alias, query={"ids": {"values": [doc_id for doc_id, _ in fused]}},
                           size=len(fused), _source=_SOURCE, highlight=_highlight(text_query(request)),
                           aggs={"matches": {"global": {}, "aggs": {"drawn_on": {"filter": drawn_on, "aggs": _facet_aggs()}}}})
    by_id = {hit["_id"]: hit for hit in chosen["hits"]["hits"]}
    hits = [{**by_id[doc_id], "_score": score} for doc_id, score in fused if doc_id in by_id]
    counted = chosen["aggregations"]["matches"]["drawn_on"]
    return _result(hits, counted["doc_count"], counted)


def _facet_aggs() -> dict[str, Any]:
    return {name: {"terms": {"field": field_name, "size": 8}} for name, field_name in FACETS.items()}


def _result(raw_hits: list[dict], total: int, aggregations: dict) -> SearchResult:
    hits = []
    for hit in raw_hits:
        doc, highlight = hit["_source"], hit.get("highlight", {})
        hits.append(Hit(
            id=hit["_id"], score=hit["_score"] or 0.0, headline=doc["headline"], source=doc["source"],
            section=doc.get("section"), versioncreated=doc["versioncreated"], version=doc["version"],
            copies=doc.get("copies", 0), uri=doc.get("uri"),
            snippets=highlight.get("body_text", []) or [],
            people=doc.get("people", []), organisations=doc.get("organisations", []), places=doc.get("places", []),
        ))
    facets = {name: [(b["key"], b["doc_count"]) for b in aggregations[name]["buckets"]] for name in FACETS}
    return SearchResult(total=max(total, len(hits)), hits=hits, facets=facets)


def error_reason(error: BadRequestError) -> str:
    """The deepest cause Elasticsearch gives, on one line."""
    info = error.info if isinstance(error.info, dict) else {}
    cause = info.get("error", {})
    reason = cause.get("reason", str(error))
    for failure in cause.get("root_cause", []) + [c for f in cause.get("failed_shards", []) for c in [f.get("reason", {})]]:
        reason = failure.get("caused_by", {}).get("reason") or failure.get("reason") or reason
    reason = re.sub(r"\s+", " ", reason).split(" Was expecting")[0]
    return reason.strip()
