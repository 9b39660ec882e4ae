"""Repairs to the statistical model's entity spans, by the kinds of error the small model makes on
long names, whatever the story. A spaCy component between the model and the gazetteer.

- **Cut at a connector**: "618th Air and" + "Space Operations Center", "United States Agency for"
  + "International Development": a span that ends in "and", "for" or "of" runs on through the
  capitalised words after it; one that cannot is cut back to its last name word.
- **An institution and what it is "of"/"for"**: "United Nations Office" + "for the Coordination of
  Humanitarian Affairs" is one name when the first span ends in a word like Office or Agency.
- **Cut inside a word**: "Port-au-" + "Prince": spans end where words end.
- **Brackets**: a name ends before a bracket ("Bureau of Land Management (BLM)"), but for a
  formation's role ("98th Training Division (Initial Entry Training)").
- **Military units**: the ordinal belongs to the unit ("1st" + "Armored Division"); "Special
  Troops Battalion, 1st Armored Division" is one unit.
- **Two places joined by "and"**: "Kakamega and Kisumu" is two places when each is one (a
  country's name with "and" in it is the gazetteer's to restore).
- **A date glued on**: "Grafenwoehr Training Area Sept 23" ends before the date.
- **Across a paragraph**: "Stillwater\n\n• Tennessee" is two names, one on each line.
- **An office word inside a name**: "Massachusetts General Hospital", not "General" as a title.
- **A city cut at a word that is a place too**: "Kansas" + "City", "Salt" + "Lake City".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.attrs import IS_SPACE, LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.enrich.titles import BODY_WORDS, OFFICES, TITLE_WORDS

FACTORY = "wirestream_span_repair"

_REPAIRED = {"ORG", "GPE", "LOC", "FAC"}
# Words that join the words of one name but never end it.
_CONNECTORS = {"of", "for", "and", "&", "the", "de", "du", "des", "del", "da", "la", "le", "al", "el", "on"}
# Connectors allowed inside a run of name words ("and" is not: it joins two names as often as one).
_INNER = {"of", "for", "the", "de", "du", "des", "del", "da", "la", "al", "el"}
# The last word of an institution's name that an "of"/"for" clause can complete.
INSTITUTION_WORDS = frozenset("""
    Office Agency Department Ministry Commission Council Committee Bureau Institute Center Centre Association
    Union Organization Organisation Court Board Authority Administration Service Services Secretariat Directorate
    Academy School College University Foundation Society Federation Alliance Coalition Front Movement League Fund
    Corporation Conference Assembly Tribunal Command Mission Program Programme Network Institution Survey
    Agencies Associations Commissions Councils Committees Institutes Ministries Offices
