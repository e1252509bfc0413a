"""campaign.toml: validation messages name the key, resolution order, env overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowvember.config import find_config, load_settings, parse_settings
from knowvember.errors import EXIT_CONFIG, ConfigError
from tests.conftest import BASE_CONFIG


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_settings(text, Path("/c/campaign.toml"))
    return str(info.value)


def test_repository_campaign_toml_is_valid_for_2019() -> None:
    settings = load_settings(Path(__file__).parent.parent / "campaign.toml")
    assert settings.campaign.hashtags == ["KNOWvember2019", "KNOWvember19", "KNOWvember"]
    assert settings.campaign.start.isoformat() == "2019-11-01"
    assert settings.campaign.end.isoformat() == "2019-11-30"
    assert settings.campaign.timezone == "Europe/London"


def test_end_before_start_names_both_keys() -> None:
    text = BASE_CONFIG.replace("end = 2019-11-30", "end = 2019-10-01")
    message = _error(text)
    assert "/c/campaign.toml: campaign.end: 2019-10-01 is before campaign.start 2019-11-01" in (
        message
    )


def test_unknown_key_is_an_error_naming_it() -> None:
    message = _error(BASE_CONFIG + "\n[sources.x]\nenabeld = true\n")
    assert "sources.x.enabeld: unknown key" in message


def test_missing_required_key() -> None:
    message = _error(BASE_CONFIG.replace('slug = "knowvember19"\n', ""))
    assert "campaign.slug: required key is missing" in message


def test_bad_timezone_and_hashtag() -> None:
    assert "campaign.timezone: unknown timezone 'Europe/Londn'" in _error(
        BASE_CONFIG.replace('"Europe/London"', '"Europe/Londn"')
    )
    assert "without '#'" in _error(BASE_CONFIG.replace('"KNOWvember19",', '"#KNOWvember19",'))


def test_wrong_type_names_key() -> None:
    message = _error(BASE_CONFIG + "\n[sources.x]\nmax_posts_per_run = \"lots\"\n")
    assert "sources.x.max_posts_per_run" in message


def test_invalid_toml_names_file_and_line() -> None:
    message = _error("[campaign\nname = 1")
    assert message.startswith("/c/campaign.toml: not valid TOML")
    assert "line 1" in message


def test_literal_secret_is_refused_and_not_echoed() -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAFakeTokenValue%2Bx9Zq1234567890abcdef"
    message = _error(BASE_CONFIG + f'\n[sources.x]\nbearer_token_env = "{token}"\n')
    assert "sources.x.bearer_token_env" in message
    assert "secret" in message
    assert token not in message
    message = _error(BASE_CONFIG + f'\n[sources.x]\nbearer_token = "{token}"\n')
    assert "sources.x.bearer_token: secrets are never written" in message
    assert token not in message


def test_account_refs_are_checked() -> None:
    message = _error(BASE_CONFIG + '\n[[organisations]]\ncode = "X1"\naccounts = ["UHL"]\n')
    assert "organisations[0].accounts" in message


def test_story_form_columns_only_known_fields() -> None:
    message = _error(BASE_CONFIG + '\n[stories.form_columns]\ntitel = "Title"\n')
    assert "unknown story field 'titel'" in message


def test_relative_sqlite_path_resolves_against_config_folder(tmp_path: Path) -> None:
    settings = parse_settings(BASE_CONFIG, tmp_path / "campaign.toml")
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'knowvember.db'}"


def test_database_url_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = parse_settings(BASE_CONFIG, tmp_path / "campaign.toml")
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, env_dir, explicit = (tmp_path / n for n in ("here", "env", "explicit"))
    for folder in (here, env_dir, explicit):
        folder.mkdir()
        (folder / "campaign.toml").write_text(BASE_CONFIG)
    monkeypatch.chdir(here)
    monkeypatch.delenv("KNOWVEMBER_CONFIG", raising=False)
    assert find_config() == (here / "campaign.toml").resolve()
    monkeypatch.setenv("KNOWVEMBER_CONFIG", str(env_dir / "campaign.toml"))
    assert find_config() == (env_dir / "campaign.toml").resolve()
    assert find_config(explicit / "campaign.toml") == (explicit / "campaign.toml").resolve()
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "nope"))):
        find_config(tmp_path / "nope" / "campaign.toml")


def test_campaign_window_is_local_midnights() -> None:
    settings = parse_settings(BASE_CONFIG)
    start, end = settings.campaign.window_utc()
    assert start.isoformat() == "2019-11-01T00:00:00+00:00"  # GMT in November
    assert end.isoformat() == "2019-12-01T00:00:00+00:00"


def test_cli_config_check_exit_codes(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config()
    ok = cli("config", "check", "--format", "json")
    assert ok.exit_code == 0, ok.output
    assert '"slug": "knowvember19"' in ok.stdout
    write_config("[sources.x]\nenabeld = true\n")
    bad = cli("config", "check")
    assert bad.exit_code == EXIT_CONFIG
    assert "sources.x.enabeld: unknown key" in bad.stderr
    assert "Traceback" not in bad.output


def test_cli_missing_config(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KNOWVEMBER_CONFIG", raising=False)
    result = cli("config", "check")
    assert result.exit_code == EXIT_CONFIG
    assert "knowvember init" in result.stderr


def test_init_writes_valid_starter_and_refuses_overwrite(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "new"
    assert cli("init", str(target), "--year", "2027").exit_code == 0
    settings = load_settings(target / "campaign.toml")
    assert settings.campaign.hashtags[0] == "KNOWvember2027"
    assert (target / ".env.example").exists()
    again = cli("init", str(target))
    assert again.exit_code != 0 and "--force" in again.stderr
    assert cli("init", str(target), "--force").exit_code == 0


def test_a_token_pasted_where_an_account_belongs_is_not_echoed() -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2X"
    message = _error(BASE_CONFIG + f'\n[leaderboard]\nexclude_accounts = ["{token}"]\n')
    assert "leaderboard.exclude_accounts" in message
    assert "not platform:handle" in message
    assert token[:20] not in message
