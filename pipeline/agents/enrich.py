"""The enrichment agent: `articles.unique` -> `articles.enriched` (entities, authors, places).

The expensive stage, so it scales out: the unique topic has several partitions keyed by story id,
each worker process takes its share, and one worker's agent takes its stories in batches so spaCy
sees many texts per call (`nlp.pipe`). The model runs in a worker thread so the event loop keeps
heartbeating the group while a batch is tagged.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import faust
from pydantic import ValidationError

from pipeline.agents.batches import batches
from pipeline.agents.dead_letters import position, publish
from pipeline.enrich import EntityEngine
from pipeline.ingest import InvalidInput, Rejected
from pipeline.producer import dead_letter
from pipeline.settings import Settings
from schemas import DeadLetter, EnrichedArticle, UniqueArticle

#: Stories per spaCy call, and how long to wait for a batch to fill.
BATCH_SIZE = 32
BATCH_WITHIN_S = 0.05


@dataclass
class EnrichResult:
    """What one batch became: enriched stories, and the inputs that could not be."""

    enriched: list[EnrichedArticle]
    refused: list[DeadLetter]


def enrich_batch(engine: EntityEngine, values: list[bytes], where: list[str]) -> EnrichResult:
    """Decode, tag and build the events for one batch; pure apart from the model.

    A value that is not a valid `UniqueArticle`, or one the model fails on, is refused with the
    reason and its input position; the rest of the batch is still enriched.
    """
    uniques: list[UniqueArticle] = []
    refused: list[DeadLetter] = []
    for value, position in zip(values, where):
        try:
            uniques.append(UniqueArticle.model_validate_json(value))
        except ValidationError as error:
            problem = InvalidInput.from_validation(error)
            refused.append(dead_letter(Rejected(position, problem.reason, value, problem.field), stage="enrich"))
    try:
        return EnrichResult(engine.enrich(uniques), refused)
    except Exception:  # one bad story must not cost its batch: retry one by one to find it
        enriched = []
        for unique in uniques:
            try:
                enriched.extend(engine.enrich([unique]))
            except Exception as error:  # noqa: BLE001 - reported with the story, never crashes the worker
                reason = f"entity tagging failed: {type(error).__name__}: {error}"
                refused.append(
                    dead_letter(Rejected(unique.article.id, reason, unique.model_dump_json().encode()), stage="enrich")
                )
        return EnrichResult(enriched, refused)


def register(app: faust.App, settings: Settings, engine: EntityEngine) -> Counter[str]:
    """Add the enrichment agent to `app`; returns its live counters."""
    topics = settings.topics
    unique = app.topic(topics.unique, partitions=topics.unique_partitions)
    enriched = app.topic(topics.enriched, partitions=topics.enriched_partitions)
    dlq = app.topic(topics.dlq, partitions=1)
    counters: Counter[str] = Counter()
    model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spacy")

    @app.agent(unique, concurrency=1)
    async def enrich(stream: faust.Stream) -> None:
        loop = asyncio.get_running_loop()
        async for events in batches(stream, BATCH_SIZE, BATCH_WITHIN_S):
            values = [event.value for event in events]
            where = [position(event) for event in events]
            result = await loop.run_in_executor(model_thread, enrich_batch, engine, values, where)
            for story in result.enriched:
                await enriched.send(key=story.article.id.encode(), value=story.model_dump_json().encode())
            for letter in result.refused:
                await publish(dlq, letter)
            counters["enriched"] += len(result.enriched)
            counters["refused"] += len(result.refused)

    return counters