""".split())
# Last words of names that an office word can come before ("General Hospital", "General Assembly",
# "General Accounting Office"): after one, the office word is no title.
_FACILITY_ENDS = {"Hospital", "Hospitals", "Clinic", "Cemetery", "Store", "Stores"}
_NAME_ENDS = INSTITUTION_WORDS | _FACILITY_ENDS | {"Motors", "Electric", "Dynamics", "Mills", "Accounting", "Staff"}
# Unit words of armed forces, from battalion up.
_UNIT = re.compile(r"^(?:Battalion|Regiment|Brigade|Division|Squadron|Wing|Group|Command|Corps|Fleet|Army|Force|"
                   r"Center|Centre|Team|Task Force|Brigades|Battalions)$")
# Formations whose name can carry their role in parentheses (a centre's parenthesis is another name).
_FORMATION = re.compile(r"^(?:Battalion|Regiment|Brigade|Division|Squadron)$")
_BULLETS = {"•", "·", "*", "-", "–", "—", ":"}
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
_MONTH = re.compile(r"^(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?$|^(?:January|February|March|April|"
                    r"May|June|July|August|September|October|November|December)$")


def _name_word(token: Token) -> bool:
    return bool(token.text[:1].isupper() or _ORDINAL.match(token.text)) and any(c.isalpha() for c in token.text)


def _breaks(token: Token) -> bool:
    """Whether a name cannot run on past this token (a paragraph ends after it)."""
    return "\n" in token.whitespace_ or token.is_space


def _run_end(doc: Doc, start: int, limit: int = 12) -> int:
    """The end of the run of name words from `start` (connectors inside, never last), or `start`."""
    end, index = start, start
    while index < len(doc) and index - start < limit:
        token = doc[index]
        if token.is_space:
            break
        if _name_word(token):
            end = index = index + 1
        elif token.lower_ in _INNER and index > start:
            index += 1
        else:
            break
        if _breaks(token):
            break
    return end


def _run_start(doc: Doc, end: int, limit: int = 6) -> int:
    """The start of the run of name words (no connectors) that ends just before `end`, or `end`."""
    start = end
    while start > 0 and end - start < limit and _name_word(doc[start - 1]) and not _breaks(doc[start - 1]):
        start -= 1
    return start


class SpanRepair:
    def __init__(self, nlp: Language) -> None:
        #: Whether a name is a place; the engine sets it (the gazetteer's and GeoNames' knowledge).
        self.is_place: Callable[[str], bool] = lambda name: False

    def __call__(self, doc: Doc) -> Doc:
        ents = sorted(doc.ents, key=lambda e: e.start)
        words = _Words(doc)
        repaired: list[tuple[int, int, str]] = []
        index = 0
        while index < len(ents):
            ent = ents[index]
            start, end, label = ent.start, ent.end, ent.label_
            if label == "TITLE" and end < len(doc) and doc[end].text in _NAME_ENDS and not _breaks(doc[end - 1]):
                # "Massachusetts" + "General" + "Hospital": no title but a name's word before its last.
                if repaired and repaired[-1][1] == start and repaired[-1][2] in ("GPE", "NORP", "ORG", "PERSON"):
                    start = repaired.pop()[0]
                else:  # the words before, which the model left untagged
                    start = _run_start(doc, start, limit=3)
                    start += doc[start].lower_ in ("the", "a", "an") and start < ent.start
                end = _run_end(doc, end)
                label = "FAC" if doc[end - 1].text in _FACILITY_ENDS else "ORG"
            if label in _REPAIRED:
                start, end = self._repair(doc, start, end)
                start, end = self._units(doc, start, end)
            if label in ("GPE", "LOC"):
                start, end = self._city(doc, start, end)
            # Spans the repaired one now covers or crosses are its own words.
            index += 1
            while index < len(ents) and ents[index].start < end:
                end = max(end, ents[index].end) if label in _REPAIRED else end
                index += 1
            for part_start, part_end in _lines(doc, start, end, words):
                repaired.extend(self._split_places(doc, part_start, part_end, label, words))
        repaired += self._missed_cities(doc, {i for s, e, _ in repaired for i in range(s, e)})
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in _without_overlaps(repaired)]
        return doc

    def _missed_cities(self, doc: Doc, taken: set[int]) -> list[tuple[int, int, str]]:
        """"X City" the model left out ("the FBI Kansas City Field Office"), where the gazetteer would
        find X alone, a state or a country."""
        found = []
        if doc.vocab.strings.add("City") not in doc.to_array(ORTH):  # most docs have none: no walk over their tokens
            return found
        for token in doc:
            if token.text == "City" and token.i > 0 and token.i not in taken and token.i - 1 not in taken:
                first = _run_start(doc, token.i, limit=3)
                start = next((i for i in range(first, token.i) if self.is_place(doc[i : token.i + 1].text)), None)
                if start is not None and not taken.intersection(range(start, token.i)):
                    found.append((start, token.i + 1, "GPE"))
        return found

    def _repair(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        # Cut inside a word: "Port-au-" runs on to the end of "Port-au-Prince".
        while end < len(doc) and doc[end - 1].text == "-" and not doc[end - 1].whitespace_:
            end += 1
        # A lowercase word that is no connector ends a name: "Soldier in the" is "Soldier".
        cut = next((i for i in range(start + 1, end) if doc[i].is_lower and doc[i].lower_ not in _CONNECTORS
                    and doc[i].is_alpha and doc[i - 1].whitespace_), None)
        if cut is not None:
            end = cut
        # Cut at a connector: run on through the name words after it, else drop the connector.
        if doc[end - 1].lower_ in _CONNECTORS and not _breaks(doc[end - 1]):
            run = _run_end(doc, end)
            # Not into a title: "Criminal Division and" + "Special Agent in Charge Christopher Combs".
            if run > end and not (run < len(doc) and (doc[run].ent_type_ == "TITLE" or doc[run].text in OFFICES)):
                end = run
        # A title's first words taken in: "Air Force Tech." + "Sgt.", "Criminal Division and Special" + "Agent".
        while end - start > 1 and end < len(doc) and (doc[end].text in OFFICES or doc[end].ent_type_ == "TITLE") and (
                (doc[end - 1].text in OFFICES and doc[end - 1].text not in BODY_WORDS | INSTITUTION_WORDS)
                or (doc[end - 1].text in TITLE_WORDS and doc[end - 2].lower_ in _CONNECTORS)):
            end -= 1
        while end - start > 1 and doc[end - 1].lower_ in _CONNECTORS:
            end -= 1
        # An institution and what it is of: "Office" + "for the Coordination of Humanitarian Affairs".
        if doc[end - 1].text in INSTITUTION_WORDS and end + 1 < len(doc) and doc[end].lower_ in ("of", "for") \
                and not _breaks(doc[end - 1]):
            after = end + 1 + (doc[end + 1].lower_ == "the")
            run = _run_end(doc, after)
            if run > after:
                end = run
        # "Fish and Wildlife Conservation Commission": a name of an institution runs back over "and"
        # to the name words before it ("Florida Fish and ...") when those are no place of their own.
        if doc[end - 1].text in INSTITUTION_WORDS and start > 1 and doc[start - 1].lower_ == "and" \
                and _name_word(doc[start]) and _name_word(doc[start - 2]) and not _breaks(doc[start - 2]):
            first = _run_start(doc, start - 1, limit=3)
            left = doc[first : start - 1]
            if left and left[-1].text not in INSTITUTION_WORDS and not self.is_place(left.text) \
                    and not any(token.ent_type_ == "PERSON" or token.text in TITLE_WORDS for token in left):
                start = first
        # A date glued on: "... Area Sept 23".
        if end - start > 2 and doc[end - 1].like_num and _MONTH.match(doc[end - 2].text):
            end -= 2
        # A parenthesis is not part of a name ("Bureau of Land Management (BLM)": the short form is the
        # acronyms' business); a formation's role in one is put back by `_units`.
        if paren := next((i for i in range(start + 1, end) if doc[i].text == "("), None):
            end = paren
        return start, max(end, start + 1)

    def _units(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        if start > 0 and _ORDINAL.match(doc[start - 1].text):
            start -= 1  # "1st" + "Armored Division", "98th" + "Training Division"
        if not _UNIT.match(doc[end - 1].text):
            return start, end
        # The model found the parent ("1st Armored Division"): the unit before the comma belongs to it.
        if start > 2 and _ORDINAL.match(doc[start].text) and doc[start - 1].text == ",":
            first = _run_start(doc, start - 1)
            if first < start - 1 and _UNIT.match(doc[start - 2].text):
                start = first
        # The model found the unit ("Special Troops Battalion"): its parent after the comma is part of its name.
        if end + 1 < len(doc) and doc[end].text == "," and _ORDINAL.match(doc[end + 1].text):
            run = _run_end(doc, end + 1)
            if run > end + 2 and _UNIT.match(doc[run - 1].text):
                end = run
        # "98th Training Division (Initial Entry Training)": the unit's role in parentheses.
        if end + 3 < len(doc) and doc[end].text == "(" and _FORMATION.match(doc[end - 1].text):
            run = _run_end(doc, end + 1)
            if run - end > 2 and run < len(doc) and doc[run].text == ")":
                end = run + 1
        return start, end

    def _city(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        """A city the model cut at a word that is a place too: "Kansas" + "City", "Salt" + "Lake City"."""
        if end < len(doc) and doc[end].text == "City" and not _breaks(doc[end - 1]) \
                and self.is_place(doc[start : end + 1].text):
            return start, end + 1
        if start > 0 and _name_word(doc[start - 1]) and not doc[start - 1].ent_type_ and not doc[start - 1].is_sent_start \
                and not _breaks(doc[start - 1]) and self.is_place(doc[start - 1 : end].text):
            return start - 1, end
        return start, end

    def _split_places(self, doc: Doc, start: int, end: int, label: str, words: _Words) -> list[tuple[int, int, str]]:
        ands = words.ands(start, end)
        if label not in _REPAIRED or len(ands) != 1 or ands[0] in (0, end - start - 1):
            return [(start, end, label)]
        span = doc[start:end]
        left, right = span[: ands[0]], span[ands[0] + 1 :]
        if self.is_place(left.text) and self.is_place(right.text):
            return [(left.start, left.end, "GPE"), (right.start, right.end, "GPE")]
        return [(start, end, label)]


class _Words:
    """A doc's words as hashes, read once: the checks made of every span walk no tokens (a spaCy
    `Token` is an object made at each access)."""

    def __init__(self, doc: Doc) -> None:
        bullets = {doc.vocab.strings.add(bullet) for bullet in _BULLETS}
        orth, space = doc.to_array(ORTH).tolist(), doc.to_array(IS_SPACE).tolist()
        self.breaks = [bool(is_space) or word in bullets for word, is_space in zip(orth, space)]
        self.lower = doc.to_array(LOWER).tolist()
        self.and_ = doc.vocab.strings.add("and")

    def plain(self, start: int, end: int) -> bool:
        """No spaces nor bullets in the span: one line, nothing to trim (`_lines`)."""
        return not any(self.breaks[start:end])

    def ands(self, start: int, end: int) -> list[int]:
        """Where the span has the word "and", from its start."""
        return [i for i, word in enumerate(self.lower[start:end]) if word == self.and_]


def _lines(doc: Doc, start: int, end: int, words: _Words) -> list[tuple[int, int]]:
    """The parts of a span on each side of a paragraph break ("Stillwater\n\n• Tennessee"), each
    without the bullets and spaces around it; the span itself when it has no break."""
    if words.plain(start, end):  # most spans: nothing to cut or trim
        return [(start, end)]
    parts, first = [], start
    for index in range(start, end + 1):
        at_break = index < end and ("\n" in doc[index].whitespace_ or (doc[index].is_space and "\n" in doc[index].text))
        if index == end or at_break:
            last = index + 1 if at_break and not doc[index].is_space else index
            kept = [i for i in range(first, last) if not doc[i].is_space and doc[i].text not in _BULLETS]
            if kept:
                parts.append((kept[0], kept[-1] + 1))
            first = index + 1
    return parts


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@Language.factory(FACTORY)
def make_span_repair(nlp: Language, name: str) -> SpanRepair:
    return SpanRepair(nlp)
