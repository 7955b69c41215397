"""Settings: embedded defaults generate secrets; production refuses missing or weak ones."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from webapp import create_app
from webapp.config import ConfigError, load_settings


def test_development_generates_secrets_once_owner_only(tmp_path: Path) -> None:
    first = load_settings(env={"KEIREKI_INSTANCE_DIR": str(tmp_path)})
    second = load_settings(env={"KEIREKI_INSTANCE_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert first.data_keys == second.data_keys
    for name in ("secret_key", "data_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert first.database_url == f"sqlite:///{tmp_path.resolve() / 'keireki.db'}"
    assert first.broker_url == "filesystem://"


@pytest.mark.parametrize("secret", ["", "change-me", "short", "a" * 40])
def test_production_refuses_a_missing_or_weak_secret(tmp_path: Path, secret: str) -> None:
    env = {"KEIREKI_ENV": "production", "KEIREKI_INSTANCE_DIR": str(tmp_path), "KEIREKI_SECRET_KEY": secret,
           "KEIREKI_DATA_KEY": "x"}
    with pytest.raises(ConfigError, match="KEIREKI_SECRET_KEY"):
        load_settings(env=env)
    assert not (tmp_path / "secret_key").exists()


def test_production_needs_a_data_key(tmp_path: Path) -> None:
    env = {"KEIREKI_ENV": "production", "KEIREKI_INSTANCE_DIR": str(tmp_path),
           "KEIREKI_SECRET_KEY": "Zq8-3kLw9_PvX2mN7rT1yB6cD4fG0hJ5sA"}
    with pytest.raises(ConfigError, match="KEIREKI_DATA_KEY"):
        load_settings(env=env)


def test_production_app_has_secure_cookies(tmp_path: Path) -> None:
    env = {"KEIREKI_ENV": "production", "KEIREKI_INSTANCE_DIR": str(tmp_path),
           "KEIREKI_SECRET_KEY": "Zq8-3kLw9_PvX2mN7rT1yB6cD4fG0hJ5sA", "KEIREKI_DATA_KEY": "k1,k2",
           "KEIREKI_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    app = create_app(settings=load_settings(env=env))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["KEIREKI"].data_keys == ("k1", "k2")


def test_unknown_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KEIREKI_ENV"):
        load_settings(env={"KEIREKI_ENV": "staging", "KEIREKI_INSTANCE_DIR": str(tmp_path)})


def test_the_readme_settings_table_is_the_generated_one() -> None:
    """README.md's table is what ``keireki config --markdown`` prints from ``OPTIONS``, row for row."""
    from click.testing import CliRunner

    from webapp.cli import main
    from webapp.config import OPTIONS, PROJECT_ROOT, settings_table

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| variable | default | meaning |")
    table = readme[start:readme.index("\n\n", start) + 1]
    generated = CliRunner().invoke(main, ["config", "--markdown"])
    assert generated.exit_code == 0, generated.output
    assert generated.output == settings_table()
    assert table == settings_table()
    assert [line.split("`")[1] for line in table.splitlines()[2:]] == [opt.name for opt in OPTIONS]


def test_commands_in_another_terminal_link_to_where_serve_runs(tmp_path: Path) -> None:
    from webapp.config import remember_base_url

    env = {"KEIREKI_INSTANCE_DIR": str(tmp_path)}
    assert load_settings(env=env).base_url == "http://127.0.0.1:5000"  # nothing served yet: the default
    remember_base_url(load_settings(env={**env, "KEIREKI_BASE_URL": "http://127.0.0.1:5082/"}))  # as serve does
    assert load_settings(env=env).base_url == "http://127.0.0.1:5082"  # `keireki users invite` in a 2nd terminal
    assert load_settings(env={**env, "KEIREKI_BASE_URL": "https://k.example.org"}).base_url == "https://k.example.org"
    production = {**env, "KEIREKI_ENV": "production", "KEIREKI_SECRET_KEY": "x7Gq2LmP9vR4tY8wZ1aB5cD3eF6hJ0kN",
                  "KEIREKI_DATA_KEY": "ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleWZha2U="}
    assert load_settings(env=production).base_url == "http://127.0.0.1:5000"  # production: only what is set
