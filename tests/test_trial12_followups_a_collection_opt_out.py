"""`exclude_from_collection` drops every account the reports leave out, by the same names.

An opt-out written as the Mastodon profile address of an account whose handle is on another
domain than its server (`@lks@nhs.uk`, served by social.nhs.uk) was read, for collection,
as the handle `@lks@social.nhs.uk`, which no account has: its posts were still imported
and stored, although every report left them out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROWS = "\n".join([
    "platform,id,author_handle,author_name,created_at,text",
    "mastodon,https://social.nhs.uk/users/lks/statuses/109000000000000001,@lks@nhs.uk,"
    "NHS Library and Knowledge Services,2019-11-03 09:30:00,"
    "Our #KNOWvember19 evidence search drop-in starts today",
    "mastodon,https://nhs.social/users/ward7lib/statuses/109000000000000002,"
    "@ward7lib@nhs.social,Ward 7 Library,2019-11-03 10:30:00,Journal club on the ward "
    "#KNOWvember19",
    "",
])


def _import(write_config: Any, cli: Any, campaign_dir: Path, ref: str) -> dict[str, Any]:
    write_config(f'[leaderboard]\nexclude_accounts = ["{ref}"]\n'
                 "exclude_from_collection = true\n")
    (campaign_dir / "posts.csv").write_text(ROWS, encoding="utf-8")
    result = cli("import", "csv", "posts.csv", "--format", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    return runs[0] if isinstance(runs, list) else runs["runs"][0]  # type: ignore[no-any-return]


def test_an_opt_out_by_profile_address_on_another_domain_is_not_collected(
        write_config: Any, cli: Any, campaign_dir: Path) -> None:
    run = _import(write_config, cli, campaign_dir, "mastodon:https://social.nhs.uk/@lks")
    assert run["new"] == 1
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            handles = [r[0] for r in conn.exec_driver_sql("SELECT handle FROM accounts")]
            posts = conn.exec_driver_sql("SELECT count(*) FROM posts").scalar()
    finally:
        db.dispose()
    assert posts == 1
    assert "@lks@nhs.uk" not in handles


def test_an_opt_out_by_the_actor_address_is_not_collected(
        write_config: Any, cli: Any, campaign_dir: Path) -> None:
    run = _import(write_config, cli, campaign_dir, "mastodon:https://social.nhs.uk/users/lks")
    assert run["new"] == 1

