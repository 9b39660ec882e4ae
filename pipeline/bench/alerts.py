"""The alerts benchmark: matching throughput with 1,000 subscriptions (query subscriptions matched
in process, next to one Elasticsearch search per query subscription and story), and the latency
from a story produced to its alert on the topic at a steady rate, through a real worker."""

from __future__ import annotations

import json
import random
import re
import statistics
import time
import uuid
from pathlib import Path

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.agents.alerts import BATCH_SIZE
from pipeline.alerts import Matcher
from pipeline.alerts.queries import QueryMatcher, elasticsearch_query
from pipeline.alerts.store import SubscriptionStore
from pipeline.bench.common import delete_topics, load_samples
from pipeline.enrich import EntityEngine
from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.settings import CONFIG_DIR, REPO_ROOT, Settings
from pipeline.sinks.documents import document
from pipeline.sinks.elasticsearch import TEMPLATE_FILE, connect
from pipeline.topics import alert_topic, ensure_topics
from pipeline.worker_processes import WorkerProcess
from schemas import EnrichedArticle, UniqueArticle
from schemas.alerts import Subscription

LATENCY_TARGET_S = 1.0


def subscriptions(stories: list[EnrichedArticle], count: int, seed: int = 11) -> list[Subscription]:
    """`count` subscriptions like a newsroom's, most of which a given story does not match: entities
    (one in fifty known, the rest never seen), all-of pairs, two-word phrases, queries, and one that
    every story matches by a phrase and one by a query, so every story has alerts to time."""
    rng = random.Random(seed)
    known = sorted({(e.type.value, e.name) for story in stories for e in story.entities})
    known += [(e.type.value, e.name) for e in load_gazetteer(gazetteer_files(CONFIG_DIR)).entities]
    vocabulary = sorted({w.lower() for s in stories for w in re.findall(r"[A-Za-z]{5,}", s.article.body_text)})

    def entity(i: int) -> str:
        kind, name = rng.choice(known) if rng.random() < 0.02 else (rng.choice(["person", "organisation", "place"]), f"Unseen {i}")
        return f"{kind}:{name}"

    subs = [Subscription(name="every-story", phrases=["the"]), Subscription(name="every-story-query", query="source:voa")]
    for i in range(count - len(subs)):
        kind = i % 10
        if kind < 5:
            subs.append(Subscription(name=f"entity-{i}", any_entities=[entity(i), entity(i + count)]))
        elif kind == 5:
            subs.append(Subscription(name=f"all-{i}", all_entities=[entity(i), entity(i + count)]))
        elif kind < 8:
            subs.append(Subscription(name=f"phrase-{i}", phrases=[" ".join(rng.sample(vocabulary, 2))]))
        elif kind == 8:
            first, second = rng.sample(vocabulary, 2)
            subs.append(Subscription(name=f"query-{i}", query=f'"{first} {second}" OR ({first} AND {second} AND {rng.choice(vocabulary)})'))
        else:
            subs.append(Subscription(name=f"section-{i}", phrases=[" ".join(rng.sample(vocabulary, 2))], sections=["USA"]))
    return subs


def run(samples: Path, count: int, subscription_count: int, stories_for_latency: int, rate: float,
        settings: Settings, console: Console) -> dict[str, float]:
    articles = [item.article for item in loadgen.stream(load_samples(samples), count, duplicate_rate=0, seed=5)]
    console.print(f"enriching {count} distinct generated stories for the matching figures")
    enriched = EntityEngine.from_config().enrich([UniqueArticle(article=a, version=1) for a in articles])
    subs = subscriptions(enriched, subscription_count)
    matcher = Matcher(subs)
    queries = matcher.queries
    console.print(f"{len(subs)} subscriptions, {len(queries)} of them queries")

    started = time.perf_counter()
    alerts = sum(len(matcher.match(story, {})) for story in enriched)
    figures = {"subscriptions": len(subs), "query_subscriptions": len(queries),
               "python_match_per_s": count / (time.perf_counter() - started), "alerts_per_story": alerts / count}

    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    isolated = settings.isolated(prefix)
    client = connect(settings)
    query_matcher = QueryMatcher()
    scratch = f"{prefix}-one-search-each"
    try:
        started = time.perf_counter()
        for i in range(0, count, BATCH_SIZE):
            query_matcher.match(enriched[i:i + BATCH_SIZE], queries)
        figures["query_match_per_s"] = count / (time.perf_counter() - started)
        figures["one_search_per_query_per_s"] = _one_search_each(client, scratch, enriched[:10], queries)
        figures["latency"] = _latency(isolated, samples, subs, stories_for_latency, rate, console)
    finally:
        client.indices.delete(index=scratch, ignore_unavailable=True)
        delete_topics(isolated, prefix)
    combined = 1 / (1 / figures["python_match_per_s"] + 1 / figures["query_match_per_s"])

    table = Table("figure", "value", "compared with")
    table.add_row(f"entity/phrase matching, {len(subs)} subscriptions", f"{figures['python_match_per_s']:,.0f} stories/s",
                  f"{figures['alerts_per_story']:.1f} alerts per story")
    table.add_row(f"query matching, {len(queries)} queries, batches of {BATCH_SIZE}",
                  f"{figures['query_match_per_s']:,.0f} stories/s",
                  f"one search per query per story: {figures['one_search_per_query_per_s']:,.1f} stories/s "
                  f"(x{figures['query_match_per_s'] / figures['one_search_per_query_per_s']:.0f})")
    table.add_row("matching, both", f"{combined:,.0f} stories/s", "enrichment, the stage before: ~20 stories/s per worker")
    for kind, latency in figures["latency"].items():
        table.add_row(f"produced -> {kind} alert at {rate:g} stories/s, p50 / p95 / p99",
                      f"{latency['p50']:.2f} / {latency['p95']:.2f} / {latency['p99']:.2f} s",
                      f"target p95 under {LATENCY_TARGET_S:g} s; {latency['alerted']}/{latency['stories']} stories alerted")
    console.print(table)
    return figures


