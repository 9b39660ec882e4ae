"""The enrichment benchmark: entity quality on the labelled stories (development and held-out sets
apart, next to raw spaCy), the agent's batch code next to raw `nlp.pipe` on the same texts (with
and without story vectors), and the real agent on Kafka with one and two worker processes next to
`nlp.pipe` with as many."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import spacy
from kafka import KafkaConsumer, KafkaProducer
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_limits

from pipeline import loadgen
from pipeline.bench.common import load_samples
from pipeline.embedding import Embedder
from pipeline.enrich import EntityEngine
from pipeline.enrich.batch import BATCH_SIZE, embed_stories, enrich_batch
from pipeline.enrich.evaluation import Scores, engine_labels, load_set, raw_spacy_labels
from pipeline.enrich.model import MODEL, UNUSED_COMPONENTS, model_text
from pipeline.settings import REPO_ROOT, Settings
from pipeline.topics import ensure_topics
from pipeline.worker_processes import WorkerProcess
from schemas import UniqueArticle

OVERHEAD_TARGET = 0.10


def run(samples: Path, count: int, workers: list[int], settings: Settings, console: Console) -> dict[str, float]:
    stories = load_samples(samples)
    uniques = [UniqueArticle(article=item.article, version=1)
               for item in loadgen.stream(stories, count, duplicate_rate=0, seed=3)]
    payloads = [unique.model_dump_json().encode() for unique in uniques]
    texts = [model_text(unique.article) for unique in uniques]
    words = sum(len(text.split()) for text in texts) / len(texts)
    console.print(f"{count} distinct generated stories, {words:.0f} words each on average")

    nlp = spacy.load(MODEL, exclude=UNUSED_COMPONENTS)
    engine = EntityEngine.from_config()
    figures = quality(engine, nlp, console)
    engine.entities_of([unique.article for unique in uniques[:8]])  # load GeoNames, warm caches
    list(nlp.pipe(texts[:8]))

    # Alternating, best of two: the first pass of either pays for cold caches.
    raw_s = agent_s = float("inf")
    for _ in range(2):
        raw_s = min(raw_s, _timed(lambda: list(nlp.pipe(texts, batch_size=BATCH_SIZE))))
        agent_s = min(agent_s, _timed(lambda: _agent_path(engine, payloads)))
    embedder = Embedder.load()
    with threadpool_limits(1):  # one BLAS thread, as in the agent's vector process
        vectors_s = min(_timed(lambda: _agent_path(engine, payloads, embedder)) for _ in range(2))
    figures.update({"stories": count, "raw_nlp_pipe_per_s": count / raw_s, "agent_batch_per_s": count / agent_s,
                    "agent_batch_with_vectors_per_s": count / vectors_s,
                    "vector_ms_per_story": 1000 * (vectors_s - agent_s) / count})
    figures["agent_overhead"] = 1 - figures["agent_batch_per_s"] / figures["raw_nlp_pipe_per_s"]

    table = Table("figure", "articles/s", "compared with")
    table.add_row("raw nlp.pipe (NER components), 1 process", f"{figures['raw_nlp_pipe_per_s']:.1f}", "the limit")
    table.add_row("agent batch: decode, tag, canonicalise, places, encode", f"{figures['agent_batch_per_s']:.1f}",
                  f"overhead {figures['agent_overhead']:.1%} (target under {OVERHEAD_TARGET:.0%})")
    table.add_row("agent batch and story vectors (search.vectors), one after the other on 1 core",
                  f"{figures['agent_batch_with_vectors_per_s']:.1f}",
                  f"vectors cost {figures['vector_ms_per_story']:.1f} ms per story (the agent runs them in a second process)")
    vectors = "with" if settings.search.vectors else "without"
    for n in workers:
        limit = nlp_pipe_rate(nlp, texts, n)
        rate = _on_kafka(settings, payloads, n, console)
        figures[f"raw_nlp_pipe_{n}_processes_per_s"] = limit
        figures[f"agent_on_kafka_{n}_workers_per_s"] = rate
        table.add_row(f"agent on Kafka, {n} worker process{'es' if n > 1 else ''}, {vectors} vectors", f"{rate:.1f}",
                      f"nlp.pipe with n_process={n}: {limit:.1f}/s ({rate / limit:.0%} of it)")
    if len(workers) > 1:
        first, last = workers[0], workers[-1]
        speedup = figures[f"agent_on_kafka_{last}_workers_per_s"] / figures[f"agent_on_kafka_{first}_workers_per_s"]
        figures["speedup"] = speedup
        table.add_row(f"speed-up {first} -> {last} workers", f"x{speedup:.2f}", "ideal: x{:.0f}".format(last / first))
    console.print(table)
    return figures


def quality(engine: EntityEngine, nlp, console: Console) -> dict[str, float]:
    """Entity precision, recall and F1 on the labelled stories of `evaluation/stories/`, per set,
    next to raw spaCy (its spans as written) on the same stories."""
    figures: dict[str, float] = {}
    table = Table("set", "stories", "precision", "recall", "F1", "people", "organisations", "places",
                  "raw spaCy F1", title="entities: exact (type, canonical name) per story, micro-averaged")
    for split in ("dev", "heldout"):
        stories = load_set(split)
        ours, raw = Scores(), Scores()
        for story, entities in zip(stories, engine.entities_of([story.article for story in stories])):
            ours.add(engine_labels(entities), story.gold)
            raw.add(raw_spacy_labels(nlp, story.article), story.gold)
        by_type = {kind.value: score.f1 for kind, score in ours.by_type.items()}
        figures.update({f"{split}_f1": ours.overall.f1, f"{split}_raw_spacy_f1": raw.overall.f1,
                        **{f"{split}_{kind}_f1": f1 for kind, f1 in by_type.items()}})
        table.add_row(split, str(len(stories)), f"{ours.overall.precision:.3f}", f"{ours.overall.recall:.3f}",
                      f"{ours.overall.f1:.3f}", *(f"{f1:.3f}" for f1 in by_type.values()), f"{raw.overall.f1:.3f}")
    console.print(table)
    return figures


def nlp_pipe_rate(nlp, texts: list[str], processes: int) -> float:
    """The limit: texts per second through raw `nlp.pipe` with `processes` processes, the agent's batch size."""
    return len(texts) / _timed(lambda: list(nlp.pipe(texts, batch_size=BATCH_SIZE, n_process=processes)))


