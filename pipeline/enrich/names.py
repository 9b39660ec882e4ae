"""Canonical names from raw mentions: pure string rules, no model.

The statistical model finds spans; these rules decide what each span is called, so that "Esper",
"Secretary Esper" and "Mark Esper's" in one story become one person, "Mark Esper".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
# An article, or a preposition that opened the sentence ("Across Colombo, ..."), before a name.
_LEADING_ARTICLE = re.compile(r"^(?:the\s+|The\s+|(?:Across|Throughout|Inside|Outside|Near|From|In|At)\s+(?=[A-Z0-9]))")
# A day the small model glues to the name before it: "landed on Mars Sunday", "in Kabul Tuesday".
_TRAILING_DAY = re.compile(r"(?<=\w) (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$")
_SPACES = re.compile(r"\s+")
_DISAMBIGUATOR = re.compile(r" \([^)]*\)$")  # "John Kirby (admiral)"


@lru_cache(maxsize=65536)  # the same few forms are cleaned many times a story
def clean_mention(text: str) -> str:
    """A mention without possessive, leading article, surrounding punctuation or extra spaces."""
    text = _SPACES.sub(" ", text).strip().strip("\"“”‘,;:[]")
    while text.startswith("(") and text.count("(") > text.count(")"):
        text = text[1:]
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1]  # "(AMISOM)" or "Corps)", not "98th Division (Initial Entry Training)"
    text = _POSSESSIVE.sub("", text).strip().replace("’", "'")  # Wikipedia titles write "O'Keefe"
    return _TRAILING_DAY.sub("", _LEADING_ARTICLE.sub("", text).strip())


#: What the model tags that no convention counts as a person, organisation or place: events named
#: after places ("Hurricane Sandy"), diseases, spacecraft and instruments, documents and programmes,
#: time zones, and the plural of a nationality.
SHIP_PREFIX = re.compile(r"(?:USS|USNS|USCGC|HMS|HMAS|HMCS|HMNZS|INS|RFS|MV|SS|RV)")
_NOT_ENTITIES = re.compile(
    r"^(?:Hurricane|Typhoon|Cyclone|Tropical Storm|Storm|Operation|Battle of|War of|Articles? of|Act of|Treaty of)\b"
    r"|\b(?:Act|Bill|Treaty|Accords?|Agreement|Resolution|Protocol|Doctrine|Plan|Program|Programme|Initiative|"
    r"Telescope|Orbiter|Rover|Spacecraft|Satellite|Shuttle|Space Station|Adapter|Manipulator|Capsule|"
    r"Mission|Award|Prize|Medal|Olympics|Games|Cup|Festival|"
    r"Day|Week|Month|Year|Index|Syndrome|Disease|Virus|Fever|Flu|Advisory|Condition|Declaration|Officer)$"
    r"|^(?:COVID|Covid|SARS|MERS|HIV|H\.I\.V\.|AIDS|A\.I\.D\.S\.|Ebola|Zika|Mpox|Polio|Malaria|Cholera|Measles|Coronavirus|Omicron)\b"
    r"|^(?:[ECMP][SD]T|GMT|UTC)$|\b\d{5}\b"
    # A court case ("Cobell v. Salazar"), a possessive's tail the model took for a name ("'s Order"),
    # a point of the compass alone ("the North" of a country).
    r"| v\.? [A-Z]|^'s |^(?:North|South|East|West|Northeast|Northwest|Southeast|Southwest|[NS]?[EW]|[NS])$"
    # Ships are vehicles ("USS Mercy", "USNS Charles Drew", "HMS Illustrious"); a count is no name
    # ("23 Executive Actions"; "1st Armored Division" is).
    rf"|^{SHIP_PREFIX.pattern} [A-Z]|^\d+ "
    # Aircraft and boats by their type ("MH-65 Dolphin", "C-130 Hercules", "Response Boat-Medium", a cutter).
    r"|(?:^|\s)[A-Z]{1,3}-\d+[A-Z]? [A-Z][a-z]+$|\bResponse Boat\b|\bCutter [A-Z]"
    # A company's suffix alone; a kind of office every disaster opens ("a Disaster Recovery Center").
    r"|^(?:LLC|L\.L\.C\.|Inc\.?|Corp\.?|Ltd\.?|Co\.)$|^(?:Disaster|Business) Recovery Centers?$"
)


def not_an_entity(name: str, kind: object) -> bool:
    """A span the model tagged that names no person, organisation or place."""
    return bool(_NOT_ENTITIES.search(name)) or len(name) < 2 or not any(char.isalpha() for char in name)


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_ARTICLES = {"al", "el", "ul", "bin", "ibn"}
_DIGRAPHS = [("ph", "f"), ("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sch", "sh"), ("tz", "z"), ("ck", "k"),
             ("q", "k"), ("x", "ks"), ("c", "k")]  # "Victor" and "Viktor" last


def name_key(name: str) -> str:
    """A person's name with what transliterations and typing vary taken out, so that spellings of
    one name meet: "Sergey Lavrov" and "Sergei Lavrov", "Qassem Suleimani" and "Qasem Soleimani",
    "Bashar Assad" and "Bashar al-Assad", "Gordon Chang" and "Gordon G. Chang" share a key. Each
    word keeps its first letter and its consonants, doubled letters once; middle initials,
    suffixes and Arabic articles go."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = []
    for word in re.split(r"[\s-]+", plain):
        word = re.sub(r"[^a-z]", "", word)
        if len(word) < 2 or word in _SUFFIXES or word in _ARTICLES:
            continue
        for spelled, sound in _DIGRAPHS:
            word = word.replace(spelled, sound)
        rest = re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouy]", "", word[1:]))
        words.append(word[0] + rest)
    return " ".join(words)


def capitalised(word: str) -> str:
    """A word printed in capitals, in name case: "McKILLIP" and "MCCORMACK" -> "McKillip", "McCormack"."""
    if word[:2].lower() == "mc" and len(word) > 4:
        return "Mc" + word[2:].capitalize()
    return word.capitalize()


def surname(full_name: str) -> str:
    """The last word of a name, without a Wikipedia title's disambiguator: "John Kirby (admiral)" -> "Kirby"."""
    return _DISAMBIGUATOR.sub("", full_name).split(" ")[-1]


def surname_owner(name: str, full_names: Iterable[str]) -> str | None:
    """The one full name in the story that `name` is the surname of, if exactly one.

    "Esper" -> "Mark Esper"; "Trump" with both "Donald Trump" and "Melania Trump" in the story ->
    None (ambiguous: left alone rather than merged wrongly).
    """
    if " " in name:
        return None
    owners = {full for full in full_names if full != name and surname(full) == name}
    return owners.pop() if len(owners) == 1 else None


def author_names(byline: str | None, not_people: Iterable[str] = ()) -> list[str]:
    """People in a byline: "Carla Babb" -> ["Carla Babb"]; "A, B and C" -> three; "VOA News" -> []."""
    if not byline:
        return []
    excluded = set(not_people)
    parts = re.split(r",\s*|\s+and\s+|\s*&\s*", byline.strip())
    names = []
    for part in parts:
        part = part.strip()
        if not part or any(word in excluded for word in part.split()) or part.endswith((" News", " Staff")):
            continue
        names.append(part)
    return names
