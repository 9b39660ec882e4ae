"""The end-to-end benchmark: the whole pipeline on the real stack, with 1 and 2 worker processes,
next to the machine's limits measured in the same run on the same data.

For each worker count, on topics and an index of its own:
- a flood: every generated article produced at once; throughput from the first produce to the
  last story searchable, per-stage rates from the topics' record times, latencies under backlog;
- a steady rate (5 stories/s by default): the latency from produce to searchable and to alert;
- the memory of each worker, Kafka and Elasticsearch, sampled from /proc every half second;
- the CPU each part used during the flood, per story version (from /proc): where the cores went.
The limits: kafka-python produce+consume of the same bytes, `helpers.bulk` of the same
documents, raw `nlp.pipe` on the same texts with as many processes as workers (before and after
the pipeline runs, as the machine's speed drifts).

Before anything is measured, a smaller flood (`WARM_ARTICLES`, other stories) runs through one
worker on topics and an index of its own: Kafka and Elasticsearch just started spend their first
minutes compiling their hot code, which cost Elasticsearch 15-18 ms of CPU per story version in a
flood against 4-6 ms on the same node warm (Kafka 7 against 2-3 ms). A warm-up of their own kind
of work (plain produce and consume, bulks of documents with vectors) did not warm them: the flood's
own path does.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from elasticsearch import ApiError, Elasticsearch, TransportError
from kafka import KafkaConsumer, KafkaProducer
from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.alerts.store import SubscriptionStore
from pipeline.bench.common import delete_indices, delete_topics, load_samples
from pipeline.bench.enrich import nlp_pipe_rate
from pipeline.bench.index import helpers_bulk
from pipeline.enrich.model import MODEL, UNUSED_COMPONENTS, model_text
from pipeline.producer import ArticleProducer
from pipeline.settings import REPO_ROOT, Settings
from pipeline.sinks.documents import index_action
from pipeline.sinks.elasticsearch import connect, ensure_index
from pipeline.stack import Elasticsearch as ElasticsearchService
from pipeline.stack import Kafka as KafkaService
from pipeline.stack import child_pids, cpu_seconds, rss_mb, run_queue_seconds
from pipeline.topics import TopicSpec, alert_topic, ensure_topics
from pipeline.consumer_group import GroupOffsets
from pipeline.worker_processes import WorkerProcess, wait_caught_up, wait_group_stable
from schemas import Article, EnrichedArticle
from schemas.alerts import Subscription

THROUGHPUT_TARGET = 0.8  # of raw nlp.pipe with as many processes
LATENCY_TARGET_S = 2.0  # p95 produce -> searchable at the steady rate
EVERY_STORY = Subscription(name="every-story", phrases=["the"])
NLP_SAMPLE = 1_000  # texts for the nlp.pipe limit: a rate needs no more
WARM_ARTICLES = 2_000  # the warm-up flood: after 1,000, Elasticsearch took 11 ms a story version; after 2,000, 9 ms


@dataclass
class Timings:
    """When each story (its first version) was produced, became searchable, and was alerted; when
    each later version was first seen searchable."""

    produced: dict[str, float] = field(default_factory=dict)
    searchable: dict[str, float] = field(default_factory=dict)
    alerted: dict[str, float] = field(default_factory=dict)
    updated: dict[tuple[str, int], float] = field(default_factory=dict)

    def latencies(self, of: dict[str, float]) -> list[tuple[float, float]]:
        """(produced at, seconds to `of`) for every story that got there."""
        return sorted((self.produced[i], of[i] - self.produced[i]) for i in self.produced if i in of)


def run(samples: Path, count: int, workers: list[int], rate: float, steady: int, settings: Settings,
        console: Console, results: Path) -> dict:
    stories = load_samples(samples)
    labelled = list(loadgen.stream(stories, count, duplicate_rate=0.3, seed=8))
    firsts = [item.article for item in labelled if item.label == "unique"]
    console.print(f"{count:,} generated articles: {len(firsts):,} distinct stories, "
                  f"{sum(i.label == 'update' for i in labelled):,} updates, "
                  f"{sum(i.label not in ('unique', 'update') for i in labelled):,} copies (seed 8)")
    run_id = f"bench-e2e-{uuid.uuid4().hex[:6]}"
    client = connect(settings)
    figures: dict = {"articles": count, "stories": len(firsts), "steady_rate": rate, "warm_articles": WARM_ARTICLES,
                     "runs": {}}

    try:
        console.print(f"[bold]warm-up[/], not measured: {WARM_ARTICLES:,} other articles through 1 worker")
        warm = list(loadgen.stream(stories, WARM_ARTICLES, duplicate_rate=0.3, seed=6, start=10 * count))
        _pipeline(settings.isolated(f"{run_id}-warm"), client, warm,
                  [item.article for item in warm if item.label == "unique"], 1, rate, 0, samples, console)
        console.print("[bold]limits[/], on the same data, stack idle")
        payloads = [item.article.model_dump_json().encode() for item in labelled]
        figures["kafka_limit_per_s"] = _kafka_limit(settings, f"{run_id}-limit", payloads)
        console.print(f"  kafka-python produce+consume: {figures['kafka_limit_per_s']:,.0f} articles/s")
        texts = [model_text(article) for article in firsts[:NLP_SAMPLE]]
        nlp = spacy.load(MODEL, exclude=UNUSED_COMPONENTS)
        list(nlp.pipe(texts[:8]))  # warm up

        def measure_nlp_pipe(n: int, when: str) -> None:
            # Before and after the pipeline runs: this machine's speed drifts, the ratio uses the mean.
            rates = figures.setdefault(f"nlp_pipe_{n}_measured", [])
            rates.append(nlp_pipe_rate(nlp, texts, n))
            figures[f"nlp_pipe_{n}_per_s"] = statistics.fmean(rates)
            console.print(f"  raw nlp.pipe, {n} process(es), {len(texts):,} of the texts, {when}: {rates[-1]:.1f} stories/s")

        for n in workers:
            measure_nlp_pipe(n, "before")

        for n in workers:
            isolated = settings.isolated(f"{run_id}-w{n}")
            console.print(f"[bold]{n} worker process{'es' if n > 1 else ''}[/]")
            figures["runs"][n] = _pipeline(isolated, client, labelled, firsts, n, rate, steady, samples, console)
            measure_nlp_pipe(n, "after")
            if "helpers_bulk_per_s" not in figures:
                figures["helpers_bulk_per_s"] = _bulk_limit(client, isolated, f"{run_id}-bulk")
                console.print(f"  limit: helpers.bulk of the same documents: {figures['helpers_bulk_per_s']:,.0f}/s")
    finally:
        delete_topics(settings, run_id)
        delete_indices(client, run_id)

    _print(figures, workers, console)
    results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    series = {n: figures["runs"][n].pop("series") for n in workers}
    (results / f"e2e-{stamp}.json").write_text(json.dumps({**figures, "series": series}, indent=1))
    console.print(f"figures: {results / f'e2e-{stamp}.json'}")
    try:
        _chart(series, results / f"e2e-{stamp}.png")
        console.print(f"chart: {results / f'e2e-{stamp}.png'}")
    except ImportError:
        console.print("no chart: matplotlib is missing (pip install -e '.[bench]')")
    return figures


def _pipeline(settings: Settings, client: Elasticsearch, labelled: list[loadgen.Labelled], firsts: list[Article],
              workers: int, rate: float, steady: int, samples: Path, console: Console) -> dict:
    ensure_topics(settings)
    SubscriptionStore(settings).put(EVERY_STORY)
    alias = settings.elasticsearch.index_alias
    logs = REPO_ROOT / ".stack" / "bench"
    procs = [WorkerProcess(settings, logs / f"{settings.faust.app_id}-{i}.log", restart=False) for i in range(workers)]
    memory = _MemorySampler({**{f"worker {i + 1}": p.pid for i, p in enumerate(procs)},
                             "kafka": KafkaService().pid(), "elasticsearch": ElasticsearchService().pid()})
    extra = [item.article for item in loadgen.stream(load_samples(samples), steady + 8 * workers, duplicate_rate=0,
                                                     seed=9, start=len(labelled))]
    warm, calm = extra[:8 * workers], extra[8 * workers:]
    try:
        with ArticleProducer(settings) as producer, _Watcher(settings, client, alias) as watcher:
            # Warm-up, not timed: every worker has loaded its model and holds its partitions.
            _feed(producer, warm, watcher.timings)
            watcher.wait_for([a.id for a in warm], procs, console, "warm-up", timeout_s=300)
            wait_group_stable(settings, workers, timeout_s=120)
            memory.start()
            flood = watcher.reset()
            watcher.interval_s, watcher.track_updates = 1.0, True
            started, kids_before = time.time(), _model_processes(procs)
            cpu_before = _cpu_by_part(procs, kids_before)
            for item in labelled:
                if item.label == "unique":
                    flood.produced[item.article.id] = time.time()
                producer.send(item.article)
            producer.flush()
            watcher.wait_for([a.id for a in firsts], procs, console, "flood", timeout_s=3_600)
            wait_caught_up(settings, settings.topics.enriched, workers=procs, timeout_s=600)  # updates indexed too
            updated = {(story, v) for story, v in loadgen.latest_versions(labelled).items() if v > 1}
            deadline = time.monotonic() + 60
            while not updated <= flood.updated.keys():  # seen by the watcher, after Elasticsearch's refresh
                if time.monotonic() > deadline:
                    raise RuntimeError(f"flood: {len(updated - flood.updated.keys())} updates not searchable after 60 s")
                time.sleep(watcher.POLL_S)
            # The end: the last first version or update searchable (every update is a text tagged too).
            last = max(*flood.searchable.values(), *flood.updated.values())
            kids_after = _model_processes(procs)
            cpu_used = {part: spent - cpu_before[part] for part, spent in _cpu_by_part(procs, kids_after).items()}
            cpu_wall = time.time() - started
            model_waiting = _entity_waiting(kids_before, kids_after, cpu_wall)
            stage_rates = _stage_rates(settings, started, flood)
            watcher.track_updates = False

            calm_timings = watcher.reset()
            watcher.interval_s = watcher.POLL_S
            if calm:
                console.print(f"  steady: {len(calm)} stories at {rate:g}/s")
            calm_start = time.time()
            for i, article in enumerate(calm):
                time.sleep(max(0.0, calm_start + i / rate - time.time()))
                _feed(producer, [article], calm_timings)
            watcher.wait_for([a.id for a in calm], procs, console, "steady", timeout_s=300, alerts=True)
        memory.stop()
        client.indices.refresh(index=alias)
        # Lucene documents per story: one, plus one per nested object when a mapping has them.
        index = next(iter(client.indices.get_alias(name=alias)))
        lucene_per_story = int(client.cat.indices(index=index, h="docs.count", format="json")[0]["docs.count"]) / max(
            1, client.count(index=alias)["count"])
    finally:
        for proc in procs:
            proc.stop()

    flood_latency = flood.latencies(flood.searchable)
    versions = len(firsts) + sum(item.label == "update" for item in labelled)
    return {
        "workers": workers,
        "end_to_end_per_s": versions / (last - started),
        "stories_per_s": len(firsts) / (last - started),
        "articles_per_s": len(labelled) / (last - started),
        "seconds": last - started,
        "stages": stage_rates,
        "flood_searchable": _percentiles([s for _, s in flood_latency]),
        "flood_alert": _percentiles([s for _, s in flood.latencies(flood.alerted)]),
        "steady_searchable": _percentiles([s for _, s in calm_timings.latencies(calm_timings.searchable)]),
        "steady_alert": _percentiles([s for _, s in calm_timings.latencies(calm_timings.alerted)]),
        "lucene_documents_per_story": lucene_per_story,
        "cpu_ms_per_version": {part: 1000 * spent / versions for part, spent in cpu_used.items()},
        "cpu_cores": {part: spent / cpu_wall for part, spent in cpu_used.items()},
        "entity_process_waiting": model_waiting,
        "memory_peak_mb": memory.peaks(),
        "worker_memory_growth": memory.growth("worker"),
        "series": {
            "flood_searchable_at": sorted(t - started for t in flood.searchable.values()),
            "flood_latency": [(p - started, s) for p, s in flood_latency],
            "steady_latency": [(p - started, s) for p, s in calm_timings.latencies(calm_timings.searchable)],
            "memory": {name: [(t - started, mb) for t, mb in samples_] for name, samples_ in memory.samples.items()},
        },
    }


def _feed(producer: ArticleProducer, articles: list[Article], timings: Timings) -> None:
    for article in articles:
        timings.produced[article.id] = time.time()
        producer.send(article)
    producer.flush()


class _Watcher(threading.Thread):
    """Notes, in the background, when stories become searchable (polling Elasticsearch for ids not
    seen yet, every 0.2 s) and when their alerts from the every-story subscription land (the
    alert's Kafka timestamp)."""

    POLL_S = 0.2
    #: How far back a poll looks for updated versions (by the document's `indexed_at`).
    UPDATES_WITHIN_S = 30
    #: Between polls: 0.2 s for latencies at a steady rate; the flood, whose latencies are tens of
    #: seconds, is polled every second so the measuring costs Elasticsearch little.
    interval_s = POLL_S
    #: Also note when updated versions become searchable (the flood has updates).
    track_updates = False

    def __init__(self, settings: Settings, client: Elasticsearch, alias: str) -> None:
        super().__init__(daemon=True)
        self.settings, self.client, self.alias = settings, client, alias
        self.timings = Timings()
        self._alerts = KafkaConsumer(alert_topic(settings, EVERY_STORY.name), enable_auto_commit=False,
                                     **settings.kafka.client_config(),
                                     auto_offset_reset="earliest")
        self._seen: set[str] = set()
        self._done = threading.Event()
        self._polling = threading.Lock()
        self.error: Exception | None = None

    def __enter__(self) -> _Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join()
        self._alerts.close()

    def reset(self) -> Timings:
        """Start timing a new phase, once the poll under way is over: a poll holding the last
        phase's timings would otherwise record the new phase's first story there, and mark it seen."""
        with self._polling:
            self.timings = Timings()
        return self.timings

    def run(self) -> None:
        while not self._done.is_set():
            try:
                with self._polling:
                    self._poll()
                self.error = None
                self._done.wait(self.interval_s - self.POLL_S)
            except (ApiError, TransportError) as error:  # the index is being created: try again
                self.error = error
                time.sleep(self.POLL_S)

    def _poll(self) -> None:
        timings = self.timings
        # One poll, not iteration: alerts arriving without pause would keep an iterator going.
        for messages in self._alerts.poll(timeout_ms=int(self.POLL_S * 1000)).values():
            for message in messages:
                alert = json.loads(message.value)
                timings.alerted.setdefault(alert["story_id"], message.timestamp / 1000)
        # Searchable means after Elasticsearch's own refresh (1 s), so this never refreshes.
        now = time.time()
        found = self.client.options(ignore_status=404).search(
            index=self.alias, size=10_000, _source=False,
            query={"bool": {"must_not": [{"ids": {"values": sorted(self._seen)}}]}} if self._seen else {"match_all": {}})
        for hit in found.get("hits", {}).get("hits", []):
            self._seen.add(hit["_id"])
            timings.searchable.setdefault(hit["_id"], now)
        if self.track_updates:
            # Only versions written lately, from doc values: each hit costs the node a read of its
            # stored fields, and reading every update at every poll cost it 1 ms a story version. A
            # version is searchable within seconds of being written, so 30 s cannot miss one.
            updated = self.client.options(ignore_status=404).search(
                index=self.alias, size=10_000, _source=False, docvalue_fields=["version"],
                query={"bool": {"filter": [{"range": {"version": {"gt": 1}}},
                                           {"range": {"indexed_at": {"gte": f"now-{self.UPDATES_WITHIN_S}s"}}}]}})
            for hit in updated.get("hits", {}).get("hits", []):
                timings.updated.setdefault((hit["_id"], hit["fields"]["version"][0]), now)

    def wait_for(self, ids: list[str], procs: list[WorkerProcess], console: Console, what: str, timeout_s: float,
                 alerts: bool = False) -> None:
        """Until every story of `ids` is searchable (and alerted, with `alerts`); progress every 10 s."""
        deadline, last_report = time.monotonic() + timeout_s, time.monotonic()
        wanted = set(ids)

        def missing() -> set[str]:
            gone = wanted - self.timings.searchable.keys()
            return gone | (wanted - self.timings.alerted.keys()) if alerts else gone

        while missing():
            if time.monotonic() > deadline:
                problem = f" (Elasticsearch: {self.error})" if self.error else ""
                unsearchable = wanted - self.timings.searchable.keys()
                unalerted = (wanted - self.timings.alerted.keys()) if alerts else set()
                raise RuntimeError(f"{what}: {len(missing())} stories not there after {timeout_s:.0f} s{problem}: "
                                   f"not searchable {sorted(unsearchable)[:5]}, not alerted {sorted(unalerted)[:5]}; "
                                   f"{_locate(self.settings, sorted(missing())[:5])}; see {procs[0].log.parent}")
            if not all(proc.alive() for proc in procs):
                raise RuntimeError(f"{what}: a worker died; see {procs[0].log.parent}")
            time.sleep(self.POLL_S)
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                console.print(f"  {what}: {len(wanted) - len(missing()):,}/{len(wanted):,} stories")


def _cpu_by_part(procs: list[WorkerProcess], kids: list[dict[int, tuple[float, float]]]) -> dict[str, float]:
    """CPU seconds used so far by each part of the pipeline: where a flood's cores went. `kids` is
    `_model_processes(procs)` read at the same moment."""
    used = {"model processes": sum(cpu for worker in kids for cpu, _ in worker.values()),
            "workers (event loops)": sum(cpu_seconds(proc.pid) or 0.0 for proc in procs)}
    for name, service in (("kafka", KafkaService()), ("elasticsearch", ElasticsearchService())):
        pid = service.pid()
        used[name] = (cpu_seconds(pid) or 0.0) if pid else 0.0
    mine = os.times()
    used["this benchmark (producer, watcher)"] = mine.user + mine.system
    return used


def _model_processes(procs: list[WorkerProcess]) -> list[dict[int, tuple[float, float]]]:
    """Per worker, each model process's (CPU seconds, seconds waiting for a CPU) so far."""
    return [{kid: (cpu_seconds(kid) or 0.0, run_queue_seconds(kid) or 0.0) for kid in child_pids(proc.pid)}
            for proc in procs]


def _entity_waiting(before: list[dict[int, tuple[float, float]]], after: list[dict[int, tuple[float, float]]],
                    wall_s: float) -> float:
    """The share of the flood the entity process (each worker's busiest child) spent ready to run
    but waiting for a core, the mean over workers: what the rest of the machine took from it."""
    shares = []
    for was, now in zip(before, after):
        busiest = max((kid for kid in now if kid in was), key=lambda kid: now[kid][0] - was[kid][0], default=None)
        if busiest is not None:
            shares.append((now[busiest][1] - was[busiest][1]) / wall_s)
    return sum(shares) / len(shares) if shares else 0.0


class _MemorySampler(threading.Thread):
    """RSS of each process (with its children: a worker's model process), from /proc, every half second."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        super().__init__(daemon=True)
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in self.pids}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            for name, pid in self.pids.items():
                mb = rss_mb(pid, children=True)
                if mb is not None:
                    self.samples[name].append((time.time(), mb))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peaks(self) -> dict[str, float]:
        return {name: max((mb for _, mb in s), default=0.0) for name, s in self.samples.items()}

    def growth(self, prefix: str) -> dict[str, float]:
        """Per process: the mean RSS of the run's last quarter over that of its first quarter, minus one."""
        out = {}
        for name, samples in self.samples.items():
            if name.startswith(prefix) and len(samples) >= 8:
                quarter = len(samples) // 4
                first = statistics.fmean(mb for _, mb in samples[:quarter])
                out[name] = statistics.fmean(mb for _, mb in samples[-quarter:]) / first - 1
        return out


def _stage_rates(settings: Settings, started: float, flood: Timings) -> dict[str, float]:
    """Each stage's output per second, from the first produce to its last output (record times)."""
    topics = settings.topics
    outputs = {"dedup": [topics.unique, topics.duplicates], "enrich": [topics.enriched]}
    # The flood's stories only: the warm-up's are read again when the second worker joins.
    records = {name: [r for r in _read_all(settings, names) if r.key and r.key.decode() in flood.produced]
               for name, names in outputs.items()}
    rates = {name: len(out) / (max(r.timestamp for r in out) / 1000 - started) for name, out in records.items()}
    # A version tagged twice is work redone (a batch read again after a rebalance).
    tagged = records["enrich"]
    rates["enrich_repeated"] = len(tagged) - len({(r.key, json.loads(r.value)["version"]) for r in tagged})
    rates["index"] = len(flood.searchable) / (max(flood.searchable.values()) - started)
    if flood.alerted:
        rates["alerts"] = len(flood.alerted) / (max(flood.alerted.values()) - started)
    return rates


def _locate(settings: Settings, ids: list[str]) -> str:
    """Where the stories `ids` got to: the topics holding a record of each, and the workers' lag on
    each topic (records not yet committed)."""
    t = settings.topics
    topics = [t.raw, t.unique, t.duplicates, t.enriched, t.dlq, t.index_dlq, alert_topic(settings, EVERY_STORY.name)]
    found = {story: [] for story in ids}
    offsets = GroupOffsets(settings)
    try:
        lags = {topic: offsets.lag(topic) for topic in topics[:4]}
    finally:
        offsets.close()
    for record in _read_all(settings, topics):
        for story in ids:
            if story.encode() in (record.key or b"") or story.encode() in record.value:
                found[story].append(f"{record.topic}@{record.partition}:{record.offset}")
    return (", ".join(f"{story} on {' '.join(where) or 'no topic'}" for story, where in found.items())
            + f"; lag {lags}")


def _read_all(settings: Settings, topics: list[str]) -> list:
    """Every record on `topics`, from the beginning (ends after 2 s without a new one)."""
    consumer = KafkaConsumer(*topics, **settings.kafka.client_config(), enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=2_000)
    try:
        return list(consumer)
    finally:
        consumer.close()


def _kafka_limit(settings: Settings, topic: str, payloads: list[bytes]) -> float:
    """kafka-python alone: the same bytes produced (acks=all) and consumed back."""
    ensure_topics(settings, [TopicSpec(topic, partitions=1)])
    producer = KafkaProducer(**settings.kafka.client_config(), acks="all", linger_ms=5,
                             max_request_size=4 * 1024 * 1024)
    consumer = KafkaConsumer(topic, **settings.kafka.client_config(), enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=2_000)
    try:
        started = time.perf_counter()
        for payload in payloads:
            producer.send(topic, payload)
        producer.flush()
        received = sum(1 for _ in consumer)
        elapsed = time.perf_counter() - started - 2.0  # the consumer's idle timeout is not work
        if received != len(payloads):
            raise RuntimeError(f"kafka limit: consumed {received} of {len(payloads)}")
        return len(payloads) / elapsed
    finally:
        producer.close()
        consumer.close()


def _bulk_limit(client: Elasticsearch, settings: Settings, alias: str) -> float:
    """`helpers.bulk` of the documents the run indexed (read back from `articles.enriched`)."""
    records = [EnrichedArticle.model_validate_json(r.value) for r in _read_all(settings, [settings.topics.enriched])]
    # A worker's start can deliver its first events twice, so a version may be on the topic twice;
    # the sink counts the second write's version conflict as done, helpers.bulk would fail on it.
    stories = list({(story.article.id, story.version): story for story in records}.values())
    ensure_index(client, alias)
    actions = [index_action(alias, story) for story in stories]
    started = time.perf_counter()
    helpers_bulk(client, actions)
    client.indices.refresh(index=alias)
    return len(actions) / (time.perf_counter() - started)


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"count": len(values)}
    cut = statistics.quantiles(values, n=100, method="inclusive")
    return {"count": len(values), "p50": cut[49], "p95": cut[94], "p99": cut[98]}


