"""The newsroom page's endpoints, added to `wirestream serve`'s aiohttp app:

    GET    /                          the page (static/index.html)
    GET    /static/{file}             its script and style
    GET    /api/search?q=&person=&organisation=&place=&section=&source=&since=&until=&limit=
                                      results, facets and total (`pipeline.search`, hybrid as in the CLI)
    GET    /api/stories/{id}          one story: text, entities (places with coordinates), its versions
                                      (what each changed) and its copies (outlet, kind)
    GET    /api/subscriptions         every subscription
    PUT    /api/subscriptions/{name}  add or replace one (the CLI's validation; 422 with its one-line error)
    DELETE /api/subscriptions/{name}  remove one
    GET    /api/alerts                alerts as they are published (server-sent events)
    GET    /api/dead-letters          counts by stage and reason, and the newest letters

Reading needs no token; changing subscriptions needs the ingest token when one is set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from elasticsearch import NotFoundError, TransportError
from kafka.errors import KafkaError

from pipeline.alerts.commands import checked
from pipeline.alerts.store import SubscriptionStore
from pipeline.alerts.subscriptions import SubscriptionError, parse_subscription
from pipeline.dlq import read_dead_letters
from pipeline.embedding import load_embedder
from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.http_ingest import bearer_matches
from pipeline.newsroom.live import AlertFeed
from pipeline.search import QueryError, SearchRequest, is_hybrid, query_entities, search
from pipeline.settings import CONFIG_DIR, Settings
from pipeline.sinks import history
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import TopicError
from schemas import EntityType

STATIC = Path(__file__).parent / "static"
MAX_LIMIT = 100
#: What a story view leaves out of the document: the vector, and fields the page repeats otherwise.
_STORY_EXCLUDES = ["embedding", "people", "organisations", "places", "groups", "locations", "country_codes"]


def add_newsroom(app: web.Application, settings: Settings, token: bytes | None) -> None:
    """Add the page and its endpoints to `app`."""
    page = Newsroom(settings, token)
    app.router.add_get("/", page.index)
    app.router.add_static("/static/", STATIC, append_version=True)
    app.router.add_get("/api/search", page.search)
    app.router.add_get("/api/stories/{id}", page.story)
    app.router.add_get("/api/subscriptions", page.subscriptions)
    app.router.add_put("/api/subscriptions/{name}", page.put_subscription)
    app.router.add_delete("/api/subscriptions/{name}", page.delete_subscription)
    app.router.add_get("/api/alerts", page.alerts)
    app.router.add_get("/api/dead-letters", page.dead_letters)
    app.on_cleanup.append(page.stop)


class Newsroom:
    def __init__(self, settings: Settings, token: bytes | None) -> None:
        self.settings = settings
        self.token = token
        self.alias = settings.elasticsearch.index_alias
        self.client = connect(settings)
        self.gazetteer = load_gazetteer(gazetteer_files(CONFIG_DIR))
        self.embedder = None  # loaded on the first plain query (a second or two)
        self.feed = AlertFeed(settings)
        self.store = SubscriptionStore(settings)
        self._threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="newsroom")

    async def stop(self, app: web.Application) -> None:
        self.feed.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _blocking(self, call, *args) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, call, *args)

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def search(self, request: web.Request) -> web.Response:
        try:
            search_request = self._search_request(request.query)
        except ValueError as error:
            return _error(400, str(error))
        try:
            result = await self._blocking(self._search, search_request)
        except QueryError as error:
            return _error(400, f"malformed query: {error}")
        except NotFoundError:
            return _error(404, f"no index {self.alias!r} yet: start `wirestream worker` and feed stories")
        except TransportError as error:
            return _error(503, f"cannot reach Elasticsearch at {self.settings.elasticsearch.url}: {type(error).__name__}")
        return web.json_response(dataclasses.asdict(result))

    def _search(self, search_request: SearchRequest):
        if self.embedder is None and self.settings.search.vectors and is_hybrid(search_request):
            self.embedder = load_embedder(True)
        return search(self.client, self.alias, search_request, self.embedder)

    def _search_request(self, query) -> SearchRequest:
        def names(key: str, kind: EntityType) -> list[str]:
            return [self.gazetteer.canonical(kind, name) for name in query.getall(key, []) if name.strip()]

        text = query.get("q", "")
        limit = int(query.get("limit", "20"))
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        return SearchRequest(text, names("person", EntityType.PERSON), names("organisation", EntityType.ORGANISATION),
                             names("place", EntityType.PLACE), section=query.get("section") or None,
                             source=query.get("source") or None, since=_date(query.get("since")),
                             until=_date(query.get("until"), end_of_day=True), limit=limit,
                             mentioned=query_entities(text, self.gazetteer))

    async def story(self, request: web.Request) -> web.Response:
        story_id = request.match_info["id"]
        try:
            found = await self._blocking(lambda: self.client.get(index=self.alias, id=story_id,
                                                                 source_excludes=_STORY_EXCLUDES))
            versions, copies = await asyncio.gather(
                self._blocking(self._history, "history", story_id, "version", "desc"),
                self._blocking(self._history, "copies", story_id, "received_at", "asc"))
        except NotFoundError:
            return _error(404, f"no story {story_id!r}")
        except TransportError as error:
            return _error(503, f"cannot reach Elasticsearch: {type(error).__name__}")
        return web.json_response({"id": found["_id"], **found["_source"], "versions": versions, "copies_seen": copies,
                                  "kibana": self._kibana_link(found["_id"])})

    def _kibana_link(self, story_id: str) -> str | None:
        """The story in Kibana's Discover, in the data view of `config/kibana/`."""
        base = self.settings.newsroom.kibana_url
        if not base:
            return None
        query = quote(f"_id:\"{story_id}\"", safe="")
        return f"{base.rstrip('/')}/app/discover#/?_a=(query:(language:kuery,query:'{query}'))"

    def _history(self, kind: str, story_id: str, order: str, direction: str) -> list[dict]:
        """The story's documents in one of its history indices (`pipeline.sinks.history`)."""
        response = self.client.search(index=history.index_name(self.alias, kind), ignore_unavailable=True,
                                      query={"term": {"story_id": story_id}}, sort=[{order: direction}], size=100)
        return [hit["_source"] for hit in response["hits"]["hits"]]

    async def subscriptions(self, request: web.Request) -> web.Response:
        try:
            found = await self._blocking(self.store.load)
        except (KafkaError, TimeoutError) as error:
            return _error(503, self.settings.kafka.unreachable(error, "read subscriptions from Kafka"))
        return web.json_response([sub.model_dump(mode="json") for sub in sorted(found.values(), key=lambda s: s.name)])

    async def put_subscription(self, request: web.Request) -> web.Response:
        if refused := self._unauthorised(request):
            return refused
        try:
            data = await request.json()
        except ValueError:
            return _error(400, "the body must be a JSON object")
        if not isinstance(data, dict):
            return _error(400, "the body must be a JSON object")
        data["name"] = request.match_info["name"]
        try:
            [subscription] = await self._blocking(checked, [parse_subscription(data)])
            await self._blocking(self.store.put, subscription)
        except (SubscriptionError, TopicError) as error:
            return _error(422, str(error))
        except KafkaError as error:
            return _error(503, self.settings.kafka.unreachable(error))
        return web.json_response(subscription.model_dump(mode="json"), status=201)

    async def delete_subscription(self, request: web.Request) -> web.Response:
        if refused := self._unauthorised(request):
            return refused
        name = request.match_info["name"]
        try:
            removed = await self._blocking(self.store.remove, name)
        except KafkaError as error:
            return _error(503, self.settings.kafka.unreachable(error))
        return web.json_response({"removed": name}) if removed else _error(404, f"no subscription {name!r}")

    async def alerts(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        if not self.feed.started:  # the first page to ask: follow the alert topics from now on
            self.feed.start(asyncio.get_running_loop())
        queue = self.feed.listen()
        try:
            await response.write(b": following the alert topics\n\n")
            while True:
                try:
                    alert = await asyncio.wait_for(queue.get(), 15)
                except asyncio.TimeoutError:
                    await response.write(b": still here\n\n")  # keeps proxies from closing an idle stream
                    continue
                await response.write(f"event: alert\ndata: {json.dumps(alert)}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.feed.leave(queue)
        return response

    async def dead_letters(self, request: web.Request) -> web.Response:
        try:
            found = await self._blocking(read_dead_letters, self.settings, 10)
        except LookupError:
            return web.json_response({"by_reason": [], "newest": []})
        except (KafkaError, TimeoutError) as error:
            return _error(503, self.settings.kafka.unreachable(error, "read the dead-letter topics from Kafka"))
        newest = [{"position": item.position, "stage": item.letter.stage, "reason": item.letter.reason,
                   "input": item.letter.input} for item in reversed(found.letters[-20:])]
        return web.json_response({"by_reason": [{"stage": stage, "reason": reason, "count": count}
                                                for (stage, reason), count in found.by_reason()],
                                  "newest": newest})

    def _unauthorised(self, request: web.Request) -> web.Response | None:
        if self.token is None or bearer_matches(request, self.token):
            return None
        return _error(401, "missing or wrong bearer token")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": " ".join(message.split())}, status=status)


def _date(text: str | None, end_of_day: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (YYYY-MM-DD)") from None
    if end_of_day and len(text) == 10:
        day = day.replace(hour=23, minute=59, second=59)
    return day if day.tzinfo else day.replace(tzinfo=timezone.utc)
