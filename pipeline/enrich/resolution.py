"""One story's mentions resolved against each other: what the story itself says about its names.

Acronyms the story defines (or whose long form it names) take that long form; "the U.S. Embassy"
is the one embassy the story names; a seat is the building where the text puts someone at it; a
surname or a transcript's speaker label is the person the story names in full; spellings of one
unknown person become one; a bare town is the story's "Town, State", a shorter name the story's one
longer name it ends; the dateline's place and the names the text spells out in patterns the model
reads in pieces are mentions too.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from pipeline.enrich.acronyms import definitions, expands
from pipeline.enrich.canonical import FORT, SEATS, Canonicaliser
from pipeline.enrich.gazetteer import KnownEntity
from pipeline.enrich.mentions import Mention
from pipeline.enrich.model import SPEAKER
from pipeline.enrich.names import capitalised, clean_mention, name_key, not_an_entity, surname_owner
from pipeline.enrich.national_bodies import TITLES as NATIONAL_TITLES, national_body
from pipeline.enrich.spelled_out import embassies, party_tags, spelled_names
from pipeline.enrich.titles import split_role
from pipeline.enrich.us_places import STANDALONE_CITIES, city_title, state_name
from schemas import Article, EntityType

_NOT_SPEAKERS = {"VOICE ONE", "VOICE TWO", "VOICE THREE", "MUSIC", "SOUND", "NATS", "SOUNDBITE", "VIDEO", "AUDIO", "PHOTO",
                 "Q", "QUESTION", "MODERATOR", "OPERATOR", "STAFF", "AUDIENCE", "AUDIENCE MEMBER", "REPORTER",
                 "NARRATOR", "ANNOUNCER", "VOICE", "INTERPRETER", "CROWD", "ALL", "END", "NOTE", "UPDATE", "EDITOR'S NOTE"}
# A word of a subhead: capitalised, or one of the small words title case leaves in lower case.
_SUBHEAD_WORD = re.compile(r"^(?:[A-Z0-9\"“‘'(/&–-]|(?:of|the|and|to|on|in|for|a|an|with|by|at|as|from|or|over|into|after)$)")
# Two surnames joined for a government or a ticket: "the Biden-Harris administration".
_TICKET = re.compile(r"\b([A-Z][a-z]+)[-–]([A-Z][a-z]+)(?=(?:['’]s)? (?:administration|campaign|ticket|government)\b)")
_EMBASSY_ALONE = re.compile(r"^(?:U\.S\.|US|American|United States) [Ee]mbassy$")
_FIRST_NAME_AND = re.compile(r"(?<![\w.,'])([A-Z][a-z]+) and $")
_WORD_BEFORE = re.compile(r"([\w.'-]+)\s*$")
_INITIALS = re.compile(r"\b([A-Z]\.)(?=[A-Z]\.)")
# What puts the building itself before its name: "outside the White House", "at the Pentagon".
_LOCATIVE = re.compile(r"\b(?:[Oo]utside|[Ii]nside|[Ii]n|[Aa]t|[Nn]ear|[Ii]nto|[Tt]o|[Aa]round|front of|across from|"
                       r"grounds of|steps of|gates of|lawn of|visit(?:ed|ing|s)?|tour(?:ed)?) (?:the )?$")


def dateline(names: Canonicaliser, article: Article, at: int, story_state: str | None) -> list[Mention]:
    """The place of the dateline ("CARVILLE, La." -> Carville, Louisiana; "PENTAGON" -> the building;
    "GREAT FALLS" in a story about Montana -> Great Falls, Montana)."""
    if not article.located:
        return []
    place, _, region = article.located.partition(",")
    name = " ".join(word.capitalize() if word.isupper() else word for word in place.split())
    state = state_name(region.strip()) if region.strip() else None
    if name == "Pentagon":
        return [Mention("The Pentagon", EntityType.PLACE, at, article.located, None, None)]
    if not state and region.strip() and (country := names.country_of(region.strip())) not in (None, "US"):
        # "JUBA, SOUTH SUDAN": a dateline's city is a place whether or not GeoNames has it; the
        # country after the comma is no mention of its own.
        city = names.places.largest_city(name, country)
        return [Mention(city.name if city else name, EntityType.PLACE, at, article.located, None, None)]
    if state:
        name = name if FORT.search(name) else city_title(name, state)
        return [Mention(name, EntityType.PLACE, at, article.located, None, None)]
    if (known := names.lookup(name)) and known.type is EntityType.PLACE:
        return [Mention(known.name, known.type, at, article.located, known, None)]
    if name == "Washington":  # the capital, as in the body
        return [Mention("Washington, D.C.", EntityType.PLACE, at, article.located, None, None)]
    if story_state and story_state in names.places.us_city_states(name):  # a release's own state goes unsaid
        return [Mention(city_title(name, story_state), EntityType.PLACE, at, article.located, None, None)]
    if name in STANDALONE_CITIES:  # "NEW YORK", "BUFFALO": AP's dateline cities
        return [Mention(STANDALONE_CITIES[name], EntityType.PLACE, at, article.located, None, None)]
    if city := names.places.largest_city(name):  # "ISLAMABAD": a capital, though under a million people
        title = city_title(city.name, city.us_state) if city.us_state else city.name
        return [Mention(title, EntityType.PLACE, at, article.located, None, None)]
    return []


def dateline_country(names: Canonicaliser, located: str | None) -> str | None:
    """The ISO code of the country a story is datelined in ("CARACAS" -> VE, "JUBA, SOUTH SUDAN" -> SS,
    "CARVILLE, La." -> US); None without a dateline or when it names no known place."""
    if not located:
        return None
    place, _, region = (part.strip() for part in located.partition(","))
    if region:
        return "US" if state_name(region) else names.country_of(region)
    if (known := names.lookup(place.title())) and known.type is EntityType.PLACE and known.country:
        return known.country
    city = names.places.largest_city(place)
    return city.country_code if city else None


# A body's name at the end of a longer one: "U.S. Senate", "Nigeria's Senate".
_BODY_AT_END = re.compile(rf"\b(?:{'|'.join(sorted(NATIONAL_TITLES, key=len, reverse=True))})$")
# The bodies the gazetteer cannot name by their bare word, which abroad means another country's.
_US_BODIES = {"Supreme Court": "Supreme Court of the United States"}
# Bodies a story abroad still means the U.S. one of when it names no country ("the Chairman of the
# Joint Chiefs of Staff" on a visit to Kabul).
_ONLY_QUALIFIED = {"Joint Chiefs of Staff"}


def story_country(names: Canonicaliser, mentions: list[Mention]) -> str | None:
    """The ISO code of the country a story names most, by name or demonym ("Kenya", "Kenyan"), when
    it names it at least twice and more than any other, and names no U.S. institution (a story about
    Congress that names Cuba more often than the United States is still about Congress)."""
    if any(m.name.startswith("United States ") for m in mentions):
        return None
    counts = Counter(code for m in mentions if m.type in (EntityType.PLACE, EntityType.GROUP)
                     and (code := names.places.country_code(m.name) or names.places.demonym_country(m.name)))
    ranked = counts.most_common(2)
    if ranked and ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return None


def resolve_national_bodies(names: Canonicaliser, mentions: list[Mention], country: str | None) -> None:
    """A bare "Senate", "National Assembly", "Supreme Court" is the one the story names in full
    ("the U.S. Senate", "Nigeria's Senate"); else, in a story datelined in Caracas (or about
    Venezuela, `country`), Venezuela's, not the one the gazetteer knows by that name (a bare
    "Senate" is the U.S. one only at home)."""
    bare = [m for m in mentions if m.type is EntityType.ORGANISATION and clean_mention(m.form) in NATIONAL_TITLES
            and clean_mention(m.form) not in _ONLY_QUALIFIED]
    named: dict[str, set[str]] = {}
    for mention in mentions:
        form = clean_mention(mention.form)
        if mention.type is EntityType.ORGANISATION and (body := _BODY_AT_END.search(form)) and body.start():
            named.setdefault(body.group(), set()).add(mention.name)
    title = names.country_title(country) if country else None
    for mention in bare:
        form = clean_mention(mention.form)
        if len(named.get(form, ())) == 1:
            mention.name = next(iter(named[form]))
        elif title and country != "US":
            mention.name = national_body(form, title)
        elif title and form in _US_BODIES and mention.known is None:
            mention.name = _US_BODIES[form]
        mention.known = names.by_name.get(mention.name)


def spelled_out(names: Canonicaliser, text: str, offset: int, state: str | None) -> tuple[list[Mention], list[tuple[int, int]]]:
    """Mentions of the names the text spells out (`pipeline.enrich.spelled_out`), and the spans in
    which they replace the model's mentions (party tags and embassies only add: the city after
    "Embassy in" is a mention of its own)."""
    found, spans = [], []
    for matches, replaces in ((spelled_names(text, state), True), (party_tags(text), False), (embassies(text), False)):
        for match, spelled in matches:
            for name, kind in spelled:
                known = names.by_name.get(name) or (names.lookup(name) if kind is EntityType.PLACE else None)
                found.append(Mention(known.name if known else name, kind, offset + match.start(), match.group(), known, None))
            if replaces:
                spans.append((offset + match.start(), offset + match.end()))
    for match in _TICKET.finditer(text):
        # "the Biden-Harris administration": both people, each the first the gazetteer lists by that
        # surname (its politicians come before their families).
        if all(names.people_named(side) for side in match.groups()):
            for side in match.groups():
                person = names.people_named(side)[0]
                found.append(Mention(person.name, EntityType.PERSON, offset + match.start(), match.group(), person, None))
            spans.append((offset + match.start(), offset + match.end()))
    for match, title in names.national_bodies(text):  # "Nigeria's Senate": not the U.S. Senate
        found.append(Mention(title, EntityType.ORGANISATION, offset + match.start(), match.group(), names.by_name.get(title), None))
        spans.append((offset + match.start("body"), offset + match.end("body")))
    return found, spans


def resolve_acronyms(names: Canonicaliser, mentions: list[Mention], text: str) -> list[Mention]:
    """Acronyms the story defines ("(AMISOM)" after its long form means the long form), and those it
    does not define but whose long form it names ("NGA" after "National Geospatial-Intelligence Agency")."""
    for short, long_form in definitions(text).items():
        if not_an_entity(long_form, None):  # "Lunar Reconnaissance Orbiter (LRO)": a spacecraft
            mentions = [m for m in mentions if clean_mention(m.form) not in (short, long_form)]
            continue
        # The story's own definition beats the gazetteer's reading of the short form ("DRC":
        # a Disaster Recovery Center here, not the Democratic Republic of the Congo).
        target = names.lookup(long_form)
        for mention in mentions:
            form = clean_mention(mention.form)
            # A person only by its short form: "JAXA" read as a name; "John Doe (JD)" stays John Doe.
            if form == short or (form == long_form and mention.type is not EntityType.PERSON):
                mention.name = target.name if target else long_form
                mention.type = target.type if target else (
                    EntityType.PLACE if names.is_place(long_form) else EntityType.ORGANISATION)
                mention.known = target

    long_forms = {m.name: m for m in mentions if m.type is EntityType.ORGANISATION and " " in m.name}
    for mention in mentions:
        form = clean_mention(mention.form)
        if form.isupper() and mention.type is not EntityType.PERSON and form not in long_forms:
            match = [m for name, m in long_forms.items() if expands(form, name)]
            if len(match) == 1:
                mention.name, mention.type, mention.known = match[0].name, match[0].type, match[0].known
    return mentions


def without_subheads(names: Canonicaliser, mentions: list[Mention], text: str, offset: int) -> list[Mention]:
    """Mentions read in a subhead ("Nationwide Conspiracy to Cheat Casinos by Bribing Employees",
    a briefing's "Border Area Poses Important Security Interest") only where the rest of the story
    confirms them, as in the headline: title case makes every word look like a name. Known names
    and places stay."""
    spans, at = [], 0
    for paragraph in text.split("\n\n"):
        words = paragraph.split()
        if len(words) >= 3 and "," not in paragraph and not paragraph.rstrip().endswith(".") \
                and all(_SUBHEAD_WORD.match(word) for word in words):
            spans.append((offset + at, offset + at + len(paragraph)))
        at += len(paragraph) + 2
    inside = [any(a <= m.start < b for a, b in spans) for m in mentions]
    confirmed = {m.name for m, sub in zip(mentions, inside) if not sub}
    return [m for m, sub in zip(mentions, inside) if not sub or m.known or m.name in confirmed
            or (m.type is EntityType.PLACE and names.is_place(m.name))]


def resolve_embassies(mentions: list[Mention]) -> None:
    """"the U.S. Embassy" in a story about the one in Baghdad is that one."""
    found = {m.name for m in mentions if m.name.startswith("Embassy of the United States, ")}
    for mention in mentions:
        if _EMBASSY_ALONE.match(clean_mention(mention.form)) and len(found) == 1:
            mention.name, mention.type, mention.known = next(iter(found)), EntityType.PLACE, None


def resolve_people(names: Canonicaliser, mentions: list[Mention], story: str, offset: int) -> list[Mention]:
    """"Esper" after "Mark Esper" (or "Trump" tagged as an organisation) is that person; so is a
    transcript's speaker label (`story` is the story text, at `offset`). A title and a surname alone
    are the one known person of that name; one word that is no one's surname is a place or nothing;
    spellings of one unknown person become one."""
    _shared_surnames(names, mentions, story, offset)
    people = {m.name for m in mentions if m.type is EntityType.PERSON and " " in m.name}
    mentions = mentions + _speakers(names, story, offset, people)
    for mention in mentions:
        if mention.known is None and (mention.type in (EntityType.PERSON, EntityType.ORGANISATION) or _small_place(names, mention)):
            owner = surname_owner(mention.name, people)
            if owner:
                mention.name, mention.type = owner, EntityType.PERSON
            elif mention.role and " " not in mention.name and (known := names.surnames.get(mention.name)) \
                    and not _civilian_for_a_rank(mention.role, known.name):
                # "Secretary Austin" in a story that never names him in full: the one known person of that name.
                mention.name, mention.type, mention.known = known.name, known.type, known
        if mention.known is None and (mention.type is EntityType.PERSON or (
                mention.type is EntityType.ORGANISATION and " " in mention.name)) and (known := names.known_person(mention.name)):
            # "Arseniy Yatseniuk" read as an organisation is still the known Arseniy Yatsenyuk
            mention.name, mention.type, mention.known = known.name, known.type, known
        if mention.known is None and mention.type is EntityType.PERSON and " " not in mention.name \
                and not mention.form.isupper():  # a speaker label is a person, named or not
            # One word the model took for a person, and no one in the story has it as a surname:
            # a place the small model does not know ("Goma", "Baalbek"), else a capitalised word.
            mention.type = EntityType.PLACE if names.places.is_place(mention.name) else EntityType.GROUP
        if mention.type is EntityType.PERSON:
            mention.name = _INITIALS.sub(r"\1 ", mention.name)  # "B.G. Verghese" -> "B. G. Verghese"
    _one_spelling(mentions)
    return mentions


def _small_place(names: Canonicaliser, mention: Mention) -> bool:
    """A one-word place the model found that may be someone's surname ("Pedraza" of "Eugenio
    Pedraza"): no country, state or city of 100,000 people."""
    if mention.type is not EntityType.PLACE or " " in mention.name or names.places.country_code(mention.name) \
            or state_name(mention.name):
        return False
    city = names.places.largest_city(mention.name)
    return city is None or city.population < 100_000


def resolve_seats(names: Canonicaliser, mentions: list[Mention], text: str, offset: int) -> None:
    """"The White House said" is the institution; "outside the White House" is the building, a place
    (`text` is the story text, at `offset`)."""
    for mention in mentions:
        building = SEATS.get(clean_mention(mention.form))
        at = mention.start - offset
        if building and at >= 0 and _LOCATIVE.search(text, max(0, at - 30), at):
            known = names.by_name.get(building)
            mention.name, mention.type, mention.known = building, EntityType.PLACE, known


def resolve_towns(mentions: list[Mention]) -> None:
    """"Cedar Key" in a story that says "Cedar Key, Florida" is that town: a bare name becomes the one
    "Name, State" place of the story that starts with it."""
    towns: dict[str, set[str]] = {}
    for mention in mentions:
        town, comma, state = mention.name.rpartition(", ")
        if mention.type is EntityType.PLACE and comma and state_name(state) == state:
            towns.setdefault(town, set()).add(mention.name)
    for mention in mentions:
        if mention.type is EntityType.PLACE and mention.known is None and len(towns.get(mention.name, ())) == 1:
            mention.name = next(iter(towns[mention.name]))


def resolve_short_forms(mentions: list[Mention]) -> None:
    """"Air Station Clearwater" after "Coast Guard Air Station Clearwater": a name of two words or more
    that ends the one longer name of its kind in the story is that name, said shorter."""
    longer: dict[tuple[str, EntityType], set[int]] = {}
    for at, mention in enumerate(mentions):
        words = mention.name.split()
        for cut in range(1, len(words) - 1):
            if any(char.isdigit() for char in "".join(words[:cut])):
                break  # "500th USA Freedom Corps": a number the model took in, not a longer name
            longer.setdefault((" ".join(words[cut:]), mention.type), set()).add(at)
    for mention in mentions:
        found = longer.get((mention.name, mention.type), set())
        names = {mentions[at].name for at in found}
        if mention.known is None and len(names) == 1:
            whole = mentions[next(iter(found))]
            mention.name, mention.known = whole.name, whole.known


def headline_mentions(headline: str, group: list[Mention]) -> list[Mention]:
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
        Mention(first.name, first.type, match.start(), match.group(), first.known, None)
        for match in re.finditer(pattern, headline)
    ]


