"""A database URL with a malformed port or host, as a coordinator types or pastes it.

A port typo (`dbhost:5432x`) said only "invalid literal for int() with base 10: '5432x'"; a
':' with no port after it said the same of ''. A port out of range (`:70000`, `:0`) passed
`config check` and failed only on connecting, or (`:0`) quietly reached another server. A port
with the host left out (`knowvember@:5432/`) tried this machine's socket and named only that.
No message may echo the URL or the typed port: with the '@host' left out (`kv:secret/db`),
the password is where the port would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.config import check_database_url
from knowvember.errors import EXIT_CONFIG

_EXAMPLE = "as in 'knowvember@dbhost:5432/'"


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql+psycopg://kv@dbhost:5432x/knowvember", "the port (after the host and ':') is "
     "not a number: write it in digits"),
    ("postgresql+psycopg://kv@dbhost:5432:5433/knowvember", "is not a number"),
    ("postgresql+psycopg://kv@[::1]:54x/knowvember", "is not a number"),
    ("postgresql+psycopg://kv@dbhost:/knowvember", "a ':' after the host but no port"),
    ("postgresql+psycopg://kv@dbhost: /knowvember", "a ':' after the host but no port"),
    ("postgresql+psycopg://kv@dbhost:70000/knowvember", "the port is out of range (1 to 65535)"),
    ("postgresql+psycopg://kv@dbhost:0/knowvember", "the port is out of range"),
    ("postgresql+psycopg://kv@:5432/knowvember", "a port but no host"),
    ("postgresql+psycopg://:5432/knowvember", "a port but no host"),
])
def test_a_malformed_port_or_host_is_named(url: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_database_url(url)
    message = str(caught.value)
    assert said in message and _EXAMPLE in message
    assert "int()" not in message and "knowvember@dbhost:5432/'" in message


@pytest.mark.parametrize(("password", "said"), [("Hunter2Secret", "is not a number"),
                                              ("918273645", "out of range")])
def test_the_password_where_a_port_would_be_is_not_shown(password: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_database_url(f"postgresql+psycopg://kv:{password}/knowvember")
    assert said in str(caught.value) and password not in str(caught.value)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://kv@dbhost:5432/knowvember",
    "postgresql+psycopg://kv@[::1]:65535/knowvember",
    "postgresql+psycopg://kv@/knowvember",  # this machine's socket
    "postgresql+psycopg://kv@:5433/knowvember?host=/var/run/postgresql",
    "postgresql+psycopg://kv@/knowvember?port=5433",
])
def test_good_urls_and_the_socket_still_pass(url: str) -> None:
    assert check_database_url(url).drivername == "postgresql+psycopg"


def test_the_variable_and_the_file_say_it_without_the_url(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://kv@dbhost:5432x/knowvember"
    result = cli("config", "check", env={"KNOWVEMBER_DATABASE_URL": url})
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "$KNOWVEMBER_DATABASE_URL: the port (after the host and ':') is not a number" in \
        result.output
    assert "5432x" not in result.output and "int()" not in result.output
    path = campaign_dir / "campaign.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'url = "sqlite:///knowvember.db"', f'url = "{url}"'), encoding="utf-8")
    result = cli("summary")
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "database.url: the port" in result.output and "5432x" not in result.output
    assert _EXAMPLE in result.output.replace("\n", " ")  # not "(hidden)" as a token-like run
