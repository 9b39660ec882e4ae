"""`wirestream bench search`: does search find what an editor means?

The judged queries of `evaluation/search/queries.yaml` (keyword, paraphrase, entity, question and
pasted-headline queries, graded 1-3 against every story they concern) run against the stories they
judge (the samples, `evaluation/stories/dev/` and `evaluation/search/stories/`), enriched by the
engine (with their vectors) and indexed with the project's own template in an index of the run's
own. Four rankings of the same index are scored: plain BM25 over headline and body (the baseline),
the query the project used before (Lucene syntax, `.exact` fields weighted like the analysed ones),
`wirestream search`'s words alone (lexical), and `wirestream search` with vectors (hybrid: the words'
and the vector's rankings fused). nDCG@10, recall@5 and MRR per query kind, dev and held-out queries
apart, and the search latency of each (query embedding included), on the judged stories and on an
index of 100,000 documents (the judged stories repeated under other ids, force-merged like an
index at rest).
"""

from __future__ import annotations

import math
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from elasticsearch import BadRequestError, Elasticsearch, helpers
from rich.console import Console
from rich.table import Table

from pipeline.bench.common import delete_indices
from pipeline.bundled import SAMPLES_DIR
from pipeline.embedding import DIMS, Embedder
from pipeline.enrich import EntityEngine
from pipeline.enrich.batch import VECTOR_DECIMALS, embed_stories
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.search import CANDIDATES, SearchRequest, build_query, hybrid_ranking, is_hybrid, query_entities
from pipeline.settings import EVALUATION_STORIES, Settings
from pipeline.sinks.documents import document
from pipeline.sinks.elasticsearch import connect, ensure_index
from schemas import EnrichedArticle, UniqueArticle

SEARCH_SET = EVALUATION_STORIES.parent / "search"
KINDS = ("keyword", "paraphrase", "entity", "question", "headline")
#: A story of this grade or more is relevant for recall@5 and MRR (nDCG uses every grade).
RELEVANT = 2


@dataclass(frozen=True)
class Query:
    id: str
    kind: str
    text: str
    split: str
    judgments: dict[str, int]


@dataclass
class Scores:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, ranking: list[str], judgments: dict[str, int], seconds: float) -> None:
        self.ndcg.append(ndcg_at(ranking, judgments, 10))
        relevant = {name for name, grade in judgments.items() if grade >= RELEVANT}
        self.recall.append(len(relevant & set(ranking[:5])) / len(relevant) if relevant else 0.0)
        self.rr.append(next((1 / rank for rank, name in enumerate(ranking, 1) if name in relevant), 0.0))
        self.seconds.append(seconds)


def ndcg_at(ranking: list[str], judgments: dict[str, int], k: int) -> float:
    """Normalised discounted cumulative gain of the first `k` results, gains 2^grade - 1."""
    gain = sum((2 ** judgments.get(name, 0) - 1) / math.log2(rank + 1) for rank, name in enumerate(ranking[:k], 1))
    ideal = sum((2 ** grade - 1) / math.log2(rank + 1)
                for rank, grade in enumerate(sorted(judgments.values(), reverse=True)[:k], 1))
    return gain / ideal if ideal else 0.0


def load_queries(path: Path = SEARCH_SET / "queries.yaml") -> list[Query]:
    return [Query(q["id"], q["kind"], q["query"], q["split"], dict(q["judgments"]))
            for q in yaml.safe_load(path.read_text(encoding="utf-8"))]


def corpus_files() -> dict[str, Path]:
    """Every judged story by file name: the samples, the dev stories and the search set's own."""
    folders = [SAMPLES_DIR, EVALUATION_STORIES / "dev", SEARCH_SET / "stories"]
    return {path.name: path for folder in folders for path in sorted(folder.glob("*.txt"))}


def run(settings: Settings, console: Console, documents: int = 100_000) -> None:
    queries = load_queries()
    files = corpus_files()
    missing = {name for q in queries for name in q.judgments} - set(files)
    if missing:
        raise FileNotFoundError(f"judged stories not found: {', '.join(sorted(missing))}")
    engine = EntityEngine.from_config()
    embedder = Embedder.load()
    client = connect(settings)
    prefix = f"bench-search-{uuid.uuid4().hex[:8]}"
    alias = f"{prefix}-articles"
    try:
        console.print(f"indexing {len(files)} stories (enriched by the engine) into {alias} ...")
        names_of, enriched = _index(client, alias, files, engine, embedder)

        def request(q: Query) -> SearchRequest:
            return SearchRequest(q.text, mentioned=query_entities(q.text, engine.gazetteer), limit=CANDIDATES)

        def words(index: str, q: Query) -> list[str]:
            return _ids(client, index, build_query(request(q)))[:10]

        def hybrid(index: str, q: Query) -> list[str]:
            asked = request(q)
            if not is_hybrid(asked):
                return words(index, q)
            return [doc_id for doc_id, _ in hybrid_ranking(client, index, asked, embedder)[1][:10]]

        systems: dict[str, Callable[[str, Query], list[str]]] = {
            "plain BM25 (baseline)": lambda index, q: _ids(client, index, {"query": {"multi_match": {
                "query": q.text, "fields": ["headline", "body_text"]}}}),
            "previous query": lambda index, q: _ids(client, index, {"query": {"query_string": {
                "query": q.text, "fields": ["headline^3", "headline.exact^3", "body_text", "body_text.exact", "captions"],
                "default_operator": "or"}}}),
            "wirestream search, words only": words,
            "wirestream search, hybrid": hybrid,
        }
        results = {system: _score(alias, queries, rank, names_of) for system, rank in systems.items()}
        for split in ("dev", "heldout"):
            _report(console, split, queries, results)
        big = f"{prefix}-latency"
        console.print(f"indexing {documents:,} documents (the judged stories repeated under other ids) into {big} ...")
        _index_repeated(client, big, enriched, documents)
        at_scale = {system: _score(big, queries, rank, names_of) for system, rank in systems.items()}
        latency = Table("system", f"p50 / p95 ms, {len(files)} stories", f"p50 / p95 ms, {documents:,} documents",
                        title=f"search latency, ranking only: no highlights ({len(queries)} queries each)")
        for system in systems:
            latency.add_row(system, _percentiles(results[system]), _percentiles(at_scale[system]))
        console.print(latency)
        sizes = Table("index", "size", "per 100,000 stories", title="index size (force-merged)")
        size = _store_bytes(client, big)
        sizes.add_row(f"{documents:,} documents, with vectors", _mb(size), _mb(size * 100_000 / documents))
        sample = 5_000
        for vectors in ("with", "without"):
            name = f"{prefix}-size-{vectors}"
            _index_repeated(client, name, enriched, sample, vectors=vectors == "with")
            size = _store_bytes(client, name)
            sizes.add_row(f"{sample:,} documents, {vectors} vectors", _mb(size), _mb(size * 100_000 / sample))
        console.print(sizes)
    finally:
        delete_indices(client, prefix)  # the index and its template


