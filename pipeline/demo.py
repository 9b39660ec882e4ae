"""The main job on the bundled samples: feed stories with copies and an update through a real
worker on the local stack, and show what each stage did."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.ingest import parse_bytes
from pipeline.producer import ArticleProducer
from pipeline.settings import Settings
from pipeline.workers import WorkerProcess
from pipeline.topics import ensure_topics
from schemas import Article


def run(settings: Settings, samples: Path, console: Console) -> None:
    run_id = uuid.uuid4().hex[:6]
    # Each demo run has topics of its own, so what it shows is this run's work alone.
    settings = settings.isolated(f"demo-{run_id}")
    stories = [
        item for path in sorted(samples.glob("*.txt"))
        for item in parse_bytes(path.name, path.read_bytes(), source="voa", timezone=settings.ingest.wire_timezone)
    ]
    articles = [a for a in stories if isinstance(a, Article)]
    esper = next(a for a in articles if a.headline.startswith("Esper"))
    feed = [
        *articles,
        loadgen.resend(esper),
        loadgen.syndicate(esper, "metro-herald"),
        loadgen.truncate(esper),
        loadgen.update(esper, "Esper said on Friday the United States would respond to any new attack."),
    ]
    ensure_topics(settings)
    log = Path(".stack") / f"{settings.faust.app_id}.log"
    console.print(f"[bold]1.[/] starting a worker (log: {log})")
    worker = WorkerProcess(settings, log)
    try:
        console.print(f"[bold]2.[/] producing {len(articles)} sample stories, 3 copies and 1 update to {settings.topics.raw}")
        started = time.time()
        with ArticleProducer(settings) as producer:
            for article in feed:
                producer.send(article)
        console.print("[bold]3.[/] waiting for the dedup stage")
        records = _collect(settings, expect=len(feed), since_ms=int(started * 1000) - 1000)
    finally:
        worker.stop()

    unique = [v for t, v in records if t == settings.topics.unique]
    copies = [v for t, v in records if t == settings.topics.duplicates]
    table = Table("stage", "topic", "events")
    table.add_row("produced", settings.topics.raw, str(len(feed)))
    table.add_row("unique (new stories)", settings.topics.unique, str(sum(v["version"] == 1 for v in unique)))
    table.add_row("unique (new versions)", settings.topics.unique, str(sum(v["version"] > 1 for v in unique)))
    table.add_row("duplicates", settings.topics.duplicates, str(len(copies)))
    console.print(table)
    kinds = Counter(v["kind"] for v in copies)
    for copy in copies:
        console.print(f"  copy ({copy['kind']}, similarity {copy['similarity']:.2f}) from {copy['source']}: {copy['headline'][:70]}")
    console.print(f"duplicates by kind: {dict(kinds)}")
    console.print(
        "\nNext: `wirestream produce PATH` to feed more, `wirestream worker` to keep a worker running, "
        "`wirestream stack down` to stop Kafka and Elasticsearch.\n"
        "Enrichment, indexing, search and alerts are the next stages to be built (issues 5-7)."
    )


def _collect(settings: Settings, expect: int, since_ms: int, timeout_s: float = 120) -> list[tuple[str, dict]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False,
                             consumer_timeout_ms=1000)
    topics = [settings.topics.unique, settings.topics.duplicates]
    partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
    consumer.assign(partitions)
    for tp, found in consumer.offsets_for_times({tp: since_ms for tp in partitions}).items():
        if found is None:
            consumer.seek_to_end(tp)
        else:
            consumer.seek(tp, found.offset)
    records: list[tuple[str, dict]] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < expect and time.monotonic() < deadline:
        for message in consumer:
            records.append((message.topic, json.loads(message.value)))
    consumer.close()
    return records
