"""The search query, built without Elasticsearch: plain text stays text, entities the query names boost."""

import pytest

from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.search import QueryError, SearchRequest, build_query, fuse, is_hybrid, knn_query, query_entities
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


def test_hybrid_only_for_plain_words_without_quotes_or_exclusions():
    assert is_hybrid(SearchRequest("Pyongyang rocket launch"))
    assert is_hybrid(SearchRequest("what is al-Shabab's aim?"))  # a hyphen inside a word is not an exclusion
    assert not is_hybrid(SearchRequest('"ballistic missile" Korea'))
    assert not is_hybrid(SearchRequest("missile -Iran"))
    assert not is_hybrid(SearchRequest("missile AND Iran", syntax="lucene"))
    assert not is_hybrid(SearchRequest("   ", people=["Mark Esper"]))


def test_the_vector_search_keeps_the_filters_of_the_words():
    request = SearchRequest("rocket", people=["Kim Jong Un"], section="Asia")
    body = knn_query([0.1] * 384, request, k=20)
    assert body["knn"]["k"] == 20 and body["knn"]["num_candidates"] >= 20 and body["size"] == 20
    assert body["knn"]["filter"] == build_query(request)["query"]["bool"]["filter"]


def test_reciprocal_rank_fusion():
    fused = fuse([["a", "b", "c"], ["c", "d", "a"]], k=60)
    assert [doc for doc, _ in fused] == ["a", "c", "b", "d"]  # in both lists beats first in one
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)
    assert fuse([["x", "y"], []]) == fuse([["x", "y"]])  # the vector search finding nothing changes nothing
    assert fuse([]) == []
