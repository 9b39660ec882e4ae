"""POSTing articles to the HTTP endpoint lands them on the real Kafka; nothing is answered "accepted"
that is not on its topic."""

import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from pipeline.http_ingest import create_app
from pipeline.ingest import parse_bytes
from pipeline.producer import ArticleProducer
from tests.integration.conftest import read_topic

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _with_token(settings):
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"token": SecretStr(TOKEN)})})


def _post_all(settings, requests):
    async def scenario():
        with ArticleProducer(settings) as producer:
            async with TestClient(TestServer(create_app(settings, producer))) as client:
                answers = []
                for path, body, headers in requests:
                    response = await client.post(path, data=body, headers=headers)
                    answers.append((response.status, await response.json()))
                health = await client.get("/healthz")  # neither probe needs the token
                metrics = await client.get("/metrics")
                answers.append((health.status, metrics.status, await metrics.text()))
                return answers

    return asyncio.run(scenario())


def test_post_wire_text_and_bad_json(settings, esper_text):
    settings = _with_token(settings)
    (good_status, good), (bad_status, bad), (wrong_status, _), (anonymous_status, anonymous), probes = _post_all(settings, [
        ("/articles?source=voa", esper_text, {"Content-Type": "text/plain", **AUTH}),
        ("/articles", b'{"headline": ', {"Content-Type": "application/json", **AUTH}),
        ("/articles?format=pdf", b"x", AUTH),
        ("/articles", esper_text, {"Content-Type": "text/plain"}),  # no token
    ])
    assert good_status == 202 and len(good["accepted"]) == 1 and good["rejected"] == []
    assert bad_status == 422 and "not JSON" in bad["rejected"][0]["reason"]
    assert wrong_status == 400
    assert anonymous_status == 401 and "token" in anonymous["error"]
    health, metrics_status, metrics = probes
    assert health == metrics_status == 200
    for line in ('wirestream_ingest_requests_total{status="202"} 1.0', 'wirestream_ingest_requests_total{status="401"} 1.0',
                 'wirestream_ingest_items_total{outcome="accepted"} 1.0',
                 'wirestream_ingest_items_total{outcome="dead_lettered"} 1.0'):
        assert line in metrics, line
    [(key, article)] = read_topic(settings, settings.topics.raw, expect=1)
    assert key == good["accepted"][0] and article["located"] == "PENTAGON"
    [(_, dead)] = read_topic(settings, settings.topics.dlq, expect=1)
    assert dead["input"] == "http" and json.dumps(dead)


def test_an_article_the_broker_refuses_is_a_dead_letter_not_accepted(small_raw_topic):
    """The raw topic takes 100 KB records here: a 300 KB story passes the parser, the broker refuses it,
    and both `serve` and `produce`'s delivery put it on the dead-letter topic with the broker's reason."""
    small = _with_token(small_raw_topic)
    big = " date 2020-01-02 USA\n\nA Story Too Big for Its Topic\n\n" + "A long paragraph of the story. " * 10_000
    [(status, answer), (_, _, metrics)] = _post_all(small, [("/articles?source=voa", big, {"Content-Type": "text/plain", **AUTH})])
    assert 'wirestream_ingest_items_total{outcome="dead_lettered"} 1.0' in metrics
    assert status == 422 and answer["accepted"] == [], answer
    assert "not delivered to" in answer["rejected"][0]["reason"] and "MessageSizeTooLarge" in answer["rejected"][0]["reason"]

    with ArticleProducer(small) as producer:
        [delivery] = producer.deliver(parse_bytes("big.txt", big.encode(), source="voa"))
    assert not delivery.sent and delivery.dead_lettered and "MessageSizeTooLarge" in delivery.reason

    letters = read_topic(small, small.topics.dlq, expect=2)
    assert all("not delivered to" in letter["reason"] for _, letter in letters)
    assert read_topic(small, small.topics.raw, timeout_s=3) == []
