"""Trial 9 (ops): config and database URLs a coordinator actually writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowvember.cli import app
from knowvember.config import check_database_url

runner = CliRunner()


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://dbhost/knowvember", "postgresql+psycopg://"),  # Heroku's and hosts' form
    ("sqlite3:///knowvember.db", "'sqlite3' databases are not supported"),
    ("sqlite://knowvember.db", "three slashes"),
    ("sqlite://", "in-memory"),
    ("sqlite:///", "in-memory"),
    ("sqlite:///:memory:", "in-memory"),
])
def test_database_urls_refused_with_reason(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("+", r"\+")):
        check_database_url(url)


def test_file_and_server_urls_still_pass() -> None:
    for url in ("sqlite:///knowvember.db", "sqlite:////srv/k/knowvember.db",
                "postgresql+psycopg://knowvember@dbhost/knowvember",
                "postgresql://dbhost/knowvember"):
        check_database_url(url)


@pytest.mark.parametrize("url", ["postgres://127.0.0.1/test", "sqlite://k.db", "sqlite://"])
def test_env_database_url_is_a_config_error_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", url)
    result = runner.invoke(app, ["--config", str(tmp_path / "campaign.toml"), "runs"])
    assert result.exit_code == 3, result.output
    assert "$KNOWVEMBER_DATABASE_URL" in result.output
    assert "unexpected" not in result.output
    assert not list(tmp_path.glob("*.db"))


@pytest.mark.parametrize("value", ['"1 November 2027"', "2027-11-01T09:00:00", '"01/11/2027"'])
def test_a_wrong_date_says_how_to_write_one(tmp_path: Path, value: str) -> None:
    assert runner.invoke(app, ["init", str(tmp_path), "--year", "2027"]).exit_code == 0
    config = tmp_path / "campaign.toml"
    config.write_text(config.read_text().replace("start = 2027-11-01", f"start = {value}"))
    result = runner.invoke(app, ["--config", str(config), "config", "check"])
    assert result.exit_code == 3
    assert "campaign.start: write a date as YYYY-MM-DD" in result.output
    assert "datetime.datetime" not in result.output


def test_config_check_names_the_key_of_a_missing_sqlite_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["init", str(tmp_path), "--year", "2027"]).exit_code == 0
    config = tmp_path / "campaign.toml"
    config.write_text(config.read_text().replace('url = "sqlite:///knowvember.db"',
                                                 'url = "sqlite:///data/knowvember.db"'))
    result = runner.invoke(app, ["--config", str(config), "config", "check"])
    assert result.exit_code == 3, result.output
    assert f"database.url: the folder {tmp_path / 'data'} for the SQLite" in result.output
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", f"sqlite:///{tmp_path}/nope/k.db")
    result = runner.invoke(app, ["--config", str(config), "config", "check"])
    assert result.exit_code == 3
    assert "$KNOWVEMBER_DATABASE_URL: the folder" in result.output
    (tmp_path / "nope").mkdir()
    assert runner.invoke(app, ["--config", str(config), "config", "check"]).exit_code == 0
