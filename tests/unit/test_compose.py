"""docker-compose.yml cannot run here (no Docker engine): check it against the Compose
Specification's schema, and that it agrees with config/."""

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import yaml

from pipeline.settings import CONFIG_DIR, REPO_ROOT, FaustSettings, Settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
DEFAULTS = tomllib.loads((CONFIG_DIR / "settings.toml").read_text())
STACK_POMS = {name: (REPO_ROOT / "stack" / name / "pom.xml").read_text() for name in ("kafka", "elasticsearch")}


def env_of(service):
    return COMPOSE["services"][service]["environment"]


def test_the_file_follows_the_compose_specification():
    schema = json.loads((Path(__file__).parent / "data" / "compose-spec.json").read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(COMPOSE), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "kafka": {**COMPOSE["services"]["kafka"], "restart": 3}}}
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)  # the schema does check


def test_ports_match_the_local_stack():
    kafka = env_of("kafka")
    # Host tools reach the broker at the local stack's address, through a listener that advertises it.
    assert "127.0.0.1:9092:9094" in COMPOSE["services"]["kafka"]["ports"]
    assert "HOST://:9094" in kafka["KAFKA_LISTENERS"] and "HOST://127.0.0.1:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert "INTERNAL://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]  # and containers by name
    assert "127.0.0.1:9200:9200" in COMPOSE["services"]["elasticsearch"]["ports"]
    assert DEFAULTS["kafka"]["bootstrap_servers"].endswith(":9092")
    assert DEFAULTS["elasticsearch"]["url"].endswith(":9200")


def test_image_versions_match_the_local_stack():
    kafka = re.search(r"<kafka.version>(.+)</kafka.version>", STACK_POMS["kafka"]).group(1)
    es = re.search(r"<elasticsearch.version>(.+)</elasticsearch.version>", STACK_POMS["elasticsearch"]).group(1)
    assert COMPOSE["services"]["kafka"]["image"] == f"apache/kafka:{kafka}"
    for service in ("elasticsearch", "kibana"):
        assert COMPOSE["services"][service]["image"].endswith(f":{es}")


def test_worker_environment_names_real_settings_and_default_topics():
    env = env_of("worker")
    assert env == env_of("producer") == env_of("topics")
    for variable in env:
        section, key = variable.removeprefix("WIRESTREAM_").lower().split("__")
        assert key in Settings.model_fields[section].annotation.model_fields, variable
    for key, topic in DEFAULTS["topics"].items():
        if isinstance(topic, str):
            assert env[f"WIRESTREAM_TOPICS__{key.upper()}"] == topic


def test_clients_log_in_to_kafka_and_workers_are_not_the_elasticsearch_superuser():
    kafka, worker = env_of("kafka"), env_of("worker")
    protocols = dict(pair.split(":") for pair in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols["INTERNAL"] == protocols["HOST"] == "SASL_PLAINTEXT"
    assert "BROKER://localhost:" in kafka["KAFKA_LISTENERS"]  # the only plaintext one, inside the container
    for listener in ("INTERNAL", "HOST"):
        jaas = kafka[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert f'user_{worker["WIRESTREAM_KAFKA__SASL_USERNAME"]}="{worker["WIRESTREAM_KAFKA__SASL_PASSWORD"]}"' in jaas
    assert worker["WIRESTREAM_KAFKA__SECURITY_PROTOCOL"] == "SASL_PLAINTEXT" and worker["WIRESTREAM_KAFKA__SASL_MECHANISM"] == "PLAIN"
    assert worker["WIRESTREAM_ELASTICSEARCH__USERNAME"] != "elastic"
    role = COMPOSE["services"]["wirestream-user"]["command"]
    assert f'/_security/user/{worker["WIRESTREAM_ELASTICSEARCH__USERNAME"]}' in role and '\\"articles-*\\"' in role
    assert COMPOSE["services"]["worker"]["depends_on"]["wirestream-user"]["condition"] == "service_completed_successfully"


def test_no_secrets_in_the_repo():
    for name, service in COMPOSE["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert str(value).startswith("${"), f"{name}.{key} must come from the environment"


def test_state_survives_a_recreated_container_and_services_come_back():
    kafka = COMPOSE["services"]["kafka"]
    assert "kafka-data:" + env_of("kafka")["KAFKA_LOG_DIRS"] in kafka["volumes"]
    for service in ("kafka", "elasticsearch", "kibana", "worker"):
        assert COMPOSE["services"][service].get("restart") == "unless-stopped", service


def test_the_kibana_import_checks_kibanas_answer_not_only_its_status():
    command = COMPOSE["services"]["kibana-objects"]["command"]
    assert "curl -sf" not in command and 'grep -q "\\"success\\":true"' in command


def test_kibana_points_at_elasticsearch():
    assert env_of("kibana")["ELASTICSEARCH_HOSTS"] == "https://elasticsearch:9200"


def test_the_image_installs_tested_versions_and_runs_unprivileged():
    dockerfile = Path(REPO_ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -c constraints.txt ." in dockerfile
    assert re.search(r"^USER wirestream$", dockerfile, re.M)
    # The worker's one folder is the user's own, not the installed package's (root-owned).
    assert "ENV WIRESTREAM_FAUST__DATA_DIR=/home/wirestream/" in dockerfile and "data_dir" in FaustSettings.model_fields


def test_the_pinned_versions_satisfy_the_declared_ranges():
    from packaging.requirements import Requirement

    pinned = dict(line.split("==") for line in (REPO_ROOT / "constraints.txt").read_text().splitlines()
                  if line and not line.startswith("#"))
    pinned = {name.lower().replace("_", "-"): version for name, version in pinned.items()}
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in map(Requirement, declared):
        name = requirement.name.lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} outside {requirement.specifier}"


def test_workers_report_their_health_to_compose():
    worker = COMPOSE["services"]["worker"]
    port = worker["command"][worker["command"].index("--http-port") + 1]
    assert f"127.0.0.1:{port}/readyz" in " ".join(worker["healthcheck"]["test"])
    assert worker["command"][worker["command"].index("--log-format") + 1] == "json"


def test_prometheus_scrapes_every_worker_where_it_serves_metrics():
    scrape = yaml.safe_load((CONFIG_DIR / "prometheus.yml").read_text())["scrape_configs"][0]["dns_sd_configs"][0]
    command = COMPOSE["services"]["worker"]["command"]
    assert scrape["names"] == ["worker"] and str(scrape["port"]) == command[command.index("--http-port") + 1]
    assert "./config/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in COMPOSE["services"]["prometheus"]["volumes"]


def test_grafana_provisions_the_health_dashboard_over_prometheus():
    grafana = COMPOSE["services"]["grafana"]
    assert "./config/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    mounted = next(v.split(":")[1] for v in grafana["volumes"] if v.startswith("./config/grafana/dashboards:"))
    provider = yaml.safe_load((CONFIG_DIR / "grafana" / "provisioning" / "dashboards" / "wirestream.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == mounted
    source = yaml.safe_load((CONFIG_DIR / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in COMPOSE["services"]["prometheus"]["ports"]
    assert grafana["restart"] == "unless-stopped" and "GRAFANA_PASSWORD" in grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
