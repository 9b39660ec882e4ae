"""The main job on the bundled samples: feed stories with copies and an update through a real
worker on the local stack, and show what each stage did, the entities, a search and the alerts."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from kafka import KafkaConsumer
from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.alerts.subscriptions import ALERTS_FILE, load_subscriptions
from pipeline.embedding import load_embedder
from pipeline.ingest import parse_bytes
from pipeline.newsroom import background as newsroom_page
from pipeline.producer import ArticleProducer
from pipeline.retrying import wait_until
from pipeline.search import SearchRequest, search
from pipeline.settings import CONFIG_DIR, Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import alert_topic, ensure_topics
from pipeline.views import print_alert, print_results
from pipeline.worker_processes import WorkerProcess, read_until, wait_caught_up
from schemas import Article
from schemas.alerts import Alert

DEMO_QUERY = "preemptive action Iran"


def run(settings: Settings, samples: Path, console: Console) -> None:
    # Each run has topics of its own, so what it shows is this run's work alone. Stories go to the
    # real `articles` index: ids are stable, so running the demo twice still leaves one of each.
    alias = settings.elasticsearch.index_alias
    prefix = f"demo-{uuid.uuid4().hex[:6]}"
    settings = settings.isolated(prefix)
    settings = settings.model_copy(update={"elasticsearch": settings.elasticsearch.model_copy(update={"index_alias": alias})})
    articles = [
        item for path in sorted(samples.glob("*.txt"))
        for item in parse_bytes(path.name, path.read_bytes(), source="voa", timezone=settings.ingest.wire_timezone)
        if isinstance(item, Article)
    ]
    esper = next(a for a in articles if a.headline.startswith("Esper"))
    update = loadgen.update(esper, "Esper said on Friday the United States would respond to any new attack.")
    feed = [*articles, loadgen.resend(esper), loadgen.syndicate(esper, "metro-herald"), loadgen.truncate(esper), update]
    ensure_topics(settings)
    log = Path(".stack") / f"{settings.faust.app_id}.log"
    subscriptions = load_subscriptions(CONFIG_DIR / ALERTS_FILE)
    console.print(f"[bold]1.[/] starting a worker: dedup, enrichment, index and alerts agents (log: {log}); "
                  f"alert subscriptions from config/alerts.yaml: {', '.join(sub.name for sub in subscriptions)}")
    with WorkerProcess(settings, log) as worker:
        console.print(f"[bold]2.[/] producing {len(articles)} sample stories, 3 copies and 1 update to {settings.topics.raw}")
        with ArticleProducer(settings) as producer:
            for article in feed:
                producer.send(article)
        console.print("[bold]3.[/] waiting for dedup, enrichment and indexing")
        topics = settings.topics

        def through(records: list[tuple[str, dict]]) -> bool:
            seen = _by_topic(records)
            decided = len(seen[topics.unique]) + len(seen[topics.duplicates])
            return decided == len(feed) and len(seen[topics.enriched]) == len(seen[topics.unique])

        records = _by_topic(read_until(settings, [topics.unique, topics.duplicates, topics.enriched], through,
                                       workers=[worker], timeout_s=180))
        client = connect(settings)
        ids = sorted({a.id for a in articles})
        _wait_indexed(client, alias, ids, update.id, worker)
        wait_caught_up(settings, settings.topics.enriched, workers=[worker])  # the alerts agent is a reader
        alerts = _read_alerts(settings)

    unique, copies, enriched = records[topics.unique], records[topics.duplicates], records[topics.enriched]
    table = Table("stage", "topic / index", "events")
    table.add_row("produced", topics.raw, str(len(feed)))
    table.add_row("unique: new stories", topics.unique, str(sum(v["version"] == 1 for v in unique)))
    table.add_row("unique: new versions", topics.unique, str(sum(v["version"] > 1 for v in unique)))
    table.add_row("duplicates caught", topics.duplicates, str(len(copies)))
    table.add_row("enriched", topics.enriched, str(len(enriched)))
    table.add_row("searchable stories", f"{alias} (Elasticsearch)", str(len(ids)))
    console.print(table)
    for copy in copies:
        console.print(f"  copy ({copy['kind']}, similarity {copy['similarity']:.2f}) from {copy['source']}: "
                      f"{copy['headline'][:70]}")
    _print_entities(enriched, console)

    console.print(f"\n[bold]4.[/] wirestream search {DEMO_QUERY!r}")
    print_results(search(client, alias, SearchRequest(DEMO_QUERY, limit=3), load_embedder(settings.search.vectors)), console)
    console.print(f"\n[bold]5.[/] alerts delivered: {len(alerts)}")
    for sub in subscriptions:
        mine = [alert for alert in alerts if alert.subscription == sub.name]
        console.print(f"\n[bold]{sub.name}[/] ({len(mine)} alert{'s' if len(mine) != 1 else ''} on "
                      f"{alert_topic(settings, sub.name)})")
        for alert in mine:
            print_alert(alert, console)
    console.print(
        "\nNext:\n"
        "  wirestream search 'embassy' --place Baghdad     search the stories (add --json for scripts)\n"
        "  wirestream produce PATH | URL | -              feed more stories (run `wirestream worker` to process them)\n"
        "  wirestream worker --restart                    keep a worker running; start more to scale out\n"
        "  wirestream alerts add esper --person Esper     subscribe; then `wirestream alerts tail esper`\n"
        "  wirestream dlq                                 what was refused, and why\n"
        "  wirestream stack down                          stop Kafka, Elasticsearch and the page (data stays in .stack/)"
    )
    try:
        url = newsroom_page.start(settings)
    except (RuntimeError, TimeoutError) as error:
        console.print(f"\n[yellow]The newsroom page did not start:[/] {error}")
        return
    console.print(f"\n[bold]The newsroom page of this demo:[/] {url}  (search, facets, the Esper story's two "
                  f"versions and three copies, the alerts; log in {newsroom_page.LOG_FILE})")


def _print_entities(enriched: list[dict], console: Console) -> None:
    counts: dict[str, Counter[str]] = {"person": Counter(), "organisation": Counter(), "place": Counter()}
    latest = {story["article"]["id"]: story for story in sorted(enriched, key=lambda story: story["version"])}
    for story in latest.values():
        for entity in story["entities"]:
            if entity["type"] in counts:
                counts[entity["type"]][entity["name"]] += 1
    table = Table("people", "organisations", "places", title="top entities (stories mentioning them)")
    columns = [counts[kind].most_common(6) for kind in ("person", "organisation", "place")]
    for row in range(max(len(column) for column in columns)):
        table.add_row(*(f"{c[row][0]} ({c[row][1]})" if row < len(c) else "" for c in columns))
    console.print(table)


def _by_topic(records: list[tuple[str, dict]]) -> defaultdict[str, list[dict]]:
    grouped: defaultdict[str, list[dict]] = defaultdict(list)
    for topic, value in records:
        grouped[topic].append(value)
    return grouped


def _read_alerts(settings: Settings) -> list[Alert]:
    consumer = KafkaConsumer(**settings.kafka.client_config(), auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=3000)
    consumer.subscribe(pattern=f"^{re.escape(settings.topics.alerts)}\\..*")
    try:
        return sorted((Alert.model_validate_json(message.value) for message in consumer), key=lambda a: a.alerted_at)
    finally:
        consumer.close()


def _wait_indexed(client, alias: str, ids: list[str], updated: str, worker: WorkerProcess, timeout_s: float = 60) -> None:
    def indexed() -> bool:
        if not worker.alive():
            raise RuntimeError(f"the worker died; see its log {worker.log}")
        if not client.indices.exists_alias(name=alias):
            return False
        client.indices.refresh(index=alias)
        found = client.mget(index=alias, ids=ids, source_includes=["version"])["docs"]
        return all(doc["found"] for doc in found) and any(d["_id"] == updated and d["_source"]["version"] >= 2 for d in found)

    try:
        wait_until(indexed, timeout_s, "the demo's stories in Elasticsearch")
    except TimeoutError:
        raise RuntimeError(f"stories did not reach Elasticsearch in {timeout_s:.0f} s; see the worker log {worker.log}") from None