def _print(figures: dict, workers: list[int], console: Console) -> None:
    table = Table("figure", *(f"{n} worker{'s' if n > 1 else ''}" for n in workers), "compared with")

    def row(label: str, value: Callable[[int, dict], str], compared: str = "") -> None:
        table.add_row(label, *(value(n, figures["runs"][n]) for n in workers), compared)

    def ratio(n: int, rate: float, limit: float) -> str:
        return f"{rate:,.1f}/s ({rate / limit:.2f} of limit)"

    row("end to end: story versions, first produce -> last searchable", lambda n, r: ratio(n, r["end_to_end_per_s"], figures[f"nlp_pipe_{n}_per_s"]),
        "raw nlp.pipe, as many processes (mean of before and after): "
        + ", ".join(f"{figures[f'nlp_pipe_{n}_per_s']:.1f}/s ({' and '.join(f'{r:.1f}' for r in figures[f'nlp_pipe_{n}_measured'])})"
                    for n in workers)
        + f"; target {THROUGHPUT_TARGET} of it")
    row("  distinct stories (first versions)", lambda n, r: f"{r['stories_per_s']:,.1f}/s")
    row("  articles in (copies included)", lambda n, r: f"{r['articles_per_s']:,.1f}/s in {r['seconds']:,.0f} s")
    row("stage: dedup (unique + duplicates out)", lambda n, r: ratio(n, r["stages"]["dedup"], figures["kafka_limit_per_s"]),
        f"kafka-python produce+consume: {figures['kafka_limit_per_s']:,.0f}/s (dedup waits for the producer)")
    row("stage: enrich", lambda n, r: ratio(n, r["stages"]["enrich"], figures[f"nlp_pipe_{n}_per_s"]), "raw nlp.pipe")
    row("  versions tagged twice (work redone)", lambda n, r: f"{r['stages']['enrich_repeated']:,}", "0 when no batch was read again")
    row("stage: index (searchable)", lambda n, r: ratio(n, r["stages"]["index"], figures["helpers_bulk_per_s"]),
        f"helpers.bulk of the same documents: {figures['helpers_bulk_per_s']:,.0f}/s (index waits for enrich)")
    row("stage: alerts (every-story subscription)", lambda n, r: f"{r['stages'].get('alerts', 0):,.1f}/s", "waits for enrich")
    for key, label, target in (("flood_searchable", "flood: produce -> searchable", "backlog: queueing behind enrichment"),
                               ("flood_alert", "flood: produce -> alert", ""),
                               ("steady_searchable", f"{figures['steady_rate']:g}/s: produce -> searchable",
                                f"target p95 under {LATENCY_TARGET_S:g} s"),
                               ("steady_alert", f"{figures['steady_rate']:g}/s: produce -> alert", "")):
        row(f"{label}, p50 / p95 / p99", lambda n, r, key=key: _fmt(r[key]), target)
    for part in figures["runs"][workers[0]]["cpu_ms_per_version"]:
        row(f"flood CPU per story version: {part}",
            lambda n, r, part=part: f"{r['cpu_ms_per_version'][part]:,.0f} ms ({r['cpu_cores'][part]:.2f} cores)",
            "raw nlp.pipe, processes x seconds a story: "
            + ", ".join(f"{1000 * n / figures[f'nlp_pipe_{n}_per_s']:,.0f} ms ({n})" for n in workers)
            if part == "model processes" else "")
    row("flood CPU: all cores busy", lambda n, r: f"{sum(r['cpu_cores'].values()):.2f} of {os.cpu_count()}")
    row("flood: entity process waiting for a core", lambda n, r: f"{r['entity_process_waiting']:.0%}",
        "the share of the flood the rest of the machine took from the model")
    row("Lucene documents per story in the index", lambda n, r: f"{r['lucene_documents_per_story']:.1f}",
        "mapping v1 (nested entities): one per story and one per entity")
    names = sorted({name for n in workers for name in figures["runs"][n]["memory_peak_mb"]})
    for name in names:
        row(f"peak memory: {name}", lambda n, r, name=name: f"{r['memory_peak_mb'][name]:,.0f} MB" if name in r["memory_peak_mb"] else "-")
    row("worker memory, last quarter vs first", lambda n, r: ", ".join(f"{g:+.1%}" for g in r["worker_memory_growth"].values()),
        "flat: within a few per cent")
    console.print(table)


