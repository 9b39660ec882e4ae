"""Site chrome around a wire story never reaches the headline, the body or the id."""

from __future__ import annotations

import pytest

from pipeline.ingest.chrome import is_breadcrumb, is_chrome, is_trailer
from pipeline.ingest.wiretext import parse_wire_text

ABOVE_DATE = "Accessibility links\nSkip to main content\nSkip to main Navigation\nSkip to Search\n\nNext\nClose\nSearch\n\n"
ABOVE_HEADLINE = "\nBreaking News\n\nNews / {section}\n\n{section}\n\nupdate\n\n"
IN_HEADER = "Share\nPrint\nLink has been copied to clipboard\n"
MEDIA = "\nNo media source currently available\n\n0:00 0:02:19 0:00\n\n270p | 5.1MB\n\n"
BELOW = "\nShare on Facebook\n\nComments\n\nYou May Like\n\nChina Warns Taiwan Over Arms Sale\n\nOther Headline Here\n"


def dressed(text: str) -> str:
    """A sample as copied from the site's page: chrome above the date line, between it and the
    headline, in the header block, a media player in the body, share buttons and a trailer below."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    section = lines[first].split(None, 2)[2] if len(lines[first].split()) > 2 else "News"
    headline_at = next(i for i in range(first + 1, len(lines)) if lines[i].strip())
    body_at = next(i for i in range(headline_at + 2, len(lines)) if not lines[i].strip())
    return "\n".join(
        [ABOVE_DATE + lines[first], ABOVE_HEADLINE.format(section=section), lines[headline_at],
         IN_HEADER, *lines[headline_at + 1 : body_at], MEDIA, *lines[body_at:], BELOW]
    )


def test_every_sample_dressed_in_chrome_parses_as_the_clean_one(sample_texts):
    for name, text in sample_texts.items():
        clean = parse_wire_text(text, source="voa")
        page = parse_wire_text(dressed(text), source="voa")
        assert (page.id, page.headline, page.byline, page.body_text) == (
            clean.id, clean.headline, clean.byline, clean.body_text), name
        assert page.versioncreated == clean.versioncreated, name
        for word in ("Accessibility", "Breaking News", "Share", "You May Like", "0:00", "Other Headline"):
            assert word not in page.body_text + page.headline, (name, word)


def test_two_stories_of_one_day_under_the_same_chrome_keep_their_own_ids():
    one = " date 2020-01-02 USA\n\nAccessibility links\n\nBreaking News\n\nFirst Story Headline\n\nBody one.\n"
    two = " date 2020-01-02 USA\n\nAccessibility links\n\nBreaking News\n\nSecond Story Headline\n\nBody two.\n"
    first, second = parse_wire_text(one, source="voa"), parse_wire_text(two, source="voa")
    assert (first.headline, second.headline) == ("First Story Headline", "Second Story Headline")
    assert first.id != second.id


def test_a_headline_printed_twice_is_kept_once():
    text = " date 2020-01-02 USA\n\nTaal Erupts Again\n\nTaal Erupts Again\n\nThe volcano erupted.\n"
    article = parse_wire_text(text, source="voa")
    assert article.headline == "Taal Erupts Again" and article.body_text == "The volcano erupted."


@pytest.mark.parametrize("line", [
    "Share", "PRINT", "Skip to main content", "Accessibility links", "Breaking News", "News / Africa",
    "Home > World > Asia", "0:00 0:02:19 0:00", "270p | 5.1MB", "No media source currently available",
    "Link has been copied to clipboard", "3 min read",
])
def test_chrome_lines(line):
    assert is_chrome(line)


@pytest.mark.parametrize("line", [
    "Iran/Iraq Tensions Rise", "Share prices fell sharply on Monday.", "Print media is struggling.",
    "Esper: US Prepared to Take 'Preemptive' Action on Iran", "Taal Erupts Again", "Related to the case, police said.",
])
def test_text_lines_are_not_chrome(line):
    assert not is_chrome(line) and not is_trailer(line) and not is_breadcrumb(line)


def test_trailer_markers():
    assert all(is_trailer(line) for line in ["Related Stories", "You May Like", "MOST POPULAR", "Latest News"])
