"""The entity engine: spaCy's English pipeline plus the gazetteer, turned into canonical entities.

Usable without Kafka (`EntityEngine.from_config().entities(article)`); the enrichment agent and the
benchmarks use the same object. Only the story's own text is tagged: headline, body, captions and
credit lines (and the dateline's place). The wire parser has already cut the site's chrome.

Canonical names follow `evaluation/CONVENTION.md`: the English Wikipedia title of what the text
refers to. A story goes through these steps, each in a module of its own:

1. the model reads the story text (`pipeline.enrich.model`: spaCy between two gazetteer rulers);
2. each span becomes a mention under its canonical name (`pipeline.enrich.mentions`, naming by
   `pipeline.enrich.canonical`: the gazetteer's names, titles and ranks split into the role, "U.S. X"
   as "United States X", a U.S. "City, State" as Wikipedia names it);
3. the story's mentions are resolved against each other (`pipeline.enrich.resolution`: acronyms the
   story defines, a surname or speaker label to the one full name the story gives, the dateline);
4. mentions of one name are one entity, with its salience, country and coordinates (here).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from spacy.tokens import Doc

from pipeline.enrich.canonical import Canonicaliser
from pipeline.enrich.gazetteer import Gazetteer, KnownEntity, gazetteer_files, load_gazetteer
from pipeline.enrich.mentions import Mention, mentions_of
from pipeline.enrich.model import MODEL, load_pipeline, model_text, story_text
from pipeline.enrich.names import author_names
from pipeline.enrich.places import PlaceResolver
from pipeline.enrich.resolution import (dateline, dateline_country, headline_mentions, resolve_acronyms, resolve_embassies,
                                        resolve_national_bodies, resolve_people, resolve_seats, resolve_short_forms,
                                        resolve_towns, spelled_out, story_country, without_subheads)
from pipeline.enrich.spelled_out import story_state
from pipeline.enrich.us_places import state_name
from schemas import Article, EnrichedArticle, Entity, EntityType, GeoPoint, UniqueArticle

# What ends a headline's "City, " before a state's name.
_AFTER_PLACE = re.compile(r"\b[A-Z][\w.'-]*, $")


class EntityEngine:
    """Canonical entities for articles. Build once per process (loading spaCy takes ~1 s)."""

    def __init__(self, gazetteer: Gazetteer, places: PlaceResolver | None = None, model: str = MODEL) -> None:
        self.places = places or PlaceResolver()
        # Every country is known, from GeoNames, beside the gazetteer's own entries: the small
        # model misses "Nigeria" at the start of a sentence.
        forms = gazetteer.by_form()
        countries = [KnownEntity(name=name, type=EntityType.PLACE, country=code)
                     for name, code in self.places.countries() if name not in forms]
        gazetteer = Gazetteer(entities=[*countries, *gazetteer.entities], titles=gazetteer.titles, ignore=gazetteer.ignore)
        self.gazetteer = gazetteer
        self.names = Canonicaliser(gazetteer, self.places)
        self.nlp = load_pipeline(gazetteer, model)
        self.nlp.get_pipe("span_repair").is_place = self.names.is_place
        self.places.is_place("Paris")  # GeoNames' cities and ISO's subdivisions loaded now, not in the first batch

    @classmethod
    def from_config(cls, config_dir: Path | None = None) -> EntityEngine:
        """The engine with `config/gazetteer.yaml`, `config/entities/*.yaml` and `config/gazetteer.d/*.yaml`."""
        from pipeline.settings import CONFIG_DIR

        return cls(load_gazetteer(gazetteer_files(config_dir or CONFIG_DIR)))

    def entities(self, article: Article) -> list[Entity]:
        """One article's entities, most salient first."""
        return self.entities_of([article])[0]

    def entities_of(self, articles: Sequence[Article], batch_size: int = 32) -> list[list[Entity]]:
        """Entities of many articles, run through spaCy in batches (much faster than one by one)."""
        def texts():
            for article in articles:
                text = model_text(article)
                yield text, (article, text)

        return [self._entities(article, doc, text)
                for doc, (article, text) in self.nlp.pipe(texts(), batch_size=batch_size, as_tuples=True)]

    def enrich(self, uniques: Sequence[UniqueArticle]) -> list[EnrichedArticle]:
        """The enriched events for unique articles: entities plus byline authors."""
        found = self.entities_of([unique.article for unique in uniques])
        return [
            EnrichedArticle(
                article=unique.article,
                version=unique.version,
                copies=unique.copies,
                authors=author_names(unique.article.byline, self.names.organisation_words),
                entities=entities,
            )
            for unique, entities in zip(uniques, found)
        ]

    def _entities(self, article: Article, doc: Doc, text: str) -> list[Entity]:
        """`text` is the doc's text, `model_text(article)` (not `doc.text`, which spaCy rebuilds)."""
        headline = article.headline
        body_at = len(headline) + 2
        state = story_state(article)
        mentions = mentions_of(self.names, doc, text, body_at, state)
        # Names the text spells out in full that the model cuts or splits: county lists, "St. John the
        # Baptist Parish", "Louisiana National Guard". They replace the model's mentions inside them.
        spelled, spans = spelled_out(self.names, text, body_at, state)
        mentions = [m for m in mentions if not any(m.start < b and a < m.start + len(m.form) for a, b in spans)] + spelled
        mentions += dateline(self.names, article, body_at, state)
        mentions = without_subheads(self.names, mentions, text, body_at)
        mentions = resolve_acronyms(self.names, mentions, text)
        country = dateline_country(self.names, article.located) or story_country(self.names, mentions)
        resolve_national_bodies(self.names, mentions, country)
        resolve_embassies(mentions)
        resolve_seats(self.names, mentions, text, body_at)
        mentions = resolve_people(self.names, mentions, story_text(article), body_at)
        resolve_towns(mentions)
        resolve_short_forms(mentions)

        grouped: dict[str, list[Mention]] = {}
        for mention in mentions:
            grouped.setdefault(mention.name, []).append(mention)
        for name, group in grouped.items():
            group.extend(headline_mentions(headline, group))
        # Known names in the headline are mentions too ("Soldiers Oust Mali President", the body
        # saying only "Malian"), but not the state of a "City, State" ("... near Cedar Key, Fla.").
        for span in self.nlp.get_pipe("gazetteer").find(headline):
            known = self.names.by_name.get(span.id_)
            if known and state_name(span.text) and _AFTER_PLACE.search(headline, 0, span.start_char):
                continue
            if known and known.type is not EntityType.GROUP and not any(
                    m.start == span.start_char for m in grouped.get(known.name, ())):
                grouped.setdefault(known.name, []).append(
                    Mention(known.name, known.type, span.start_char, span.text, known, None))
        most = max((len(group) for group in grouped.values()), default=1)
        length = body_at + len(text)  # not doc.text: spaCy rebuilds it token by token
        entities = [self._entity(name, group, len(headline), length, most) for name, group in grouped.items()]
        entities = self._locate(entities, {name: group[0].known for name, group in grouped.items()})
        return sorted(entities, key=lambda entity: (-entity.salience, entity.first_offset))

    def _entity(self, name: str, group: list[Mention], headline_end: int, length: int, most: int) -> Entity:
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
            salience=round(min(1.0, salience), 4),
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
