"""Names a story spells out in patterns the model reads in pieces: pure text rules, no model.

"Bollinger, Butler and Carter counties", "St. John the Baptist Parish", "Brown, Doniphan and
Jackson in Kansas" (in a story about counties), "Gray Summit, MO 63039" (an address), "U.S. Attorney
... for the District of Montana", "Louisiana Army National Guard", "(D-W.Va.)" after a
legislator, "the U.S. Embassy in Baghdad", "southern Africa". Each rule yields the text it read and the names in it, under
Wikipedia's titles; the engine lets them replace the model's mentions inside that text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from pipeline.enrich.us_places import city_title, county_states, county_title, state_name, state_near, states_named
from schemas import Article, EntityType

# "Bollinger, Butler and St. Louis counties": a list of counties (or parishes) of one state.
_COUNTIES = re.compile(r"((?:[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)?,? (?:and )?)+)(counties|parishes)\b")
_COUNTIES_WORD = re.compile(r"\b(?:counties|parishes)\b")
# "... counties in Kansas", "... counties of the State of Missouri": the list's own state.
_IN_STATE = re.compile(r" (?:in|of) (?:the [Ss]tate of )?([A-Z][\w.]*(?: [A-Z][\w.]*)?)")
_COUNTY = re.compile(r"\b(?:St\. )?[A-Z][\w.'-]*(?: (?:the )?[A-Z][\w.'-]*){0,3} (?:County|Parish)\b")
# Three or more capitalised names in a list: "Brown, Doniphan, Jackson, Jefferson and Leavenworth".
_NAME_LIST = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)?(?:(?:, (?:and )?| and )[A-Z][a-z]+(?: [A-Z][a-z]+)?){2,}\b")
_LIST_SEPARATOR = re.compile(r", (?:and )?| and ")
# A postal address's last line: "Gray Summit, MO 63039", "Poplar Bluff, Mo. 63901-1234".
_ADDRESS_TOWN = re.compile(r"(?:^|(?<=, )|(?<=\n))((?:St\. )?[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}), ([A-Z]{2}|[A-Z][a-z]+\.) \d{5}(?:-\d{4})?\b")
# A federal judicial district: its U.S. Attorney's office where one is named before it in the
# sentence ("U.S. Attorney Mac Schneider for the District of North Dakota"), else its court ("filed
# in the Western District of Michigan").
_DISTRICT = re.compile(r"\b(?:the )?((?:Eastern|Western|Northern|Southern|Middle|Central) )?District of "
                       r"([A-Z][a-z]+(?: [A-Z][a-z]+)?)\b")
_ATTORNEY_BEFORE = re.compile(r"\b(?:U\.S\.|United States) Attorney\b(?! General)(?:[^.;]|(?<=\b[A-Z])\.)*$")
_STATE_GUARD = re.compile(r"\b([A-Z][a-z]+(?: (?!Army |Air )[A-Z][a-z]+)?) ((?:Army |Air )?National Guard)\b")
# A state's legislature, court or capitol building: "the Virginia General Assembly", "the Iowa State
# Capitol" (not the U.S. Capitol, nor the state alone).
_STATE_BODY = re.compile(r"\b((?:[A-Z][a-z]+ )??[A-Z][a-z]+) (General Assembly|(?:State )?Legislature|(?:State )?Senate|"
                         r"House of (?:Representatives|Delegates)|(?:State )?Assembly|Supreme Court|"
                         r"(?:State )?Capitol|State ?[Hh]ouse)\b")
_EMBASSY = re.compile(r"\b(?:U\.S\.|US|American) [Ee]mbassy (?:in|compound in) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
# A part of a continent said in lower case ("southern Africa"), by its Wikipedia title.
_REGION = re.compile(r"\b(north|northern|south|southern|east|eastern|west|western|central|southeast|southeastern) "
                     r"(Africa|Asia|Europe)\b")
_REGIONS = {
    "Africa": {"north": "North Africa", "south": "Southern Africa", "east": "East Africa", "west": "West Africa",
               "central": "Central Africa"},
    "Asia": {"north": "North Asia", "south": "South Asia", "east": "East Asia", "west": "Western Asia",
             "central": "Central Asia", "southeast": "Southeast Asia"},
    "Europe": {"north": "Northern Europe", "south": "Southern Europe", "east": "Eastern Europe",
               "west": "Western Europe", "central": "Central Europe"},
}
_PARTY_TAG = re.compile(r"\(([DR])-([A-Z][A-Za-z.]*(?: ?[A-Z][a-z]*\.)?)\)")
PARTIES = {"D": "Democratic Party (United States)", "R": "Republican Party (United States)"}

Names = list[tuple[str, EntityType]]


def spelled_names(text: str, state: str | None) -> Iterator[tuple[re.Match, Names]]:
    """(match, its names) for every pattern below in `text`; `state` is the story's U.S. state."""
    about_counties = _COUNTIES_WORD.search(text)  # without the word, `_COUNTIES` (slow) cannot match
    for match in _COUNTIES.finditer(text) if about_counties else ():
        if named := state_name(match.group(1).strip()):  # "five Texas counties": the state's, no county named
            yield match, [(named, EntityType.PLACE)]
        else:
            yield match, [(county, EntityType.PLACE) for county in _counties_listed(match, state)]
    for match in _COUNTY.finditer(text):
        name, local = match.group(), state_near(text, match.start(), match.end()) or state
        # "Indiana Scott County" in a list by state: the state before the county is its state.
        words = name.split(" ")
        for cut in range(1, min(3, len(words) - 2) + 1):
            if (named := state_name(" ".join(words[:cut]))) and county_title(rest := " ".join(words[cut:]), named):
                name, local = rest, named
                break
        if county := county_title(name, local):
            yield match, [(county, EntityType.PLACE)]
    if about_counties:  # a story about counties: lists of bare names are counties too
        for match in _NAME_LIST.finditer(text):
            local = state_near(text, match.start(), match.end()) or state
            names = _LIST_SEPARATOR.split(match.group())
            counties = [county for name in names if (county := county_title(name, local))]
            if len(counties) == len(names):  # "Brown, Doniphan and Jackson in Kansas", every one a county
                yield match, [(county, EntityType.PLACE) for county in counties]
    for match in _ADDRESS_TOWN.finditer(text):
        if match.group(2) == "DC":
            yield match, [("Washington, D.C.", EntityType.PLACE)]
        elif town_state := state_name(match.group(2)):
            yield match, [(city_title(match.group(1), town_state), EntityType.PLACE)]
    for match in _DISTRICT.finditer(text):
        if district_state := state_name(match.group(2)):  # not "the District of Columbia", nor Kabul's
            district = f"the {match.group(1) or ''}District of {district_state}"
            office = _ATTORNEY_BEFORE.search(text, max(0, match.start() - 150), match.start())
            yield match, [(f"United States Attorney for {district}" if office else
                           f"United States District Court for {district}", EntityType.ORGANISATION)]
    for match in _STATE_BODY.finditer(text):
        words = match.group(1).split(" ")  # "The Iowa Senate": the state is the last word
        if body_state := state_name(match.group(1)) or (len(words) == 2 and state_name(words[1])):
            body = "State Capitol" if match.group(2) == "Capitol" else match.group(2)
            kind = EntityType.PLACE if body.endswith(("Capitol", "house", "House")) else EntityType.ORGANISATION
            yield match, [(f"{body_state} {body}", kind)]
    for match in _REGION.finditer(text):
        direction = match.group(1).removesuffix("ern")
        yield match, [(_REGIONS[match.group(2)][direction], EntityType.PLACE)]
    for match in _STATE_GUARD.finditer(text):
        if guard_state := state_name(match.group(1)):
            yield match, [(f"{guard_state} {match.group(2)}", EntityType.ORGANISATION)]


