"""`serve --host` as an IT colleague fills it in from a runbook or a browser's address bar.

`--host localhost:8000`, `--host http://0.0.0.0` and `--host [::1]` printed "Serving ... on
http://localhost:8000:8000/" and then "not an address or name this machine can look up
([Errno -2] Name or service not known)"; a space pasted after the address did the same. An
IPv6 address was shown as http://::1:8000/, which no browser opens.
"""

from __future__ import annotations

from typing import Any

import pytest

from knowvember.errors import EXIT_USAGE
from tests.web_support import SECRET


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


@pytest.mark.parametrize(("host", "advice"), [
    ("localhost:8000", "give the port with --port, not in --host: --host localhost --port 8000"),
    ("http://0.0.0.0", "give the address alone, not a web address: --host 0.0.0.0"),
    ("https://kv.example.nhs.uk:8443/", "give the address alone, not a web address: "
     "--host kv.example.nhs.uk --port 8443"),
    ("[::1]:8000", "give the address without brackets: --host ::1 --port 8000"),
    ("[::]", "give the address without brackets: --host ::"),
])
def test_a_web_address_or_host_and_port_says_what_to_write(  # type: ignore[no-untyped-def]
        cli, campaign_dir, uvicorn_calls, host: str, advice: str) -> None:
    result = cli("serve", "--host", host, env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert f"--host {host}: {advice}" in result.stderr
    assert "Serving" not in result.stderr and uvicorn_calls == []


def test_space_after_the_host_is_not_part_of_it(cli, campaign_dir, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("serve", "--host", "127.0.0.1 ", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr
    [(_, kwargs)] = uvicorn_calls
    assert kwargs["host"] == "127.0.0.1"


def test_an_ipv6_address_is_shown_as_a_browser_writes_it(cli, campaign_dir, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("serve", "--host", "::1", "--port", "8123",
                 env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr
    assert "on http://[::1]:8123/ (Ctrl+C to stop)" in result.stderr
    [(_, kwargs)] = uvicorn_calls
    assert kwargs["host"] == "::1"
