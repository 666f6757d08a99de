"""Forge settings: local by default; a remote forge needs its token, repository and remote."""

from __future__ import annotations

import pytest

from agents.main import build_forge
from core.config import ForgeSettings, load_settings
from core.errors import ConfigError

GITHUB = {
    "SUTURE_FORGE_KIND": "github",
    "SUTURE_FORGE_TOKEN": "t0ken",
    "SUTURE_FORGE_REPO": "acme/shop",
    "SUTURE_GIT_REMOTE": "/srv/shop.git",
}


def test_the_local_provider_is_the_default() -> None:
    settings = load_settings()
    assert settings.forge.kind == "local" and settings.git.remote is None
    assert build_forge(settings.forge) is None


def test_github_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GITHUB.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUTURE_FORGE_POLL_INTERVAL_S", "5")
    settings = load_settings()
    assert settings.forge.repo == "acme/shop" and settings.git.remote == "/srv/shop.git"
    assert settings.forge.token is not None and settings.forge.poll_interval_s == 5
    assert "t0ken" not in repr(settings)
    assert build_forge(settings.forge) is not None


@pytest.mark.parametrize(
    ("missing", "named"),
    [("SUTURE_FORGE_TOKEN", "SUTURE_FORGE_TOKEN"), ("SUTURE_GIT_REMOTE", "SUTURE_GIT_REMOTE")],
)
def test_a_remote_forge_names_what_it_lacks(
    monkeypatch: pytest.MonkeyPatch, missing: str, named: str
) -> None:
    for key, value in GITHUB.items():
        if key != missing:
            monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_a_remote_without_a_forge_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUTURE_GIT_REMOTE", "/srv/shop.git")
    with pytest.raises(ConfigError, match="needs a forge"):
        load_settings()


def test_gitlab_builds_its_adapter_for_a_group_project() -> None:
    settings = ForgeSettings(kind="gitlab", token="t", repo="group/project")  # type: ignore[arg-type]
    assert type(build_forge(settings)).__name__ == "GitLabForge"


def test_a_github_repository_must_be_owner_slash_name() -> None:
    settings = ForgeSettings(kind="github", token="t", repo="just-a-name")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="owner/name"):
        build_forge(settings)
