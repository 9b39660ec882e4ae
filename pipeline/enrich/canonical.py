"""Canonical names for what one span of text names: the gazetteer's lookups and the naming rules.

The name is the English Wikipedia title of what the text refers to (`evaluation/CONVENTION.md`):
the gazetteer's name for a known form, in either spelling ("Defense"/"Defence"); "U.S. X" as
"United States X"; titles and ranks split off into the role; subdivisions and U.S. towns titled as
Wikipedia titles them. Pure lookups: no model, no story.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pipeline.enrich.gazetteer import Gazetteer, KnownEntity
from pipeline.enrich.names import clean_mention, name_key, surname
from pipeline.enrich.national_bodies import TITLES as NATIONAL_TITLES, national_body
from pipeline.enrich.places import PlaceResolver
from pipeline.enrich.span_repair import INSTITUTION_WORDS
from pipeline.enrich.titles import BODY_WORDS, OFFICES, QUALIFIERS, split_role
from pipeline.enrich.us_places import city_title, state_name
from schemas import EntityType

#: Armed services a rank names ("Army Sgt.", "Air Force Brig. Gen."): U.S. ones unless another country is named.
SERVICES = {"Army": "United States Army", "Navy": "United States Navy", "Air Force": "United States Air Force",
            "Marine Corps": "United States Marine Corps", "Marines": "United States Marine Corps",
            "Coast Guard": "United States Coast Guard", "Army Reserve": "United States Army Reserve",
            "National Guard": "National Guard of the United States", "Space Force": "United States Space Force"}
#: Forts, camps and bases: places, and the state after their comma is not a mention of its own.
FORT = re.compile(r"^(?:Fort|Camp|Joint Base|Naval Station|Naval Air Station|(?:Coast Guard )?(?:Air )?Station) |(?:Air Force Base|Field|Airfield)$")
US_PREFIX = re.compile(r"^(?:U\.S\.|US)\s+(?=[A-Z])")
_COUNTRY_BEFORE = re.compile(r"^(?:U\.S\.|US|United States)\s+(?=[A-Z])")
# British and American spellings of institution words: "Australian Defense Force" is the Australian Defence Force.
_SPELLINGS = [("Defense", "Defence"), ("Center", "Centre"), ("Organization", "Organisation"), ("Labor", "Labour")]
# An institution of a Commonwealth country is titled in its own spelling, whatever the copy's: "Australian
# Defence Force", "Canadian Centre for ...". (Not "Labor": the Australian Labor Party spells it so.)
_COMMONWEALTH = re.compile(r"^(?:Royal )?(?:Australian|British|UK|Canadian|New Zealand|Irish|Indian|Pakistani|Kenyan|"
                           r"Nigerian|South African|Ugandan|Ghanaian|Malaysian|Singapore|Sri Lankan|Bangladeshi|Jamaican) ")
#: Countries whose subdivisions' Wikipedia titles carry their kind.
_SUBDIVISION_TITLES = {"NG": "{} State", "CO": "{} Department", "AF": "{} Province", "YE": "{} Governorate",
                       "SY": "{} Governorate", "IQ": "{} Governorate", "EG": "{} Governorate", "JO": "{} Governorate"}


class Canonicaliser:
    """The gazetteer's names by form, spelling key and surname, with the places of GeoNames and
    ISO 3166-2; what a span's text is called, and which entry it is."""

    def __init__(self, gazetteer: Gazetteer, places: PlaceResolver) -> None:
        self.places = places
        # Spans come cleaned ("the House" -> "House"), so aliases are looked up cleaned too.
        self._known = {clean_mention(form): entity for form, entity in gazetteer.by_form().items()}
        self.by_name = gazetteer.by_name()
        self._folded = gazetteer.forms_folded()
        self.titles = frozenset(gazetteer.titles)
        people = [entity for entity in gazetteer.entities if entity.type is EntityType.PERSON]
        self._person_keys = _unique_index((key, entity) for entity in people for form in entity.forms
                                          if " " in (key := name_key(form)))
        # The same keys with the words run together: "Abd Rabbuh" and "Abdrabbuh" split a name differently.
        self._joined_keys = _unique_index((key.replace(" ", ""), entity) for key, entity in self._person_keys.items())
        self.surnames = _unique_index((surname(entity.name), entity) for entity in people if " " in entity.name)
        self._by_surname: dict[str, list[KnownEntity]] = {}
        for entity in people:
            if " " in entity.name:
                self._by_surname.setdefault(surname(entity.name), []).append(entity)
        self.organisation_words = {
            word for entity in gazetteer.entities if entity.type is EntityType.ORGANISATION for word in entity.forms
        }

    def lookup(self, name: str) -> KnownEntity | None:
        if found := self._known.get(name) or self._known.get(US_PREFIX.sub("United States ", name)):
            return found
        # "U.S. Small Business Administration", "United States Labor Department": a known U.S.
        # institution with the country said before it.
        rest = _COUNTRY_BEFORE.sub("", name)
        if rest != name and (found := self._known.get(rest)) and found.type is EntityType.ORGANISATION:
            return found
        for american, british in _SPELLINGS:
            for a, b in ((american, british), (british, american)):
                if a in name and (found := self._known.get(name.replace(a, b))):
                    return found
        return None

    def country_of(self, name: str) -> str | None:
        """The ISO code of the country `name` names or is in, in any case ("SOUTH SUDAN", "DEMOCRATIC
        REPUBLIC OF CONGO", "NORTH KIVU"); None when the gazetteer and GeoNames know no such place."""
        known = self._folded.get(name.casefold())
        if known and known.type is EntityType.PLACE and known.country:
            return known.country
        return self.places.country_code(name.title())

    def people_named(self, surname: str) -> list[KnownEntity]:
        """The known people with this surname ("Price": Ned Price, Tom Price)."""
        return self._by_surname.get(surname, [])

    def country_title(self, code: str) -> str | None:
        """The title of the country with ISO code `code` ("Democratic Republic of the Congo" for CD)."""
        name = self.places.country_name(code)
        known = self.lookup(name) if name else None
        return known.name if known and known.type is EntityType.PLACE else name

    def national_bodies(self, text: str) -> Iterator[tuple[re.Match, str]]:
        """(match, title) of each country's institution the text names generically, the country or
        its demonym before it: "Nigeria's Senate", "the Kenyan Parliament", "Pakistan's Foreign
        Office" (the match's "body" group is the body's words; the country is a mention of its own).
        A title the gazetteer lists under the whole phrase wins ("Chinese Foreign Ministry"); U.S.
        bodies are the gazetteer's."""
        for match in _COUNTRY_BODY.finditer(text):
            if (known := self.lookup(match.group().removeprefix("The "))) and known.type is EntityType.ORGANISATION:
                yield match, known.name
                continue
            if owner := match.group("owner"):
                code = self.country_of(owner.removeprefix("The ").removeprefix("the "))
            else:
                demonym = match.group("demonym")
                code = self.places.demonym_country(demonym) or self.places.demonym_country(demonym.rsplit(" ", 1)[-1])
            country = self.country_title(code) if code and code != "US" else None
            if country:
                yield match, national_body(match.group("body"), country)

    def known_person(self, name: str) -> KnownEntity | None:
        """The known entity of a name, or the one person whose spelling key it has ("Sergei Lavrov")."""
        key = name_key(name)
        return self.lookup(name) or self._person_keys.get(key) or (
            self._joined_keys.get(key.replace(" ", "")) if " " in key else None)

    def is_place(self, name: str) -> bool:
        known = self._known.get(clean_mention(name))
        return known.type is EntityType.PLACE if known else self.places.is_place(name)

    def canonical(self, text: str, label_type: EntityType) -> tuple[str, EntityType, KnownEntity | None, str | None]:
        """The canonical name, type, gazetteer entry and role of one span's text."""
        name = clean_mention(text)
        first, _, rest = name.partition(" ")
        if rest and first.endswith(".") and state_name(first):
            name = rest  # "Fort Carson, Colo. U.S. Army photo": the state ended the sentence before
        if known := self.lookup(name):
            return known.name, known.type, known, None
        role = None
        if label_type in (EntityType.PERSON, EntityType.ORGANISATION):
            role, rest = split_role(name, self.titles)
            if role and label_type is EntityType.ORGANISATION and not person_like(rest):
                role = None  # "First Baptist Church": an organisation's name, not a title and a person
            if role:
                if known := self.lookup(rest):
                    return known.name, known.type, known, role
                name, label_type = rest, EntityType.PERSON
        if label_type is EntityType.PERSON:
            name = after_qualifiers(name)  # "Energy Dan Brouillette" of "Secretary of Energy Dan Brouillette"
        if label_type is EntityType.ORGANISATION and US_PREFIX.match(name):
            name = US_PREFIX.sub("United States ", name)
        elif label_type is EntityType.ORGANISATION and _COMMONWEALTH.match(name):
            for american, british in _SPELLINGS[:3]:
                name = re.sub(rf"\b{american}\b", british, name)
        return name, label_type, None, role

    def institution_office_person(self, name: str) -> tuple[tuple[str, KnownEntity | None], tuple[str, str]] | None:
        """(institution, its entry), (office, person) of "<institution> <office> <person>", else None."""
        words = name.split()
        for index in range(1, len(words) - 2):
            if words[index] in OFFICES and words[index].isalpha() and not words[index - 1].endswith(","):
                role, person = split_role(" ".join(words[index:]), self.titles)
                body = " ".join(words[:index])
                known = self.lookup(body) if role and person_like(person) else None
                if known:
                    return (known.name, known), (role, person)
                if role and person_like(person) and set(words[:index]) & INSTITUTION_WORDS:
                    return (US_PREFIX.sub("United States ", body), None), (role, person)
        return None

    def acronym_parent(self, name: str) -> list[tuple[str, KnownEntity | None]]:
        """"NOAA Office of Coast Survey": the known organisation its acronym names, and the office
        within it when that is a name of its own ("VOA Kurdish Service" is VOA's)."""
        first, _, rest = name.partition(" ")
        if not (first.isupper() and len(first) > 1 and rest) or not (parent := self.lookup(first)):
            return []
        if parent.type is not EntityType.ORGANISATION:
            return []
        found: list[tuple[str, KnownEntity | None]] = [(parent.name, parent)]
        words = rest.split()
        if len(words) > 1 and any(word in INSTITUTION_WORDS for word in words) and words[-1] != "Service":
            found.append((known.name, known) if (known := self.lookup(rest)) else (rest, None))
        return found

    def subdivision_title(self, name: str, kind: re.Match | None) -> str | None:
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

    def us_town(self, name: str, state: str) -> str | None:
        """"Stillwater" in a story about Oklahoma is "Stillwater, Oklahoma": when the state has a town of
        that name and the name is no country, state or better-known place abroad ("Paris" in Texas)."""
        if self.places.country_code(name) or state_name(name) or state not in self.places.us_city_states(name):
            return None
        elsewhere = self.places.resolve(name)
        return city_title(name, state) if elsewhere is None or elsewhere.country_code == "US" else None

    def is_region(self, name: str) -> bool:
        """A country or a country's subdivision: what a "City, Region" names after the comma."""
        known = self._known.get(name)
        name = known.name if known and known.type is EntityType.PLACE else name
        return bool(self.places.country_code(name) or self.places.subdivision_countries(name))


