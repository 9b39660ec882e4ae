"""`wirestream bench soak`: the two-worker pipeline run again and again on fresh topics, to find the
rare failures one run does not show: stalls, restarts, a story version missing from the index or
alerted twice.

Each run: two workers (`wirestream worker --restart`, as a user runs them), `--articles` generated
articles (stories, copies and updates, a seed per run) produced at once, then a wait until the
index holds every story in its latest version and the every-story subscription has one alert per
version. A run passes when that holds with no worker exiting (a stall or a deadline ends a worker
with one line; its supervisor starts another) and no alert twice. Its topics and index are deleted
after it.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan
from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.alerts.store import SubscriptionStore
from pipeline.bench.common import delete_indices, delete_topics, load_samples
from pipeline.producer import ArticleProducer
from pipeline.retrying import wait_until
from pipeline.settings import REPO_ROOT, Settings
from pipeline.sinks.elasticsearch import connect
from pipeline.topics import alert_topic, ensure_topics
from pipeline.worker_processes import WorkerProcess, read_until, wait_group_stable
from schemas.alerts import Subscription

EVERY_STORY = Subscription(name="every-story", phrases=["the"], updates=True)
WORKERS = 2


@dataclass
class Run:
    seed: int
    seconds: float = 0.0
    stalls: int = 0
    restarts: int = 0
    missing_versions: int = 0
    alerted_twice: int = 0
    error: str = ""

    @property
    def passed(self) -> bool:
        return not (self.stalls or self.restarts or self.missing_versions or self.alerted_twice or self.error)


def run(samples: Path, runs: int, articles: int, settings: Settings, console: Console, timeout_s: float = 600) -> list[Run]:
    stories = load_samples(samples)
    client = connect(settings)
    done: list[Run] = []
    results = REPO_ROOT / "results"
    results.mkdir(exist_ok=True)
    path = results / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    # Killed, the soak still stops its workers and deletes its run's topics (the `finally`s below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    for number in range(1, runs + 1):
        outcome = Run(seed=1000 + number)
        prefix = f"bench-soak-{uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        try:
            _one(settings.isolated(prefix), client, stories, articles, outcome, timeout_s)
        except Exception as error:  # noqa: BLE001 - a failed run is a figure, the soak goes on
            outcome.error = " ".join(f"{type(error).__name__}: {error}".split())[:200]
        finally:
            outcome.seconds = time.monotonic() - started
            delete_topics(settings, prefix)
            delete_indices(client, prefix)
        done.append(outcome)
        console.print(f"run {number}/{runs} (seed {outcome.seed}): {'[green]pass[/]' if outcome.passed else '[red]FAIL[/]'} "
                      f"in {outcome.seconds:.0f} s; stalls {outcome.stalls}, restarts {outcome.restarts}, "
                      f"versions missing {outcome.missing_versions}, alerted twice {outcome.alerted_twice}"
                      + (f"; {outcome.error}" if outcome.error else ""))
        path.write_text(json.dumps([{**vars(r), "passed": r.passed} for r in done], indent=1))
    _print(done, articles, console)
    console.print(f"figures: {path}")
    return done


def _one(settings: Settings, client: Elasticsearch, stories, articles: int, outcome: Run, timeout_s: float) -> None:
    ensure_topics(settings)
    SubscriptionStore(settings).put(EVERY_STORY)
    labelled = list(loadgen.stream(stories, articles, duplicate_rate=0.3, seed=outcome.seed))
    expected = loadgen.latest_versions(labelled)
    logs = REPO_ROOT / ".stack" / "soak"
    workers = [WorkerProcess(settings, logs / f"{settings.faust.app_id}-{i}.log") for i in range(WORKERS)]
    try:
        wait_group_stable(settings, WORKERS, timeout_s=120)
        with ArticleProducer(settings) as producer:
            for item in labelled:
                producer.send(item.article)
        alias = settings.elasticsearch.index_alias

        def indexed() -> dict[str, int]:
            if not client.indices.exists_alias(name=alias):
                return {}
            return {hit["_id"]: hit["_source"]["version"] for hit in scan(client, index=alias, _source=["version"])}

        wait_until(lambda: indexed() == expected, timeout_s, "every story in its latest version", interval_s=2)
        alerts = read_until(settings, [alert_topic(settings, EVERY_STORY.name)],
                            lambda records: len(records) >= sum(expected.values()), workers=workers, timeout_s=timeout_s)
        time.sleep(3)  # an alert sent twice would come right after the first: read them all again
        alerts = read_until(settings, [alert_topic(settings, EVERY_STORY.name)],
                            lambda records: len(records) >= len(alerts), timeout_s=60)
        sent = Counter((value["story_id"], value["version"]) for _, value in alerts if "story_id" in value)
        outcome.alerted_twice = sum(count - 1 for count in sent.values() if count > 1)
        outcome.missing_versions = sum(v for v in expected.values()) - len(set(sent))
        outcome.missing_versions += sum(1 for story, version in indexed().items() if expected.get(story) != version)
    finally:
        for worker in workers:
            worker.stop()
        for worker in workers:
            text = worker.log.read_text(errors="replace") if worker.log.exists() else ""
            outcome.stalls += text.count("worker cannot go on: stalled")
            outcome.restarts += text.count("worker exited with status")


def _print(done: list[Run], articles: int, console: Console) -> None:
    table = Table("runs", "passed", "stalls", "restarts", "versions missing", "alerted twice", "errors", "median s",
                  title=f"soak: {WORKERS} workers, {articles:,} articles a run")
    seconds = sorted(r.seconds for r in done)
    table.add_row(str(len(done)), str(sum(r.passed for r in done)), str(sum(r.stalls for r in done)),
                  str(sum(r.restarts for r in done)), str(sum(r.missing_versions for r in done)),
                  str(sum(r.alerted_twice for r in done)), str(sum(bool(r.error) for r in done)),
                  f"{seconds[len(seconds) // 2]:.0f}" if seconds else "-")
    console.print(table)
