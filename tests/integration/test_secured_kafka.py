"""The pipeline on a Kafka that asks for a login: the local stack's SASL listener (127.0.0.1:9095,
SCRAM), with a user the test creates. The producer, the CLI and the workers (Faust) all log in."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr
from kafka import KafkaAdminClient
from kafka.admin import UserScramCredentialUpsertion
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.settings import KafkaSettings, settings_env
from tests.integration.conftest import documents, wait_until
from tests.integration.workers import WorkerProcess

SASL_LISTENER = "127.0.0.1:9095"


@pytest.fixture
def secured(settings):
    """The test's settings, reaching Kafka as a SCRAM-SHA-512 user created for it."""
    user, password = f"user-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    admin = KafkaAdminClient(**settings.kafka.client_config())
    try:
        assert admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, "SCRAM-SHA-512", password)]) == {user: None}
    finally:
        admin.close()
    kafka = KafkaSettings(bootstrap_servers=SASL_LISTENER, security_protocol="SASL_PLAINTEXT",
                          sasl_mechanism="SCRAM-SHA-512", sasl_username=user, sasl_password=password, connect_timeout_s=5)
    return settings.model_copy(update={"kafka": kafka})


def cli(settings, monkeypatch, *args):
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, list(args))


def test_stories_flow_through_a_cluster_that_asks_for_a_login(secured, es, samples_dir, sample_texts, tmp_path, monkeypatch):
    result = cli(secured, monkeypatch, "produce", str(samples_dir), "--source", "voa")
    assert result.exit_code == 0 and f"sent {len(sample_texts)} article(s)" in result.output, result.output

    with WorkerProcess(secured, tmp_path / "worker.log"):
        ids = {parse_wire_text(text, source="voa").id for text in sample_texts.values()}
        alias = secured.elasticsearch.index_alias
        wait_until(lambda: set(documents(es, alias)) == ids, 180, "every sample indexed through the SASL listener")

    status = cli(secured, monkeypatch, "status", "--json")
    assert status.exit_code == 0 and '"lag"' in status.output, status.output


def test_a_wrong_password_is_one_line_naming_the_cluster(secured, samples_dir, monkeypatch):
    wrong = secured.model_copy(update={"kafka": secured.kafka.model_copy(update={"sasl_password": SecretStr("not-it")})})
    result = cli(wrong, monkeypatch, "produce", str(samples_dir))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"error: cannot reach Kafka at {SASL_LISTENER}")
