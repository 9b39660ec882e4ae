"""Entity-level precision, recall and F1 against the labelled stories of `evaluation/stories/`.

Labels follow `evaluation/CONVENTION.md`: per story, the set of (type, canonical name) pairs of
people, organisations and places. `dev/` is what the engine may be tuned on; `heldout/` is
scored apart and never tuned on. The raw spaCy baseline is scored on the same stories: its spans as
written ("Esper", "Donald Trump's", "Kataeb Hezbollah" as a person), which is what a pipeline
without canonicalisation would index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from spacy.language import Language

from pipeline.enrich.model import SPACY_LABELS, tagged_text
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.bundled import SAMPLES_DIR
from pipeline.settings import EVALUATION_STORIES
from schemas import Article, Entity, EntityType

SCORED_TYPES = (EntityType.PERSON, EntityType.ORGANISATION, EntityType.PLACE)

Labels = set[tuple[EntityType, str]]


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def add(self, predicted: Labels, gold: Labels) -> None:
        self.true_positives += len(predicted & gold)
        self.false_positives += len(predicted - gold)
        self.false_negatives += len(gold - predicted)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    """Micro scores over all stories, and per type."""

    overall: Score = field(default_factory=Score)
    by_type: dict[EntityType, Score] = field(default_factory=lambda: {kind: Score() for kind in SCORED_TYPES})

    def add(self, predicted: Labels, gold: Labels) -> None:
        self.overall.add(predicted, gold)
        for kind, score in self.by_type.items():
            score.add({p for p in predicted if p[0] is kind}, {g for g in gold if g[0] is kind})


@dataclass(frozen=True)
class LabelledStory:
    name: str
    article: Article
    gold: Labels


def load_set(split: str, stories_dir: Path = EVALUATION_STORIES) -> list[LabelledStory]:
    """The labelled stories of `split` (`dev` or `heldout`), parsed; a story file is looked for in
    the split's folder, then among the samples."""
    folder = stories_dir / split
    labels = yaml.safe_load((folder / "entities.yaml").read_text(encoding="utf-8"))
    stories = []
    for name, by_type in labels.items():
        path = folder / name if (folder / name).is_file() else SAMPLES_DIR / name
        article = parse_wire_text(path.read_text(encoding="utf-8"), source=name.split("-")[0])
        gold = {(EntityType(kind), entity) for kind, names in by_type.items() for entity in names or ()}
        stories.append(LabelledStory(name, article, gold))
    return stories


def engine_labels(entities: Iterable[Entity]) -> Labels:
    return {(entity.type, entity.name) for entity in entities if entity.type in SCORED_TYPES}


def raw_spacy_labels(nlp: Language, article: Article) -> Labels:
    """The stock model's entities on the same text, spans as written."""
    labels = set()
    for ent in nlp(tagged_text(article)).ents:
        kind = SPACY_LABELS.get(ent.label_)
        if kind in SCORED_TYPES:
            labels.add((kind, ent.text))
    return labels
