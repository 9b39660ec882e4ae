"""Acronyms a story defines itself: "the African Union Mission in Somalia (AMISOM)".

Schwartz and Hearst's algorithm (A Simple Algorithm for Identifying Abbreviation Definitions in
Biomedical Text, PSB 2003): for a short form in brackets, the long form is the shortest run of
words before it in which every letter of the short form appears in order, the first at the start
of a word. Later mentions of the short form in the story then mean the long form.
"""

from __future__ import annotations

import re

_SHORT_FORM = re.compile(r"\(([A-Z][A-Za-z0-9.&-]{1,11})\)")
_WORD = re.compile(r"[\w'’.&-]+")


def definitions(text: str) -> dict[str, str]:
    """Short form -> long form, for every "Long Form (SF)" in `text`."""
    found: dict[str, str] = {}
    for match in _SHORT_FORM.finditer(text):
        short = match.group(1)
        letters = [c for c in short if c.isalnum()]
        if sum(c.isupper() for c in letters) < 2:
            continue
        before = text[max(0, match.start() - 200) : match.start()]
        before = re.split(r"[.;:!?()\"“”]\s", before)[-1]  # within the sentence, after any bracket
        words = _WORD.findall(before)[-(min(len(letters) + 5, len(letters) * 2)) :]
        long_form = _long_form(letters, words)
        if long_form and long_form != short:
            found.setdefault(short, long_form)
    return found


def _long_form(letters: list[str], words: list[str]) -> str | None:
    """Schwartz-Hearst's match, right to left: each short-form letter in the candidate, the first
    one at a word's start; the candidate then begins at that word."""
    candidate = " ".join(words)
    s, l = len(letters) - 1, len(candidate) - 1
    while s >= 0:
        char = letters[s].lower()
        while l >= 0 and (candidate[l].lower() != char or (s == 0 and l > 0 and candidate[l - 1].isalnum())):
            l -= 1
        if l < 0:
            return None
        s -= 1
        l -= 1
    start = candidate.rfind(" ", 0, l + 2) + 1
    long_form = candidate[start:].strip()
    long_form = re.sub(r"^(?:the|a|an|of)\s+", "", long_form, flags=re.IGNORECASE)
    if not long_form or not long_form[0].isupper() or len(long_form.split()) > len(letters) + 3:
        return None
    return long_form


_MINOR = {"of", "the", "and", "for", "in", "on", "to", "at", "a", "an", "&"}


def initials_of(long_form: str) -> str:
    """The initials an acronym takes from a name: "National Oceanic and Atmospheric
    Administration" -> "NOAA", "National Geospatial-Intelligence Agency" -> "NGIA"."""
    parts = [part for word in long_form.split() if word.lower() not in _MINOR for part in word.split("-")]
    return "".join(part[0].upper() for part in parts if part[:1].isalpha())


def expands(short: str, long_form: str) -> bool:
    """Whether `short` is the acronym of `long_form` by its word initials, with or without those of
    hyphenated parts ("NGA" and "NGIA" both for "National Geospatial-Intelligence Agency")."""
    letters = "".join(c for c in short if c.isalnum())
    if len(letters) < 2 or not letters.isupper():
        return False
    whole_words = "".join(w[0].upper() for w in long_form.split() if w.lower() not in _MINOR and w[:1].isalpha())
    return letters in (initials_of(long_form), whole_words)
