"""Signing in again after the session expired returns to the story, at its own address.

A coordinator whose session ended while writing a note signed in from the form that kept
the note, and got the story's review form as the answer to the sign-in: at /login. Reloading
that page sent the password again, Back left the story, and the address was not the story's.
Now signing in redirects to /review/<id>, whose form holds the note. A story edited while they
were signed out says so, since the page then shows what they did not read.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    PASSWORD,
    csrf,
    review_app,
    sign_in,
)

NOTE = "Merci: please add the outcome for Siân's café.\nHow many <b>teams</b>?"
NOTE_HTML = "How many &lt;b&gt;teams&lt;/b&gt;?</textarea>"


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch, "coordinator"))


def _story(db, settings) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "Peer Assist in ED", "body": "We met.",
                                     "name": "Siân Jones", "email": "sian@nhs.net",
                                     "consent": True}, settings)
    story, _ = stories.submit_story(db, settings, data, source="cli")
    return story.id


def _expired_then_refused(client: TestClient, story_id: int, note: str = NOTE) -> str:
    """The review page read, the session gone, the decision sent: the sign-in page."""
    sign_in(client)
    page = client.get(f"/review/{story_id}").text
    seen = page.split('name="seen" value="', 1)[1].split('"', 1)[0]
    client.cookies.clear()
    refused = client.post(f"/review/{story_id}", data={
        "action": "request_changes", "note": note, "seen": seen, "csrf_token": csrf(page)},
        follow_redirects=False)
    assert refused.status_code == 403
    return refused.text


def _sign_in_carrying(client: TestClient, story_id: int, login_html: str, note: str = NOTE):  # type: ignore[no-untyped-def]
    seen = login_html.split('name="seen" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={
        "username": "coordinator", "password": PASSWORD, "next": f"/review/{story_id}",
        "keep_note": "yes", "note": note, "seen": seen, "csrf_token": csrf(login_html)},
        follow_redirects=False)


def test_signing_in_again_returns_to_the_story_with_the_note(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                             settings) -> None:
    story_id = _story(db, settings)
    login_html = _expired_then_refused(client, story_id)
    signed_in = _sign_in_carrying(client, story_id, login_html)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/review/{story_id}"
    assert stories.get_story(db, story_id).status == "submitted"  # nothing decided

    page = client.get(f"/review/{story_id}")
    assert page.status_code == 200
    assert "Signed in as coordinator." in page.text
    assert "Your decision was not saved before you were signed out" in page.text
    assert NOTE_HTML in page.text
    assert "has changed since you read it" not in page.text
    assert NOTE_HTML in client.get(f"/review/{story_id}").text  # a reload keeps it

    done = client.post(f"/review/{story_id}", data={
        "action": "request_changes", "note": NOTE, "csrf_token": csrf(page.text)},
        follow_redirects=False)
    assert done.status_code == 303
    story = stories.get_story(db, story_id)
    assert story.status == "changes_requested" and story.events[-1].note == NOTE
    again = client.get(f"/review/{story_id}").text  # decided: the note is not carried on
    assert "not saved before you were signed out" not in again


def test_a_story_edited_while_signed_out_says_so(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _story(db, settings)
    login_html = _expired_then_refused(client, story_id)
    stories.edit_story(db, settings, story_id, {"body": "We met, twice."}, editor="Bob")
    signed_in = _sign_in_carrying(client, story_id, login_html)
    assert signed_in.status_code == 303
    page = client.get(f"/review/{story_id}").text
    assert "The story has changed since you read it" in page
    assert "We met, twice." in page and NOTE_HTML in page


def test_a_note_too_long_for_the_cookie_is_shown_at_once(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                         settings) -> None:
    """A cookie holds about 4 KB: a long note is not put in it (the browser would drop the
    whole session), but shown with the story at once, as before."""
    story_id = _story(db, settings)
    long_note = "Café é " * 400 + "the end"
    login_html = _expired_then_refused(client, story_id, long_note)
    signed_in = _sign_in_carrying(client, story_id, login_html, long_note)
    assert signed_in.status_code == 200
    assert "the end</textarea>" in signed_in.text
    assert len(signed_in.headers.get("set-cookie", "")) < 4000


@pytest.fixture
def server(settings, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.web_support import live_server

    with live_server(settings, sqlite_db, monkeypatch) as url:
        yield url


@pytest.mark.browser
def test_in_a_browser_signing_in_again_lands_on_the_story(server: str, sqlite_db,  # type: ignore[no-untyped-def]
                                                           settings) -> None:
    from tests.web_support import browser_page

    story_id = _story(sqlite_db, settings)
    with browser_page(360, 740) as page:
        page.goto(server + f"/login?next=/review/{story_id}")
        page.get_by_label("Username").fill("coordinator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + f"/review/{story_id}")
        page.get_by_label("Note").fill(NOTE)
        page.context.clear_cookies()  # the session expired while the note was written
        page.get_by_role("button", name="Request changes").click()
        page.get_by_label("Username").fill("coordinator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + f"/review/{story_id}")
        assert page.get_by_label("Note").input_value() == NOTE
        page.reload()  # no "resend the form?": the page is a GET of the story
        assert page.get_by_label("Note").input_value() == NOTE
        page.get_by_role("button", name="Request changes").click()
        page.wait_for_url(server + "/review")
    assert stories.get_story(sqlite_db, story_id).events[-1].note == NOTE