# Ranks (as the role's last word) and the disambiguations of people who hold none.
_RANK = re.compile(r"\b(?:Gen|General|Adm|Admiral|Col|Colonel|Maj|Major|Capt|Captain|Cmdr|Commander|Lt|Lieutenant|Sgt|"
                   r"Sergeant|Brig|Brigadier|Cpl|Corporal|Pvt|Private|Airman|Seaman)\.?$")
_CIVILIAN = re.compile(r"\((?:[\w\s-]* )?(?:politician|diplomat|singer|actor|actress|footballer|writer|businessman|judge|journalist)\)$")


def _civilian_for_a_rank(role: str, name: str) -> bool:
    """"General Taylor" in a briefing is not Charles Taylor (Liberian politician)."""
    return bool(_RANK.search(role) and _CIVILIAN.search(name))


def _shared_surnames(names: Canonicaliser, mentions: list[Mention], story: str, offset: int) -> None:
    """"Evelyn and Joseph Djoumessi": the first name before "and" is Evelyn Djoumessi (whatever the
    model made of "Evelyn" alone)."""
    by_start = {m.start: m for m in mentions}
    for mention in list(mentions):
        at = mention.start - offset
        if mention.type is not EntityType.PERSON or mention.known or " " not in mention.name or at < 0:
            continue
        first = _FIRST_NAME_AND.search(story, max(0, at - 20), at)
        if first is None or names.lookup(first.group(1)) or names.places.is_place(first.group(1)):
            continue
        before = _WORD_BEFORE.search(story, max(0, first.start(1) - 30), first.start(1))
        if before and before.group(1)[:1].isupper():
            continue  # the last word of a longer name: "Confederated Salish and Kootenai Tribes"
        name = f"{first.group(1)} {mention.name.split()[-1]}"
        if (alone := by_start.get(offset + first.start(1))) is not None:
            alone.name, alone.type = name, EntityType.PERSON
        else:
            mentions.append(Mention(name, EntityType.PERSON, offset + first.start(1), first.group(1), None, None))


