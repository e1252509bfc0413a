"""The seventh new-user trial: posts.csv does not print an opted-out person's words on the
row of whoever reposted them.

A repost is a copy of its original ("RT @optedout_nurse: Our ward did a storytelling
session..."; a Bluesky repost or a Mastodon boost carries the original's text), and
posts.csv printed it, handle and all, on the reposter's row: the person had opted out of
every file the report writes. Such a row keeps its numbers (the repost is the reposter's
activity) without the text, whether the original is stored or, for an X retweet, only
named by its "RT @handle:"; the same holds for a person who asked not to be shown publicly.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

SKY = "at://did:plc:optedoutxxxxxxxxxxxxxxxx/app.bsky.feed.post/3kabc"
OPT_OUTS = ('[leaderboard]\nexclude_accounts = ["x:@optedout_nurse", '
            '"bluesky:quiet.bsky.social"]\n')
ROWS = (
    "platform,id,author_handle,created_at,text,kind,referenced_id,likes\n"
    "x,7,@optedout_nurse,2019-11-04T13:00:00Z,Our ward did a storytelling session "
    "#KNOWvember19,original,,3\n"
    "x,20,@zoe,2019-11-05T10:00:00Z,RT @optedout_nurse: Our ward did a storytelling session "
    "#KNOWvember19,repost,7,3\n"
    # The original not stored: known by the handle the retweet names (any case).
    "x,21,@zoe,2019-11-05T11:00:00Z,RT @OptedOut_Nurse: Thank you all #KNOWvember19,repost,,1\n"
    # Another account, whose handle the pattern must not take for the opted-out one's.
    "x,22,@zoe,2019-11-05T12:00:00Z,RT @optedoutxnurse: Library week #KNOWvember19,repost,,1\n"
    f"bluesky,{SKY},quiet.bsky.social,2019-11-06T09:00:00Z,Our quiet team #KNOWvember19,"
    "original,,2\n"
    "bluesky,at://did:plc:zoezoezoezoezoezoezoezo/app.bsky.feed.post/3kdef,zoe.bsky.social,"
    f"2019-11-06T10:00:00Z,Our quiet team #KNOWvember19,repost,{SKY},2\n"
    "x,23,@zoe,2019-11-07T10:00:00Z,RT @mftlib: Knowledge Café #KNOWvember19,repost,,1\n"
)


def test_reposts_of_opted_out_posts_keep_their_numbers_without_the_text(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli,
        db_url: str) -> None:
    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    write_config(OPT_OUTS)
    (campaign_dir / "in.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "in.csv", env=env).exit_code == 0
    result = cli("report", "--format", "xlsx", env=env)
    assert result.exit_code == 0, result.stderr
    raw = (campaign_dir / "report" / "posts.csv").read_text(encoding="utf-8-sig")
    assert "storytelling" not in raw and "optedout_nurse" not in raw.lower()
    assert "Our quiet team" not in raw and "quiet.bsky" not in raw
    rows = {r["platform_id"]: r for r in csv.DictReader(raw.splitlines())}
    # Their own posts are left out; the reposts stay, counted, with no text.
    assert "7" not in rows and SKY not in rows
    for pid in ("20", "21"):
        assert rows[pid]["account"] == "x:@zoe"
        assert rows[pid]["kind"] == "repost" and rows[pid]["text"] == ""
    (sky_repost,) = [r for r in rows.values() if r["platform"] == "bluesky"]
    assert sky_repost["account"] == "bluesky:zoe.bsky.social" and sky_repost["text"] == ""
    assert rows["22"]["text"] == "RT @optedoutxnurse: Library week #KNOWvember19"
    assert rows["23"]["text"] == "RT @mftlib: Knowledge Café #KNOWvember19"
