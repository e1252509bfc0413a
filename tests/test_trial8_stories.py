"""Found in the eighth new-user trial of stories, review, users and the web app: what a
coordinator and a submitter ran into, each fixed with the behaviour it should have."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from knowvember.retag import note_tagging
from knowvember.techniques import Taxonomy
from tests.web_support import (
    CATALOGUE,
    SECRET,
    TAXONOMY,
    add_coordinator,
    cheap_hashing,
    sign_in,
)

LOOKUPS = stories.Lookups(CATALOGUE, TAXONOMY)


@pytest.fixture
def client(settings, sqlite_db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return TestClient(create_app(settings, sqlite_db, catalogue=CATALOGUE, taxonomy=TAXONOMY))


def _submit(settings, db, **fields: object) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "Our Peer Assist", "body": "A Peer Assist.",
                                     "name": "Siobhán", "email": "s@nhs.net",
                                     "consent": True, "organisation": "RX1", **fields},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, lookups=LOOKUPS)
    return story.id


# -- the dashboard warns, as `summary` does, when the stored tags are other rules' ---------


@pytest.mark.parametrize("path", ["/dashboard", "/orgs/RX1"])
def test_dashboard_warns_when_stored_technique_tags_are_stale(
    client: TestClient, settings, sqlite_db, path: str  # type: ignore[no-untyped-def]
) -> None:
    """Stories tagged by the shipped rules, the app run with other rules (a campaign.toml
    [techniques] edit, or a new release): the technique counts mix the two."""
    note_tagging(sqlite_db, Taxonomy.load())  # the first writer's rules are recorded
    _submit(settings, sqlite_db)
    sign_in(client)
    page = client.get(path).text
    assert "Technique numbers may be out of date" in page
    assert "knowvember techniques retag" in page


@pytest.mark.parametrize("path", ["/dashboard", "/orgs/RX1"])
def test_dashboard_says_nothing_of_tags_made_by_the_current_rules(
    client: TestClient, settings, sqlite_db, path: str  # type: ignore[no-untyped-def]
) -> None:
    note_tagging(sqlite_db, TAXONOMY)
    _submit(settings, sqlite_db)
    sign_in(client)
    page = client.get(path).text
    assert "out of date" not in page and "retag" not in page
