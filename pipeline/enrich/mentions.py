"""The model's spans of one story as mentions under canonical names.

Span by span: a title before a name goes to the mention's role (and the organisations named in the
title are mentions too); an "<institution> <office> <person>" span is two mentions; the model's type
is corrected where the name says otherwise (forts and facilities are places, "the Army" of a U.S.
story is the United States Army); "City, State" and "Town, Province, Country" are one place; offices
and ordinary words are no mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from spacy.tokens import Doc

from pipeline.enrich.canonical import FORT, SEATS, SERVICES, Canonicaliser, after_qualifiers, person_like
from pipeline.enrich.gazetteer import KnownEntity
from pipeline.enrich.model import SPACY_LABELS, TITLE
from pipeline.enrich.names import SHIP_PREFIX, clean_mention, not_an_entity
from pipeline.enrich.span_repair import INSTITUTION_WORDS
from pipeline.enrich.titles import OFFICES, TITLE_WORDS
from pipeline.enrich.us_places import city_title, county_title, state_name, state_near
from schemas import EntityType

# Names ending in these are buildings and sites (places), whatever the model called them.
_FACILITY = re.compile(r"\b(?<!National )(?:Lab|Laboratory|Facility|Building|Room|Airport|Airfield|Air Base|Airbase|Base|"
                       r"Square|Park|Memorial|Bridge|Dam|Stadium|Arena|Palace|Church|Mosque|Cathedral|Temple|Prison|Camp|"
                       r"Hospital|Visitor Center|Air Station|Boat Station|Ramp|Complex|Reservation|Refuge|Forest|Monument|"
                       r"Battlefield|Seashore|Preserve|Range)"
                       r"(?: of [A-Z][\w.'-]*(?: [A-Z][\w.'-]*)*)?$")
# Landforms no one has for a surname or names a body after ("Gale Crater" read as a person; unlike
# "John Lake", "Michael Bay").
_FEATURE = re.compile(r" (?:Crater|Mountains?|Volcano|Desert|Canyon|Glacier|Peninsula|Strait|Ocean|Plateau|Reef|Reservoir|River|Creek|"
                      r"Dam|Islands?|Valley|Peak|Basin|Harbor|Harbour|Lagoon|Wetlands|Refuge|Bayou|Hollow|Point|Springs|Ridge|"
                      r"Mesa|Gap|Trail|Falls|Cove|Bluff)$")
# A capitalised word just before a one-word span: the first name the model left out.
_NAME_BEFORE = re.compile(r"(?<![\w.])([A-Z][a-z]+) $")
# Prepositions before a place, not before a person: "near Lashkar Gah", "in Kota Kinabalu".
_PLACE_BEFORE = re.compile(r"\b(?:in|near|outside|from|into|across|toward|towards) $")
# A business's last word: "Jim Bob Smith Construction" is a company named for its owner.
_COMPANY = re.compile(r" (?:Inc\.?|LLC|L\.L\.C\.|Co\.|Corp\.?|Ltd\.?|PLC|Company|Group|Holdings|Industries|Enterprises|"
                      r"Associates|Partners|Construction|Contractors|Builders|Trucking|Farms|Foods|Motors|Properties|"
                      r"Realty|Investments|Technologies|Systems|Solutions|Logistics|Manufacturing|Laboratories|Labs)$")
# "the 114th Congress": the United States Congress in one of its terms.
_NUMBERED_CONGRESS = re.compile(r"^\d+(?:st|nd|rd|th) (?:United States |U\.S\. )?Congress$")
# A suffix after a comma ("Luis Mangual, Jr."): part of the name.
_SUFFIX_AFTER = re.compile(r", (Jr\.|Sr\.)")
# A park service release's short forms of its units ("Bryce Canyon NP").
_PARK_UNITS = {"NP": "National Park", "NRA": "National Recreation Area", "NHP": "National Historical Park",
               "NHS": "National Historic Site", "NWR": "National Wildlife Refuge", "NS": "National Seashore",
               "NMP": "National Military Park", "NPres": "National Preserve"}
_PARK_ABBREVIATION = re.compile(rf"(?<=[a-z]) ({'|'.join(_PARK_UNITS)})$")
# "the State of Indiana", "the Commonwealth of Virginia": the state.
_STATE_OF = re.compile(r"^(?:State|Commonwealth) of ([A-Z][a-z]+(?: [A-Z][a-z]+)?)$")
# "the Oval Office of the White House": two names joined by "of".
_OF_THE = re.compile(r"^(.+?) of (?:the )?(.+)$")
# "1st", "673d": a unit's number, which a list cut out of a longer name lacks.
_ORDINAL_WORD = re.compile(r"^\d+(?:st|nd|rd|th|d)$")
# "the Israeli Government": a description of a country's government, no name.
_GOVERNMENT = re.compile(r"^([A-Z][a-z]+(?: [A-Z][a-z]+)?) Government$")
# A unit named by its number alone ("1st Battalion", "C Company") is no name without its parent.
_SMALL_UNIT = re.compile(r"^(?:[A-Z]|\d+(?:st|nd|rd|th)) (?:Company|Platoon|Detachment|Troop|Battery|Battalion|Squadron|Brigade)$"
                         r"|^Headquarters and Headquarters (?:Company|Battery|Troop|Detachment)$")
# An office written in lower case before what it is "of": the name after it is the office's.
_OFFICE_OF = re.compile(r"\b(?:director|secretary|undersecretary|minister|chairman|commissioner|administrator|chief) "
                        r"(?:of|for) (?:the )?$")
# What separates the names of a list: "Oregon, Idaho and Washington".
_LIST_GAP = re.compile(r",? and |, | or |,? or ")
# "Borno state", "Helmand province": a subdivision named with its kind.
_PLACE_KIND_AFTER = re.compile(r" (?:province|district|governorate|prefecture|oblast|region)\b")
_COUNTY_AFTER = re.compile(r" county\b")
_SUBDIVISION_WORD = re.compile(r" ([Ss]tate|[Pp]rovince|[Gg]overnorate|[Dd]epartment)\b")


@dataclass
class Mention:
    """One mention of an entity: its canonical name so far, where it starts in the tagged text, the
    words as written, its gazetteer entry and the title before it."""

    name: str
    type: EntityType
    start: int
    form: str
    known: KnownEntity | None
    role: str | None


def role_entities(names: Canonicaliser, role: str, start: int) -> list[Mention]:
    """Organisations and places named inside a title: "U.N. Secretary-General" -> United
    Nations; "Army Sgt." -> United States Army."""
    found = []
    words = role.split()
    for size in range(min(len(words), 6), 0, -1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            known = names.lookup(phrase)
            if known and known.type in (EntityType.ORGANISATION, EntityType.PLACE) and not (
                    known.name == "United States" and _COURT_OFFICE.search(role)):
                found.append(Mention(known.name, known.type, start, phrase, known, None))
    service = next((s for s in sorted(SERVICES, key=len, reverse=True) if re.search(rf"\b{s}\b", role)), None)
    if service and not found:
        known = names.by_name.get(SERVICES[service])
        found.append(Mention(SERVICES[service], EntityType.ORGANISATION, start, service, known, None))
    return found


class Ent(NamedTuple):
    """What the rules read of a model's span. A spaCy `Span` rebuilds its text from its tokens at
    each `.text`, which the rules ask for many times a span (a third of their time)."""

    start: int
    end: int
    start_char: int
    end_char: int
    label_: str
    ent_id_: str
    text: str


def mentions_of(names: Canonicaliser, doc: Doc, text: str, offset: int, state: str | None) -> list[Mention]:
    """The model's spans as mentions; `text` is the doc's text (not `doc.text`, which spaCy rebuilds)."""
    mentions: list[Mention] = []
    title, title_end = None, -1
    ents = [Ent(e.start, e.end, e.start_char, e.end_char, e.label_, e.ent_id_, text[e.start_char:e.end_char])
            for e in doc.ents]
    skip = set()
    for index, ent in enumerate(ents):
        if index in skip:
            continue
        if ent.label_ == TITLE:
            # Titles chain: "Iranian Supreme Leader" + "Ayatollah" before "Ali Khamenei".
            title = f"{title} {ent.text}" if ent.start == title_end else ent.text
            title_end = ent.end
            mentions.extend(role_entities(names, ent.text, offset + ent.start_char))
            continue
        entity_type = SPACY_LABELS.get(ent.label_)
        # The title just before the span, or before an "of" before it ("Secretary" of "Energy Dan Brouillette").
        outer_role = title if ent.start == title_end or (
            ent.start == title_end + 1 and doc[title_end].lower_ in ("of", "for")) else None
        if entity_type is None or "\n" in ent.text:  # a span across paragraphs is a model error
            continue
        if entity_type is EntityType.PLACE and _US_IN_TITLE.match(text, ent.start_char) and index + 1 < len(ents) \
                and ents[index + 1].label_ in ("PERSON", TITLE) and _court_office(text[ent.end_char:ents[index + 1].start_char]):
            continue  # "U.S. Attorney Kurt Alme"
        if _SHIP_BEFORE.search(text, max(0, ent.start_char - 8), ent.start_char):
            continue  # "USNS" + "Charles Drew": a ship's name, a vehicle
        known = names.by_name.get(ent.ent_id_) if ent.ent_id_ else None
        if known is None and entity_type is EntityType.ORGANISATION and index and ents[index - 1].label_ == "ORG" \
                and ents[index - 1].text.endswith(("'s", "’s")) and ents[index - 1].end_char == ent.start_char - 1 \
                and clean_mention(ent.text).rsplit(" ", 1)[-1] in _UNIT_WORDS:
            continue  # "the Justice Department's" + "Criminal Division": the department's unit, as below
        if known is None and entity_type is EntityType.ORGANISATION and (owner := _POSSESSIVE.match(clean_mention(ent.text))):
            # "the Justice Department's Criminal Division": the department. Its unit is titled under
            # the department's name ("United States Department of Justice Criminal Division"), which
            # the text does not give, and a bare "Criminal Division" names no one institution.
            name, _, found, _ = names.canonical(owner.group(1), EntityType.ORGANISATION)
            last = name.rsplit(" ", 1)[-1]
            if found is not None or (" " in name and last in INSTITUTION_WORDS and last not in _UNIT_WORDS):
                mentions.append(Mention(name, found.type if found else EntityType.ORGANISATION, offset + ent.start_char,
                                        ent.text, found, None))
            continue
        if known is None and entity_type in (EntityType.PERSON, EntityType.ORGANISATION) and (
                split := names.institution_office_person(clean_mention(ent.text))):
            # "Department of the Interior Secretary David L. Bernhardt": the institution and the person.
            (body, body_known), (role, person) = split
            at = offset + ent.start_char
            mentions += [Mention(body, EntityType.ORGANISATION, at, ent.text, body_known, None),
                         Mention(person, EntityType.PERSON, at, ent.text, None, role)]
            continue
        if known is not None:
            name, kind, role = known.name, known.type, None
        else:
            name, kind, known, role = names.canonical(ent.text, entity_type)
            if role:
                mentions.extend(role_entities(names, role, offset + ent.start_char))
        if known is None and kind in (EntityType.ORGANISATION, EntityType.GROUP, EntityType.PLACE) and "-" in name \
                and names.places.is_place(name.replace("-", " ")):
            name, kind = name.replace("-", " "), EntityType.PLACE  # "Khyber-Pakhtunkhwa"
        if known is None and (pair := _pair(names, name)):
            # "South Korea-U.S. drills", "U.S.-China talks": both countries (or parties) of the pair.
            mentions.extend(Mention(part.name, part.type, offset + ent.start_char, ent.text, part, None) for part in pair)
            continue
        if known is None and kind is EntityType.ORGANISATION and outer_role:
            person = after_qualifiers(name)
            if person != name and person_like(person):
                name, kind = person, EntityType.PERSON  # "Secretary" + "of Energy Dan Brouillette"
        if known is None and " " not in name and (first := _NAME_BEFORE.search(text, max(0, ent.start_char - 20), ent.start_char)) \
                and (person := names.known_person(f"{first.group(1)} {name}")):
            name, kind, known, role = person.name, EntityType.PERSON, person, None  # "Arseniy" + "Yatseniuk"
        if known is None and kind is EntityType.PERSON and _PLACE_BEFORE.search(text, max(0, ent.start_char - 8), ent.start_char) \
                and (city := names.places.largest_city(name)) and city.population >= 10_000 and not names.known_person(name):
            kind, role = EntityType.PLACE, None  # "near Lashkar Gah": a city, though it reads like a name
        if known is None and kind in (EntityType.PERSON, EntityType.ORGANISATION) and _FEATURE.search(name) \
                and not any(word in INSTITUTION_WORDS for word in name.split()):
            kind, role = EntityType.PLACE, None  # "Gale Crater", "Butte Reservoir"; not "University of Rhode Island"
        if known is None and kind is EntityType.PERSON and (_COMPANY.search(name) or name.rsplit(" ", 1)[-1] in INSTITUTION_WORDS):
            kind, role = EntityType.ORGANISATION, None  # "Jim Bob Smith Construction", "Sarah Smith Foundation"
        if known is None and kind is not EntityType.PLACE and FORT.search(clean_mention(ent.text)):
            name, kind, role = clean_mention(ent.text), EntityType.PLACE, None  # "Joint Base Elmendorf-Richardson"
        if known is None and kind is EntityType.GROUP and names.places.is_place(name) and not _demonym(names, name):
            kind = EntityType.PLACE  # "the northern city of Aleppo", "Punjab" read as nationalities
        if known is None and kind is EntityType.ORGANISATION:
            if _OFFICE_OF.search(text, max(0, ent.start_char - 40), ent.start_char):
                continue  # "the director of National Intelligence": an office, no institution
            if parts := names.acronym_parent(name):
                mentions.extend(Mention(part, EntityType.ORGANISATION, offset + ent.start_char, ent.text, entry, None)
                                for part, entry in parts)
                continue
            if name in SERVICES and (service := names.by_name.get(SERVICES[name])):
                name, known = service.name, service  # "the Army" of a U.S. story
            elif _FACILITY.search(name) or (not name.isupper() and names.places.is_place(name)) \
                    or (name.isupper() and len(name) > 4 and names.places.is_place(name.title())):
                kind = EntityType.PLACE  # "Air Traffic Operations Lab", "Kisumu", "Uttar Pradesh", "KABUL"
            elif _SMALL_UNIT.match(name):
                continue  # companies and detachments are not tagged
            elif " " not in name and (not name.isupper() or len(name) > 7):
                continue  # one ordinary word ("Cabinet", "Rohingyas", a programme's "EXPLORATIONS"): no institution's name
            elif _NUMBERED_CONGRESS.match(name) and (congress := names.by_name.get("United States Congress")):
                name, known = congress.name, congress  # "the 114th Congress"
            elif (m := re.match(r"^(.+?) [Aa]dministration$", name)) and (who := names.lookup(m.group(1))):
                name, kind, known = who.name, who.type, who  # "Trump Administration": the person
        if known is None and kind is not EntityType.PLACE and _PLACE_KIND_AFTER.match(text, ent.end_char):
            kind, role = EntityType.PLACE, None  # "parts of Nad Ali district"
        parts = name.split(", ")
        if known is None and kind is not EntityType.PERSON and len(parts) > 1 and \
                all(names.is_place(part) for part in parts) and not state_name(parts[-1]):
            # "Uruzgan, Herat" of a list the model read as one name: each a place of its own.
            mentions.extend(Mention(names.places.spelled(part), EntityType.PLACE, offset + ent.start_char, ent.text, None, None)
                            for part in parts)
            continue
        follower = ents[index + 1] if index + 1 < len(ents) else None
        after_comma = follower is not None and _after_comma(text, ent, follower)
        state_after = state_name(follower.text) if after_comma else None  # "Palm Beach, Fla."
        if state_after and state_name(clean_mention(ent.text)) not in (None, state_after):
            state_after = None  # "New York, California, Wyoming": a list of states
        if kind is EntityType.PLACE and known is None:
            if name.isupper() and len(name) > 4:
                name = name.title()  # "YANKEETOWN, Fla." in a dateline not at the story's start
            # "Palm Beach, Fla.": one place, named as Wikipedia names U.S. cities; the state
            # after the comma is not a mention of its own (nor is it for a fort: "Fort Bliss").
            if after_comma:
                if name == "Washington" and follower.text.rstrip(",") in ("DC", "D.C"):
                    name = "Washington, D.C."  # "Washington, DC": the capital, not a second place "DC"
                    skip.add(index + 1)
                elif state_after and _natural_feature(names, name, state_after):
                    pass  # "Freshwater Bayou, Louisiana": a bayou is no city, and the state is a mention
                elif state_after:
                    name = name if FORT.search(name) else city_title(name, state_after)
                    skip.add(index + 1)
                elif SPACY_LABELS.get(follower.label_) is EntityType.PLACE and not _FACILITY.search(name) \
                        and names.is_region(clean_mention(follower.text)) \
                        and not _listed(text[follower.end_char:], names.places.country_code):
                    skip.add(index + 1)  # "Potocari, Bosnia": the city is the place named (a building's city is named too)
                    country = ents[index + 2] if index + 2 < len(ents) else None
                    if (country is not None and _after_comma(text, follower, country)
                            and names.places.country_code(clean_mention(country.text))
                            and not names.places.country_code(clean_mention(follower.text))):
                        # "Agoncillo, Batangas, Philippines": a town titled with its province.
                        name = f"{name}, {clean_mention(follower.text)}"
                        skip.add(index + 2)
            local = state_near(text, ent.start_char, ent.end_char) or state
            if name.endswith((" County", " Parish")) and (county := county_title(name, local)):
                name = county
            elif local and index + 1 not in skip and (town := names.us_town(name, local)):
                name = town
            elif title := names.subdivision_title(name, _SUBDIVISION_WORD.match(text, ent.end_char)):
                name = title  # "Borno state" is Borno State; "Norte de Santander" its Department
            elif _COUNTY_AFTER.match(text, ent.end_char) and not local and " " not in name:
                name = f"{name} County"  # "Lushan county" in China, "Lofa county" in Liberia
            elif name in ("Washington", "New York") and _among_states(text, ents, index):
                name = f"{name} (state)"  # "Oregon, Tennessee and Washington", "Maryland, ... New York and elsewhere"
            elif name == "Washington" and index + 1 not in skip:
                name = "Washington, D.C."  # the capital, unless a comma and a state follow
            else:
                name = names.places.spelled(name)
        if state_after and kind in (EntityType.PLACE, EntityType.ORGANISATION) and index + 1 not in skip \
                and not _region(names, name) and not _natural_feature(names, name, state_after):
            # "Fort Bliss, Texas", "Scott Air Force Base, Ill.", "Coast Guard Station Yankeetown, Florida":
            # the state only says where a known place or a facility is (in a list of states it is one).
            skip.add(index + 1)
        if known is None and not_an_entity(name, kind):
            continue
        if kind is EntityType.PERSON and known is None and (suffix := _SUFFIX_AFTER.match(text, ent.end_char)):
            name = f"{name} {suffix.group(1)}"  # "Luis Mangual, Jr.": the suffix is the name's
        if known is None and (park := _PARK_ABBREVIATION.search(name)):
            # "Bryce Canyon NP", "Glen Canyon NRA": a park service release's short forms.
            name, kind, role = name[:park.start()] + " " + _PARK_UNITS[park.group(1)], EntityType.PLACE, None
        if known is None and (state_of := _STATE_OF.match(name)) and state_name(state_of.group(1)) == state_of.group(1):
            name, kind, role = state_of.group(1), EntityType.PLACE, None  # "the State of Indiana" is Indiana
        if known is None and (pair := _OF_THE.match(name)):
            # "the Oval Office of the White House": two places, each known (the seat as the building).
            places = [(SEATS[side], names.by_name.get(SEATS[side])) if side in SEATS
                      else (found.name, found) if (found := names.lookup(side)) and found.type is EntityType.PLACE else None
                      for side in pair.groups()]
            if all(places):
                mentions.extend(Mention(title, EntityType.PLACE, offset + ent.start_char, ent.text, place, None)
                                for title, place in places)
                continue
        if known is None and kind is EntityType.ORGANISATION and ", " in name \
                and not any(word in INSTITUTION_WORDS or _ORDINAL_WORD.match(word) for word in name.replace(",", "").split()):
            continue  # a list cut out of a longer name: "Food, Farm" of "the Food, Farm and Jobs Act"
        if known is None and kind is EntityType.ORGANISATION and (government := _GOVERNMENT.match(name)):
            # "the Israeli Government", like "the Syrian government", is a description; of "the Iraq
            # Government" the country is named.
            if names.places.country_code(country := government.group(1)):
                name, kind, role = country, EntityType.PLACE, None
            elif names.places.demonym_country(country):
                continue
        mentions.append(Mention(name, kind, offset + ent.start_char, ent.text, known, outer_role or role))
    return mentions


_US_IN_TITLE = re.compile(r"U\.S\.|US\b|United States\b")
# Offices of the federal courts and prosecutors: "U.S." in "U.S. Attorney", like "U.S." in "U.S. Army",
# is part of an institution's name, not a mention of the country (as it is in "U.S. President").
_COURT_OFFICE = re.compile(r"\b(?:Attorney|Judge|Magistrate|Marshal|Prosecutor)\b")


def _court_office(words: str) -> bool:
    """Whether `words` (between "U.S." and a name) are a court's or prosecutor's title: "Attorney"."""
    words = words.split()
    return bool(words) and words[-1] in OFFICES and all(word in TITLE_WORDS for word in words) \
        and bool(_COURT_OFFICE.search(" ".join(words)))


_SHIP_BEFORE = re.compile(rf"\b{SHIP_PREFIX.pattern} $")
# Demonyms no country's name begins with (see `_demonym`).
_DEMONYMS = {"Nigerien", "Malian", "Chadian", "Sudanese", "Yemeni", "Omani", "Afghan", "Pakistani", "Kurdish", "Somalian"}
# An institution's unit named with the institution's possessive: "Justice Department's Criminal Division";
# an owner that is itself such a unit ("the Criminal Division's Fraud Section") names no institution.
_UNIT_WORDS = {"Division", "Section", "Office", "Branch", "Unit", "Bureau", "Department", "Directorate", "Service"}
_POSSESSIVE = re.compile(r"^([A-Z][\w.&-]*(?: (?:of |the |and |for )*[A-Z][\w.&-]*)*)'s [A-Z]")


def _pair(names: Canonicaliser, name: str) -> list[KnownEntity]:
    """The two known entities of a "X-Y" compound ("South Korea-U.S.", "Israel–Hamas"), else none."""
    parts = re.split(r"(?<=[\w.])[-–](?=[A-Z])", name)
    if len(parts) != 2:
        return []
    found = [names.lookup(part) or names.lookup(clean_mention(part)) for part in parts]
    return found if all(entry is not None and entry.type is not EntityType.GROUP for entry in found) else []


def _demonym(names: Canonicaliser, name: str) -> bool:
    """Whether a name is a country's demonym ("Somali", "Nigerien") rather than a place of that name
    (a region of Ethiopia is called Somali): a country is named by it and a few letters more."""
    if names.places.country_code(name):
        return False  # "Niger" is no demonym of Nigeria
    return name in _DEMONYMS or any(country.startswith(name) and 0 < len(country) - len(name) <= 2
                                    for country, _ in names.places.countries())


def _listed(after: str, country_code: Callable[[str], str | None]) -> bool:
    """Whether a place is one of a list ("Mombasa, Kakamega and Kisumu"), going by what follows it: more
    places, and not a country ("Agoncillo, Batangas, Philippines")."""
    match = re.match(r",? and [A-Z]|, ([A-Z][\w-]*(?: [A-Z][\w-]*)?)", after)
    return bool(match) and not (match.group(1) and country_code(match.group(1)))


def _after_comma(text: str, ent: Ent, follower: Ent) -> bool:
    """Whether `follower` comes right after `ent` and a comma: "Palm Beach, Fla."."""
    between = text[ent.end_char : follower.start_char]
    return between.strip() == "," and "\n" not in between


def _region(names: Canonicaliser, name: str) -> bool:
    """A U.S. state or a country: "Texas, Florida and Georgia" is a list, not a place and its state."""
    return bool(state_name(name) or names.places.country_code(name))


def _natural_feature(names: Canonicaliser, name: str, state: str) -> bool:
    """A bayou, a river, a point named before a state: no town of that name there ("Colorado
    Springs, Colo." and "Sioux Falls, S.D." are towns)."""
    return bool(_FEATURE.search(name)) and state not in names.places.us_city_states(name)


def _among_states(text: str, ents: list[Ent], index: int) -> bool:
    """Whether the span at `index` is one of a list of U.S. states: a state just before or after it,
    with only a comma or an "and" between."""
    for a, b in ((index - 1, index), (index, index + 1)):
        if 0 <= a and b < len(ents) and _LIST_GAP.fullmatch(text[ents[a].end_char : ents[b].start_char]) \
                and (state_name(other := clean_mention(ents[a if b == index else b].text)) not in (None, "Washington")
                     or other == "District of Columbia"):
            return True
    return False

