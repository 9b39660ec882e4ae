"""Settings: the Kafka connection each client builds from them, and one-line errors for bad values."""

from __future__ import annotations

import ssl
import subprocess
import sys

import pytest
from pydantic import ValidationError

from pipeline.agents.app import broker_credentials
from pipeline.settings import KafkaSettings, Settings, settings_env


def test_plaintext_is_the_default_and_needs_no_credentials():
    kafka = KafkaSettings()
    assert kafka.client_config() == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT",
                                     "ssl_context": None, "bootstrap_timeout_ms": 10_000}
    assert broker_credentials(kafka) is None
    assert kafka.unreachable(TimeoutError("no answer")).endswith("is `wirestream stack up` running?")


def test_sasl_over_tls_reaches_both_kinds_of_client_alike():
    kafka = KafkaSettings(bootstrap_servers="kafka.example:9093", security_protocol="SASL_SSL",
                          sasl_mechanism="SCRAM-SHA-512", sasl_username="wire", sasl_password="s3cret")
    config = kafka.client_config()
    assert (config["sasl_mechanism"], config["sasl_plain_username"], config["sasl_plain_password"]) == ("SCRAM-SHA-512", "wire", "s3cret")
    assert isinstance(config["ssl_context"], ssl.SSLContext) and config["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    faust_side = broker_credentials(kafka)
    assert (faust_side.protocol.value, faust_side.mechanism.value, faust_side.username) == ("SASL_SSL", "SCRAM-SHA-512", "wire")
    assert "s3cret" not in repr(kafka) and "SCRAM-SHA-512 login of 'wire'" in kafka.unreachable(TimeoutError())


@pytest.mark.parametrize("fields, message", [
    ({"security_protocol": "SASL_PLAINTEXT"}, "needs sasl_username and sasl_password"),
    ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "needs sasl_username and sasl_password"),
    ({"security_protocol": "SSL", "ssl_certfile": __file__}, "ssl_certfile and ssl_keyfile go together"),
    ({"ssl_cafile": "/no/such/ca.pem"}, "does not point to a file"),
    ({"security_protocol": "KERBEROS"}, "PLAINTEXT"),
])
def test_an_incomplete_security_setting_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        KafkaSettings(**fields)


def test_a_child_process_gets_the_same_kafka_login():
    settings = Settings().model_copy(update={"kafka": KafkaSettings(
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256", sasl_username="wire", sasl_password="s3cret")})
    env = settings_env(settings)
    child = subprocess.run([sys.executable, "-c", "from pipeline.settings import load_settings; k = load_settings().kafka;"
                            "print(k.security_protocol, k.sasl_mechanism, k.sasl_username, k.sasl_password.get_secret_value())"],
                           env=env | {"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert child.stdout.split() == ["SASL_PLAINTEXT", "SCRAM-SHA-256", "wire", "s3cret"]


def test_a_bad_setting_in_the_environment_is_one_line():
    child = subprocess.run([sys.executable, "-m", "pipeline.cli", "status"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "WIRESTREAM_KAFKA__SECURITY_PROTOCOL": "SASL_SSL"})
    assert child.returncode == 1
    assert child.stderr.strip() == ("error: invalid setting kafka: SASL_SSL needs sasl_username and "
                                    f"sasl_password (WIRESTREAM_KAFKA, or [kafka] in {Settings.model_config['toml_file']})")
