"""A link typed as an address bar shows it (www.england.nhs.uk/...) is refused with how to
write it, not only "not an http(s) link", which a librarian could not act on."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import CATALOGUE, SECRET, TAXONOMY, cheap_hashing, csrf


def _links_problem(settings, links: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(stories.StoryValidationError) as caught:
        stories.StoryInput.parse({"title": "t", "body": "b", "name": "n",
                                  "email": "n@nhs.net", "consent": True, "links": links},
                                 settings)
    return caught.value.errors["links"]


def test_a_link_without_https_says_how_to_write_it(settings) -> None:  # type: ignore[no-untyped-def]
    problem = _links_problem(settings, "https://example.org/a\nwww.england.nhs.uk/km?x=1")
    assert problem == ("'www.england.nhs.uk/km?x=1' is not an http(s) link: start it with "
                       "https:// (https://www.england.nhs.uk/km?x=1)")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "mailto:jo@nhs.net", "ftp://x.org",
                                  "slides"])
def test_other_text_is_told_what_a_link_starts_with(settings, link: str) -> None:  # type: ignore[no-untyped-def]
    problem = _links_problem(settings, link)
    assert problem.endswith("is not an http(s) link: it must start with https:// or http://")


def test_the_web_form_shows_the_hint_by_the_field(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    client = TestClient(create_app(settings, db, catalogue=CATALOGUE, taxonomy=TAXONOMY))
    token = csrf(client.get("/submit").text)
    page = client.post("/submit", data={"csrf_token": token, "title": "t", "body": "b",
                                        "name": "Jo", "email": "jo@nhs.net", "consent": "yes",
                                        "links": "www.nhs.uk/km"})
    assert page.status_code == 400
    assert "start it with https:// (https://www.nhs.uk/km)" in page.text
    assert stories.list_stories(db) == []