def _one_search_each(client: Elasticsearch, index: str, stories: list[EnrichedArticle], queries: dict[str, str]) -> float:
    """The baseline: each story indexed on its own, then one Elasticsearch search per query subscription."""
    template = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["template"]
    client.indices.create(index=index, settings=template["settings"], mappings=template["mappings"])
    started = time.perf_counter()
    for story in stories:
        doc_id = uuid.uuid4().hex
        client.index(index=index, id=doc_id, document=document(story, nested=False), refresh=True)
        for query in queries.values():
            client.search(index=index, size=1, _source=False,
                          query={"bool": {"must": [elasticsearch_query(query)], "filter": [{"ids": {"values": [doc_id]}}]}})
        client.delete(index=index, id=doc_id)
    return len(stories) / (time.perf_counter() - started)


TIMED = {"every-story": "entity or phrase", "every-story-query": "query"}


def _latency(settings: Settings, samples: Path, subs: list[Subscription], count: int, rate: float,
             console: Console) -> dict[str, dict[str, float]]:
    """Produce `count` new stories at `rate` per second through a real worker with every
    subscription; for each story, the time from its produce to its alert from the subscription
    every story matches by a phrase, and from the one every story matches by a query."""
    ensure_topics(settings)
    SubscriptionStore(settings).put(*subs)
    articles = [item.article for item in loadgen.stream(load_samples(samples), count, duplicate_rate=0, seed=99)]
    consumer = KafkaConsumer(*(alert_topic(settings, name) for name in TIMED), enable_auto_commit=False,
                             **settings.kafka.client_config(), auto_offset_reset="earliest",
                             consumer_timeout_ms=50)
    producer = KafkaProducer(**settings.kafka.client_config(), linger_ms=0)
    log = REPO_ROOT / ".stack" / "bench" / f"{settings.faust.app_id}.log"
    produced: dict[str, float] = {}
    alerted: dict[str, dict[str, float]] = {name: {} for name in TIMED}

    def done(ids) -> bool:
        return all(set(ids) <= times.keys() for times in alerted.values())

    with WorkerProcess(settings, log, restart=False) as worker:
        # Warm-up: one story through every stage (the model loads, the group settles), not timed.
        warm = articles.pop()
        producer.send(settings.topics.raw, key=warm.id.encode(), value=warm.model_dump_json().encode())
        _collect(consumer, alerted, lambda: done([warm.id]), worker, timeout_s=180)
        console.print(f"worker ready; producing {len(articles)} stories at {rate:g}/s")
        start = time.monotonic()
        for i, article in enumerate(articles):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            produced[article.id] = time.time()
            producer.send(settings.topics.raw, key=article.id.encode(), value=article.model_dump_json().encode())
            producer.flush()
            _collect(consumer, alerted, lambda: False, worker, timeout_s=0, must=False)
        _collect(consumer, alerted, lambda: done(produced), worker, timeout_s=30, must=False)
    producer.close()
    consumer.close()
    figures = {}
    for name, kind in TIMED.items():
        latencies = sorted(alerted[name][i] - produced[i] for i in produced if i in alerted[name])
        cut = statistics.quantiles(latencies, n=100, method="inclusive")
        figures[kind] = {"stories": len(produced), "alerted": len(latencies), "p50": cut[49], "p95": cut[94], "p99": cut[98]}
    return figures


def _collect(consumer, alerted, done, worker, timeout_s, must=True) -> None:
    """Record when each story's alert reached each timed topic (its Kafka timestamp)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for message in consumer:
            alert = json.loads(message.value)
            alerted[alert["subscription"]].setdefault(alert["story_id"], message.timestamp / 1000)
        if done() or time.monotonic() >= deadline:
            break
        if not worker.alive():
            raise RuntimeError(f"the worker died; see {worker.log}")
    if must and not done():
        raise RuntimeError(f"no alert within {timeout_s:.0f} s; see {worker.log}")
