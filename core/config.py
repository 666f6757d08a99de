"""Settings: environment variables `SUTURE_<SECTION>_<KEY>` over an optional suture.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from core.errors import ConfigError
from core.yaml_source import load_yaml_text

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]


class TopicSettings(BaseModel):
    """How one topic is created when suture creates it (ignored when it exists already)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partitions: int = Field(default=1, ge=1, description="Partitions of a topic suture creates.")
    replication_factor: int = Field(default=1, ge=1, description="Replicas of each partition.")
    config: dict[str, str] = Field(
        default_factory=dict, description="Topic configs, e.g. {'retention.ms': '604800000'}."
    )


class KafkaSettings(BaseModel):
    """Where Kafka is, how to reach it securely, and which topics suture uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bootstrap: str | None = Field(
        default=None, description="host:port[,host:port]; unset starts the embedded broker."
    )
    client_id: str = Field(default="suture", min_length=1, description="Prefix of client ids.")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_oauth_token: SecretStr | None = Field(
        default=None, description="OAUTHBEARER: a static bearer token."
    )
    sasl_oauth_token_file: Path | None = Field(
        default=None, description="OAUTHBEARER: a file holding the token, re-read on each login."
    )
    ssl_cafile: Path | None = Field(default=None, description="CA bundle that signed the brokers.")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    ssl_keyfile: Path | None = Field(default=None, description="The client certificate's key.")
    ssl_key_password: SecretStr | None = None
    ssl_check_hostname: bool = True
    create_topics: bool = Field(
        default=True,
        description="False for locked-down clusters: check at start that the topics exist.",
    )
    topics: dict[str, TopicSettings] = Field(
        default_factory=dict, description="Per-topic overrides: partitions, replicas, configs."
    )
    default_topic: TopicSettings = Field(default_factory=TopicSettings)
    alerts_topic: str = "suture.alerts"
    proposals_topic: str = "suture.proposals"
    approvals_topic: str = "suture.approvals"
    applied_topic: str = "suture.applied"
    dead_letter_suffix: str = ".dlq"
    quarantine_suffix: str = ".quarantine"
    replay_suffix: str = ".replay"
    fetch_max_wait_ms: int = Field(default=10, ge=0, le=5000)
    request_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _security_is_complete(self) -> Self:
        sasl = self.security_protocol.startswith("SASL_")
        tls = self.security_protocol.endswith("SSL")
        if sasl and self.sasl_mechanism is None:
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_mechanism")
        if not sasl and self.sasl_mechanism is not None:
            raise ValueError(
                f"sasl_mechanism {self.sasl_mechanism} needs security_protocol SASL_SSL "
                "(or SASL_PLAINTEXT)"
            )
        files = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")
        if not tls and (given := [f for f in files if getattr(self, f) is not None]):
            raise ValueError(f"{', '.join(given)} need security_protocol SSL or SASL_SSL")
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ValueError("ssl_keyfile is set without ssl_certfile")
        if self.sasl_mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"sasl_mechanism {self.sasl_mechanism} needs sasl_username and sasl_password"
            )
        if self.sasl_mechanism == "OAUTHBEARER" and (
            (self.sasl_oauth_token is None) == (self.sasl_oauth_token_file is None)
        ):
            raise ValueError(
                "sasl_mechanism OAUTHBEARER needs exactly one of sasl_oauth_token and "
                "sasl_oauth_token_file"
            )
        return self

    def topic_settings(self, topic: str) -> TopicSettings:
        """How `topic` is created: its override, else the default."""
        return self.topics.get(topic, self.default_topic)


class RegistrySettings(BaseModel):
    """A Confluent-compatible Schema Registry, for topics in its wire format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None, description="http(s)://host:port; unset: framed messages are dead letters."
    )
    basic_auth: SecretStr | None = Field(default=None, description="user:password, if any.")
    ssl_cafile: Path | None = Field(default=None, description="CA bundle for an https registry.")
    topics: tuple[str, ...] = Field(
        default=(),
        description="Topics whose every message must be framed; elsewhere plain JSON passes too.",
    )
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed request.")


