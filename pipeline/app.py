"""The Faust application: one app, its agents registered by each stage's module."""

from __future__ import annotations

import faust

from pipeline.enrich import EntityEngine
from pipeline.settings import REPO_ROOT, Settings


def create_app(settings: Settings, engine: EntityEngine | None = None) -> faust.App:
    """The app with every stage's agents; `wirestream worker` runs it.

    `engine` defaults to the entity engine with the gazetteer in `config/`, read now: a worker
    picks up gazetteer changes when it restarts.
    """
    from pipeline.agents import alerts, dedup, enrich, index, watchdog

    datadir = REPO_ROOT / ".stack" / "faust" / settings.faust.app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.faust.app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        # Table state lives in changelog topics; a restarted worker rebuilds it from them.
        store="memory://",
        # Faust's own files (none with the memory store, but it still wants a folder).
        datadir=str(datadir),
        # Topics are created by pipeline.topics (see there why Faust must not declare them).
        topic_allow_declare=False,
        topic_disable_leader=False,
        producer_acks=-1,
        # Articles may be up to ingest.max_article_bytes (2 MB) and grow when enriched; the broker takes 4 MiB.
        producer_max_request_size=4 * 1024 * 1024,
        # A crashed worker's partitions move to the others after this long, not Kafka's 45 s.
        broker_session_timeout=10,
        broker_heartbeat_interval=2,
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    dedup.register(app, settings)
    enrich.register(app, settings, engine or EntityEngine.from_config())
    index.register(app, settings)
    alerts.register(app, settings)
    watchdog.register(app, settings)
    return app
