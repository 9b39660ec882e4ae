"""docker-compose.yml cannot run here (no Docker engine); check it agrees with config/ instead."""

import re
import tomllib
from pathlib import Path

import yaml

from pipeline.settings import CONFIG_DIR, REPO_ROOT, Settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
DEFAULTS = tomllib.loads((CONFIG_DIR / "settings.toml").read_text())
STACK_POMS = {name: (REPO_ROOT / "stack" / name / "pom.xml").read_text() for name in ("kafka", "elasticsearch")}


def env_of(service):
    return COMPOSE["services"][service]["environment"]


def test_ports_match_the_local_stack():
    assert "127.0.0.1:9092:9092" in COMPOSE["services"]["kafka"]["ports"]
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


def test_no_secrets_in_the_repo():
    for name, service in COMPOSE["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert str(value).startswith("${"), f"{name}.{key} must come from the environment"


def test_kibana_points_at_elasticsearch():
    assert env_of("kibana")["ELASTICSEARCH_HOSTS"] == "https://elasticsearch:9200"


def test_dockerfile_installs_the_package():
    assert "pip install" in Path(REPO_ROOT / "Dockerfile").read_text()
