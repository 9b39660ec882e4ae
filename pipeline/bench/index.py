"""The sink benchmark: the sink's bulk writer next to `elasticsearch.helpers.bulk` of the same
documents into the same Elasticsearch, in the same run."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from elasticsearch import Elasticsearch, helpers
from rich.console import Console
from rich.table import Table

from pipeline.bench.common import load_samples
from pipeline.enrich import EntityEngine
from pipeline.settings import Settings
from pipeline.sinks.documents import index_action
from pipeline.sinks.elasticsearch import MAX_BATCH_BYTES, MAX_BATCH_DOCS, Action, BulkWriter, connect, ensure_index
from schemas import UniqueArticle

TARGET_RATIO = 0.9


def run(samples: Path, count: int, settings: Settings, console: Console) -> dict[str, float]:
    engine = EntityEngine.from_config()
    enriched = engine.enrich([UniqueArticle(article=a, version=1) for a in load_samples(samples)])
    # Real enriched documents, repeated under distinct ids: the shapes and sizes of the samples.
    stories = [
        story.model_copy(update={"article": story.article.model_copy(update={"id": f"bench-{i}"})})
        for i, story in ((i, enriched[i % len(enriched)]) for i in range(count))
    ]
    client = connect(settings)
    run_id = uuid.uuid4().hex[:6]
    figures: dict[str, float] = {"documents": count}
    aliases = {name: f"bench-{run_id}-{name.replace('_', '-')}" for name in ("helpers_bulk", "sink")}
    created: list[str] = []
    try:
        for name, alias in aliases.items():
            created.append(ensure_index(client, alias))
            actions = [index_action(alias, story) for story in stories]
            started = time.perf_counter()
            if name == "sink":
                result = BulkWriter(client).write(actions)
                assert result.written == count, result
            else:
                helpers_bulk(client, actions)
            client.indices.refresh(index=alias)
            figures[f"{name}_per_s"] = count / (time.perf_counter() - started)
    finally:
        for index in created:
            client.indices.delete(index=index)
        for alias in aliases.values():
            client.options(ignore_status=404).indices.delete_index_template(name=alias)
    figures["ratio"] = figures["sink_per_s"] / figures["helpers_bulk_per_s"]
    table = Table("writer", "documents/s", "compared with")
    table.add_row("elasticsearch.helpers.bulk (2,000 / 5 MiB chunks)", f"{figures['helpers_bulk_per_s']:,.0f}", "the limit")
    table.add_row("Wirestream sink (BulkWriter, 2 requests in flight)", f"{figures['sink_per_s']:,.0f}",
                  f"{figures['ratio']:.2f} of helpers.bulk (target at least {TARGET_RATIO})")
    console.print(f"{count:,} enriched documents, written and refreshed")
    console.print(table)
    return figures


def helpers_bulk(client: Elasticsearch, actions: list[Action]) -> None:
    """The baseline: the sink's actions written with `elasticsearch.helpers.bulk`, same chunking."""
    ok, errors = helpers.bulk(client, ({"_op_type": "index", "_index": a[0]["index"]["_index"],
                                        "_id": a[0]["index"]["_id"], "version": a[0]["index"]["version"],
                                        "version_type": "external", "_source": a[1]} for a in actions),
                              chunk_size=MAX_BATCH_DOCS, max_chunk_bytes=MAX_BATCH_BYTES)
    if ok != len(actions) or errors:
        raise RuntimeError(f"helpers.bulk wrote {ok} of {len(actions)} documents: {errors[:1]}")
