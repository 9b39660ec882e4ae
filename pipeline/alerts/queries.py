"""Which query subscriptions a batch of stories matches, decided in process (`pipeline.alerts.lucene`):
no Elasticsearch request, no scratch index, no refresh in the alert path."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from pipeline.alerts.lucene import Story, compile_query, matches
from pipeline.search import PHRASE_SUFFIX, SEARCH_FIELDS, QueryError
from pipeline.sinks.documents import document
from schemas import EnrichedArticle

log = logging.getLogger(__name__)


def elasticsearch_query(text: str) -> dict:
    """The query_string Elasticsearch would run for `text` over the searched fields (as `wirestream
    search --syntax lucene` does): what the in-process matcher mirrors, for the tests and the
    benchmark to compare with."""
    return {"query_string": {"query": text, "fields": SEARCH_FIELDS, "default_operator": "or",
                             "quote_field_suffix": PHRASE_SUFFIX}}


class QueryMatcher:
    """Query subscriptions matched against stories in process."""

    def validate(self, query: str) -> None:
        """Raises `QueryError` with the reason when `query` cannot be parsed or is not supported."""
        compile_query(query)

    def match(self, stories: Sequence[EnrichedArticle], queries: Mapping[str, str]) -> list[set[str]]:
        """For each story, the names of the queries it matches. A stored query this version does
        not support (saved before it refused such queries) matches nothing and is logged."""
        compiled = {}
        for name, text in queries.items():
            try:
                compiled[name] = compile_query(text)
            except QueryError as error:
                log.warning("alerts: query of subscription %r is not matched: %s", name, error)
        found = []
        for story in stories:
            analysed = Story.of(document(story, nested=False))
            found.append({name for name, query in compiled.items() if matches(query, analysed)})
        return found
