"""Producing files onto the real Kafka: good articles to articles.raw, broken ones to the DLQ."""

import base64
import json
import shutil

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.settings import settings_env
from tests.integration.conftest import read_topic


def run_produce(settings, monkeypatch, *args, stdin=None):
    # The CLI builds its settings from the environment: point it at this test's topics.
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, ["produce", *args], input=stdin)


def test_samples_and_broken_files(settings, samples_dir, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for sample in samples_dir.glob("*.txt"):
        shutil.copy(sample, inbox / sample.name)
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "latin1.txt").write_bytes(" date 2020-01-02 USA\n\nCaf\xe9 story\n\nBody".encode("latin-1"))
    (inbox / "no-date.txt").write_text("A headline\n\nA body\n")
    (inbox / "bad.json").write_text('{"headline": "x"')
    (inbox / "batch.jsonl").write_text(
        json.dumps({"uri": "urn:t:1", "headline": "JSON story", "body_text": "Body.", "versioncreated": "2020-01-02T10:00:00Z"})
        + "\n"
        + json.dumps({"uri": "urn:t:2", "headline": "", "body_text": "Body."})
        + "\n"
    )

    result = run_produce(settings, monkeypatch, str(inbox), "--source", "voa")
    assert result.exit_code == 0, result.output
    assert "sent 7 article(s)" in result.output and "5 rejected" in result.output

    raw = read_topic(settings, settings.topics.raw, expect=7)
    headlines = {value["headline"] for _, value in raw}
    assert "Esper: US Prepared to Take 'Preemptive' Action on Iran" in headlines
    assert "JSON story" in headlines
    assert all(key == value["id"] for key, value in raw)

    dlq = {value["input"].rsplit("/", 1)[-1]: value for _, value in read_topic(settings, settings.topics.dlq, expect=5)}
    assert set(dlq) == {"empty.txt", "latin1.txt", "no-date.txt", "bad.json", "batch.jsonl:2"}
    assert "not UTF-8" in dlq["latin1.txt"]["reason"]
    assert dlq["no-date.txt"]["field"] == "firstcreated"
    assert base64.b64decode(dlq["bad.json"]["raw"]) == b'{"headline": "x"'
    assert dlq["batch.jsonl:2"]["field"] == "headline"


def test_stdin_and_missing_paths(settings, esper_text, monkeypatch, tmp_path):
    result = run_produce(settings, monkeypatch, "-", str(tmp_path / "nope-*.txt"), "--source", "voa", stdin=esper_text)
    assert result.exit_code == 0, result.output
    assert "sent 1 article(s)" in result.output and "1 rejected" in result.output
    [(_, article)] = read_topic(settings, settings.topics.raw, expect=1)
    assert article["byline"] == "Carla Babb"
    [(_, dead)] = read_topic(settings, settings.topics.dlq, expect=1)
    assert dead["reason"] == "no file matches this pattern"


def test_produce_never_says_sent_for_what_the_broker_refused(small_raw_topic, tmp_path, monkeypatch):
    """A story over the text limit is refused by the parser; one the broker refuses (its raw topic
    takes 100 KB records here) is a dead letter with the broker's reason, not "sent"."""
    small = small_raw_topic
    (tmp_path / "too-long.txt").write_text(" date 2020-01-02 USA\n\nToo Long\n\n" + "word " * 200_000)
    (tmp_path / "too-big-for-topic.txt").write_text(" date 2020-01-02 USA\n\nToo Big\n\n" + "word " * 30_000)

    result = run_produce(small, monkeypatch, str(tmp_path), "--source", "voa")
    assert result.exit_code == 1, result.output  # nothing was sent
    assert "sent 0 article(s)" in result.output and "2 rejected" in result.output
    reasons = sorted(letter["reason"] for _, letter in read_topic(small, small.topics.dlq, expect=2))
    assert "MessageSizeTooLarge" in reasons[0] and reasons[0].startswith("not delivered to")
    assert reasons[1].startswith("too long: 1,000,0") and "the limit is 900,000" in reasons[1]
