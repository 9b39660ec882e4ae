"""Query subscriptions are matched in process (`pipeline.alerts.lucene`): its answers and its analysis
of the text must be Elasticsearch's, checked against the real node on the bundled and development
stories."""

from __future__ import annotations

import pytest

from pipeline.alerts.analysis import english, standard
from pipeline.alerts.lucene import Story, compile_query, matches
from pipeline.alerts.queries import elasticsearch_query
from pipeline.enrich import EntityEngine
from pipeline.enrich.evaluation import load_set
from pipeline.sinks.documents import document
from pipeline.sinks.elasticsearch import ensure_index
from schemas import UniqueArticle

#: The kinds of query a subscription uses, each feature of the subset at least once.
QUERIES = [
    "Iran", "iran", "Iranian", "embassy", "embassies", "attacks", "troops", "U.S.", "US", "e-mail", "COVID-19",
    "Iran's", "O'Brien", "1,000", "2019", "the", "Iran AND the", "NOT Iran", "-Iran", "Iran Korea",
    "Iran AND Korea", "Iran OR Korea", "Iran AND NOT Baghdad", "+Iran -Baghdad", "(Iran OR Iraq) AND embassy",
    "(storm OR hurricane) AND NOT (Florida OR Texas)", '"preemptive action"', '"the United States"',
    '"air force" AND base', '"Defense Secretary"', "embass*", "milit*", "Pres*", "preempt*", "headline:Iran",
    'body_text:"national guard"', "captions:soldiers", 'people:"Mark Esper"', "people:Esper", "places:Iran",
    "section:USA", "source:voa", "source:vo*", "Iran^2 OR Korea", "soldier* AND NOT army",
    '"Kim Jong Un" OR Pyongyang', "election AND (vote OR votes OR voters)", "flood water", "NOT (the OR a)",
]


@pytest.fixture(scope="module")
def corpus():
    stories = [s.article for s in load_set("dev")]
    engine = EntityEngine.from_config()
    return engine.enrich([UniqueArticle(article=article, version=1) for article in stories])


def test_text_is_analysed_as_the_node_analyses_it(es, corpus):
    differ = []
    for story in corpus:
        for text in (story.article.headline, story.article.body_text, *story.article.captions):
            for analyzer, ours in (("english", english), ("standard", standard)):
                theirs = [t["token"] for t in es.indices.analyze(analyzer=analyzer, text=text)["tokens"]]
                if ours(text) != theirs:
                    differ.append((analyzer, text[:60], sorted(set(ours(text)) ^ set(theirs))[:6]))
    assert not differ, differ[:5]


def test_queries_match_the_stories_elasticsearch_finds(es, settings, corpus):
    index = ensure_index(es, settings.elasticsearch.index_alias)
    for story in corpus:
        es.index(index=index, id=story.article.id, document=document(story, nested=False))
    es.indices.refresh(index=index)
    analysed = {story.article.id: Story.of(document(story, nested=False)) for story in corpus}
    differ = {}
    for query in QUERIES:
        found = {hit["_id"] for hit in es.search(index=index, query=elasticsearch_query(query), size=len(corpus),
                                                 _source=False)["hits"]["hits"]}
        ours = {story_id for story_id, story in analysed.items() if matches(compile_query(query), story)}
        if found != ours:
            differ[query] = (sorted(found - ours)[:3], sorted(ours - found)[:3])
    assert not differ, differ
    assert len(QUERIES) >= 45