#: Buildings news names for the institution they house, by the building's Wikipedia title.
SEATS = {"White House": "White House", "Pentagon": "The Pentagon", "Kremlin": "Moscow Kremlin"}
# "Nigeria's Senate", "the Kenyan Parliament": a country (or its demonym), then a body.
_COUNTRY = r"(?:\b(?P<owner>[A-Z][\w.-]*(?: (?:of )?(?:the )?[A-Z][\w.-]*){0,4})(?:['’]s|(?<=s)['’])|\b(?P<demonym>[A-Z][a-z]+(?: [A-Z][a-z]+)?))"
_COUNTRY_BODY = re.compile(rf"{_COUNTRY} (?P<body>{'|'.join(sorted(NATIONAL_TITLES, key=len, reverse=True))})\b")


def after_qualifiers(name: str) -> str:
    """A name without the leading words of an office's body the model took into it, two words kept at
    least: "Energy Dan Brouillette" -> "Dan Brouillette"."""
    words = name.split()
    while len(words) > 2 and words[0] in QUALIFIERS | BODY_WORDS:
        words = words[1:]
    return " ".join(words)


def person_like(text: str) -> bool:
    """Two to four capitalised words, none of them an institution's nor a possessive: "Sam Coleman",
    not "Baptist Church" nor "Department's Criminal Division"."""
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() and not w.endswith("'s") for w in words) \
        and not any(part in BODY_WORDS for w in words for part in w.split("-"))  # "Rotational Force-Darwin"


def _unique_index(pairs: Iterable[tuple[str, KnownEntity]]) -> dict[str, KnownEntity]:
    """key -> entity, for the keys only one entity has."""
    owners: dict[str, set[str]] = {}
    entities: dict[str, KnownEntity] = {}
    for key, entity in pairs:
        if key:
            owners.setdefault(key, set()).add(entity.name)
            entities[key] = entity
    return {key: entities[key] for key, names in owners.items() if len(names) == 1}
