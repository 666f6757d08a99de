"""Settings: environment variables `SUTURE_<SECTION>_<KEY>` over an optional suture.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import ConfigError
from core.yaml_source import load_yaml_text


class KafkaSettings(BaseModel):
    """Where Kafka is and which topics suture uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bootstrap: str | None = Field(
        default=None, description="host:port[,host:port]; unset starts the embedded broker."
    )
    alerts_topic: str = "suture.alerts"
    proposals_topic: str = "suture.proposals"
    approvals_topic: str = "suture.approvals"
    applied_topic: str = "suture.applied"
    dead_letter_suffix: str = ".dlq"
    quarantine_suffix: str = ".quarantine"
    replay_suffix: str = ".replay"
    fetch_max_wait_ms: int = Field(default=10, ge=0, le=5000)
    request_timeout_s: float = Field(default=10.0, gt=0)


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


class LagSettings(BaseModel):
    """Which consumer groups the lag monitor watches, and how often it samples their offsets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: tuple[str, ...] = Field(
        default=(), description="Consumer group ids to watch; empty: no lag monitor runs."
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
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from error
