"""The identity evaluation: which texts are one story, fed in many orders.

From real wire stories it makes the variants a wire desk sees, as wire text (so the parser is
part of what is measured): the story as sent; the same page copied with the site's chrome above
and below; a re-send cut to 30 % of its words under the same id; another outlet's lead (its first
60 % of the words, to the word); another outlet's copy with other quotes, spacing, line breaks and its own
tag line; an update that adds a paragraph (a later time, or the same time with the paragraph after
the lead), then a correction of a sentence of that update (later still); and, as hard negatives, a different story that reuses two of its background paragraphs
under a lead of its own. Stories of the same day, topic and source are negatives of each other.

Every order of the same articles must give the same clusters: `evaluate` feeds them in `orders`
random orders through a fresh `DedupIndex` each time and scores pairwise cluster precision and
recall per order, whether any two stories share an id, and whether the index would end on the
fullest latest text of every story.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations
from pathlib import Path
from statistics import mean

from pipeline.dedup import DedupIndex
from pipeline.dedup.fingerprint import words
from pipeline.ingest import InvalidInput
from pipeline.ingest.wiretext import parse_wire_text
from schemas import Article

#: Page chrome as a site's copy-and-paste gives it: above the date line, above the headline, below the story.
PAGE_TOP = ["Accessibility links", "Skip to main content", "Skip to main Navigation", "Skip to Search", "",
            "Next", "Close", "Search", "", "Previous", "Next"]
PAGE_ABOVE_HEADLINE = ["", "Breaking News", "", "{section}", ""]
PAGE_UNDER_HEADLINE = ["Share", "Print", ""]
PAGE_BOTTOM = ["", "Share on Facebook", "", "Share on Twitter", "", "Print", "", "Related Stories", "",
               "{other}", "", "Most Popular", ""]
OTHER_OUTLETS = ("metro-herald", "daily-courier", "global-post", "river-times")


@dataclass(frozen=True)
class Variant:
    """One article as fed in: its wire text, its source, and the story it truly belongs to."""

    text: str
    source: str
    story: str  # the true cluster
    role: str
    #: The text the index must end on for this story (its fullest latest text).
    final: bool = False


def render_wire(article: Article, *, top: list[str] = (), above: list[str] = (), under: list[str] = (),
                bottom: list[str] = (), paragraphs: list[str] | None = None, updated: bool = True) -> str:
    """An article as plain wire text, with optional page chrome around its parts."""
    section = article.section or "News"
    body = paragraphs if paragraphs is not None else article.body_text.split("\n\n")
    if article.located and paragraphs is None:
        body = [f"{article.located} - {body[0]}", *body[1:]]
    stamp = article.versioncreated.strftime("%B %d, %Y %I:%M %p")
    header = [f"By {article.byline}" if article.byline else "", f"Updated {stamp}" if updated else ""]
    lines = [*top, f" date {article.firstcreated.isoformat()} {section}",
             *(line.format(section=section) for line in above), "", article.headline, "", *under,
             *[line for line in header if line], "", *"\n\n".join(body).split("\n"),
             *(line.format(other=f"Other headline of {section}") for line in bottom)]
    return "\n".join(lines) + "\n"


def syndicated_text(paragraphs: list[str], outlet: str, rng: random.Random) -> list[str]:
    """Another outlet's copy: its tag line, curly quotes, double spaces, and paragraphs broken
    across lines where its system wraps them."""
    out = [f"({outlet.upper()}) \u2014"]
    for paragraph in paragraphs:
        paragraph = paragraph.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(". ", ".  ")
        cut = paragraph.find(" ", 60)
        out.append(paragraph if cut < 0 or rng.random() < 0.5 else paragraph[:cut] + "\n" + paragraph[cut + 1:])
    out.append(f"Copyright {outlet}. All rights reserved.")
    return out


def variants(bases: list[tuple[str, Article]], donors: list[Article], seed: int = 1) -> list[Variant]:
    """The labelled variants of every base story. `donors` lend leads and added paragraphs (they
    are never fed in themselves, so what they lend is new text); a story whose turn comes after the
    lent paragraphs ran out gets no different-story variant."""
    rng = random.Random(seed)
    donated = [p for donor in donors for p in donor.body_text.split("\n\n") if len(p.split()) >= 20]
    rng.shuffle(donated)
    # Each lent paragraph is used once: two stories given the same new lead would be one story.
    lent = iter(donated)
    out: list[Variant] = []
    for serial, (name, base) in enumerate(bases):
        paragraphs = base.body_text.split("\n\n")
        outlet = OTHER_OUTLETS[serial % len(OTHER_OUTLETS)]
        added = next(lent, f"The ministry gave no further details about case {serial} on Friday.")
        same = base.source
        # A later update adds a paragraph at the end; a same-time update adds one after the lead.
        # Then a correction changes a sentence of it, later still.
        if serial % 2 == 0:
            newer = base.model_copy(update={"versioncreated": base.versioncreated + timedelta(hours=2)})
            updated = [*paragraphs, added]
            update = render_wire(newer, paragraphs=_located(base, updated))
        else:
            updated = [paragraphs[0], added, *paragraphs[1:]]
            update = render_wire(base, paragraphs=_located(base, updated), updated=False)
        latest = base.model_copy(update={"versioncreated": base.versioncreated + timedelta(hours=4)})
        correction = render_wire(latest, paragraphs=_located(base, _corrected(updated)))
        out += [
            Variant(render_wire(base), same, name, "original"),
            Variant(render_wire(base, top=PAGE_TOP, above=PAGE_ABOVE_HEADLINE, under=PAGE_UNDER_HEADLINE,
                                bottom=PAGE_BOTTOM), same, name, "page copy"),
            Variant(render_wire(base, paragraphs=_located(base, _lead(paragraphs, 0.3))), same, name,
                    "re-sent cut to 30%"),
            Variant(render_wire(base, paragraphs=_located(base, _lead(paragraphs, 0.6))),
                    f"brief-{outlet}", name, "lead, 60% of the words"),
            Variant(render_wire(base.model_copy(update={"headline": base.headline.upper()}),
                                paragraphs=syndicated_text(paragraphs, outlet, rng)), outlet, name, "syndicated"),
            Variant(update, same, name, "update adds a paragraph"),
            Variant(correction, same, name, "correction changes a sentence", final=True),
        ]
        background = paragraphs[2:] if len(paragraphs) > 3 else []
        lead = [p for p in (next(lent, None), next(lent, None)) if p]
        if len(background) >= 2 and len(lead) == 2:
            reuse = base.model_copy(update={"headline": f"New Developments: {base.headline}"})
            out.append(Variant(render_wire(reuse, paragraphs=lead + rng.sample(background, 2)), same,
                               f"{name}#reuse", "different story reusing background", final=True))
    return out


def _corrected(paragraphs: list[str]) -> list[str]:
    """The same paragraphs with the end of the longest one reworded (its last 40 characters, some
    eight English words, in any script), as a correction does."""
    longest = max(range(len(paragraphs)), key=lambda i: len(paragraphs[i]))
    fixed = paragraphs[longest][:-40].rstrip() + " according to a corrected account released later."
    return [*paragraphs[:longest], fixed, *paragraphs[longest + 1:]]


def _lead(paragraphs: list[str], share: float) -> list[str]:
    """The first paragraphs up to `share` of the words (15 at least), cut inside the paragraph that
    crosses it."""
    wanted = max(15, round(sum(len(p.split()) for p in paragraphs) * share))
    lead: list[str] = []
    for paragraph in paragraphs:
        have = sum(len(p.split()) for p in lead)
        if have + len(paragraph.split()) > wanted:
            if have < wanted:
                lead.append(" ".join(paragraph.split()[: wanted - have]))
            break
        lead.append(paragraph)
    return lead


def _located(base: Article, paragraphs: list[str]) -> list[str]:
    return [f"{base.located} - {paragraphs[0]}", *paragraphs[1:]] if base.located else paragraphs


@dataclass
class OrderScore:
    precision: float
    recall: float
    merged_stories: int  # ids that hold more than one true story
    wrong_final: list[str] = field(default_factory=list)  # stories whose index text is not their fullest latest


@dataclass
class Report:
    articles: int
    stories: int
    refused: list[str]
    orders: list[OrderScore]
    roles: Counter

    def summary(self) -> dict[str, float]:
        p = [o.precision for o in self.orders]
        r = [o.recall for o in self.orders]
        return {"articles": self.articles, "stories": self.stories, "orders": len(self.orders),
                "precision_min": min(p), "precision_mean": mean(p), "recall_min": min(r), "recall_mean": mean(r),
                "orders_with_merged_ids": sum(1 for o in self.orders if o.merged_stories),
                "orders_with_wrong_final_text": sum(1 for o in self.orders if o.wrong_final)}


def evaluate(labelled: list[Variant], orders: int = 20, seed: int = 1) -> Report:
    """Parse every variant, then feed them in `orders` random orders through a fresh index each."""
    parsed: list[tuple[Variant, Article]] = []
    refused = []
    for variant in labelled:
        try:
            parsed.append((variant, parse_wire_text(variant.text, source=variant.source)))
        except InvalidInput as error:
            refused.append(f"{variant.story} ({variant.role}): {error}")
    rng = random.Random(seed)
    scores = []
    for _ in range(orders):
        order = parsed[:]
        rng.shuffle(order)
        scores.append(score_order(order))
    return Report(len(labelled), len({v.story for v in labelled}), refused, scores, Counter(v.role for v in labelled))


def score_order(order: list[tuple[Variant, Article]]) -> OrderScore:
    """One pass through a fresh index: clusters by the story id each article ends in (a story
    merged into another counts as that one), and the text each story's document ends on."""
    index = DedupIndex()
    placed: dict[int, str] = {}
    merged_into: dict[str, str] = {}
    shown: dict[str, tuple[int, Article]] = {}  # story id -> (version, the article published as it)
    for position, (variant, article) in enumerate(order):
        decision = index.observe(article, now=0, source_offset=position)
        placed[position] = decision.story_id
        for retired, _ in decision.absorbed:
            merged_into[retired] = decision.story_id
            shown.pop(retired, None)  # its document is retired
        if decision.unique and decision.version >= shown.get(decision.story_id, (0, None))[0]:
            shown[decision.story_id] = (decision.version, article)
    predicted = {position: resolve(story_id, merged_into) for position, story_id in placed.items()}
    truth = {position: variant.story for position, (variant, _) in enumerate(order)}
    precision, recall = pairwise(truth, predicted)
    members: dict[str, set[str]] = defaultdict(set)
    for position, story_id in predicted.items():
        members[story_id].add(truth[position])
    wrong = []
    for position, (variant, article) in enumerate(order):
        if variant.final:
            text = shown.get(predicted[position], (0, None))[1]
            if text is None or not shows(text.body_text, article.body_text):
                wrong.append(variant.story)
    return OrderScore(precision, recall, sum(1 for stories in members.values() if len(stories) > 1), wrong)


