"""Entity-level precision, recall and F1 against the hand-labelled samples (`evaluation/`).

The raw spaCy baseline is scored on the same stories: its spans as written ("Esper", "Donald
Trump's", "Kataeb Hezbollah" as a person), which is what a pipeline without canonicalisation
would index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from spacy.language import Language

from pipeline.enrich.engine import SPACY_LABELS, tagged_text
from schemas import Article, Entity, EntityType

GOLD_FILE = Path(__file__).resolve().parents[2] / "evaluation" / "entities.yaml"
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


def load_gold(path: Path = GOLD_FILE) -> dict[str, Labels]:
    """Story file name -> its labelled (type, canonical name) pairs."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        story: {(EntityType(kind), name) for kind, names in labels.items() for name in names}
        for story, labels in data.items()
    }


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
