"""The newsroom endpoints' refusals, which need neither Kafka nor Elasticsearch (the page against
the real stack: tests/integration/test_newsroom_page.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pipeline.newsroom import add_newsroom
from pipeline.settings import Settings


def calls(*requests: tuple, token: bytes | None = None) -> list[tuple[int, dict | str]]:
    """(status, body) of each (method, path, keyword arguments) request, on one app."""
    async def run():
        app = web.Application()
        add_newsroom(app, Settings(), token)
        answers = []
        async with TestClient(TestServer(app)) as client:
            for method, path, *kwargs in requests:
                response = await client.request(method, path, **(kwargs[0] if kwargs else {}))
                json_body = response.content_type == "application/json"
                answers.append((response.status, await (response.json() if json_body else response.text())))
        return answers
    return asyncio.run(run())


def test_bad_requests_are_one_line_errors_and_the_page_is_served():
    bad_limit, bad_date, not_json, page, script, style = calls(
        ("GET", "/api/search?q=x&limit=0"), ("GET", "/api/search?since=yesterday"),
        ("PUT", "/api/subscriptions/esper", {"data": b"[1, 2]"}), ("GET", "/"), ("GET", "/static/app.js"),
        ("GET", "/static/style.css"))
    assert bad_limit == (400, {"error": "limit must be between 1 and 100"})
    assert bad_date == (400, {"error": "not a date: 'yesterday' (YYYY-MM-DD)"})
    assert not_json == (400, {"error": "the body must be a JSON object"})
    assert page[0] == 200 and '<form id="search" role="search"' in page[1] and "/static/app.js" in page[1]
    assert script[0] == style[0] == 200


def test_changing_subscriptions_needs_the_token_when_the_server_has_one():
    put, delete = calls(("PUT", "/api/subscriptions/esper", {"json": {"any_entities": ["person:Esper"]}}),
                        ("DELETE", "/api/subscriptions/esper", {"headers": {"Authorization": "Bearer nope"}}),
                        token=b"s3cret")
    assert put == delete == (401, {"error": "missing or wrong bearer token"})


def test_the_kibana_link_opens_the_story_in_discover():
    from pipeline.newsroom.api import Newsroom
    from pipeline.settings import NewsroomSettings

    settings = Settings().model_copy(update={"newsroom": NewsroomSettings(kibana_url="http://127.0.0.1:5601/")})
    link = Newsroom(settings, None)._kibana_link("voa-123")
    assert link == "http://127.0.0.1:5601/app/discover#/?_a=(query:(language:kuery,query:'_id%3A%22voa-123%22'))"
    assert Newsroom(Settings(), None)._kibana_link("voa-123") is None
