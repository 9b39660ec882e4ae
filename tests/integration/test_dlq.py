"""`wirestream dlq` reads back what the real Kafka's dead-letter topics hold."""

import json

from kafka import KafkaProducer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.ingest import Rejected
from pipeline.producer import ArticleProducer, dead_letter
from pipeline.settings import settings_env


def run_dlq(settings, monkeypatch, *args):
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, ["dlq", *args], env={"COLUMNS": "200"})


def test_dead_letters_by_reason_and_newest(settings, monkeypatch):
    assert "nothing was refused" in run_dlq(settings, monkeypatch).output

    with ArticleProducer(settings) as producer:
        for name in ("a.txt", "b.txt"):
            producer.send(Rejected(name, "empty input", b""))
        producer.send(Rejected("c.json", "not JSON: Expecting value", b"{"))
    rejected_doc = dead_letter(Rejected("articles.enriched@1:7", "mapper_parsing_exception: bad date", b"{}"), stage="index")
    other = KafkaProducer(**settings.kafka.client_config())
    other.send(settings.topics.index_dlq, rejected_doc.model_dump_json().encode())
    other.send(settings.topics.dlq, b"not a dead letter")
    other.flush()
    other.close()

    lines = [json.loads(line) for line in run_dlq(settings, monkeypatch, "--json").output.splitlines()]
    assert sorted((letter["stage"], letter["input"]) for letter in lines) == [
        ("index", "articles.enriched@1:7"), ("ingest", "a.txt"), ("ingest", "b.txt"), ("ingest", "c.json")]
    assert {letter["position"] for letter in lines} == {
        f"{settings.topics.dlq}@0:0", f"{settings.topics.dlq}@0:1", f"{settings.topics.dlq}@0:2",
        f"{settings.topics.index_dlq}@0:0"}

    shown = run_dlq(settings, monkeypatch, "--last", "1")
    assert shown.exit_code == 0, shown.output
    assert "4 dead letter(s)" in shown.output
    empty = next(line for line in shown.output.splitlines() if "empty input" in line)
    assert empty.split("│")[-2].strip() == "2"  # both empty files under one reason
    assert "the newest 1" in shown.output and "a.txt" not in shown.output
    assert "1 record(s)" in shown.output and "not dead letters" in shown.output


def test_missing_topics_are_named(settings, monkeypatch):
    topics = settings.topics.model_copy(update={"dlq": f"{settings.topics.dlq}-gone", "index_dlq": f"{settings.topics.index_dlq}-gone"})
    result = run_dlq(settings.model_copy(update={"topics": topics}), monkeypatch)

    assert result.exit_code == 1
    assert f"no topic {topics.dlq} or {topics.index_dlq}" in result.output and "wirestream topics create" in result.output
