"""One batch of unique-article events through the entity engine (and the story embedder, when
vectors are on): pure apart from the models, so the agent, its model process and the benchmark
share it."""

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


def enrich_batch(engine: EntityEngine, values: list[bytes], where: list[str],
                 embedder: Embedder | None = None) -> EnrichResult:
    """Decode, tag (and embed) the events of one batch; pure apart from the models.

    A value that is not a valid `UniqueArticle`, or one the entity model fails on, is refused with
    the reason and its input position; the rest of the batch is still enriched. A batch the
    embedder fails on keeps its stories, without vectors (search still finds them by their words).
    """
    result = _tag(engine, values, where)
    if embedder is None or not result.enriched:
        return result
    try:
        vectors = embedder.embed([story_text(story.article.headline, story.article.body_text)
                                  for story in result.enriched]).round(VECTOR_DECIMALS)
    except Exception as error:  # noqa: BLE001 - a story without a vector is still a story
        log.error("enrich: no vectors for a batch of %d: %s: %s", len(result.enriched), type(error).__name__, error)
        return result
    result.enriched = [story.model_copy(update={"embedding": vector.tolist()})
                       for story, vector in zip(result.enriched, vectors)]
    return result


def _tag(engine: EntityEngine, values: list[bytes], where: list[str]) -> EnrichResult:
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
