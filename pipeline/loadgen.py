"""Realistic wire traffic from real stories: distinct stories and their copies, deterministic
from a seed. Used by the tests, the demo and the benchmarks.

Copies are made the ways they happen on real wires: re-sent unchanged, syndicated by another
outlet (own id, curly quotes, different whitespace and boilerplate), cut to the lead, or updated
with a new paragraph and a later time. Distinct stories are made by recombining the samples'
paragraphs, so their words stay real.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from pipeline.ingest.ids import story_id
from schemas import Article

OUTLETS = ("daily-courier", "metro-herald", "global-post", "river-times")


@dataclass(frozen=True)
class Labelled:
    """An article and what the dedup stage should make of it."""

    article: Article
    label: str  # "unique", "update", or a copy kind: "exact", "near", "containment"
    original_id: str


def latest_versions(labelled: Iterable[Labelled]) -> dict[str, int]:
    """Story id -> the version the pipeline should end it at: 1, plus one per update."""
    expected: dict[str, int] = {}
    for item in labelled:
        if item.label in ("unique", "update"):
            expected[item.original_id] = expected.get(item.original_id, 0) + 1
    return expected


def resend(article: Article) -> Article:
    return article.model_copy()


def syndicate(article: Article, outlet: str) -> Article:
    """Another outlet's copy: its own id, curly quotes, changed spacing, its own boilerplate."""
    body = article.body_text.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(". ", ".  ")
    body = f"({outlet.upper()}) \u2014\n\n{body}\n\nCopyright {outlet}. All rights reserved."
    return article.model_copy(
        update={"id": story_id(outlet, headline=article.headline.upper(), published=article.firstcreated),
                "source": outlet, "headline": article.headline.upper(), "body_text": body}
    )


def truncate(article: Article, words: int = 45) -> Article:
    """The lead alone, as feeds and alerts services send it."""
    cut = " ".join(article.body_text.split()[:words])
    return article.model_copy(
        update={"id": story_id("brief-" + article.source, headline=article.headline, published=article.firstcreated),
                "body_text": cut + " ..."}
    )


def update(article: Article, paragraph: str, hours: int = 2) -> Article:
    """The same story later: a new paragraph and a newer time, same id."""
    return article.model_copy(
        update={"body_text": f"{article.body_text}\n\n{paragraph}",
                "versioncreated": article.versioncreated + timedelta(hours=hours)}
    )


def recombine(stories: list[Article], rng: random.Random, serial: int) -> Article:
    """A distinct story: sentences from different samples in a new order, with about one word in
    four swapped for another word of the samples. Without the swaps two "distinct" stories often
    shared whole sentences, even their first 45 words (six samples give few sentences), so a
    truncated copy of one was rightly found inside the other and counted as a false positive."""
    paragraphs = [p for story in stories for p in story.body_text.split("\n\n")]
    sentences = [s.strip() + "." for p in paragraphs for s in p.split(". ") if len(s.split()) > 6]
    vocabulary = sorted({word for sentence in sentences for word in sentence.split() if word.isalpha()})
    rng.shuffle(sentences)

    def reworded(sentence: str) -> str:
        return " ".join(rng.choice(vocabulary) if rng.random() < 0.25 else word for word in sentence.split())

    chosen = [reworded(sentence) for sentence in sentences[:15]]
    body = "\n\n".join(" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3))
    base = stories[serial % len(stories)]
    headline = f"{base.headline} ({serial})"
    return base.model_copy(
        update={"id": story_id(base.source, headline=headline, published=base.firstcreated),
                "headline": headline, "body_text": body,
                "versioncreated": base.versioncreated + timedelta(minutes=serial)}
    )


def stream(stories: list[Article], count: int, *, duplicate_rate: float = 0.3, seed: int = 7,
           start: int = 0) -> Iterator[Labelled]:
    """`count` articles: distinct stories, and copies of earlier ones at `duplicate_rate`. A story's
    id follows from its serial number, counted from `start`: two streams meant to be distinct
    from each other need starts at least `count` apart, whatever their seeds."""
    rng = random.Random(seed)
    emitted: list[Article] = []
    for serial in range(start, start + count):
        if emitted and rng.random() < duplicate_rate:
            original = rng.choice(emitted[-500:])
            kind = rng.choice(("exact", "near", "containment", "update"))
            if kind == "exact":
                yield Labelled(resend(original), "exact", original.id)
            elif kind == "near":
                yield Labelled(syndicate(original, rng.choice(OUTLETS)), "near", original.id)
            elif kind == "containment" and len(original.body_text.split()) > 60:
                yield Labelled(truncate(original), "containment", original.id)
            else:
                newer = update(original, rng.choice(stories).body_text.split("\n\n")[0], hours=rng.randint(1, 5))
                emitted[emitted.index(original)] = newer
                yield Labelled(newer, "update", original.id)
        else:
            article = recombine(stories, rng, serial)
            emitted.append(article)
            yield Labelled(article, "unique", article.id)
