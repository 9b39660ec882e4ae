"""The Faust application: one app, its agents registered by each stage's module."""

from __future__ import annotations

import faust
from faust.worker import Worker

from pipeline.health import WorkerHealth, serve
from pipeline.logs import json_logging
from pipeline.settings import REPO_ROOT, KafkaSettings, Settings
from pipeline.status import lag_reader


def create_app(settings: Settings, health: WorkerHealth | None = None) -> faust.App:
    """The app with every stage's agents; `wirestream worker` runs it. With `health`, the stages'
    counters, the partitions held, the stalls and the loop's ticks are reported there.

    The entity engine (in a process of its own) reads the gazetteer in `config/` when the worker
    starts: a worker picks up gazetteer changes when it restarts.
    """
    from pipeline.agents import alerts, dedup, enrich, exits, index, watchdog
    from pipeline.agents.transport import Transport
    from pipeline.enrich.model_process import ModelProcess

    datadir = (settings.faust.data_dir or REPO_ROOT / ".stack" / "faust") / settings.faust.app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.faust.app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        broker_credentials=broker_credentials(settings.kafka),
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
        # At a rebalance or a stop, do not wait for the events in flight to be acked: an event can
        # sit in an agent's buffer that Faust suspended, and the rebalance then never ends (seen in
        # the kill -9 test). Unacked events are read again by the partition's next owner.
        stream_wait_empty=False,
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    # Before anything asks for the consumer: see pipeline/agents/transport.py for the fix it carries.
    app.transport = Transport(app.conf.broker_consumer, app, loop=app.loop)
    health = health or WorkerHealth()
    model = ModelProcess(vectors=settings.search.vectors)
    health.counters.update(dedup=dedup.register(app, settings), enrich=enrich.register(app, settings, model),
                           index=index.register(app, settings), alerts=alerts.register(app, settings))
    exits.before_exit.append(model.close)
    watchdog.register(app, settings, health=health)

    @app.timer(1.0)
    async def tick() -> None:
        health.tick(len(app.consumer.assignment()))

    return app


def create_worker(settings: Settings, loglevel: str = "warning", log_format: str = "text",
                  http: tuple[str, int] | None = None) -> Worker:
    """A Faust worker for the app, logging at `loglevel`, as text or JSON lines (`log_format`), with
    its health and metrics served on `http` (host, port) when given (`pipeline.health`).

    Without Faust's terminal spinner: to spin on every log line, Faust sets the root logger to
    DEBUG, so every debug line of aiokafka, Faust and urllib3 is built and then dropped (py-spy
    found 8 % of a busy worker's samples there).
    """
    health = WorkerHealth(lag=lag_reader(settings))
    if http:
        serve(health, *http)
    app = create_app(settings, health)
    if log_format == "json":  # no banner either: every line on stdout is one JSON event
        worker = Worker(app, loglevel=loglevel, logging_config=json_logging(loglevel), quiet=True)
    else:
        worker = Worker(app, loglevel=loglevel)
    worker.spinner = None
    return worker


def broker_credentials(kafka: KafkaSettings) -> faust.types.auth.CredentialsT | None:
    """Faust's form of the Kafka security settings (the kafka-python clients use
    `KafkaSettings.client_config`)."""
    context = kafka.ssl_context()
    if kafka.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(username=kafka.sasl_username, password=kafka.sasl_password.get_secret_value(),
                                     mechanism=kafka.sasl_mechanism, ssl_context=context)
    return faust.SSLCredentials(context) if context else None