def _index(client: Elasticsearch, alias: str, files: dict[str, Path], engine: EntityEngine,
           embedder: Embedder) -> tuple[dict[str, str], list[EnrichedArticle]]:
    """Index every story; returns story id -> file name, and the enriched stories."""
    articles = {name: parse_wire_text(path.read_text(encoding="utf-8"), source=name.split("-")[0])
                for name, path in files.items()}
    enriched = engine.enrich([UniqueArticle(article=article, version=1) for article in articles.values()])
    enriched = embed_stories(embedder, enriched)
    index = ensure_index(client, alias)
    helpers.bulk(client, ({"_index": index, "_id": story.article.id, "_source": document(story)} for story in enriched))
    client.indices.refresh(index=index)
    return {article.id: name for name, article in articles.items()}, enriched


def _index_repeated(client: Elasticsearch, alias: str, enriched: list[EnrichedArticle], count: int,
                    vectors: bool = True) -> None:
    """`count` documents for the latency at scale: the enriched stories again and again, under other
    ids, each copy's vector moved a little (cosine ~0.9 to its story's): a vector index of a thousand
    identical points is no index a newsroom has, and its graph search is far slower."""
    index = ensure_index(client, alias)
    documents = [document(story) for story in enriched]
    noise = np.random.default_rng(7)

    def copy(i: int) -> dict:
        doc = documents[i % len(documents)]
        if "embedding" not in doc or not vectors:
            return {key: value for key, value in doc.items() if key != "embedding"}
        vector = np.asarray(doc["embedding"]) + noise.normal(0, 0.025, DIMS)
        return {**doc, "embedding": (vector / np.linalg.norm(vector)).round(VECTOR_DECIMALS).tolist()}

    actions = ({"_index": index, "_id": f"repeat-{i}", "_source": copy(i)} for i in range(count))
    helpers.bulk(client, actions, chunk_size=2_000, request_timeout=120)
    client.indices.refresh(index=index)
    client.indices.forcemerge(index=index, max_num_segments=1, request_timeout=600)


def _store_bytes(client: Elasticsearch, alias: str) -> int:
    return client.indices.stats(index=alias, metric="store")["_all"]["total"]["store"]["size_in_bytes"]


def _mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"


def _percentiles(by_query: dict[str, Scores]) -> str:
    seconds = sorted(s for scores in by_query.values() for s in scores.seconds)
    return f"{1000 * statistics.median(seconds):.1f} / {1000 * seconds[int(0.95 * (len(seconds) - 1))]:.1f}"


def _ids(client: Elasticsearch, index: str, body: dict) -> list[str]:
    """The ranked story ids of a search body: no sources, highlights or facets."""
    body = {**body, "_source": False}
    body.setdefault("size", 10)
    for key in ("highlight", "aggs", "sort"):
        body.pop(key, None)
    try:
        return [hit["_id"] for hit in client.search(index=index, **body)["hits"]["hits"]]
    except BadRequestError:  # the previous query's Lucene syntax refuses some pasted text
        return []


def _score(index: str, queries: list[Query], rank: Callable[[str, Query], list[str]],
           names_of: dict[str, str]) -> dict[str, Scores]:
    by_query: dict[str, Scores] = {}
    for query in queries:
        started = time.perf_counter()
        ranking = rank(index, query)
        seconds = time.perf_counter() - started
        scores = by_query.setdefault(query.id, Scores())
        scores.add([names_of.get(doc_id, doc_id) for doc_id in ranking], query.judgments, seconds)
    return by_query


def _report(console: Console, split: str, queries: list[Query], results: dict[str, dict[str, Scores]]) -> None:
    mine = [q for q in queries if q.split == split]
    table = Table("kind", "queries", *(f"{system}\nnDCG@10 · R@5 · MRR" for system in results),
                  title=f"{split} queries ({len(mine)})")
    for kind in (*KINDS, "all"):
        chosen = [q for q in mine if kind in ("all", q.kind)]
        if not chosen:
            continue
        cells = []
        for by_query in results.values():
            scores = [by_query[q.id] for q in chosen]
            cells.append(" · ".join(f"{statistics.mean(v for s in scores for v in getattr(s, metric)):.2f}"
                                    for metric in ("ndcg", "recall", "rr")))
        table.add_row(kind, str(len(chosen)), *cells)
    console.print(table)
