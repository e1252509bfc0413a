"""A fifth new-user trial of set-up: lines of `.env.example` or a secrets file pasted into
`campaign.toml`.

`.env.example` lists `KNOWVEMBER_X_BEARER_TOKEN=` and the other variables; a coordinator
filling in the config pastes them there, with the secret. As `NAME = "value"` the file was
refused with "name it with KNOWVEMBER_BLUESKY_APP_PASSWORD_env instead" (no such key) or
just "unknown key"; as `NAME=value` (how a secrets file writes it) with "not valid TOML:
Invalid value". Each now says the line is an environment variable, where to set it, and
never repeats the secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.config import load_settings_file
from knowvember.errors import ConfigError
from tests.conftest import BASE_CONFIG

SECRET = "Zx8k2LmQ9pRt7VwY3nBc5Hd0"
ADVICE = ("is an environment variable, not a key of this file: remove the line and set the "
          "variable in the environment")


def _refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings_file(path)
    message = str(caught.value)
    assert SECRET not in message
    return message


@pytest.mark.parametrize("line", [
    f'KNOWVEMBER_BLUESKY_APP_PASSWORD = "{SECRET}"',
    f'KNOWVEMBER_SECRET_KEY = "{SECRET}"',
    f'knowvember_x_bearer_token = "{SECRET}"',
])
def test_an_environment_variable_written_as_a_key_is_named_as_one(tmp_path: Path,
                                                                   line: str) -> None:
    message = _refusal(tmp_path, line + "\n" + BASE_CONFIG)
    name = line.split()[0]
    assert (f"campaign.toml: {name}: secrets are never written in the config file; this is "
            "an environment variable") in message
    assert "_env instead" not in message and "unknown key" not in message


def test_an_environment_variable_inside_a_table_is_named_with_its_table(tmp_path: Path) -> None:
    message = _refusal(tmp_path, BASE_CONFIG + f'\n[web]\nKNOWVEMBER_SECRET_KEY = "{SECRET}"\n')
    assert "campaign.toml: web.KNOWVEMBER_SECRET_KEY: secrets are never written" in message


@pytest.mark.parametrize("line", [
    f"KNOWVEMBER_X_BEARER_TOKEN={SECRET}",
    f"export KNOWVEMBER_X_BEARER_TOKEN={SECRET}",
    f"KNOWVEMBER_X_BEARER_TOKEN = {SECRET}",
])
def test_a_secrets_file_line_that_is_not_toml_says_what_it_is(tmp_path: Path, line: str) -> None:
    message = _refusal(tmp_path, BASE_CONFIG + "\n" + line + "\n")
    lines = len(BASE_CONFIG.splitlines()) + 2
    assert "not valid TOML" in message
    assert f"line {lines}: KNOWVEMBER_X_BEARER_TOKEN {ADVICE}" in message


def test_other_toml_errors_keep_their_message_alone(tmp_path: Path) -> None:
    message = _refusal(tmp_path, BASE_CONFIG + "\n[logging]\nlevel = INFO\n")
    assert "not valid TOML: Invalid value" in message
    assert "environment variable" not in message


def test_sample_into_a_file_says_it_is_a_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`sample --out notes.txt` said only "notes.txt: File exists", as `demo` says more."""
    target = tmp_path / "notes.txt"
    target.write_text("mine\n", encoding="utf-8")
    result = cli("sample", "--out", str(target), "--posts", "10")
    assert result.exit_code == 2
    assert "is a file; choose a folder for the sample" in " ".join(result.stderr.split())
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_config_check_says_the_database_comes_from_the_environment(  # type: ignore[no-untyped-def]
        cli, write_config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where the variable was exported, `config check` showed the server's URL as if
    the file named it; cron and systemd, without the variable, used the file's database."""
    import json

    write_config("")
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL",
                       "postgresql+psycopg://knowvember@dbhost/knowvember")
    result = cli("config", "check")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("Database:"))
    assert ("from $KNOWVEMBER_DATABASE_URL, set in this shell, instead of database.url "
            "sqlite:///") in line
    assert "cron and systemd use database.url unless the variable is set there too" in line
    data = json.loads(cli("config", "check", "--format", "json").stdout)
    assert data["database"] == "postgresql+psycopg://knowvember@dbhost/knowvember"
    assert data["database_from"] == "environment"
    monkeypatch.delenv("KNOWVEMBER_DATABASE_URL")
    assert json.loads(cli("config", "check", "--format", "json").stdout)[
        "database_from"] == "config"
    plain = cli("config", "check").stdout
    assert "KNOWVEMBER_DATABASE_URL" not in plain


def test_config_check_counts_a_blank_secret_as_not_set(  # type: ignore[no-untyped-def]
        cli, write_config, monkeypatch: pytest.MonkeyPatch) -> None:
    """`KNOWVEMBER_X_BEARER_TOKEN= ` (a space after '=' in a secrets file) was "set"."""
    write_config("\n[sources.x]\nenabled = true\n")
    monkeypatch.setenv("KNOWVEMBER_X_BEARER_TOKEN", " \r")
    result = cli("config", "check")
    assert "KNOWVEMBER_X_BEARER_TOKEN: not set" in result.stdout
    assert "$KNOWVEMBER_X_BEARER_TOKEN is not set here" in " ".join(result.stderr.split())


@pytest.mark.parametrize(("start", "kind"), [
    (b"SQLite format 3\x00\x10\x00\x02\x02\x00@  \x00\x00", "a SQLite database"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP file or a workbook (.xlsx)"),
    (b"%PDF-1.7\n", "a PDF"),
])
def test_a_database_or_workbook_given_as_the_config_is_named(tmp_path: Path, start: bytes,
                                                             kind: str) -> None:
    """`--config knowvember.db` said the file was "saved as UTF-16 (Notepad calls it
    Unicode)", from the zero bytes of the database's header."""
    path = tmp_path / "knowvember.db"
    path.write_bytes(start + b"\x00" * 200)
    with pytest.raises(ConfigError) as caught:
        load_settings_file(path)
    message = str(caught.value)
    assert f"this is {kind}, not a campaign config: pass the campaign.toml beside it" in message
    assert "UTF-16" not in message


@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("30min", 1800), ("30 minutes", 1800), ("30M", 1800), ("1h30m", 5400),
    ("1h 30m", 5400), ("2 hours", 7200), ("45s", 45), ("1 day", 86400),
])
def test_intervals_are_read_as_people_write_them(text: str, seconds: int) -> None:
    """`every = "30min"` or `--every 1h30m` was refused as "not a duration"."""
    from knowvember.config import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0m", "1.5h", "30", "30x", "", "5 months", "30m 5"])
def test_what_is_no_interval_is_still_refused(text: str) -> None:
    from knowvember.config import parse_duration

    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_an_interval_without_its_unit_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(BASE_CONFIG + "\n[schedule]\nevery = 30\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings_file(path)
    message = str(caught.value)
    assert 'schedule.every: give the unit, in quotes: "30m" for 30 minutes' in message
