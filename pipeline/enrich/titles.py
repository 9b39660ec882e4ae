"""Titles, ranks and offices before a name: a small grammar rather than a list of every combination.

"Air Force Brig. Gen. Jane Doe", "Army Sgt. 1st Class John Roe", "U.N. Secretary-General Ban
Ki-moon", "Acting Regional Administrator Sam Coleman", "Iranian Supreme Leader Ayatollah Ali
Khamenei": a title is a run of *qualifiers* (services, countries, "Deputy", "Acting", ...) ending in
at least one *office or rank* word. The engine keeps the title as the person's `role`, never as part
of the name, and looks for organisations named inside it ("U.N.", "Army").
"""

from __future__ import annotations

from spacy.attrs import ORTH
from spacy.tokens import Doc
from spacy.vocab import Vocab

#: Words that make a run of words a title: offices, ranks, honorifics (as written in news copy).
OFFICES = frozenset("""
    President Vice-President Premier Chancellor Minister Secretary Secretary-General Undersecretary Under-Secretary
    Ambassador Amb. Envoy Consul Governor Gov. Lt. Mayor Senator Sen. Representative Rep. Congressman Congresswoman
    Speaker Leader Whip Chairman Chairwoman Chairperson Chair Director Administrator Commissioner Superintendent
    Spokesman Spokeswoman Spokesperson Secretary-designate Press Attorney Justice Judge Magistrate Prosecutor MP MPs
    Surgeon Astronaut Astronauts Cosmonaut Rear
    Chief Head Commander Commandant Officer Adjutant Inspector Marshal Sheriff Deputy Minister-President Clerk Agent
    King Queen Prince Princess Emperor Empress Sultan Emir Sheikh Crown Pope Cardinal Archbishop Bishop Rev. Reverend
    Father Imam Ayatollah Grand Rabbi Patriarch Dr. Prof. Professor Mr. Mrs. Ms. Miss Mx. Sir Dame Lord Lady
    Mr Mrs Ms Dr Sec. Sec Secy. Gen Col Lt Sgt Adm Capt Maj
    Gen. General Adm. Admiral Col. Colonel Maj. Capt. Captain Cmdr. Commander Cdr. Lt. Lieutenant Sgt. Sergeant
    Cpl. Corporal Pvt. Private Pfc. Spc. Specialist Brig. Brigadier Ensign Seaman Airman Petty Marine Soldier Trooper
    Warrant Master Staff Command Tech. Technical Senior First 1st 2nd 3rd Class Chaplain Gunnery Lance Sgt.Maj.
    CEO Founder Co-founder Executive Editor Correspondent Reporter Producer Anchor Coach Manager Captain
    U Daw
""".split())
#: Words that may stand before an office in a title without being one ("Air Force", "Defense",
#: "U.S.", "Acting"); a run of these alone is not a title.
QUALIFIERS = frozenset("""
    Air Force Army Navy Naval Marine Marines Corps Coast Guard Space National Reserve U.S. US U.N. UN NATO EU
    Defense Defence State Foreign External Interior Justice Finance Treasury Health Homeland Security Energy Education
    Commerce Labor Transportation Agriculture Environment Economy Information Trade Culture Veterans Affairs
    Supreme Acting Interim Former Ex Deputy Assistant Associate Principal Regional District County City Federal
    Provincial Senior Junior Executive General Joint Special Presidential White House Iranian Israeli Russian
    Chinese Syrian Iraqi Afghan Pakistani Indian Egyptian Saudi Turkish Ukrainian French British German Japanese
    Korean North South Venezuelan Cuban Mexican Nigerian Kenyan Philippine Filipino Australian Canadian Palestinian
    Prime Vice Press Chief Head Top Retired Ret. Opposition Majority Minority House Senate Parliament Parliamentary
    Party Lebanese Sudanese Somali Ethiopian Libyan Yemeni
""".split()) - OFFICES