def party_tags(text: str) -> Iterator[tuple[re.Match, Names]]:
    """"(D-W.Va.)" after a legislator: the party and the state."""
    for match in _PARTY_TAG.finditer(text):
        state = state_name(match.group(2))
        yield match, [(PARTIES[match.group(1)], EntityType.ORGANISATION), *([(state, EntityType.PLACE)] if state else [])]


def embassies(text: str) -> Iterator[tuple[re.Match, Names]]:
    """"the U.S. Embassy in Baghdad": the building, titled as Wikipedia titles embassies."""
    for match in _EMBASSY.finditer(text):
        yield match, [(f"Embassy of the United States, {match.group(1)}", EntityType.PLACE)]


def story_state(article: Article) -> str | None:
    """The U.S. state a story is about: its dateline's, else the one it names most (for counties)."""
    if article.located and "," in article.located:
        if state := state_name(article.located.partition(",")[2].strip()):
            return state
    text = f"{article.headline}\n{article.body_text}"
    if _COUNTIES_WORD.search(text):  # else `_COUNTIES` (slow: half a millisecond a story) cannot match
        text = _COUNTIES.sub("", text)
    counts = Counter(states_named(text))
    return counts.most_common(1)[0][0] if counts else None


def _counties_listed(match: re.Match, state: str | None) -> list[str]:
    """"Bollinger, Butler and Carter counties": each a county of the story's state."""
    suffix = " Parish" if match.group(2) == "parishes" else " County"
    names = [n.strip() for n in re.split(r",\s*|\s+and\s+", match.group(1).strip().rstrip(",")) if n.strip()]
    # The state the list names after it; else the story's, unless another has more of these counties.
    states = Counter(s for n in names for s in county_states(n + suffix))
    if (named := _IN_STATE.match(match.string, match.end())) and state_name(named.group(1)) in states:
        state = state_name(named.group(1))
    elif states and states.get(state, 0) < max(states.values()):
        state = states.most_common(1)[0][0]
    return [county for name in names if (county := county_title(name + suffix, state))]
