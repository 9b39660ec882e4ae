"""An HTTP endpoint for newsroom tools: POST an article, get its id back (aiohttp).

    POST /articles[?format=wire|ninjs|jsonl|feed&source=NAME]   body: the article(s)
    -> 202 {"accepted": [ids], "rejected": [{"input", "reason", "field"}]}
    -> 422 when nothing in the body could be accepted (the reasons are in the body too)
"""

from __future__ import annotations

from aiohttp import web

from pipeline.ingest import FORMATS, Rejected, parse_bytes
from pipeline.producer import ArticleProducer
from pipeline.settings import Settings

_CONTENT_TYPES = {"application/json": "ninjs", "application/x-ndjson": "jsonl", "application/rss+xml": "feed",
                  "application/atom+xml": "feed", "text/plain": "wire"}


def create_app(settings: Settings, producer: ArticleProducer) -> web.Application:
    async def post_article(request: web.Request) -> web.Response:
        fmt = request.query.get("format") or _CONTENT_TYPES.get(request.content_type)
        if fmt is not None and fmt not in FORMATS:
            return web.json_response({"error": f"format must be one of {', '.join(FORMATS)}"}, status=400)
        limit = settings.ingest.max_article_bytes
        if request.content_length is not None and request.content_length > limit:
            return web.json_response({"error": f"too large: the limit is {limit:,} bytes"}, status=413)
        raw = await request.read()
        accepted, rejected = [], []
        for item in parse_bytes("http", raw, fmt=fmt, source=request.query.get("source") or settings.ingest.default_source,
                                timezone=settings.ingest.wire_timezone, max_bytes=limit):
            producer.send(item)
            if isinstance(item, Rejected):
                rejected.append({"input": item.input, "reason": item.reason, "field": item.field})
            else:
                accepted.append(item.id)
        producer.flush(30)
        return web.json_response({"accepted": accepted, "rejected": rejected}, status=202 if accepted else 422)

    app = web.Application(client_max_size=settings.ingest.max_article_bytes + 1)
    app.router.add_post("/articles", post_article)
    return app
