"""A sixth new-user trial of `$KNOWVEMBER_DATABASE_URL` as coordinators paste it.

A password holding '@' (`kv:p@ss@dbhost`) was cut at its first '@': the rest was taken for
the host, and every error and log line showed it ("failed to resolve host 'ss@dbhost'").
A URL pasted with a space or newline after it asked the server for database "knowvember "
(exit 5), one with a space before it was "not a database URL", and one in quotes (from
a Docker env file or `Environment=` with the quotes inside) was "not a database URL" too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.errors import EXIT_CONFIG, EXIT_OK


def test_a_password_with_an_at_sign_is_refused_without_showing_it(campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                                  cli) -> None:
    env = {"KNOWVEMBER_DATABASE_URL": "postgresql+psycopg://kv:s3cr@tpass@127.0.0.1:1/kv"}
    for args in (("runs",), ("config", "check")):
        result = cli(*args, env=env)
        assert result.exit_code == EXIT_CONFIG, result.output
        assert "more than one '@' before the host" in result.output
        assert "('@' as %40)" in result.output and "~/.pgpass" in result.output
        assert "tpass" not in result.output and "s3cr" not in result.output


def test_the_file_url_never_shows_it_either(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "campaign.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'url = "sqlite:///knowvember.db"', 'url = "postgresql+psycopg://kv:p@ss@dbhost/kv"'),
        encoding="utf-8")
    result = cli("config", "check")
    assert result.exit_code == EXIT_CONFIG
    assert "database.url: " in result.output  # refused (as a password in the file is)
    assert "ss@dbhost" not in result.output and "p@ss" not in result.output


@pytest.mark.parametrize("pasted", [" {url}", "{url} ", "{url}\n", "\t{url}\r\n"])
def test_space_around_the_url_is_not_part_of_it(campaign_dir: Path, cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                pasted: str) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = cli("runs", env={"KNOWVEMBER_DATABASE_URL": pasted.format(url=url)})
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / "elsewhere.db").exists()


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_url_in_quotes_says_so(campaign_dir: Path, cli, tmp_path: Path, quote: str) -> None:  # type: ignore[no-untyped-def]
    url = f"{quote}sqlite:///{tmp_path / 'elsewhere.db'}{quote}"
    result = cli("runs", env={"KNOWVEMBER_DATABASE_URL": url})
    assert result.exit_code == EXIT_CONFIG
    assert "$KNOWVEMBER_DATABASE_URL: the value is in quotes; set the URL without them" \
        in result.output


def test_a_blank_variable_is_not_said_to_replace_the_file(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "check", env={"KNOWVEMBER_DATABASE_URL": "  "})
    assert result.exit_code == EXIT_OK, result.output
    assert "set in this shell" not in result.stdout
