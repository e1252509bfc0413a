"""`knowvember serve`: what it hands to uvicorn, one worker or several."""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web_support import SECRET


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def test_serve_one_worker_runs_the_app(cli, campaign_dir, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("serve", "--port", "8123", env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.stderr
    assert "http://127.0.0.1:8123/" in result.stderr
    [(app, kwargs)] = uvicorn_calls
    assert kwargs["host"] == "127.0.0.1" and kwargs["port"] == 8123
    assert kwargs["proxy_headers"] is True and kwargs["forwarded_allow_ips"] == "127.0.0.1"
    assert TestClient(app).get("/healthz").json()["status"] == "ok"


def test_serve_several_workers_share_config_and_key(cli, campaign_dir,  # type: ignore[no-untyped-def]
                                                    monkeypatch) -> None:
    import uvicorn

    for name in ("KNOWVEMBER_SECRET_KEY", "KNOWVEMBER_CONFIG"):  # restored afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    calls: list[tuple[object, dict[str, object], dict[str, str]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append(
        (target, kwargs, dict(os.environ))))
    result = cli("serve", "--host", "0.0.0.0", "--workers", "3",
                 "--forwarded-allow-ips", "10.0.0.2")
    assert result.exit_code == 0, result.stderr
    [(target, kwargs, environ)] = calls
    assert target == "knowvember.web:create_app_from_env"
    assert kwargs["factory"] is True and kwargs["workers"] == 3
    assert kwargs["forwarded_allow_ips"] == "10.0.0.2"
    # The workers find the same config, and one shared key (with a warning).
    assert environ["KNOWVEMBER_CONFIG"] == str(campaign_dir / "campaign.toml")
    assert len(environ["KNOWVEMBER_SECRET_KEY"]) >= 32
    assert "KNOWVEMBER_SECRET_KEY is not set" in result.stderr


def test_worker_factory_builds_the_app_from_the_environment(campaign_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app_from_env

    monkeypatch.setenv("KNOWVEMBER_CONFIG", str(campaign_dir / "campaign.toml"))
    monkeypatch.setenv("KNOWVEMBER_SECRET_KEY", SECRET)
    with TestClient(create_app_from_env()) as client:  # runs the lifespan: opens, closes
        assert client.get("/healthz").json()["database"] == "ok"
        assert "KNOWvember 2019" in client.get("/").text


def test_serve_refuses_a_short_secret(cli, campaign_dir, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("serve", env={"KNOWVEMBER_SECRET_KEY": "too-short"})
    assert result.exit_code == 3
    assert "at least 32 characters" in result.stderr
    assert "too-short" not in result.stderr
    assert uvicorn_calls == []


def test_serve_without_config_says_so(cli, tmp_path, monkeypatch, uvicorn_calls) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KNOWVEMBER_CONFIG", raising=False)
    result = cli("serve")
    assert result.exit_code == 3 and "no campaign config" in result.stderr
    assert uvicorn_calls == []
