"""Identity through the real pipeline: the variants of real stories (page chrome, truncations,
other outlets' copies, updates, a different story reusing paragraphs) in a shuffled order end as
the pure dedup index says they should, and Elasticsearch agrees with `articles.unique` and
`articles.duplicates` on every story's version, copy count and text — also after a kill -9."""

from __future__ import annotations

import random

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

    # What the pure index makes of this order: the pipeline must make the same.
    expected = DedupIndex()
    story_of = [expected.observe(article, now=0, source_offset=n).story_id for n, article in enumerate(articles)]
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
        for topic, value in records:
            story = value["article"]["id"] if topic == topics.unique else value["duplicate_of"]
            copies[story] = max(copies.get(story, 0), value["copies"])
            if topic == topics.unique and value["version"] >= versions.get(story, (0, ""))[0]:
                versions[story] = (value["version"], value["article"]["body_text"])
        wait_until(lambda: {k: (v["version"], v["copies"]) for k, v in documents(es, settings.elasticsearch.index_alias).items()}
                   == {k: (versions[k][0], copies.get(k, 0)) for k in versions}, 180, "the index to agree with dedup")
    finally:
        worker.stop()

    assert set(versions) == set(story_of)  # the same stories as the pure index, no more, no fewer
    indexed = documents(es, settings.elasticsearch.index_alias)
    for story, (version, body) in versions.items():
        assert indexed[story]["body_text"] == body, story  # the text of its latest version
    for (variant, _), story in zip(order, story_of):
        if variant.final:  # ...which is the fullest latest text of its story
            assert identity._contains(indexed[story]["body_text"], parse_wire_text(variant.text, source=variant.source).body_text)