TITLE_WORDS = OFFICES | QUALIFIERS
#: Words of the body an office is "of": "Chairman of the Joint Chiefs of Staff", "Minister of Foreign Affairs".
BODY_WORDS = QUALIFIERS | frozenset("""
    Chiefs Staff Department Ministry Committee Council Commission Agency Bank Court Forces Command Operations
    Intelligence Police Nations Union Republic States United Kingdom Office Bureau Board Authority Service Services
    Assembly Congress Parliament Cabinet Government Administration Corporation Company Organization Organisation
    Federation Fund Institute University Agencies Land Central Reserve Investigation Protection Management
    Brigade Battalion Regiment Division Squadron Team Fleet Detachment Cavalry Infantry Armored Airborne
""".split())
_CONNECTORS = frozenset({"of", "the", "and", "for", "on"})
#: Offices that are never a name's first word nor part of an organisation's name: safe to mark as
#: a title before the statistical model runs ("Press" of "Associated Press", "General" of "General
#: Motors" are not among them).
MARKED_OFFICES = OFFICES - frozenset("""
    Press Staff Senior First 1st 2nd 3rd Class Master Command Technical Tech. Warrant Petty Lance Gunnery Grand
    Crown Chief Head Executive Founder Co-founder Editor Correspondent Reporter Producer Anchor Coach Manager
    Officer Marine Soldier Trooper Father Justice Attorney Deputy Leader Chair General Captain Private Specialist
    Marshal Sheriff Lady Lord Sir Dame Miss Grand Commander Inspector Head King Queen Prince Princess Emperor Empress Clerk Agent
    Surgeon Astronaut Astronauts Cosmonaut Rear
    U Daw
""".split())


class TitleRuns:
    """The matches of the token pattern QUALIFIER* MARKED_OFFICE+ ("Air Force Brig. Gen."), as spaCy's
    `Matcher` gives them (every (label, start, end); the `EntityRuler` keeps the longest), for the
    ruler's `matcher`. The Matcher tries a pattern that opens with `*` at every token of every story
    (0.7 ms a story, a quarter of the rules' share of the model process); this looks the words'
    hashes up in sets and only walks the runs it finds (0.1 ms)."""

    def __init__(self, vocab: Vocab, label: str) -> None:
        self.label = vocab.strings.add(label)
        self.qualifiers = {vocab.strings.add(word) for word in QUALIFIERS}
        self.offices = {vocab.strings.add(word) for word in MARKED_OFFICES}

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        words = doc.to_array(ORTH).tolist()
        at = [index for index, word in enumerate(words) if word in self.offices]
        matches = []
        while at:
            first = end = at.pop(0)
            while at and at[0] == end + 1:  # a run of office words: first..end
                end = at.pop(0)
            opens = first  # the qualifiers before the run may open a title
            while opens > 0 and words[opens - 1] in self.qualifiers:
                opens -= 1
            for stop in range(first + 1, end + 2):
                matches += [(self.label, start, stop) for start in range(opens, stop)]
        return matches


def split_role(text: str, extra_titles: frozenset[str] = frozenset()) -> tuple[str | None, str]:
    """("Air Force Brig. Gen.", "Jane Doe") from "Air Force Brig. Gen. Jane Doe": the longest run of
    title words ending in an office, and what follows it; (None, text) when it opens with no title.
    `extra_titles` are whole titles from the gazetteer ("Secretary of State"), tried first."""
    for title in sorted(extra_titles, key=len, reverse=True):
        if text.startswith(title + " ") and len(text) > len(title) + 1:
            role, rest = split_role(text[len(title) + 1:], extra_titles)
            return (f"{title} {role}" if role else title), rest
    words = text.split(" ")
    end = 0  # words[:end] is the title found so far
    index = 0
    while index < len(words) - 1:  # the last word is the name's, whatever it is
        word = words[index]
        if word in OFFICES:
            index = end = _of_clause(words, index + 1)
        elif word in QUALIFIERS:
            index += 1
        else:
            break
    if end == 0:
        return None, text
    return " ".join(words[:end]), " ".join(words[end:])


def _of_clause(words: list[str], start: int) -> int:
    """Where the body an office is "of" ends ("of the Joint Chiefs of Staff"), or `start` when
    none follows. At least one word is left for the name."""
    if start >= len(words) - 1 or words[start] != "of":
        return start
    index, end = start + 1, start
    while index < len(words) - 1 and (words[index] in BODY_WORDS or words[index] in _CONNECTORS):
        index += 1
        if words[index - 1] not in _CONNECTORS:
            end = index
    return end
