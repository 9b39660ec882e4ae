"""The enrichment agent: `articles.unique` -> `articles.enriched` (entities, authors, places).

The expensive stage, so it scales out: the unique topic has several partitions keyed by story id,
each worker process takes its share, and one worker's agent takes its stories in batches so spaCy
sees many texts per call (`nlp.pipe`). The model runs in a process of its own, and the story
embedder in another (`pipeline.enrich.model_process`): the worker's event loop keeps heartbeating
the group and serving the other agents while a batch is tagged, and none waits for another's GIL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable

import faust

from pipeline.agents.batches import pipelined
from pipeline.agents.dead_letters import position, publish
from pipeline.agents.exits import within
from pipeline.enrich.batch import BATCH_SIZE, EnrichResult
from pipeline.enrich.model_process import ModelProcess
from pipeline.settings import Settings

#: How long to wait for a batch to fill.
BATCH_WITHIN_S = 0.05


def register(app: faust.App, settings: Settings, model: ModelProcess) -> Counter[str]:
    """Add the enrichment agent to `app`; returns its live counters."""
    topics = settings.topics
    unique = app.topic(topics.unique, partitions=topics.unique_partitions)
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    dlq = app.topic(topics.dlq, partitions=1)
    counters: Counter[str] = Counter()

    @app.task
    async def load_model() -> None:
        await model.warm_up()

    def tag(events: list[faust.EventT]) -> Awaitable[EnrichResult]:
        return model.enrich([event.value for event in events], [position(event) for event in events])

    async def send(events: list[faust.EventT], result: EnrichResult) -> None:
        # Vectors in their own process, while the entity process tags the next batch.
        for story in await model.with_vectors(result.enriched):
            await within(enriched.send(key=story.article.id.encode(), value=story.model_dump_json().encode()),
                         "a send to the enriched topic")
        for letter in result.refused:
            await publish(dlq, letter)
        counters["enriched"] += len(result.enriched)
        counters["refused"] += len(result.refused)

    @app.agent(unique, concurrency=1)
    async def enrich(stream: faust.Stream) -> None:
        # The next batch is tagged while this one is sent: the model process never waits for the loop.
        await pipelined(stream, BATCH_SIZE, BATCH_WITHIN_S, "enrich", start=tag, finish=send)

    return counters