class LLMSettings(BaseModel):
    """An OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = Field(default=None, description="Unset: run without a model.")
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    embedding_model: str | None = Field(
        default=None, description="Embedding model at the same endpoint; unset: local hashing."
    )
    structured_output: Literal["json_schema", "function_calling"] = Field(
        default="json_schema",
        description="How structured output is asked for: response_format json_schema (OpenAI, "
        "vLLM, llama.cpp, Ollama) or a forced tool call (servers without json_schema).",
    )


class WebSettings(BaseModel):
    """The HTTP endpoint where humans review and approve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port.")
    reviewer_token: SecretStr | None = Field(
        default=None, description="Unset: a random token is made and printed at start."
    )
    viewer_token: SecretStr | None = Field(default=None, description="Reads; unset: no viewers.")
    ingest_token: SecretStr | None = Field(
        default=None, description="Posts alerts to /alerts; unset: only the admin may."
    )
    admin_token: SecretStr | None = Field(default=None, description="Everything; unset: none.")
    trusted_hosts: tuple[str, ...] = Field(
        default=("127.0.0.1", "localhost", "::1", "[::1]"),
        description="Host headers answered (DNS rebinding guard); the web host is added.",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Request body limit.")
    webhook_url: str | None = Field(
        default=None, description="Slack-compatible incoming webhook told of proposals to review."
    )


class LagSettings(BaseModel):
    """Which consumer groups the lag monitor watches, and how often it samples their offsets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: tuple[str, ...] = Field(
        default=(), description="Consumer group ids to watch; empty: no lag monitor runs."
    )
    topics: tuple[str, ...] = Field(
        default=(),
        description="Topics whose lag is watched; empty: the contracted topics and their replays.",
    )
    interval_s: float = Field(default=5.0, gt=0, description="Seconds between two samples.")
    window: int = Field(default=10, ge=2, le=1000, description="Samples per partition judged.")
    link_lookback_s: float = Field(
        default=600.0,
        ge=0,
        description="How long before a lag began a drift or quality alert may explain it.",
    )

    def watching(self, group: str, **changes: Any) -> LagSettings:
        """These settings with `group` watched too (and `changes` applied)."""
        groups = self.groups if group in self.groups else (*self.groups, group)
        return LagSettings.model_validate({**self.model_dump(), "groups": groups, **changes})


class ForgeSettings(BaseModel):
    """Where proposals become pull requests: nowhere but local branches, GitHub, or GitLab."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["local", "github", "gitlab"] = Field(
        default="local", description="local: branches in the repository, approved on the web only."
    )
    api_url: str | None = Field(
        default=None,
        description="REST API root; unset: https://api.github.com or https://gitlab.com.",
    )
    token: SecretStr | None = Field(default=None, description="A token that may open PRs.")
    repo: str | None = Field(
        default=None, description="owner/name on GitHub, group/project path on GitLab."
    )
    poll_interval_s: float = Field(
        default=30.0, gt=0, description="Seconds between two reads of the open PRs' reviews."
    )
    labels: tuple[str, ...] = Field(default=("suture",), description="Labels on suture's PRs.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of the forge's webhook to POST /hooks/forge; unset: no hook.",
    )

    @model_validator(mode="after")
    def _remote_forge_is_complete(self) -> ForgeSettings:
        if self.kind != "local":
            missing = [n for n in ("token", "repo") if getattr(self, n) is None]
            if missing:
                keys = ", ".join(f"SUTURE_FORGE_{n.upper()}" for n in missing)
                raise ValueError(f"forge kind {self.kind!r} needs {keys}")
        return self


class GitSettings(BaseModel):
    """Where suture pushes its proposal branches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    remote: str | None = Field(
        default=None,
        description="URL (or path of a bare repository) suture clones and pushes branches to; "
        "unset: work on the repository given with --repo.",
    )
    revalidate_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds between two checks that the default branch did not move past a "
        "pending proposal (one that it moved past is rebased and validated again).",
    )


class Settings(BaseSettings):
    """Everything suture is configured with; built once, in the composition root."""

    model_config = SettingsConfigDict(
        env_prefix="SUTURE_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        frozen=True,
    )

    workdir: Path = Path(".suture")
    store_url: str | None = Field(
        default=None, description="sqlite:///path or postgresql://...; unset: SQLite in workdir."
    )
    repo: Path | None = None
    contracts: Path | None = None
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    lag: LagSettings = Field(default_factory=LagSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    forge: ForgeSettings = Field(default_factory=ForgeSettings)
    git: GitSettings = Field(default_factory=GitSettings)

    @model_validator(mode="after")
    def _remote_forge_has_a_remote(self) -> Settings:
        if self.forge.kind != "local" and self.git.remote is None:
            raise ValueError(
                f"forge kind {self.forge.kind!r} needs SUTURE_GIT_REMOTE, the URL branches are "
                "pushed to"
            )
        if self.forge.kind == "local" and self.git.remote is not None:
            raise ValueError(
                "SUTURE_GIT_REMOTE needs a forge to merge its pull requests; set "
                "SUTURE_FORGE_KIND=github, or unset the remote to work on --repo"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over suture.yaml, which arrives as init arguments.
        return (env_settings, init_settings)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read suture.yaml (if given), apply `overrides`, then the environment; explain bad values."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = load_yaml_text(config_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"cannot read config file {str(config_file)!r}: {error}") from error
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {str(config_file)!r} must hold a mapping at the top")
        values.update(loaded or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except SettingsError as error:
        # pydantic-settings names the section, not the variable: name the JSON-valued ones.
        section = str(error).split('"')[1] if '"' in str(error) else "?"
        raise ConfigError(
            f"a SUTURE_{section.upper()}_* setting is not valid JSON ({error}); list values "
            f"are JSON, e.g. SUTURE_LAG_GROUPS='[\"shop.pipeline\"]'"
        ) from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from error
