"""`wirestream bench`: each benchmark prints its figures next to its baseline, measured in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.bundled import SAMPLES_DIR
from pipeline.settings import EVALUATION_STORIES
from pipeline.views import fail, settings_or_exit

bench_app = typer.Typer(help="Benchmarks: each prints its figures next to its baseline.")
console = Console()


def _worker_counts(workers: str) -> list[int]:
    try:
        return [int(n) for n in workers.split(",") if int(n) > 0]
    except ValueError:
        raise fail(f"--workers takes counts like 1,2; got {workers!r}") from None


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    articles: Annotated[int, typer.Option(help="Generated articles for the flood (stories and copies, 30% copies).")] = 5_000,
    workers: Annotated[str, typer.Option(help="Worker process counts to run, e.g. 1,2.")] = "1,2",
    rate: Annotated[float, typer.Option(help="Stories per second for the steady-rate latency.")] = 5.0,
    steady_stories: Annotated[int, typer.Option(help="Stories produced at the steady rate.")] = 300,
    samples: Annotated[Path, typer.Option(help="Folder of wire stories to generate from.")] = SAMPLES_DIR,
    results: Annotated[Path, typer.Option(help="Folder for the JSON figures and the PNG chart.")] = Path("results"),
) -> None:
    """Without a subcommand: the whole pipeline on the local stack, with each worker count —
    throughput from first produce to last searchable, per-stage rates, latency to searchable and
    to alert (p50/p95/p99) in a flood and at a steady rate, peak memory of the workers, Kafka and
    Elasticsearch — next to the limits measured in the same run (kafka-python, helpers.bulk, raw
    nlp.pipe on the same data). About 15 minutes for 5,000 articles. The subcommands time one
    stage each."""
    if ctx.invoked_subcommand is not None:
        return
    from elasticsearch import TransportError
    from kafka.errors import KafkaError

    from pipeline.bench import end_to_end

    if articles < 100:
        raise fail(f"--articles must be at least 100; got {articles}")
    counts = _worker_counts(workers)
    try:
        end_to_end.run(samples, articles, counts, rate, steady_stories, settings_or_exit(), console, results)
    except (KafkaError, TransportError) as error:
        raise fail(f"{type(error).__name__}: {error}; is `wirestream stack up` running?") from None
    except RuntimeError as error:  # the pipeline stalled: the message names the worker logs
        raise fail(str(error)) from None


@bench_app.command("dedup")
def bench_dedup(
    articles: Annotated[int, typer.Option(help="How many generated articles for throughput and memory.")] = 10_000,
    orders: Annotated[int, typer.Option(help="Random orders to feed the identity set in.")] = 20,
    samples: Annotated[Path, typer.Option(help="Folder of wire stories to generate from.")] = SAMPLES_DIR,
    evaluation: Annotated[Path, typer.Option(help="Folder of real stories: dev/, heldout/, scripts/.")] = EVALUATION_STORIES,
) -> None:
    """Identity first: variants of real stories (page chrome, truncations, other outlets' copies,
    updates, different stories reusing paragraphs, non-Latin scripts) fed in many random orders,
    with pairwise cluster precision and recall per order, on the development and the held-out set
    apart. Then dedup throughput on one core and index memory per 100,000 stories."""
    from pipeline.bench import dedup

    dedup.run(samples, evaluation, articles, orders, console)


@bench_app.command("enrich")
def bench_enrich(
    articles: Annotated[int, typer.Option(help="How many distinct generated stories.")] = 400,
    workers: Annotated[str, typer.Option(help="Worker process counts to run on Kafka, e.g. 1,2; 0 skips Kafka.")] = "1,2",
    samples: Annotated[Path, typer.Option(help="Folder of wire stories to generate from.")] = SAMPLES_DIR,
) -> None:
    """Entity quality first: precision, recall and F1 on the labelled stories of `evaluation/stories/`,
    the development and the held-out set apart, next to raw spaCy. Then enrichment throughput: the
    agent's code next to raw spaCy `nlp.pipe` on the same texts, and the real agent on Kafka with
    each worker count next to `nlp.pipe` with as many processes (needs `wirestream stack up`;
    `--workers 0` skips it)."""
    from pipeline.bench import enrich

    enrich.run(samples, articles, _worker_counts(workers), settings_or_exit(), console)


@bench_app.command("search")
def bench_search(
    documents: Annotated[int, typer.Option(min=1, help="Documents in the index the latency at scale is measured on.")] = 100_000,
) -> None:
    """Search relevance on the judged queries of `evaluation/search/`: nDCG@10, recall@5 and MRR per
    query kind, dev and held-out queries apart, for plain BM25 (the baseline), the previous query, and
    `wirestream search` by its words alone and hybrid (words and vectors), on the same index; their
    latency, there and on an index of `--documents`; and the index size with and without vectors.
    Needs the local stack."""
    from pipeline.bench import search

    search.run(settings_or_exit(), console, documents)


@bench_app.command("index")
def bench_index(
    documents: Annotated[int, typer.Option(help="How many enriched documents to write.")] = 20_000,
    samples: Annotated[Path, typer.Option(help="Folder of wire stories the documents are made from.")] = SAMPLES_DIR,
) -> None:
    """The sink's indexing rate next to `helpers.bulk` of the same documents into the same
    Elasticsearch, in the same run. Needs the local stack (`wirestream stack up`)."""
    from pipeline.bench import index

    index.run(samples, documents, settings_or_exit(), console)


@bench_app.command("alerts")
def bench_alerts(
    articles: Annotated[int, typer.Option(help="Distinct generated stories to match.")] = 256,
    subscriptions: Annotated[int, typer.Option(help="How many subscriptions.")] = 1_000,
    latency_stories: Annotated[int, typer.Option(help="Stories produced for the latency figures.")] = 300,
    rate: Annotated[float, typer.Option(help="Stories per second for the latency figures.")] = 5.0,
    samples: Annotated[Path, typer.Option(help="Folder of wire stories to generate from.")] = SAMPLES_DIR,
) -> None:
    """Alert matching throughput with many subscriptions (next to one search per query), and the
    latency from a story produced to its alert through a real worker at a steady rate, p50/p95/p99.
    Needs the local stack (`wirestream stack up`)."""
    from pipeline.bench import alerts

    alerts.run(samples, articles, subscriptions, latency_stories, rate, settings_or_exit(), console)


@bench_app.command("soak")
def bench_soak(
    runs: Annotated[int, typer.Option(min=1, help="How many runs, each on fresh topics.")] = 40,
    articles: Annotated[int, typer.Option(min=10, help="Generated articles a run (stories, copies, updates).")] = 1_000,
    samples: Annotated[Path, typer.Option(help="Folder of wire stories to generate from.")] = SAMPLES_DIR,
) -> None:
    """The two-worker pipeline run again and again: per run, the stalls, the workers restarted,
    the story versions missing from the index or its alerts, the alerts sent twice; exits 1 when a
    run failed. Needs the local stack (`wirestream stack up`); about a minute and a half a run."""
    from pipeline.bench import soak

    done = soak.run(samples, runs, articles, settings_or_exit(), console)
    if not all(r.passed for r in done):
        raise typer.Exit(1)
