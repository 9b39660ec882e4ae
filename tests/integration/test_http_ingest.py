"""POSTing articles to the HTTP endpoint lands them on the real Kafka."""

import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer

from pipeline.http_ingest import create_app
from pipeline.producer import ArticleProducer
from tests.integration.conftest import read_topic


def test_post_wire_text_and_bad_json(settings, esper_text):
    async def scenario():
        with ArticleProducer(settings) as producer:
            async with TestClient(TestServer(create_app(settings, producer))) as client:
                good = await client.post("/articles?source=voa", data=esper_text, headers={"Content-Type": "text/plain"})
                bad = await client.post("/articles", data=b'{"headline": ', headers={"Content-Type": "application/json"})
                wrong = await client.post("/articles?format=pdf", data=b"x")
                return (good.status, await good.json()), (bad.status, await bad.json()), wrong.status

    (good_status, good), (bad_status, bad), wrong_status = asyncio.run(scenario())
    assert good_status == 202 and len(good["accepted"]) == 1 and good["rejected"] == []
    assert bad_status == 422 and "not JSON" in bad["rejected"][0]["reason"]
    assert wrong_status == 400
    [(key, article)] = read_topic(settings, settings.topics.raw, expect=1)
    assert key == good["accepted"][0] and article["located"] == "PENTAGON"
    [(_, dead)] = read_topic(settings, settings.topics.dlq, expect=1)
    assert dead["input"] == "http" and json.dumps(dead)