def resolve(story_id: str, merged_into: dict[str, str]) -> str:
    while story_id in merged_into:
        story_id = merged_into[story_id]
    return story_id


def pairwise(truth: dict[int, str], predicted: dict[int, str]) -> tuple[float, float]:
    """Pairwise cluster precision and recall: of the pairs put together, how many belong together;
    of the pairs that belong together, how many were put together."""
    together_predicted = together_true = both = 0
    for a, b in combinations(truth, 2):
        same_true, same_predicted = truth[a] == truth[b], predicted[a] == predicted[b]
        together_true += same_true
        together_predicted += same_predicted
        both += same_true and same_predicted
    return (both / together_predicted if together_predicted else 1.0,
            both / together_true if together_true else 1.0)


def shows(shown: str, expected: str) -> bool:
    return " ".join(words(expected)) in " ".join(words(shown))


def split_of(path: Path) -> str:
    """`heldout` for a third of the stories by a hash of the file name, else `dev`: the same rule
    that placed the labelled stories, so a folder without a split is split the same way."""
    return "heldout" if int(hashlib.sha1(path.stem.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def load_wire(paths: list[Path]) -> list[tuple[str, Article]]:
    """Wire stories by file name; the source is the name's first part (`voa-2020-...` -> `voa`)."""
    return [(path.stem, parse_wire_text(path.read_text(encoding="utf-8"), source=path.stem.split("-")[0]))
            for path in sorted(paths)]


def story_sets(samples: Path, evaluation: Path) -> dict[str, list[Path]]:
    """The stories the evaluation is made from: `dev` (the samples, the labelled development
    stories, two thirds of the non-Latin ones) and `heldout` (the rest, never tuned on)."""
    scripts = sorted((evaluation / "scripts").glob("*.txt"))
    return {
        "dev": [*sorted(samples.glob("*.txt")), *sorted((evaluation / "dev").glob("*.txt")),
                *(p for p in scripts if split_of(p) == "dev")],
        "heldout": [*sorted((evaluation / "heldout").glob("*.txt")), *(p for p in scripts if split_of(p) == "heldout")],
    }


def evaluate_set(paths: list[Path], orders: int = 20, seed: int = 1) -> Report:
    """Every fourth story lends its paragraphs (never fed itself); the others are the bases."""
    stories = load_wire(paths)
    bases = [story for i, story in enumerate(stories) if i % 4 != 3]
    donors = [article for i, (_, article) in enumerate(stories) if i % 4 == 3]
    return evaluate(variants(bases, donors, seed), orders, seed)
