"""Which query subscriptions a batch of stories matches, asked of Elasticsearch.

Elasticsearch's percolator does this (queries stored, documents matched against them), but its
module is not among Elasticsearch's Maven artifacts, so the local stack cannot load it. This does the
same with the stock server: the batch is written to a small scratch index with the articles'
mapping (without the nested entities, which no query_string reaches) and refreshed, every query
runs against just those documents as a named clause (one search per `QUERIES_PER_SEARCH`
subscriptions, so the cost grows with the subscriptions slowly), the matches are searched again
for a highlighted passage, and the documents are deleted. Text is analysed exactly as
`wirestream search` analyses it, so what can be searched can be watched.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence

from elasticsearch import BadRequestError, Elasticsearch

from pipeline.search import PHRASE_SUFFIX, SEARCH_FIELDS, QueryError
from pipeline.sinks.documents import document
from pipeline.sinks.elasticsearch import TEMPLATE_FILE
from schemas import EnrichedArticle

log = logging.getLogger(__name__)

QUERIES_PER_SEARCH = 100


def query_clause(text: str, name: str | None = None) -> dict:
    """A query_string over the searched fields, as `wirestream search --syntax lucene` runs it; named when `name`."""
    query = {"query": text, "fields": SEARCH_FIELDS, "default_operator": "or", "quote_field_suffix": PHRASE_SUFFIX}
    return {"query_string": query | ({"_name": name} if name else {})}


class QueryMatcher:
    """Query subscriptions matched by Elasticsearch, against a scratch index `<alias>-alerting`."""

    def __init__(self, client: Elasticsearch, alias: str) -> None:
        self.client = client
        self.index = f"{alias}-alerting"
        self._ready = False
        self._previous: list[str] = []

    def ensure_index(self) -> None:
        """The scratch index, with the articles' settings and mapping; refreshed only on demand."""
        if self._ready or self.client.indices.exists(index=self.index):
            self._ready = True
            return
        template = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["template"]
        settings = template["settings"] | {"refresh_interval": "-1"}
        try:
            self.client.indices.create(index=self.index, settings=settings, mappings=template["mappings"])
        except BadRequestError as error:  # another worker created it first
            if "resource_already_exists" not in str(error):
                raise
        self._ready = True

    def validate(self, query: str) -> None:
        """Raises `QueryError` with Elasticsearch's reason when `query` cannot be parsed."""
        self.ensure_index()
        answer = self.client.indices.validate_query(index=self.index, query=query_clause(query), explain=True)
        if not answer["valid"]:
            explanation = next((e.get("error") for e in answer.get("explanations", []) if e.get("error")), "invalid query")
            # "...QueryShardException: Failed to parse query ; ...ParseException: Cannot parse '...': ..."
            reason = " ".join(explanation.split()).split(" Was expecting")[0]
            raise QueryError(reason[reason.find("Cannot parse"):] if "Cannot parse" in reason else reason)

    def match(self, stories: Sequence[EnrichedArticle], queries: dict[str, str]) -> list[set[str]]:
        """For each story, the names of the queries it matches."""
        found: list[set[str]] = [set() for _ in stories]
        if not stories or not queries:
            return found
        self.ensure_index()
        ids = [uuid.uuid4().hex for _ in stories]
        position = {doc_id: i for i, doc_id in enumerate(ids)}
        # The previous batch's documents go in the same request: two round trips per batch.
        body: list[dict] = [{"delete": {"_index": self.index, "_id": doc_id}} for doc_id in self._previous]
        for doc_id, story in zip(ids, stories):
            body += [{"index": {"_index": self.index, "_id": doc_id}}, document(story, nested=False)]
        self._previous = ids
        written = self.client.bulk(operations=body, refresh=True)
        failed = [item["index"] for item in written["items"] if "index" in item and item["index"].get("error")]
        if failed:
            log.warning("alerts: %d stor(ies) could not be matched against queries: %s",
                        len(failed), failed[0]["error"].get("reason"))
        names = list(queries)
        chunks = [names[i:i + QUERIES_PER_SEARCH] for i in range(0, len(names), QUERIES_PER_SEARCH)]
        for hits in self._search(ids, chunks, queries):
            for hit in hits:
                found[position[hit["_id"]]].update(hit.get("matched_queries", []))
        return found

    def _search(self, ids: list[str], chunks: list[list[str]], queries: dict[str, str]):
        """The hits of each chunk of named queries; a chunk that fails is retried one query at a
        time so one bad stored query cannot silence the others."""
        searches = []
        for names in chunks:
            clauses = [query_clause(queries[name], name) for name in names]
            searches += [{"index": self.index}, {
                "query": {"bool": {"should": clauses, "minimum_should_match": 1, "filter": [{"ids": {"values": ids}}]}},
                "size": len(ids), "_source": False,
            }]
        for names, response in zip(chunks, self.client.msearch(searches=searches)["responses"]):
            if "error" not in response:
                yield response["hits"]["hits"]
            elif len(names) > 1:
                yield from self._search(ids, [[name] for name in names], queries)
            else:
                log.warning("alerts: query of subscription %r fails: %s", names[0], response["error"].get("reason"))
