"""The public stories page's organisation filter is a list of the organisations with
published stories, not a text box that took only an exact name or code.

Typed into the box, "Leeds" found none of the Leeds Teaching Hospitals stories listed
below it, and the page said only "No published stories match".
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import CATALOGUE, TAXONOMY, review_app


@pytest.fixture
def client(settings, db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(review_app(settings, db, monkeypatch))


def _add(db, settings, title: str, organisation: str | None, *, approve: bool = True,  # type: ignore[no-untyped-def]
         consent: bool = True) -> int:
    fields = {"title": title, "body": "What happened.", "name": "Sam",
              "email": "sam@nhs.net", "consent": consent}
    if organisation:
        fields["organisation"] = organisation
    data = stories.StoryInput.parse(fields, settings)
    story, _ = stories.submit_story(db, settings, data, source="cli",
                                    lookups=stories.Lookups(CATALOGUE, TAXONOMY))
    if approve:
        stories.approve_story(db, story.id, reviewer="Ann")
    return story.id


def _options(html: str) -> list[str]:
    select = re.search(r'<select class="select" id="org" name="org">(.*?)</select>', html, re.S)
    assert select, "no organisation list"
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


def test_the_filter_lists_the_organisations_of_published_stories(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                                 settings) -> None:
    _add(db, settings, "Nottingham story", "RX1")
    _add(db, settings, "Oxford story", "Oxford University Hospitals NHS Foundation Trust")
    _add(db, settings, "A library of our own", "Little Snoring Library")
    _add(db, settings, "Waiting", "RQ6", approve=False)
    _add(db, settings, "Private", "RQ6", consent=False)
    html = client.get("/stories").text
    assert _options(html) == ["All organisations", "Little Snoring Library",
                              "Nottingham University Hospitals NHS Trust",
                              "Oxford University Hospitals NHS Foundation Trust"]
    chosen = client.get("/stories", params={"org": "RTH"}).text
    assert '<option value="RTH" selected>' in chosen
    assert "Oxford story" in chosen and "Nottingham story" not in chosen
    own = client.get("/stories", params={"org": "Little Snoring Library"}).text
    assert "A library of our own" in own and "Oxford story" not in own


def test_a_filter_from_the_address_stays_chosen(client: TestClient, db, settings) -> None:  # type: ignore[no-untyped-def]
    _add(db, settings, "Nottingham story", "RX1")
    html = client.get("/stories", params={"org": "ZZZ"}).text
    assert '<option value="ZZZ" selected>ZZZ</option>' in html
    assert "No published stories match" in html


def test_no_list_before_anything_is_published(client: TestClient) -> None:
    assert 'id="org"' not in client.get("/stories").text
