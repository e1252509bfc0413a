"""A story in the web queue from a submitter whose earlier story waits for changes says so.

A coordinator asked for changes; the submitter, not knowing how else, sent the story again
through the form. The new story came into the queue with nothing to tell it answers the
request, and the one sent back waited for changes for ever. Its review page now names the
story waiting, with a link.
"""

from __future__ import annotations

from fastapi.testclient import TestClient


def _story(db, settings, title: str, email: str):  # type: ignore[no-untyped-def]
    from knowvember import stories

    data = stories.StoryInput.parse({"title": title, "body": "We met.", "name": "Jo Bloggs",
                                     "email": email, "consent": True}, settings)
    return stories.submit_story(db, settings, data, source="web")[0].id


def test_the_review_page_names_the_submitters_story_waiting(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember import stories
    from tests.web_support import review_app, sign_in

    first = _story(db, settings, "Peer assist", "jo.bloggs@nhs.net")
    stories.request_changes(db, first, reviewer="Ann", note="Please add the outcome")
    again = _story(db, settings, "Peer assist before go-live", "Jo.Bloggs@NHS.net")
    other = _story(db, settings, "Journal club", "sam@nhs.net")
    client = TestClient(review_app(settings, db, monkeypatch, "coordinator"))
    sign_in(client)
    page = client.get(f"/review/{again}").text
    assert f'<a href="/review/{first}">story {first}</a> (&ldquo;Peer assist&rdquo;)' in page
    assert "waiting for the changes asked for" in page
    for unrelated in (other, first):
        assert "waiting for the changes asked for" not in client.get(
            f"/review/{unrelated}").text
