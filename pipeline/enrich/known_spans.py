"""The gazetteer's names in a spaCy pipeline: after the statistical model, the longer span wins.

spaCy's EntityRuler either keeps every span the model found (so "Aung San" stays a person cut short
of "Aung San Suu Kyi", and "DR" and "Congo" stay two places) or lets its own matches replace them
(so "Baghdad" would cut "Baghdad International Airport"). This component does neither: a known name
replaces the model's spans it covers entirely, is dropped where it lies inside a longer span of the
model's, and never cuts a span in two.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

FACTORY = "wirestream_known_spans"


class KnownSpans:
    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab)
        self.names: dict[int, tuple[str, str]] = {}  # match key -> (label, canonical name)

    def add(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """(label, canonical name, form as written) for every form of every known entity."""
        patterns: dict[str, list[Doc]] = {}
        for label, name, form in entries:
            key = f"{label}\x1f{name}"
            self.names[self.nlp.vocab.strings.add(key)] = (label, name)
            patterns.setdefault(key, []).append(self.nlp.make_doc(form))
        for key, docs in patterns.items():
            self.matcher.add(key, docs)

    def find(self, text: str) -> list[Span]:
        """The known names in a text the model does not read (a headline), longest first, none overlapping."""
        doc = self.nlp.make_doc(text)
        doc.ents = []
        return list(self(doc).ents)

    def __call__(self, doc: Doc) -> Doc:
        matches = sorted(self.matcher(doc), key=lambda m: (m[2] - m[1], -m[1]), reverse=True)
        ents = {ent.start: ent for ent in doc.ents}  # they never overlap: each by its first token
        owner = {i: ent.start for ent in doc.ents for i in range(ent.start, ent.end)}  # token -> its span's start
        taken: set[int] = set()
        for key, start, end in matches:
            if taken.intersection(range(start, end)):
                continue
            touched = {owner[i] for i in range(start, end) if i in owner}
            if any(ents[first].start < start or ents[first].end > end for first in touched):
                continue  # within a longer span of the model's, or across one's edge
            for first in touched:
                del ents[first]
            label, name = self.names[key]
            ents[start] = Span(doc, start, end, label=label, span_id=name)
            owner.update(dict.fromkeys(range(start, end), start))
            taken.update(range(start, end))
        doc.ents = sorted(ents.values(), key=lambda e: e.start)
        return doc


@Language.factory(FACTORY)
def make_known_spans(nlp: Language, name: str) -> KnownSpans:
    return KnownSpans(nlp)
