"""X refusing the bearer token part-way through a campaign (it was regenerated in the
developer portal, which ends the old one at once): the message said only "check the token",
not what was wrong with a token that had worked, nor where to get the new one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import stored_posts as stored
from tests.fakeapi import X_TOKEN, FakeAPI
from tests.test_collect_x import KNOW_CAMPAIGN, hooks, know_api, run, setup


def test_a_token_refused_after_the_first_page_says_what_to_do(tmp_path: Path) -> None:
    with FakeAPI().load_fixtures() as api:
        know_api(api, 250)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
        api.fail("/2/tweets/search", 401, after=1)
        record = run(settings, db, hooks())
        kept = len(stored(db))
        db.dispose()
    assert record.status == "partial" and kept == 100  # the first page is kept
    error = record.error or ""
    assert "X refused the bearer token in $KNOWVEMBER_X_BEARER_TOKEN (401 Unauthorized)" in error
    assert "regenerated or revoked in the developer portal" in error
    assert "Keys and tokens" in error
    assert X_TOKEN not in json.dumps(record.to_json())
