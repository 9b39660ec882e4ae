"""An HTTP endpoint for newsroom tools: POST an article, get its id back (aiohttp).

    POST /articles[?format=wire|ninjs|jsonl|feed&source=NAME]   body: the article(s)
    Authorization: Bearer <ingest.token>
    -> 202 {"accepted": [ids], "rejected": [{"input", "reason", "field"}]}
    -> 422 when nothing in the body could be accepted (the reasons are in the body too)
    -> 401 without the token; 408 when the body does not arrive in time; 413 when it is too large
    -> 503 {"error", "accepted", "rejected", "lost"} when an item reached neither topic in time
    GET /healthz -> 200 {"ok": true}; GET /metrics -> Prometheus text: requests by status, items
    by outcome (accepted, dead_lettered, lost). Neither needs the token.

Parsing and the producer's blocking calls run on worker threads, under a deadline, so one large
or slow request never holds up the others.
"""

from __future__ import annotations

import asyncio
import hmac
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from pipeline.ingest import FORMATS, Rejected, parse_bytes
from pipeline.producer import ArticleProducer, Delivery
from pipeline.settings import Settings

_CONTENT_TYPES = {"application/json": "ninjs", "application/x-ndjson": "jsonl", "application/rss+xml": "feed",
                  "application/atom+xml": "feed", "text/plain": "wire"}


def create_app(settings: Settings, producer: ArticleProducer, newsroom: bool = True) -> web.Application:
    """The app; it requires `settings.ingest.token` as a bearer token when one is set. With
    `newsroom`, the newsroom page and its endpoints too (`pipeline.newsroom`)."""
    ingest = settings.ingest
    token = ingest.token.get_secret_value().encode() if ingest.token else None
    executor = ThreadPoolExecutor(max_workers=ingest.http_threads, thread_name_prefix="ingest")
    registry = CollectorRegistry()
    requests = Counter("wirestream_ingest_requests", "POST /articles requests, by response status.",
                       ["status"], registry=registry)
    items = Counter("wirestream_ingest_items", "Items of the bodies posted, by what became of them.",
                    ["outcome"], registry=registry)

    def parse_and_deliver(raw: bytes, fmt: str | None, source: str) -> list[Delivery]:
        items = parse_bytes("http", raw, fmt=fmt, source=source, timezone=ingest.wire_timezone,
                            max_bytes=ingest.max_article_bytes)
        return producer.deliver(items, timeout=ingest.request_deadline_s)

    async def post_article(request: web.Request) -> web.Response:
        if token is not None and not bearer_matches(request, token):
            return web.json_response({"error": "missing or wrong bearer token"}, status=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        fmt = request.query.get("format") or _CONTENT_TYPES.get(request.content_type)
        if fmt is not None and fmt not in FORMATS:
            return web.json_response({"error": f"format must be one of {', '.join(FORMATS)}"}, status=400)
        limit = ingest.max_article_bytes
        if request.content_length is not None and request.content_length > limit:
            return web.json_response({"error": f"too large: the limit is {limit:,} bytes"}, status=413)
        try:
            raw = await asyncio.wait_for(request.read(), ingest.read_timeout_s)
        except asyncio.TimeoutError:
            return web.json_response({"error": f"the body did not arrive within {ingest.read_timeout_s:g} s"}, status=408)
        source = request.query.get("source") or ingest.default_source
        work = asyncio.get_running_loop().run_in_executor(executor, parse_and_deliver, raw, fmt, source)
        try:
            deliveries = await asyncio.wait_for(asyncio.shield(work), ingest.request_deadline_s)
        except asyncio.TimeoutError:
            return web.json_response({"error": f"not parsed and delivered within {ingest.request_deadline_s:g} s; "
                                               "what was parsed may still arrive: send it again to be sure"}, status=503)
        accepted = [d.label for d in deliveries if d.sent]
        rejected = [_refusal(d) for d in deliveries if d.dead_lettered]
        lost = [_refusal(d) for d in deliveries if not d.sent and not d.dead_lettered]
        for outcome, found in (("accepted", accepted), ("dead_lettered", rejected), ("lost", lost)):
            items.labels(outcome).inc(len(found))
        if lost:
            return web.json_response({"error": "some items reached neither the articles nor the dead-letter topic",
                                      "accepted": accepted, "rejected": rejected, "lost": lost}, status=503)
        return web.json_response({"accepted": accepted, "rejected": rejected}, status=202 if accepted else 422)

    @web.middleware
    async def count(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        if request.path == "/articles":
            requests.labels(str(response.status)).inc()
        return response

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def stop_threads(app: web.Application) -> None:
        executor.shutdown(wait=True)

    app = web.Application(client_max_size=ingest.max_article_bytes + 1, middlewares=[count])
    app.router.add_post("/articles", post_article)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.on_cleanup.append(stop_threads)
    if newsroom:
        from pipeline.newsroom import add_newsroom  # it uses `bearer_matches` from here

        add_newsroom(app, settings, token)
    return app


def bearer_matches(request: web.Request, token: bytes) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token)


def _refusal(delivery: Delivery) -> dict[str, str | None]:
    field = delivery.item.field if isinstance(delivery.item, Rejected) else None
    return {"input": delivery.label, "reason": delivery.reason, "field": field}