def _speakers(names: Canonicaliser, text: str, offset: int, people: set[str]) -> list[Mention]:
    """A transcript's speaker labels ("MR. KIRBY:") as the person the story names in full."""
    found = []
    for match in SPEAKER.finditer(text):
        label = match.group(1)
        if label in _NOT_SPEAKERS:
            continue
        words = [capitalised(w) if len(w) > 2 or not w.endswith(".") else w.title() for w in label.split()]
        _, name = split_role(" ".join(words), names.titles)
        owner = surname_owner(name.split()[-1], people) if name else None
        known = None if owner or " " in name else names.surnames.get(name) or _addressed(names, name, text)
        if known:
            found.append(Mention(known.name, EntityType.PERSON, offset + match.start(), label, known, None))
        elif name:  # a label the story names no one by is still a person: "BURAK:"
            found.append(Mention(owner or name, EntityType.PERSON, offset + match.start(), label, None, None))
    return found


def _addressed(names: Canonicaliser, surname: str, text: str) -> KnownEntity | None:
    """Of the known people with this surname, the one whose first name the transcript says on its own
    ("Ned, on Iran ..." to "MR PRICE"): reporters call a briefer by first name."""
    said = [person for person in names.people_named(surname)
            if re.search(rf"(?<![\w.]){re.escape(person.name.split()[0])}(?=[,?!.])", text)]
    return said[0] if len(said) == 1 else None


def _one_spelling(mentions: list[Mention]) -> None:
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


