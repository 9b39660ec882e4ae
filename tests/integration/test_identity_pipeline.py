"""Identity through the real pipeline: the variants of real stories (page chrome, truncations,
other outlets' copies, updates, a different story reusing paragraphs) in a shuffled order end as
the pure dedup index says they should, and Elasticsearch agrees with `articles.unique` and
`articles.duplicates` on every story's version, copy count and text — also after a kill -9."""

from __future__ import annotations

import random

import pytest

from pipeline.bench import identity
from pipeline.dedup import DedupIndex
from pipeline.ingest.wiretext import parse_wire_text
from tests.integration.conftest import documents, wait_until
from tests.integration.workers import WorkerProcess, drain, produce


def test_the_index_agrees_with_dedup_on_every_story(settings, es, samples_dir, tmp_path):
    stories = identity.load_wire(sorted(samples_dir.glob("*.txt")))
    labelled = identity.variants(stories[:4], [article for _, article in stories[4:]])
    order = [(variant, parse_wire_text(variant.text, source=variant.source)) for variant in labelled]
    random.Random(3).shuffle(order)
    articles = [article for _, article in order]

    # What the pure index makes of this order (stories merged into others counted as those): the
    # pipeline must make the same.
    expected, merged_into, story_of = DedupIndex(), {}, []
    for n, article in enumerate(articles):
        decision = expected.observe(article, now=0, source_offset=n)
        merged_into.update({retired: decision.story_id for retired, _ in decision.absorbed})
        story_of.append(decision.story_id)
    story_of = [identity.resolve(story, merged_into) for story in story_of]
    assert identity.score_order(order).precision == 1.0

    topics = settings.topics
    half = len(articles) // 2
    arrived = lambda wanted: lambda records: wanted <= {  # noqa: E731
        value.get("article_id") or value["article"]["id"] if topic == topics.unique else value["id"]
        for topic, value in records}
    worker = WorkerProcess(settings, tmp_path / "worker-1.log")
    try:
        produce(settings, articles[:half])
        drain(settings, [topics.unique, topics.duplicates], arrived({a.id for a in articles[:half]}))
    finally:
        worker.kill()  # kill -9 in the middle: whatever was not committed is read again
    worker = WorkerProcess(settings, tmp_path / "worker-2.log")
    try:
        produce(settings, articles[half:])
        records = drain(settings, [topics.unique, topics.duplicates], arrived({a.id for a in articles}))
        versions: dict[str, tuple[int, str]] = {}
        copies: dict[str, int] = {}
        retired = {value["id"] for topic, value in records if topic == topics.duplicates and value["kind"] == "merged"}
        for topic, value in records:
            story = value["article"]["id"] if topic == topics.unique else value["duplicate_of"]
            copies[story] = max(copies.get(story, 0), value["copies"])
            if topic == topics.unique and value["version"] >= versions.get(story, (0, ""))[0]:
                versions[story] = (value["version"], value["article"]["body_text"])
        for story in retired:
            versions.pop(story, None)
            copies.pop(story, None)
        wanted = {story: (version, copies.get(story, 0)) for story, (version, _) in versions.items()}
        indexed = lambda: {k: (v["version"], v["copies"])  # noqa: E731
                           for k, v in documents(es, settings.elasticsearch.index_alias).items()}
        try:
            wait_until(lambda: indexed() == wanted, 180, "the index to agree with dedup")
        except pytest.fail.Exception:
            assert indexed() == wanted  # says where they differ
    finally:
        worker.stop()

    assert set(versions) == set(story_of)  # the same stories as the pure index, no more, no fewer
    indexed = documents(es, settings.elasticsearch.index_alias)
    for story, (version, body) in versions.items():
        assert indexed[story]["body_text"] == body, story  # the text of its latest version
    for (variant, _), story in zip(order, story_of):
        if variant.final:  # ...which is the fullest latest text of its story
            assert identity.shows(indexed[story]["body_text"], parse_wire_text(variant.text, source=variant.source).body_text)
