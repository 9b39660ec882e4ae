"""Text analysed as the articles index analyses it, for matching queries in process: Elasticsearch's
`standard` analyzer (the `.exact` sub-fields, where phrases are matched) and its `english` analyzer
(the text fields themselves). tests/integration/test_query_matching.py checks both against the real
node's `_analyze` on the bundled and evaluation stories.

- standard: Unicode word segmentation (UAX #29: "U.S." is one word, "e-mail" two, "1,000" one),
  lower case, no stop words, no stemming.
- english: the same words, a trailing possessive "'s" dropped, Lucene's English stop words dropped,
  then Porter's stemmer as Lucene's PorterStemFilter implements it: Porter's own C version, with his
  later departures ("entomology" -> "entomolog"), which NLTK calls MARTIN_EXTENSIONS.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.stem.porter import PorterStemmer

#: Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, which the `english` analyzer drops.
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)
_LETTER = r"[^\W\d_]"
# A word, and the marks UAX #29 keeps inside one: ".", "'", "’" and ":" between two letters; ".", "'",
# "’", "," and ";" between two digits (not between a digit and a letter: "Region 8’s" is "8" and "s");
# "_" joins.
_WORD = re.compile(rf"\w+(?:(?:(?<={_LETTER})[.'’:](?={_LETTER})|(?<=\d)[.'’,;](?=\d))\w+)*")
_POSSESSIVE = re.compile(r"['’][sS]$")
_STEMMER = PorterStemmer(PorterStemmer.MARTIN_EXTENSIONS)


def standard(text: str) -> list[str]:
    """The tokens of the `standard` analyzer, in order."""
    return [word.lower() for word in _WORD.findall(text)]


def english(text: str) -> list[str]:
    """The tokens of the `english` analyzer, in order (stop words left out)."""
    found = []
    for word in _WORD.findall(text):
        word = _POSSESSIVE.sub("", word).lower()
        if word and word not in ENGLISH_STOP_WORDS:
            found.append(stem(word))
    return found


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stem(word, to_lowercase=False)