def _fmt(p: dict[str, float]) -> str:
    return f"{p['p50']:.2f} / {p['p95']:.2f} / {p['p99']:.2f} s" if "p50" in p else "-"


def _chart(series: dict[int, dict], path: Path) -> None:
    """Throughput, latency and worker memory over time, one row per worker count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(series), 3, figsize=(15, 4 * len(series)), squeeze=False)
    for row, (n, s) in zip(axes, series.items()):
        times = s["flood_searchable_at"]
        if times:
            buckets = [0] * (int(max(times)) + 1)
            for t in times:
                buckets[int(t)] += 1
            smooth = [sum(buckets[max(0, i - 4):i + 1]) / min(5, i + 1) for i in range(len(buckets))]
            row[0].plot(range(len(buckets)), smooth, linewidth=0.8)
        row[0].set(title=f"{n} worker(s): stories searchable/s (flood, 5 s mean)", xlabel="s since first produce")
        for key, label in (("flood_latency", "flood"), ("steady_latency", "steady")):
            if s[key]:
                row[1].scatter(*zip(*s[key]), s=2, label=label)
        row[1].set(title="produce -> searchable (s)", xlabel="produced at, s since first produce", yscale="log")
        row[1].legend()
        for name, samples in s["memory"].items():
            if samples:
                row[2].plot(*zip(*samples), label=name, linewidth=0.8)
        row[2].set(title="RSS (MB)", xlabel="s since first produce")
        row[2].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
