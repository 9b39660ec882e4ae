"""The dedup benchmark: identity on real stories in many orders, then throughput and memory."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline import loadgen
from pipeline.bench import identity
from pipeline.bench.common import load_samples
from pipeline.dedup import DedupIndex
from schemas import Article

DEDUP_TARGET_PER_S = 2_000


def run(samples: Path, evaluation: Path, count: int, orders: int, console: Console) -> dict[str, float]:
    figures: dict[str, float] = {}
    for name, paths in identity.story_sets(samples, evaluation).items():
        if paths:
            report = identity.evaluate_set(paths, orders)
            figures.update({f"{name}_{key}": value for key, value in report.summary().items()})
            show_identity(name, report, console)
    figures.update(throughput(samples, count, console))
    return figures


def show_identity(name: str, report: identity.Report, console: Console) -> None:
    summary = report.summary()
    table = Table("figure", "value", "target", title=f"identity, {name} set: {summary['stories']} stories, "
                  f"{summary['articles']} articles, {summary['orders']} random orders")
    table.add_row("pairwise precision, min / mean", f"{summary['precision_min']:.3f} / {summary['precision_mean']:.3f}", "1.000")
    table.add_row("pairwise recall, min / mean", f"{summary['recall_min']:.3f} / {summary['recall_mean']:.3f}", "≥ 0.98")
    table.add_row("orders where an id holds two stories", str(summary["orders_with_merged_ids"]), "0")
    table.add_row("orders where a story ends on a text not its fullest latest",
                  str(summary["orders_with_wrong_final_text"]), "0")
    table.add_row("variants", ", ".join(f"{role} {n}" for role, n in sorted(report.roles.items())), "")
    if report.refused:
        table.add_row("refused by the parser", "; ".join(report.refused[:3]), "none")
    console.print(table)
    for position, order in enumerate(report.orders):
        if order.wrong_final:
            console.print(f"  order {position}: not on its fullest latest text: {', '.join(sorted(set(order.wrong_final)))}")


def throughput(samples: Path, count: int, console: Console) -> dict[str, float]:
    """Dedup throughput on one core and state memory per 100,000 stories, on a generated stream."""
    stories = load_samples(samples)
    labelled = list(loadgen.stream(stories, count, duplicate_rate=0.3, seed=1))
    payloads = [item.article.model_dump_json().encode() for item in labelled]

    # Baseline: what every stage pays anyway, decoding and validating the event.
    started = time.perf_counter()
    for payload in payloads:
        Article.model_validate_json(payload)
    decode_s = time.perf_counter() - started

    index = DedupIndex()
    outcome: Counter[str] = Counter()
    gc.collect()
    started = time.perf_counter()
    for item, payload in zip(labelled, payloads):
        decision = index.observe(Article.model_validate_json(payload), now=0)
        state_json = decision.state.to_json()  # what the agent writes to its table
        del state_json
        is_copy = not decision.unique
        should_be_copy = item.label in ("exact", "near", "containment")
        right_story = decision.story_id == item.original_id
        outcome["tp" if is_copy and should_be_copy and right_story else
                "fp" if is_copy and not (should_be_copy and right_story) else
                "fn" if should_be_copy else "tn"] += 1
    dedup_s = time.perf_counter() - started

    # Memory in a second pass: tracemalloc slows the interpreter too much to time under it.
    del index
    gc.collect()
    tracemalloc.start()
    index = DedupIndex()
    for payload in payloads:
        index.observe(Article.model_validate_json(payload), now=0)
    memory, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    precision = outcome["tp"] / max(1, outcome["tp"] + outcome["fp"])
    recall = outcome["tp"] / max(1, outcome["tp"] + outcome["fn"])
    figures = {
        "articles": count,
        "stories_kept": len(index),
        "decode_only_per_s": count / decode_s,
        "dedup_per_s": count / dedup_s,
        "state_mb_per_100k_stories": memory / max(1, len(index)) * 100_000 / 2**20,
        "stream_precision": precision,
        "stream_recall": recall,
    }
    table = Table("figure", "value", "compared with", title=f"throughput: {count:,} generated articles, seed 1")
    table.add_row("dedup throughput, one core", f"{figures['dedup_per_s']:,.0f} articles/s",
                  f"target {DEDUP_TARGET_PER_S:,}/s; decode+validate alone: {figures['decode_only_per_s']:,.0f}/s")
    table.add_row("index memory per 100,000 stories", f"{figures['state_mb_per_100k_stories']:,.0f} MB",
                  f"measured over {len(index):,} stories (tracemalloc)")
    table.add_row("copies found in the stream, precision / recall", f"{precision:.4f} / {recall:.4f}",
                  str(dict(outcome)))
    console.print(table)
    return figures
