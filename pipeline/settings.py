"""Configuration: `config/settings.toml`, overridden by `WIRESTREAM_*` environment variables.

One `Settings` object is built at the edge (the CLI, the worker) and passed down; nothing reads
configuration from a global.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, FilePath, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pipeline.bundled import CONFIG_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The labelled real stories of the evaluation sets (a checkout's `evaluation/stories/`: not shipped).
EVALUATION_STORIES = REPO_ROOT / "evaluation" / "stories"


class KafkaSettings(BaseModel):
    """How every client reaches Kafka: the workers (Faust, over aiokafka), the producer, `serve`
    and the CLI (kafka-python). Plaintext by default, as the local stack runs; a hosted or
    secured cluster takes SASL (PLAIN or SCRAM) and/or TLS with a CA and a client certificate."""

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: FilePath | None = Field(None, description="CA bundle the brokers' certificates are checked "
                                        "against; the system's CAs when unset.")
    ssl_certfile: FilePath | None = Field(None, description="Client certificate (PEM), for brokers that ask for one.")
    ssl_keyfile: FilePath | None = None
    #: How long a client waits for a first answer from the cluster before it says it cannot reach it.
    connect_timeout_s: float = Field(10, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not (self.sasl_username and self.sasl_password):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for SSL and SASL_SSL; None for plaintext."""
        if not self.security_protocol.endswith("SSL"):
            return None
        context = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def unreachable(self, error: BaseException, doing: str = "reach Kafka") -> str:
        """The one-line error for a client that got no answer: what to check depends on whether the
        cluster is the local stack or one that asks for a login."""
        if self.security_protocol.startswith("SASL"):
            check = f"check the address and the {self.sasl_mechanism} login of {self.sasl_username!r}"
        elif self.security_protocol == "SSL":
            check = "check the address and the TLS settings (ssl_cafile, ssl_certfile)"
        else:
            check = "is `wirestream stack up` running?"
        return f"cannot {doing} at {self.bootstrap_servers}: {error}; {check}"

    def client_config(self) -> dict[str, Any]:
        """Keyword arguments for every kafka-python client (`KafkaProducer(**config, acks=...)`)."""
        config: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers,
                                  "security_protocol": self.security_protocol,
                                  "ssl_context": self.ssl_context(),
                                  "bootstrap_timeout_ms": int(self.connect_timeout_s * 1000)}
        if self.security_protocol.startswith("SASL"):
            config.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.sasl_username,
                          sasl_plain_password=self.sasl_password.get_secret_value())
        return config


class TopicSettings(BaseModel):
    raw: str = "articles.raw"
    unique: str = "articles.unique"
    duplicates: str = "articles.duplicates"
    enriched: str = "articles.enriched"
    dlq: str = "articles.dlq"
    index_dlq: str = "articles.index-dlq"
    subscriptions: str = "alert-subscriptions"
    #: Each subscription's alerts go to `<alerts>.<subscription name>`.
    alerts: str = "alerts"
    raw_partitions: int = Field(1, ge=1)
    unique_partitions: int = Field(4, ge=1)
    enriched_partitions: int = Field(4, ge=1)


class ElasticsearchSettings(BaseModel):
    url: str = "http://127.0.0.1:9200"
    index_alias: str = "articles"
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None


class IngestSettings(BaseModel):
    wire_timezone: str = "America/New_York"
    max_article_bytes: int = Field(2_000_000, gt=0)
    default_source: str = "wire"
    #: `wirestream serve` requires this bearer token (set it with WIRESTREAM_INGEST__TOKEN); without
    #: one it runs only with `--open`, on a loopback address.
    token: SecretStr | None = None
    read_timeout_s: float = Field(30, gt=0, description="Time a client has to send its whole body.")
    request_deadline_s: float = Field(60, gt=0, description="Time to parse a body and have the broker take it.")
    http_threads: int = Field(2, gt=0, description="Threads that parse bodies and wait for the broker.")


class FaustSettings(BaseModel):
    app_id: str = "wirestream"
    data_dir: Path | None = Field(None, description="Faust's working folder (empty with the memory "
                                  "store, but it wants one); default .stack/faust in the checkout.")


class DedupSettings(BaseModel):
    window_days: float = Field(7, gt=0)


class SettingsError(ValueError):
    """A setting with a value it cannot have, in one line."""


def load_settings() -> Settings:
    """The settings (environment, then `settings.toml`, then defaults); a bad value raises
    `SettingsError` naming the setting, its variable and the reason."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        path = [str(part) for part in first["loc"]]
        raise SettingsError(f"invalid setting {'.'.join(path)}: {first['msg'].removeprefix('Value error, ')} (WIRESTREAM_{'__'.join(path).upper()}, "
                            f"or [{path[0]}] in {CONFIG_DIR / 'settings.toml'})") from None


class SearchSettings(BaseModel):
    vectors: bool = Field(True, description="Embed each story (headline and lead) for hybrid search; "
                          "about a fifth of the entity model's CPU per story.")


class NewsroomSettings(BaseModel):
    kibana_url: str | None = Field(None, description="Kibana's address (http://127.0.0.1:5601 under compose): "
                                   "the newsroom page's story view then links to the story in Discover.")


class Settings(BaseSettings):
    """Everything configurable, with the defaults of `config/settings.toml`."""

    model_config = SettingsConfigDict(
        env_prefix="WIRESTREAM_",
        env_nested_delimiter="__",
        toml_file=CONFIG_DIR / "settings.toml",
        extra="ignore",
    )

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    ingest: IngestSettings = IngestSettings()
    faust: FaustSettings = FaustSettings()
    dedup: DedupSettings = DedupSettings()
    search: SearchSettings = SearchSettings()
    newsroom: NewsroomSettings = NewsroomSettings()

    def isolated(self, prefix: str) -> Settings:
        """A copy whose topics, Faust app id and index alias start with `prefix`: a run (a test, a demo) that
        neither sees nor disturbs anyone else's data on the same broker."""
        topics = {k: f"{prefix}.{v}" if isinstance(v, str) else v for k, v in self.topics.model_dump().items()}
        return self.model_copy(
            update={
                "topics": TopicSettings(**topics),
                "faust": FaustSettings(app_id=f"{prefix}-{self.faust.app_id}"),
                "elasticsearch": self.elasticsearch.model_copy(
                    update={"index_alias": f"{prefix}-{self.elasticsearch.index_alias}"}
                ),
            }
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; explicit arguments beat both.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that make a child process (a worker) use these topics, app id and
    Kafka connection."""
    env = {f"WIRESTREAM_TOPICS__{k.upper()}": str(v) for k, v in settings.topics.model_dump().items()}
    kafka = settings.kafka.model_dump(exclude_none=True)
    if settings.kafka.sasl_password:
        kafka["sasl_password"] = settings.kafka.sasl_password.get_secret_value()
    env.update({f"WIRESTREAM_KAFKA__{k.upper()}": str(v) for k, v in kafka.items()})
    env["WIRESTREAM_FAUST__APP_ID"] = settings.faust.app_id
    env["WIRESTREAM_ELASTICSEARCH__INDEX_ALIAS"] = settings.elasticsearch.index_alias
    return env
