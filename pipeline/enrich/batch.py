"""One batch of unique-article events through the entity engine, then through the story embedder
when vectors are on: pure apart from the models, so the agent, its model processes and the
benchmark share it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from pipeline.embedding import Embedder, story_text
from pipeline.enrich.engine import EntityEngine
from pipeline.ingest import InvalidInput, Rejected
from pipeline.producer import dead_letter
from schemas import DeadLetter, EnrichedArticle, UniqueArticle

#: Stories per spaCy call.
BATCH_SIZE = 32
#: Vector components are kept to this many decimals: a third of the event's size, the same ranking.
VECTOR_DECIMALS = 5

log = logging.getLogger(__name__)


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


def embed_stories(embedder: Embedder | None, stories: list[EnrichedArticle]) -> list[EnrichedArticle]:
    """The stories with their vectors (headline and lead); unchanged without an embedder, or when it
    fails (a story without a vector is still a story: search finds it by its words)."""
    if embedder is None or not stories:
        return stories
    try:
        vectors = embedder.embed([story_text(story.article.headline, story.article.body_text)
                                  for story in stories]).round(VECTOR_DECIMALS)
    except Exception as error:  # noqa: BLE001 - never costs a story
        log.error("enrich: no vectors for a batch of %d: %s: %s", len(stories), type(error).__name__, error)
        return stories
    return [story.model_copy(update={"embedding": vector.tolist()}) for story, vector in zip(stories, vectors)]
