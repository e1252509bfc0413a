"""Signing out after the session ended signs out, instead of an error page.

A coordinator who left the review queue open overnight (the session lasts 8 hours) and then
pressed "Sign out" got a 403 "This form has expired: go back, reload the page and try
again": the form's token belonged to the session that had ended. There is nothing to protect
once no one is signed in, so it now goes to the home page saying "You are signed out". With
someone signed in, a sign-out without the session's token is still refused (no site can sign
a coordinator out behind their back).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web_support import SECRET, add_coordinator, cheap_hashing, csrf, sign_in


@pytest.fixture
def client(settings, sqlite_db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return TestClient(create_app(settings, sqlite_db))


def test_signing_out_an_ended_session_signs_out(client: TestClient) -> None:
    sign_in(client)
    token = csrf(client.get("/review").text)
    client.cookies.clear()  # the cookie expired overnight
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = client.get("/").text
    assert "You are signed out." in home and "This form has expired" not in home


def test_a_signed_in_session_is_not_signed_out_without_its_token(client: TestClient) -> None:
    sign_in(client)
    forged = client.post("/logout", data={"csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/review", follow_redirects=False).status_code == 200  # still signed in
    token = csrf(client.get("/review").text)
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 303  # to /login


def test_an_expired_sign_in_form_comes_back_with_what_was_typed(client: TestClient) -> None:
    """The sign-in form carrying a review note, sent once its session had gone: the form
    again, the username and the note kept, no one signed in; then signing in works."""
    from tests.web_support import PASSWORD

    token = csrf(client.get("/login").text)
    client.cookies.clear()
    carried = {"username": "coordinator", "next": "/review/3", "keep_note": "yes",
               "note": "Please add the <b>outcome</b>", "seen": "2019-11-05T10:00:00"}
    refused = client.post("/login", data={**carried, "password": PASSWORD,
                                          "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    page = refused.text
    assert "The sign-in form had expired" in page
    assert 'value="coordinator"' in page and 'name="next" value="/review/3"' in page
    assert "Please add the &lt;b&gt;outcome&lt;/b&gt;</textarea>" in page
    assert 'name="seen" value="2019-11-05T10:00:00"' in page
    assert client.get("/review", follow_redirects=False).status_code == 303  # not signed in
    again = client.post("/login", data={**carried, "password": PASSWORD,
                                        "csrf_token": csrf(page)}, follow_redirects=False)
    assert again.status_code == 303  # signed in, on the way back to the story
    assert client.get("/review", follow_redirects=False).status_code == 200
