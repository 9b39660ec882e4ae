"""The search query, built without Elasticsearch: plain text stays text, entities the query names boost."""

import pytest

from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.search import QueryError, SearchRequest, build_query, query_entities
from pipeline.settings import CONFIG_DIR
from schemas import EntityType


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(gazetteer_files(CONFIG_DIR))


def test_plain_text_is_not_lucene_syntax():
    body = build_query(SearchRequest('Why did "the government" shut down: (AND) a/b?'))
    clause = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert clause["flags"] == "PHRASE|NOT|WHITESPACE"  # no wildcard "?", no fields, no operators but quotes and -
    assert clause["quote_field_suffix"] == ".exact"  # phrases as written, stop words included
    assert not any(field.endswith(".exact") for field in clause["fields"])  # words without stop words


def test_lucene_only_when_asked_and_unknown_syntax_refused():
    body = build_query(SearchRequest("preemptive AND Iran", syntax="lucene"))
    assert body["query"]["bool"]["must"][0]["query_string"]["query"] == "preemptive AND Iran"
    with pytest.raises(QueryError, match="syntax must be one of plain, lucene"):
        build_query(SearchRequest("x", syntax="regex"))


def test_entities_named_in_any_alias_boost_the_stories_tagged_with_them(gazetteer):
    mentioned = query_entities("Pentagon briefing on AMISOM and the U.N. Security Council", gazetteer)
    assert (EntityType.ORGANISATION, "United States Department of Defense") in mentioned
    assert (EntityType.ORGANISATION, "African Union Mission to Somalia") in mentioned
    assert (EntityType.ORGANISATION, "United Nations Security Council") in mentioned
    assert (EntityType.ORGANISATION, "United Nations") not in mentioned  # the longer name wins
    should = build_query(SearchRequest("Pentagon", mentioned=mentioned))["query"]["bool"]["should"]
    assert {"term": {"organisations": {"value": "United States Department of Defense", "boost": 4.0}}} in should


def test_short_aliases_count_only_as_written(gazetteer):
    assert query_entities("can you tell us what happened", gazetteer) == []
    assert query_entities("US troops", gazetteer) == [(EntityType.PLACE, "United States")]
