"""Found in a submitter's and a coordinator's trial of the web app: the story form sent twice
(a double click, back and send again, a retry) is one story, not two."""

from __future__ import annotations

import contextlib
import re
import threading

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import CATALOGUE, SECRET, TAXONOMY, FakeClock, csrf

STORY = {
    "title": "Zoë's Peer Assist <script>alert(1)</script>",
    "body": "Siobhán ran a Peer Assist, with \"quotes\", & commas.\n" + "Long. " * 3000,
    "name": "Siobhán Ní Bhriain",
    "email": "siobhan@nhs.net",
    "consent": "yes",
}
_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return TestClient(create_app(settings, db, clock=FakeClock(), catalogue=CATALOGUE,
                                 taxonomy=TAXONOMY))


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/submit").text
    match = _SUBMISSION.search(page)
    assert match, "no submission id in the form"
    return {**STORY, "csrf_token": csrf(page), "submission": match.group(1)}


def _number(response) -> int:  # type: ignore[no-untyped-def]
    match = re.search(r"number is <strong>(\d+)", response.text)
    assert match, response.text
    return int(match.group(1))


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return len(stories.list_stories(db))


def test_the_same_form_sent_twice_is_one_story(client, db) -> None:  # type: ignore[no-untyped-def]
    form = _form(client)
    first = client.post("/submit", data=form)
    again = client.post("/submit", data=form)
    assert first.status_code == again.status_code == 200
    assert _number(first) == _number(again)
    assert _count(db) == 1
    story = stories.get_story(db, _number(first))
    assert story.title == STORY["title"] and story.source == "web"
    assert [e.action for e in story.events] == ["submitted"]
    # A new form with another story is a new story (the same answers again in a new form
    # are the same story: the back button, a fresh page, the text restored by the browser).
    assert _number(client.post("/submit", data={**_form(client), "title": "Another"})) \
        != _number(first)
    assert _count(db) == 2


def test_a_corrected_form_keeps_its_submission_id(client, db) -> None:  # type: ignore[no-untyped-def]
    """A form sent back with a problem is still the same story: corrected and then sent
    twice, it is stored once."""
    form = _form(client)
    refused = client.post("/submit", data={**form, "email": "siobhan at nhs"})
    assert refused.status_code == 400
    assert _SUBMISSION.search(refused.text).group(1) == form["submission"]  # type: ignore[union-attr]
    assert _count(db) == 0
    assert _number(client.post("/submit", data=form)) == _number(
        client.post("/submit", data=form))
    assert _count(db) == 1


def test_two_copies_sent_at_once_are_one_story(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A double click sends the second copy before the first is answered: both race to
    store it, and the one that loses finds the winner's story instead of failing."""
    form = _form(client)
    real = stories.add_stories
    barrier = threading.Barrier(2)

    def together(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread():
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)
        return real(*args, **kwargs)

    numbers: list[int] = []
    cookies = dict(client.cookies)

    def send() -> None:
        other = TestClient(client.app, cookies=cookies)
        numbers.append(_number(other.post("/submit", data=form)))

    monkeypatch.setattr(stories, "add_stories", together)
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 2 and numbers[0] == numbers[1]
    assert _count(db) == 1


def test_a_post_without_a_submission_id_is_still_stored(client, db) -> None:  # type: ignore[no-untyped-def]
    """An old page (or a script) without the id: the story is stored, as before."""
    form = _form(client)
    del form["submission"]
    assert client.post("/submit", data=form).status_code == 200
    form["submission"] = "<not one of ours>"
    assert client.post("/submit", data={**form, "title": "Another"}).status_code == 200
    assert _count(db) == 2


def test_hostile_text_and_non_ascii_names_are_escaped_when_published(client, db) -> None:  # type: ignore[no-untyped-def]
    story_id = _number(client.post("/submit", data=_form(client)))
    stories.approve_story(db, story_id, reviewer="Ann")
    text = client.get("/stories").text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "Siobhán Ní Bhriain" in text
    assert "siobhan@nhs.net" not in text


def test_line_breaks_sent_by_a_browser_are_stored_as_typed(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    """Browsers send a text area's line breaks as CRLF: a body of exactly the limit, with
    line breaks, was refused as too long, and the CRs were stored."""
    limit = settings.stories.max_body_chars
    body = "x" * (limit - 100) + "\r\n" * 100  # `limit` characters on the page
    response = client.post("/submit", data={**_form(client), "body": body,
                                            "outcome": "One\r\nTwo"})
    assert response.status_code == 200, response.text
    story = stories.get_story(db, _number(response))
    assert story.body == "x" * (limit - 100) + "\n" * 100 and len(story.body) == limit
    assert story.outcome == "One\nTwo"


def test_approving_without_consent_on_the_web_says_it_is_not_published(
        client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.web_support import add_coordinator, cheap_hashing, sign_in

    cheap_hashing(monkeypatch)
    add_coordinator(db)
    without = _number(client.post("/submit", data={**_form(client), "consent": "no"}))
    with_consent = _number(client.post("/submit", data=_form(client)))
    sign_in(client)
    said = []
    for story_id in (without, with_consent):
        token = csrf(client.get(f"/review/{story_id}").text)
        page = client.post(f"/review/{story_id}", data={"csrf_token": token,
                                                          "action": "approve"})
        assert page.status_code == 200
        said.append("did not agree to publication, so it is counted but not published"
                    in page.text)
    assert said == [True, False]


def test_a_review_note_s_line_breaks_are_stored_as_typed(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.web_support import add_coordinator, cheap_hashing, sign_in

    cheap_hashing(monkeypatch)
    add_coordinator(db)
    story_id = _number(client.post("/submit", data=_form(client)))
    sign_in(client)
    token = csrf(client.get(f"/review/{story_id}").text)
    client.post(f"/review/{story_id}", data={"csrf_token": token, "action": "reject",
                                              "note": "Not KM.\r\nSorry."})
    assert stories.get_story(db, story_id).events[-1].note == "Not KM.\nSorry."


def test_a_form_refused_for_its_token_keeps_its_submission_id(client, db) -> None:  # type: ignore[no-untyped-def]
    """Sent once with an expired token (refused, kept as typed) and then twice with the
    fresh one: one story."""
    form = _form(client)
    refused = client.post("/submit", data={**form, "csrf_token": "expired"})
    assert refused.status_code == 403
    assert _SUBMISSION.search(refused.text).group(1) == form["submission"]  # type: ignore[union-attr]
    fresh = {**form, "csrf_token": csrf(refused.text)}
    assert _number(client.post("/submit", data=fresh)) == _number(
        client.post("/submit", data=fresh))
    assert _count(db) == 1


def test_one_form_page_sent_from_two_sessions_is_two_stories(client, db) -> None:  # type: ignore[no-untyped-def]
    """A page served to two people (a shared cache) carries one submission id: the second
    person's story is their own, not taken for a repeat of the first's and dropped."""
    form = _form(client)
    first = _number(client.post("/submit", data=form))
    other = TestClient(client.app)
    page = other.get("/submit").text
    second = _number(other.post("/submit", data={**form, "csrf_token": csrf(page),
                                                 "title": "Someone else's story"}))
    assert first != second and _count(db) == 2
    assert stories.get_story(db, second).title == "Someone else's story"
