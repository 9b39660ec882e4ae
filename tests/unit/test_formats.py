import json

import pytest

from pipeline.ingest import Rejected, detect_format, parse_bytes
from schemas import Article

NINJS = {
    "uri": "urn:example:story:1",
    "headline": "Volcano erupts",
    "byline": "A Reporter",
    "located": "MANILA",
    "firstcreated": "2020-01-13T09:00:00Z",
    "versioncreated": "2020-01-13T10:15:00Z",
    "body_html": "<p>The volcano <b>erupted</b>.</p><script>alert(1)</script><p>People fled.</p>",
    "language": "en",
    "associations": {"featureimage": {"description_text": "Ash over Manila."}},
}

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example Wire</title>
<item><guid>urn:example:rss:1</guid><title>First story</title><description>&lt;p&gt;Body one.&lt;/p&gt;</description>
<pubDate>Mon, 13 Jan 2020 09:15:00 GMT</pubDate><author>reporter@example.org (A Reporter)</author></item>
<item><guid>urn:example:rss:2</guid><title>No date</title><description>Body two.</description></item>
</channel></rss>"""


def parse(name, raw, **kwargs):
    return list(parse_bytes(name, raw, source="test", **kwargs))


def test_ninjs_html_body_drops_scripts_and_keeps_paragraphs():
    [article] = parse("story.json", json.dumps(NINJS).encode())
    assert isinstance(article, Article)
    assert article.body_text == "The volcano erupted.\n\nPeople fled."
    assert article.uri == "urn:example:story:1"
    assert article.located == "MANILA"
    assert article.captions == ["Ash over Manila."]
    assert article.versioncreated.isoformat() == "2020-01-13T10:15:00+00:00"


def test_ninjs_id_comes_from_uri_so_versions_share_it():
    newer = dict(NINJS, versioncreated="2020-01-13T12:00:00Z", headline="Volcano erupts again")
    [first] = parse("a.json", json.dumps(NINJS).encode())
    [second] = parse("b.json", json.dumps(newer).encode())
    assert first.id == second.id


def test_json_lines_one_bad_line_costs_only_itself():
    good = json.dumps(NINJS)
    raw = "\n".join([good, "{not json", json.dumps({"headline": 3}), good]).encode()
    results = parse("batch.jsonl", raw)
    assert [type(r).__name__ for r in results] == ["Article", "Rejected", "Rejected", "Article"]
    assert results[1].input == "batch.jsonl:2" and "not JSON" in results[1].reason
    assert results[2].field == "headline"
    assert results[1].raw == b"{not json"


def test_rss_entries_each_become_an_article_or_a_reason():
    results = parse("feed.xml", RSS)
    assert isinstance(results[0], Article)
    assert results[0].headline == "First story" and results[0].body_text == "Body one."
    assert isinstance(results[1], Rejected) and results[1].field == "versioncreated"


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("empty.txt", b"", "empty input"),
        ("blank.txt", b"  \n\t ", "empty input"),
        ("latin1.txt", " date 2020-01-02 USA\n\nCaf\xe9\n\nBody".encode("latin-1"), "not UTF-8"),
        ("big.txt", b"x" * 101, "too large"),
        ("array.json", b"[1]", "expected a JSON object"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("typo.json", b'{"headline": "x", "body_text": "y", "versioncreated": "yesterday"}', "ISO 8601"),
    ],
)
def test_bad_input_is_rejected_with_one_line_reason(name, raw, words):
    [result] = parse(name, raw, max_bytes=100 if name == "big.txt" else 2_000_000)
    assert isinstance(result, Rejected)
    assert words in result.reason
    assert "\n" not in str(result)
    assert result.raw == raw


def test_control_characters_are_removed():
    raw = " date 2020-01-02 USA\n\nHead\x00line\x07\n\nBody\x1b text".encode()
    [article] = parse("ctl.txt", raw)
    assert article.headline == "Headline" and article.body_text == "Body text"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.txt", b"", "wire"),
        ("a.jsonl", b"", "jsonl"),
        ("a.rss", b"", "feed"),
        ("-", b' {"a": 1}\n{"a": 2}', "jsonl"),
        ("-", b'{"a": 1}', "ninjs"),
        ("-", b"<?xml", "feed"),
        ("-", b" date 2020", "wire"),
    ],
)
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected
