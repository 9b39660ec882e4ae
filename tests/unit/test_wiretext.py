from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.ingest import InvalidInput
from pipeline.ingest.wiretext import parse_wire_text

TRAILER_WORDS = ["Related Stories", "Cuba", "Venezuela", "Crown Heights", "Mystery Drones", "Child Marriage", "Singapore"]


@pytest.fixture(scope="module")
def esper(esper_text):
    return parse_wire_text(esper_text, source="voa")


def test_esper_header_fields(esper):
    assert esper.headline == "Esper: US Prepared to Take 'Preemptive' Action on Iran"
    assert esper.byline == "Carla Babb"
    assert esper.section == "USA"
    assert esper.firstcreated == date(2020, 1, 2)
    assert esper.versioncreated == datetime(2020, 1, 2, 19, 53, tzinfo=ZoneInfo("America/New_York"))
    assert esper.located == "PENTAGON"


def test_esper_body_bounds_and_captions(esper):
    assert esper.body_text.startswith("The U.S. is prepared to take")
    assert esper.body_text.endswith("he did not see the demonstrations escalating into a war.")
    assert esper.captions[0].startswith("Secretary of Defense Mark Esper delivers a statement")
    assert esper.captions[1].startswith("Defense Secretary Mark Esper says, Jan. 2, 2020")
    # The two photo captions in the middle of the story are captions, not body paragraphs.
    assert any(c.startswith("Chairman of the Joint Chiefs") for c in esper.captions)
    assert "Chairman of the Joint Chiefs of Staff Gen. Mark Milley listens" not in esper.body_text
    assert esper.credits == ["Kenneth Schwartz contributed to this report."]
    assert "contributed to this report" not in esper.body_text


def test_nothing_of_the_trailer_in_any_field(esper):
    text = " ".join([esper.headline, esper.body_text, *esper.captions, *esper.credits, esper.byline or ""])
    for word in TRAILER_WORDS:
        assert word not in text


def test_every_sample_parses(sample_texts):
    for name, text in sample_texts.items():
        article = parse_wire_text(text, source="voa")
        assert article.body_text and article.headline, name
        assert article.id.startswith("voa-")


def test_lead_in_header_is_body_not_caption(sample_texts):
    wildfires = parse_wire_text(sample_texts["voa-2020-01-05-wildfires-scorch-australia"], source="voa")
    assert wildfires.captions == [
        "Smoke and rain mist mix in air as cattle graze below burnt grass fields near Milton, Australia, Jan. 5, 2020."
    ]
    assert wildfires.body_text.startswith("Australia continues to battle wildfires")
    # No time on the timestamp line: midnight in the wire's time zone.
    assert wildfires.versioncreated == datetime(2020, 1, 5, tzinfo=ZoneInfo("America/New_York"))


def test_video_credits_are_kept_apart(sample_texts):
    story = parse_wire_text(sample_texts["voa-2020-10-21-african-reporters-us-election"], source="voa")
    assert story.credits == ["Camera: Zaheer Cassim", "Produced by: Henry Hernandez"]
    assert "Camera:" not in story.body_text


def test_same_story_same_id_different_source_different_id(esper_text):
    assert parse_wire_text(esper_text, source="voa").id == parse_wire_text(esper_text, source="voa").id
    assert parse_wire_text(esper_text, source="voa").id != parse_wire_text(esper_text, source="ap").id


def test_timezone_is_configurable(esper_text):
    article = parse_wire_text(esper_text, source="voa", timezone="UTC")
    assert article.versioncreated.utcoffset().total_seconds() == 0
    assert article.versioncreated.hour == 19


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("Just a headline\n\nAnd a body", "firstcreated", "first line must be"),
        (" date 2020-13-45 USA\n\nHeadline\n\nBody", "firstcreated", "not a calendar date"),
        (" date 2020-01-02 USA\n\n", "headline", "missing"),
        (" date 2020-01-02 USA\n\nHeadline only", "body_text", ""),
        ("   \n\n", "headline", "empty story"),
    ],
)
def test_malformed_stories_name_the_field(text, field, words):
    with pytest.raises(InvalidInput) as caught:
        parse_wire_text(text, source="voa")
    assert caught.value.field == field
    assert words in caught.value.reason
    assert "\n" not in str(caught.value)
