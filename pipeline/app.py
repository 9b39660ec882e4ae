"""The Faust application: one app, its agents registered by each stage's module."""

from __future__ import annotations

import faust

from pipeline.settings import Settings


def create_app(settings: Settings) -> faust.App:
    """The app with every stage's agents; `wirestream worker` runs it."""
    from pipeline.agents import dedup

    app = faust.App(
        settings.faust.app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        # Table state lives in changelog topics; a restarted worker rebuilds it from them.
        store="memory://",
        # Topics are created by pipeline.topics (see there why Faust must not declare them).
        topic_allow_declare=False,
        topic_disable_leader=False,
        producer_acks=-1,
        # A crashed worker's partitions move to the others after this long, not Kafka's 45 s.
        broker_session_timeout=10,
        broker_heartbeat_interval=2,
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    dedup.register(app, settings)
    return app
