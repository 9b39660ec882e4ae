"""Query subscriptions matched in process: the query_string subset, its Lucene semantics, and the
queries refused with their reason. (tests/integration/test_query_matching.py checks the answers
against the real Elasticsearch node.)"""

import pytest

from pipeline.alerts.analysis import english, standard
from pipeline.alerts.lucene import Story, compile_query, matches
from pipeline.alerts.queries import QueryMatcher
from pipeline.search import QueryError
from pipeline.ingest.wiretext import parse_wire_text
from schemas import EnrichedArticle, Entity, EntityType

STORY = Story.of({
    "headline": "Esper: US Prepared to Take 'Preemptive' Action on Iran",
    "body_text": "The U.S. embassy in Baghdad was attacked on Tuesday. Officials' e-mail said 1,000 troops would go.",
    "captions": ["Mark Esper speaks", "Soldiers board a plane"],
    "people": ["Mark Esper"], "places": ["Iran", "Baghdad"], "section": "USA", "source": "voa",
})


def test_the_analyzers_read_words_as_elasticsearch_does():
    assert standard("The U.S. embassy's e-mail: 1,000 troops") == ["the", "u.s", "embassy's", "e", "mail", "1,000", "troops"]
    assert english("The U.S. embassy's e-mail: 1,000 troops") == ["u.", "embassi", "e", "mail", "1,000", "troop"]
    # An apostrophe between a digit and a letter splits, as the node's _analyze does ("EPA Region 8’s").
    assert standard("Region 8’s office in the 1990's, 2’000 B’s") == ["region", "8", "s", "office", "in", "the", "1990", "s",
                                                                    "2’000", "b’s"]


@pytest.mark.parametrize(("query", "expected"), [
    ("preemptive AND Iran", True),
    ("actions", True),  # stemmed as the index stems: action
    ("Korea", False),
    ("Iran Korea", True),  # the default operator is OR
    ("Iran AND Korea", False),
    ("NOT Korea", True),
    ("Iran -Baghdad", False),
    ("Iran +Korea", False),
    ("(Iran OR Korea) AND attacked", True),
    ('"preemptive action"', True),
    ('"action preemptive"', False),
    ('"speaks soldiers"', False),  # a phrase does not run from one caption into the next
    ("embass*", True),
    ("embassies*", False),  # a prefix meets the stemmed terms, as in Elasticsearch
    ("headline:embassy", False),
    ("body_text:embassy", True),
    ('people:"Mark Esper"', True),
    ("people:Esper", False),  # a keyword field matches whole values
    ("section:USA AND attacked", True),
    ("source:vo*", True),
    ("Iran AND the", True),  # a stop word is no clause at all
    ("the", False),
    ("Iran^3", True),
    ("mail", True),
])
def test_lucene_semantics(query, expected):
    assert matches(compile_query(query), STORY) is expected


@pytest.mark.parametrize(("query", "reason"), [
    ("Iran~2", "fuzzy matching (~) not supported"),
    ('"embassy attack"~3', "proximity (~) not supported"),
    ("versioncreated:[2020 TO 2021]", "unknown field 'versioncreated'"),
    ("Iran AND embassy OR Korea", "mixed without parentheses"),
    ("Iran embassy AND Korea", "mixed without parentheses"),
    ("te?t", "wildcards only at the end of a word"),
    ("*ran", "wildcards only at the end of a word"),
    ("organisations:*", "wildcards only at the end of a word"),
    ("Iran AND (", "cannot parse"),
    ("Iran^.", "cannot parse"),  # found by fuzzing: luqum raised decimal.InvalidOperation
    ("(" * 60 + "Iran" + ")" * 60, "nested more than 40 levels deep"),
    ("   ", "the query is empty"),
])
def test_what_matching_does_not_support_is_refused_with_the_reason(query, reason):
    with pytest.raises(QueryError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        compile_query(query)


def test_a_batch_is_matched_story_by_story_and_a_stored_query_it_refuses_matches_nothing(esper_text, caplog):
    def story(headline: str) -> EnrichedArticle:
        article = parse_wire_text(esper_text, source="voa").model_copy(update={"headline": headline, "body_text": headline, "captions": []})
        iran = Entity(name="Iran", type=EntityType.PLACE, mentions=1, first_offset=0, in_headline=True, salience=1)
        return EnrichedArticle(article=article, version=1, entities=[iran])

    found = QueryMatcher().match([story("Iran talks"), story("Korea talks")],
                                 {"iran": "iran", "talks": "talks", "places": "places:Iran", "old": "Iran~2"})
    assert found == [{"iran", "talks", "places"}, {"talks", "places"}]
    assert "'old' is not matched: fuzzy" in caplog.text
