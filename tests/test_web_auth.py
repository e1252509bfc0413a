"""Web app: signing in and out, CSRF, login rate limits, cookies, error pages, /healthz."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from knowvember.errors import ConfigError
from knowvember.web.security import RateLimiter, secret_key
from tests.web_support import (
    PASSWORD,
    SECRET,
    FakeClock,
    add_coordinator,
    cheap_hashing,
    csrf,
    make_app,
    sign_in,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings, sqlite_db, monkeypatch, clock):  # type: ignore[no-untyped-def]
    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    return make_app(settings, sqlite_db, monkeypatch, clock)


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


def _login(client: TestClient, password: str, token: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
    if token is None:
        token = csrf(client.get("/login").text)
    data = {"username": "coordinator", "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_page_has_labelled_fields_and_token(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    html = page.text
    assert '<label class="label" for="username">' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'type="password"' in html
    assert csrf(html)


def test_sign_in_sets_a_safe_session_cookie_and_redirects(client: TestClient) -> None:
    response = _login(client, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("knowvember_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    assert "coordinator" not in cookie  # ids and tokens only, no names
    # Signed in: the login page sends you on, and the frame names you.
    assert client.get("/login", follow_redirects=False).status_code == 303
    assert "Signed in as <strong>coordinator</strong>" in client.get("/").text


def test_secure_cookie_when_configured(write_config, sqlite_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.config import load_settings

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    settings = load_settings(write_config("[web]\nsecure_cookies = true\n"))
    client = TestClient(make_app(settings, sqlite_db, monkeypatch), base_url="https://testserver")
    response = _login(client, PASSWORD)
    assert response.status_code == 303
    assert "; secure" in response.headers["set-cookie"].lower()
    assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_wrong_password_refused_username_kept_password_not(client: TestClient) -> None:
    response = _login(client, "not the password")
    assert response.status_code == 401
    assert "username or password is not right" in response.text
    assert 'value="coordinator"' in response.text
    assert "not the password" not in response.text
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_unknown_user_gets_the_same_answer(client: TestClient) -> None:
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"username": "nobody", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "username or password is not right" in response.text


@pytest.mark.parametrize("token", [None, "", "forged-token-000000000000000000000000000000"])
def test_login_without_the_right_csrf_token_is_refused(client: TestClient,
                                                       token: str | None) -> None:
    client.get("/login")  # a session with its own token exists
    data = {"username": "coordinator", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "The sign-in form had expired" in response.text  # the form again, nobody signed in
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_token_from_another_session_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    attacker = TestClient(app)
    stolen = csrf(attacker.get("/login").text)
    victim = TestClient(app)
    victim.get("/login")
    assert _login(victim, PASSWORD, token=stolen).status_code == 403


def test_json_body_is_no_way_around_csrf(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", json={"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 403


def test_login_rate_limit_then_window_passes(client: TestClient, clock: FakeClock) -> None:
    for _ in range(5):  # login_attempts_per_minute defaults to 5
        assert _login(client, "wrong password!").status_code == 401
    blocked = _login(client, PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    clock.advance(61)
    assert _login(client, PASSWORD).status_code == 303


def test_successful_login_does_not_count_against_the_limit(client: TestClient) -> None:
    for _ in range(6):
        assert _login(client, PASSWORD).status_code == 303
        client.cookies.clear()


def test_rate_limiter_counts_each_key_in_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 60, clock)
    limiter.hit("ip:a", "user:x")
    clock.advance(30)
    limiter.hit("ip:b", "user:x")
    assert limiter.retry_after("ip:c", "user:x") == 30  # the username is at its limit
    assert limiter.retry_after("ip:a") == 0
    clock.advance(31)
    assert limiter.retry_after("ip:c", "user:x") == 0


def test_open_redirect_after_login_refused(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client.cookies.clear()
        response = _login(client, PASSWORD, next=target)
        assert response.headers["location"] == "/review", target
    client.cookies.clear()
    assert _login(client, PASSWORD, next="/dashboard").headers["location"] == "/dashboard"


def test_protected_page_redirects_to_login_and_back(client: TestClient) -> None:
    response = client.get("/review?status=approved", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/review%3Fstatus%3Dapproved"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/review?status=approved"' in page.text


def test_logout_needs_csrf_then_ends_the_session(client: TestClient) -> None:
    sign_in(client)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert "Sign out" in client.get("/").text  # still signed in
    token = csrf(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "You are signed out." in client.get("/").text
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_get_logout_is_not_allowed(client: TestClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "That is not allowed here" in response.text


def test_removing_a_user_ends_their_session(client: TestClient, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    from knowvember.users import remove_user

    sign_in(client)
    remove_user(sqlite_db, "coordinator")
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_changing_the_password_ends_sessions(client: TestClient, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    from knowvember.users import set_password

    sign_in(client)
    set_password(sqlite_db, "coordinator", "a different long password")
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    sign_in(client)
    value = client.cookies["knowvember_session"]
    client.cookies.set("knowvember_session", value[:-3] + "AAA")
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_landing_page_sets_no_cookie(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers


def test_404_page_is_friendly(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_500_page_shows_no_traceback(app, caplog) -> None:  # type: ignore[no-untyped-def]
    @app.get("/boom")
    def boom() -> None:
        raise ZeroDivisionError("secret internals")

    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    for leak in ("Traceback", "ZeroDivisionError", "secret internals"):
        assert leak not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "ZeroDivisionError" in caplog.text  # the details go to the log


def test_no_api_docs_exposed(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_static_css_served(client: TestClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "--blue" in response.text


def test_healthz_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_healthz_reports_a_dead_database(settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.db import open_database

    path = tmp_path / "gone.db"
    db = open_database(settings, url=f"sqlite:///{path}")
    client = TestClient(make_app(settings, db, monkeypatch))
    db.dispose()
    path.unlink()
    path.mkdir()  # now a folder: SQLite cannot open it
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable",
                               "version": response.json()["version"]}


def test_secret_key_from_env_var(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    assert secret_key(settings, {"KNOWVEMBER_SECRET_KEY": SECRET}) == SECRET
    with pytest.raises(ConfigError, match="at least 32"):
        secret_key(settings, {"KNOWVEMBER_SECRET_KEY": "short"})
    with caplog.at_level(logging.WARNING):
        first = secret_key(settings, {})
    assert len(first) >= 32 and first == secret_key(settings, {})  # kept for the process
    assert "KNOWVEMBER_SECRET_KEY is not set" in caplog.text


def test_sessions_survive_an_app_restart_with_the_same_secret(settings, sqlite_db,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    first = TestClient(make_app(settings, sqlite_db, monkeypatch))
    sign_in(first)
    second = TestClient(make_app(settings, sqlite_db, monkeypatch))
    second.cookies.update(first.cookies)
    assert "Sign out" in second.get("/").text


def test_head_works_wherever_get_does(client: TestClient) -> None:
    for path in ("/", "/healthz", "/submit"):
        response = client.head(path)
        assert response.status_code == 200, path
    assert client.head("/review", follow_redirects=False).status_code == 303
