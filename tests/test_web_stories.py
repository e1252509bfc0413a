"""Web app: the story form, its confirmation, published stories and the review pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    CATALOGUE,
    PASSWORD,
    SECRET,
    TAXONOMY,
    FakeClock,
    add_coordinator,
    cheap_hashing,
    csrf,
    sign_in,
)

GOOD = {
    "title": "After Action Reviews with our F1 doctors",
    "body": "We ran AARs after every simulation session.\nThey loved it.",
    "outcome": "Handover errors fell.",
    "techniques": ["After Action Review", "Peer Assist"],
    "organisation": "RX1",
    "name": "Priya Shah",
    "email": "priya.shah@nhs.net",
    "role": "Clinical librarian",
    "links": "https://example.org/aar\nhttps://example.org/slides",
    "consent": "yes",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _app(settings, db, monkeypatch, clock):  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return create_app(settings, db, clock=clock, catalogue=CATALOGUE, taxonomy=TAXONOMY)


@pytest.fixture
def client(settings, db, monkeypatch, clock) -> TestClient:  # type: ignore[no-untyped-def]
    add_coordinator(db)
    return TestClient(_app(settings, db, monkeypatch, clock))


def _post_story(client: TestClient, **changes: object):  # type: ignore[no-untyped-def]
    data = {**GOOD, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    data["csrf_token"] = csrf(client.get("/submit").text)
    return client.post("/submit", data=data, follow_redirects=False)


def _add(db, settings, title: str = "A story", *, consent: bool = True,  # type: ignore[no-untyped-def]
         at: dt.datetime | None = None, **extra: object) -> int:
    data = stories.StoryInput.parse({"title": title, "body": "What happened.", "name": "Sam",
                                     "email": "sam@nhs.net", "consent": consent, **extra},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, source="cli", submitted_at=at,
                                    lookups=stories.Lookups(CATALOGUE, TAXONOMY))
    return story.id


# -- the form ---------------------------------------------------------------------------


def test_form_has_every_story_field_labelled(client: TestClient) -> None:
    html = client.get("/submit").text
    for field in ("title", "body", "outcome", "organisation", "name", "email", "role", "links"):
        assert f'name="{field}"' in html, field
        assert f'<label class="label" for="{field}">' in html, field
    assert html.count('name="techniques" type="checkbox"') == 3
    assert '<legend>Techniques used (optional)</legend>' in html
    assert 'name="consent" type="radio" value="yes"' in html
    assert 'name="consent" type="radio" value="no"' in html
    assert 'list="organisation-list"' in html
    assert '<option value="Nottingham University Hospitals NHS Trust">' in html
    assert "Royal Liverpool and Broadgreen" not in html  # closed trusts are not offered
    assert csrf(html)


def test_good_submission_is_stored_and_confirmed(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    response = _post_story(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/submit/confirmation"
    page = client.get("/submit/confirmation")
    found = stories.list_stories(db)
    assert len(found) == 1
    story = found[0]
    assert f"Your story number is <strong>{story.id}</strong>" in page.text
    assert story.source == "web" and story.status == "submitted"
    assert story.title == GOOD["title"] and story.body == GOOD["body"]
    assert story.organisation_code == "RX1"
    assert list(story.chosen_techniques) == ["After Action Review", "Peer Assist"]
    assert list(story.links) == ["https://example.org/aar", "https://example.org/slides"]
    assert story.consent is True and story.email == "priya.shah@nhs.net"


def test_consent_no_is_an_answer(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    assert _post_story(client, consent="no").status_code == 303
    assert stories.list_stories(db)[0].consent is False


def test_invalid_submission_shows_errors_and_keeps_values(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    response = _post_story(client, title="", email="not-an-email", consent=None,
                           links="javascript:alert(1)")
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: Share a story" in html
    assert "There is a problem" in html
    assert '<a href="#title">Enter a title for your story</a>' in html
    assert '<a href="#consent">Say whether we may publish your story</a>' in html
    assert "is not an email address" in html
    assert "is not an http(s) link" in html
    assert 'aria-invalid="true"' in html
    # What was typed is still there.
    assert "We ran AARs after every simulation session." in html
    assert 'value="Priya Shah"' in html
    assert 'value="not-an-email"' in html
    assert 'value="After Action Review" checked' in html
    assert stories.list_stories(db) == []


def test_too_long_title_uses_the_configured_limit(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    response = _post_story(client, title="x" * 201)
    assert response.status_code == 400
    assert "the limit is 200" in response.text
    assert stories.list_stories(db) == []


def test_submission_without_csrf_is_refused(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    client.get("/submit")
    response = client.post("/submit", data=GOOD, follow_redirects=False)
    assert response.status_code == 403
    bad = client.post("/submit", data={**GOOD, "csrf_token": "x" * 43},
                      follow_redirects=False)
    assert bad.status_code == 403
    assert stories.list_stories(db) == []


def test_submissions_are_rate_limited_per_client(write_config, sqlite_db, monkeypatch,  # type: ignore[no-untyped-def]
                                                 clock) -> None:
    from knowvember.config import load_settings

    settings = load_settings(write_config("[web]\nsubmissions_per_hour = 2\n"))
    client = TestClient(_app(settings, sqlite_db, monkeypatch, clock))
    assert _post_story(client).status_code == 303
    assert _post_story(client, consent="yes", title="Second").status_code == 303
    blocked = _post_story(client, title="Third")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 60
    assert len(stories.list_stories(sqlite_db)) == 2
    clock.advance(3601)
    assert _post_story(client, title="Third").status_code == 303


def test_invalid_submissions_do_not_use_up_the_limit(write_config, sqlite_db, monkeypatch,  # type: ignore[no-untyped-def]
                                                     clock) -> None:
    from knowvember.config import load_settings

    settings = load_settings(write_config("[web]\nsubmissions_per_hour = 1\n"))
    client = TestClient(_app(settings, sqlite_db, monkeypatch, clock))
    for _ in range(3):
        assert _post_story(client, email="bad").status_code == 400
    assert _post_story(client).status_code == 303


HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


def test_hostile_text_is_stored_faithfully_and_shown_escaped(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    # Re-shown on a form error, escaped inside attributes and textareas.
    response = _post_story(client, title=HOSTILE, body=HOSTILE + "\u202e odd", email="bad")
    assert response.status_code == 400
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;" in response.text

    assert _post_story(client, title=HOSTILE, body=HOSTILE, name=HOSTILE, role=HOSTILE,
                       outcome=HOSTILE, organisation=HOSTILE).status_code == 303
    story = stories.list_stories(db)[0]
    assert story.title == HOSTILE and story.organisation_text == HOSTILE
    sign_in(client)
    for path in ("/review", f"/review/{story.id}"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    stories.transition(db, story.id, "approve", reviewer="coordinator")
    html = client.get("/stories").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


# -- published stories --------------------------------------------------------------------


def test_stories_page_shows_only_approved_and_consented(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                        settings) -> None:
    shown = _add(db, settings, "Approved with consent", techniques=["Peer Assist"],
                 organisation="RX1", links=["https://example.org/x"])
    no_consent = _add(db, settings, "Approved without consent", consent=False)
    _add(db, settings, "Still waiting")
    rejected = _add(db, settings, "Rejected one")
    for story_id in (shown, no_consent):
        stories.transition(db, story_id, "approve", reviewer="c")
    stories.transition(db, rejected, "reject", reviewer="c", note="off topic")
    html = client.get("/stories").text
    assert "Approved with consent" in html
    assert "Nottingham University Hospitals NHS Trust" in html
    assert '<a href="https://example.org/x" rel="nofollow noopener noreferrer ugc">' in html
    for hidden in ("Approved without consent", "Still waiting", "Rejected one", "sam@nhs.net"):
        assert hidden not in html
    assert "1 story." in html


def test_stories_page_filters_by_technique(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    first = _add(db, settings, "Peer assist story", techniques=["Peer Assist"])
    second = _add(db, settings, "Retrospect story", techniques=["Retrospect"])
    for story_id in (first, second):
        stories.transition(db, story_id, "approve", reviewer="c")
    html = client.get("/stories", params={"technique": "Retrospect"}).text
    assert "Retrospect story" in html and "Peer assist story" not in html
    assert '<option value="Retrospect" selected>' in html
    assert "No published stories match" in client.get("/stories?org=ZZZ").text


def test_stories_page_when_empty(client: TestClient) -> None:
    assert "No stories have been published yet" in client.get("/stories").text


# -- review -------------------------------------------------------------------------------


def test_queue_lists_pending_oldest_first(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    base = dt.datetime(2019, 11, 5, 9, tzinfo=dt.UTC)
    newer = _add(db, settings, "Newer story", at=base + dt.timedelta(days=2))
    older = _add(db, settings, "Older story", at=base)
    approved = _add(db, settings, "Approved story", at=base - dt.timedelta(days=1))
    stories.transition(db, approved, "approve", reviewer="c")
    sign_in(client)
    html = client.get("/review").text
    assert html.index("Older story") < html.index("Newer story")
    assert "Approved story" not in html
    assert f'href="/review/{older}"' in html and f'href="/review/{newer}"' in html
    assert "oldest first" in html
    filtered = client.get("/review", params={"status": "approved"}).text
    assert "Approved story" in filtered and "Older story" not in filtered
    everything = client.get("/review", params={"status": "all"}).text
    assert all(t in everything for t in ("Approved story", "Older story", "Newer story"))


def test_queue_filters_by_organisation_and_technique(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    _add(db, settings, "Nottingham story", organisation="RX1", techniques=["Retrospect"])
    _add(db, settings, "Oxford story", organisation="RTH")
    sign_in(client)
    by_org = client.get("/review", params={"org": "RX1"}).text
    assert "Nottingham story" in by_org and "Oxford story" not in by_org
    by_technique = client.get("/review", params={"technique": "Retrospect"}).text
    assert "Nottingham story" in by_technique and "Oxford story" not in by_technique


def test_story_page_shows_details_and_trail(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _add(db, settings, "Shown in full", organisation="RX1", role="Librarian")
    sign_in(client)
    html = client.get(f"/review/{story_id}").text
    assert "Shown in full" in html and "sam@nhs.net" in html and "Librarian" in html
    assert '<a href="/orgs/RX1">Nottingham University Hospitals NHS Trust</a>' in html
    assert "<strong>Submitted</strong>" in html
    for label in ("Approve", "Request changes", "Reject"):
        assert f">{label}</button>" in html


def _decide(client: TestClient, story_id: int, action: str, note: str = ""):  # type: ignore[no-untyped-def]
    token = csrf(client.get(f"/review/{story_id}").text)
    return client.post(f"/review/{story_id}", data={"action": action, "note": note,
                                                    "csrf_token": token},
                       follow_redirects=False)


def test_approve_records_the_signed_in_reviewer(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _add(db, settings)
    sign_in(client)
    response = _decide(client, story_id, "approve")
    assert response.status_code == 303 and response.headers["location"] == "/review"
    assert f"Story {story_id} approved." in client.get("/review").text
    story = stories.get_story(db, story_id)
    assert story.status == "approved"
    assert story.events[-1].action == "approved"
    assert story.events[-1].reviewer == "coordinator"
    html = client.get(f"/review/{story_id}").text
    assert "<strong>Approved</strong>" in html and "by coordinator" in html
    assert "there is no decision to make" in html


@pytest.mark.parametrize("action", ["reject", "request_changes"])
def test_reject_and_request_changes_need_a_note(client: TestClient, db, settings,  # type: ignore[no-untyped-def]
                                                action: str) -> None:
    story_id = _add(db, settings)
    sign_in(client)
    refused = _decide(client, story_id, action, note="   ")
    assert refused.status_code == 400
    assert "Add a note to" in refused.text
    assert stories.get_story(db, story_id).status == "submitted"
    done = _decide(client, story_id, action, note="Please add the outcome <b>numbers</b>")
    assert done.status_code == 303
    story = stories.get_story(db, story_id)
    assert story.status == {"reject": "rejected", "request_changes": "changes_requested"}[action]
    assert story.events[-1].note == "Please add the outcome <b>numbers</b>"
    assert story.events[-1].reviewer == "coordinator"
    html = client.get(f"/review/{story_id}").text
    assert "Please add the outcome &lt;b&gt;numbers&lt;/b&gt;" in html


def test_deciding_twice_is_refused(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _add(db, settings)
    sign_in(client)
    assert _decide(client, story_id, "approve").status_code == 303
    again = _decide(client, story_id, "reject", note="changed my mind")
    assert again.status_code == 409
    assert "already approved" in again.text or "only a submitted story" in again.text
    assert stories.get_story(db, story_id).status == "approved"


def test_unknown_action_is_refused(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _add(db, settings)
    sign_in(client)
    response = _decide(client, story_id, "delete")
    assert response.status_code == 400
    assert "Choose approve, request changes or reject." in response.text
    assert stories.get_story(db, story_id).status == "submitted"


def test_decision_without_csrf_is_refused(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    story_id = _add(db, settings)
    sign_in(client)
    response = client.post(f"/review/{story_id}", data={"action": "approve"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert stories.get_story(db, story_id).status == "submitted"


NOTE = "Please add the outcome:\nhow many <b>journal clubs</b>? It's the report's headline."


def test_a_decision_sent_after_the_session_expired_keeps_its_note(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                                  settings) -> None:
    story_id = _add(db, settings, "Kept private", role="Librarian")
    sign_in(client)
    token = csrf(client.get(f"/review/{story_id}").text)
    client.cookies.clear()  # the session expired while the note was being written
    refused = client.post(f"/review/{story_id}", data={
        "action": "request_changes", "note": NOTE, "csrf_token": token},
        follow_redirects=False)
    assert refused.status_code == 403
    html = refused.text
    assert f"Please sign in: your decision on story {story_id} was not saved" in html
    assert ("Please add the outcome:\nhow many &lt;b&gt;journal clubs&lt;/b&gt;? It&#39;s the "
            "report&#39;s headline.</textarea>") in html
    assert "Kept private" not in html and "sam@nhs.net" not in html  # signed out: no story
    assert stories.get_story(db, story_id).status == "submitted"
    signed_in = client.post("/login", data={
        "username": "coordinator", "password": PASSWORD, "next": f"/review/{story_id}",
        "keep_note": "yes", "note": NOTE, "csrf_token": csrf(html)}, follow_redirects=False)
    assert signed_in.status_code == 303  # back to the story's own address
    assert signed_in.headers["location"] == f"/review/{story_id}"
    page = client.get(f"/review/{story_id}").text
    assert "Kept private" in page and "Signed in as coordinator." in page
    assert "Your decision was not saved" in page and "submit your decision again" in page
    assert "report&#39;s headline.</textarea>" in page
    assert stories.get_story(db, story_id).status == "submitted"  # not decided by signing in
    done = client.post(f"/review/{story_id}", data={
        "action": "request_changes", "note": NOTE, "csrf_token": csrf(page)},
        follow_redirects=False)
    assert done.status_code == 303
    story = stories.get_story(db, story_id)
    assert story.status == "changes_requested" and story.events[-1].note == NOTE


def test_a_decision_with_a_stale_form_token_keeps_its_note(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                           settings) -> None:
    story_id = _add(db, settings)
    sign_in(client)
    stale = csrf(client.get(f"/review/{story_id}").text)
    sign_in(client)  # signed in again (another tab): a new session, a new form token
    refused = client.post(f"/review/{story_id}", data={
        "action": "reject", "note": NOTE, "csrf_token": stale}, follow_redirects=False)
    assert refused.status_code == 403
    html = refused.text
    assert "your decision was not saved" in html and "submit your decision again" in html
    assert "report&#39;s headline.</textarea>" in html
    assert stories.get_story(db, story_id).status == "submitted"
    for beyond in ("3000000000", "9" * 5000):
        assert client.post(f"/review/{beyond}", data={
            "action": "reject", "note": NOTE, "csrf_token": stale}).status_code == 404
    done = client.post(f"/review/{story_id}", data={
        "action": "reject", "note": NOTE, "csrf_token": csrf(html)}, follow_redirects=False)
    assert done.status_code == 303
    assert stories.get_story(db, story_id).events[-1].note == NOTE


def test_a_decision_after_the_password_changed_keeps_its_note(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                              settings) -> None:
    """A changed password ends the session's sign-in, though its form token is still good."""
    from knowvember.users import set_password

    story_id = _add(db, settings)
    sign_in(client)
    token = csrf(client.get(f"/review/{story_id}").text)
    set_password(db, "coordinator", PASSWORD + " renewed")
    refused = client.post(f"/review/{story_id}", data={
        "action": "reject", "note": NOTE, "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert f"Please sign in: your decision on story {story_id} was not saved" in refused.text
    assert "report&#39;s headline.</textarea>" in refused.text
    assert stories.get_story(db, story_id).status == "submitted"


def test_a_wrong_password_keeps_the_note_being_carried(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                       settings) -> None:
    story_id = _add(db, settings)
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={
        "username": "coordinator", "password": "wrong", "next": f"/review/{story_id}",
        "keep_note": "yes", "note": NOTE, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "report&#39;s headline.</textarea>" in response.text
    assert 'name="keep_note" value="yes"' in response.text


def test_a_sign_in_refused_for_too_many_attempts_keeps_the_note_being_carried(  # type: ignore[no-untyped-def]
        client: TestClient, db, settings, clock: FakeClock) -> None:
    """Five wrong passwords while carrying a note, then the limit: the note is still on the
    page, and signing in once the wait is over brings it to the review form."""
    story_id = _add(db, settings)
    html = client.get("/login").text
    carried = {"username": "coordinator", "next": f"/review/{story_id}", "keep_note": "yes",
               "note": NOTE}
    for _ in range(5):  # login_attempts_per_minute defaults to 5
        html = client.post("/login", data={**carried, "password": "wrong",
                                           "csrf_token": csrf(html)}).text
    limited = client.post("/login", data={**carried, "password": PASSWORD,
                                          "csrf_token": csrf(html)}, follow_redirects=False)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "too many sign-in attempts" in limited.text and "Your note is kept" in limited.text
    assert "report&#39;s headline.</textarea>" in limited.text
    assert 'name="keep_note" value="yes"' in limited.text
    assert stories.get_story(db, story_id).status == "submitted"
    clock.advance(61)  # the wait is over
    signed_in = client.post("/login", data={**carried, "password": PASSWORD,
                                            "csrf_token": csrf(limited.text)},
                            follow_redirects=False)
    assert signed_in.status_code == 303
    assert "report&#39;s headline.</textarea>" in client.get(f"/review/{story_id}").text


def test_missing_story_pages_are_404(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    sign_in(client)
    assert client.get("/review/99999").status_code == 404
    assert client.get("/review/not-a-number").status_code == 404
    story_id = _add(db, settings)
    stories.delete_story(db, story_id, reviewer="c")
    response = client.get(f"/review/{story_id}")
    assert response.status_code == 404 and "Page not found" in response.text


def test_a_story_of_another_campaign_is_not_found(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    """A database shared by two campaigns: the other campaign's story is "Page not found"
    here, shown or decided, as an unknown id is, and its decision is not made."""
    from tests.test_stories import new, other_campaign

    elsewhere, other_settings = other_campaign(db, settings)
    try:
        theirs = new(elsewhere, other_settings).id
        sign_in(client)
        token = csrf(client.get("/review").text)
        for story_id in (theirs, 99999):
            page = client.get(f"/review/{story_id}")
            assert page.status_code == 404 and "Page not found" in page.text
            assert f"There is no story {story_id} in this campaign" in page.text
            for action, note in (("approve", ""), ("reject", "No"),
                                 ("request_changes", "Add outcome")):
                response = client.post(f"/review/{story_id}", data={
                    "action": action, "note": note, "csrf_token": token},
                    follow_redirects=False)
                assert response.status_code == 404
                assert f"There is no story {story_id} in this campaign" in response.text
        assert "Our third round" not in client.get("/review?status=all").text
        kept = stories.get_story(elsewhere, theirs)
        assert kept.status == "submitted"
        assert [e.action for e in kept.events] == ["submitted"]
    finally:
        elsewhere.dispose()


def test_a_pending_story_is_reachable_by_keyboard_order(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    """The queue's links and the decision buttons are real links and buttons, in order."""
    story_id = _add(db, settings)
    sign_in(client)
    html = client.get(f"/review/{story_id}").text
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', html)
    assert buttons == ["approve", "request_changes", "reject"]
    assert 'tabindex="' not in html.split('<main')[1].split('</main>')[0].replace(
        'tabindex="-1"', "")


def test_with_the_shipped_catalogue_and_taxonomy(settings, sqlite_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The real catalogue (NHS trusts) and taxonomy: a name picked from the list resolves."""
    from knowvember.web import create_app

    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    client = TestClient(create_app(settings, sqlite_db))
    html = client.get("/submit").text
    assert '<option value="Nottingham University Hospitals NHS Trust">' in html
    assert 'value="Randomised Coffee Trial"' in html and 'value="Peer Assist"' in html
    response = _post_story(client, organisation="Nottingham University Hospitals NHS Trust",
                           techniques=["Randomised Coffee Trial"],
                           body="We held a knowledge café after our peer assist.")
    assert response.status_code == 303
    story = stories.list_stories(sqlite_db)[0]
    assert story.organisation_code == "RX1"
    assert story.chosen_techniques == ("Randomised Coffee Trial",)
    assert {"Randomised Coffee Trial", "Peer Assist"} <= set(story.techniques)