def _agent_path(engine: EntityEngine, payloads: list[bytes], embedder: Embedder | None = None) -> None:
    """What the agent does per batch, without Kafka: decode, enrich (embed), encode."""
    for start in range(0, len(payloads), BATCH_SIZE):
        batch = payloads[start : start + BATCH_SIZE]
        result = enrich_batch(engine, batch, [str(i) for i in range(len(batch))])
        for story in embed_stories(embedder, result.enriched):
            story.model_dump_json().encode()


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _on_kafka(settings: Settings, payloads: list[bytes], workers: int, console: Console) -> float:
    """Stories per second through the real enrichment agent with `workers` worker processes."""
    settings = settings.isolated(f"bench-{uuid.uuid4().hex[:6]}")
    ensure_topics(settings)
    partitions = settings.topics.unique_partitions
    producer = KafkaProducer(**settings.kafka.client_config(), acks="all", linger_ms=5,
                             max_request_size=4 * 1024 * 1024)
    consumer = KafkaConsumer(settings.topics.enriched, **settings.kafka.client_config(),
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=500)
    logs = REPO_ROOT / ".stack" / "bench"
    procs = [WorkerProcess(settings, logs / f"{settings.faust.app_id}-{i}.log", restart=False) for i in range(workers)]
    try:
        # Warm-up: one story per partition, so every worker has its partitions and model loaded.
        for partition in range(partitions):
            producer.send(settings.topics.unique, key=b"warm-up", value=payloads[partition % len(payloads)],
                          partition=partition)
        producer.flush()
        _count_until(consumer, partitions, procs, timeout_s=180)
        console.print(f"  {workers} worker(s) ready; producing {len(payloads)} stories")
        started = time.perf_counter()
        for payload in payloads:
            producer.send(settings.topics.unique, key=uuid.uuid4().bytes, value=payload)
        producer.flush()
        _count_until(consumer, len(payloads), procs, timeout_s=600)
        return len(payloads) / (time.perf_counter() - started)
    finally:
        for proc in procs:
            proc.stop()
        producer.close()
        consumer.close()


def _count_until(consumer: KafkaConsumer, expect: int, procs: list[WorkerProcess], timeout_s: float) -> None:
    seen, deadline = 0, time.monotonic() + timeout_s
    while seen < expect:
        if time.monotonic() > deadline or not all(proc.alive() for proc in procs):
            raise RuntimeError(f"enrichment stalled at {seen}/{expect}; see the worker logs in {procs[0].log.parent}")
        seen += sum(1 for _ in consumer)
