"""`stories list --status all` (and `stories trail --status all`) lists every story.

The web app's review filter offers "All" (`?status=all`), and a coordinator typed the same
on the command line: "Error: unknown status 'all'". A status in capitals ("Approved", as
the web page shows it) was refused too.
"""

from __future__ import annotations

import json


def test_all_and_capitals(cli, campaign_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    for title in ("One", "Two"):
        assert cli("stories", "submit", "--title", title, "--body", "We met.", "--name", "Zoë",
                   "--email", "zoe@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "approve", "1").exit_code == 0
    listed = cli("stories", "list", "--status", "all", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)] == [1, 2]
    approved = json.loads(cli("stories", "list", "--status", "Approved", "--format",
                              "json").stdout)
    assert [s["id"] for s in approved] == [1]
    trail = json.loads(cli("stories", "trail", "--status", "all", "--format", "json").stdout)
    assert len(trail) == 3
    wrong = cli("stories", "list", "--status", "published")
    assert wrong.exit_code != 0 and "unknown status 'published'" in wrong.stderr
