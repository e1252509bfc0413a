"""A Mastodon account that moved to another instance (its account JSON has `moved`) is one
person: the posts of both accounts count for the account moved to, none is lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember.models import Account, Post
from tests.fakeapi import mastodon_account, mastodon_id, mastodon_status

OLD, NEW = "https://old.social", "https://nhs.social"
AT = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)


def _statuses() -> list[dict[str, object]]:
    new = mastodon_account("lks", NEW, acct="lks@nhs.social", note="UHL library")
    old = mastodon_account("lks", OLD, acct="lks@old.social", note="UHL library")
    old["moved"] = new
    other = mastodon_account("cafe", NEW, acct="cafe@nhs.social", local_id="3")
    return [
        mastodon_status(mastodon_id(AT + dt.timedelta(days=9)), NEW, 9,
                        "<p>Knowledge cafe #KNOWvember19</p>", ["KNOWvember19"], new,
                        AT + dt.timedelta(days=9)),
        mastodon_status(mastodon_id(AT + dt.timedelta(days=5)), NEW, 5,
                        "<p>Coffee trial #KNOWvember19</p>", ["KNOWvember19"], other,
                        AT + dt.timedelta(days=5)),
        mastodon_status(mastodon_id(AT), OLD, 1, "<p>Peer assist #KNOWvember19</p>",
                        ["KNOWvember19"], old, AT),
        mastodon_status(mastodon_id(AT, 1), OLD, 2, "<p>Retrospect #KNOWvember19</p>",
                        ["KNOWvember19"], old, AT + dt.timedelta(hours=1)),
    ]


def _summary(cli) -> dict[str, object]:  # type: ignore[no-untyped-def]
    result = cli("summary", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_moved_account_and_its_new_one_are_one_contributor(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "statuses.json"
    path.write_bytes(orjson.dumps(_statuses()))
    result = cli("import", "mastodon", str(path))
    assert result.exit_code == 0, result.output
    summary = _summary(cli)
    assert summary["posts"] == 4
    assert summary["contributors"] == 2  # lks (both instances) and cafe
    board = cli("leaderboard", "--by", "contributor", "--format", "json")
    assert board.exit_code == 0, board.output
    rows = json.loads(board.stdout)
    assert len(rows) == 2
    assert json.dumps(rows[0]).count("@lks@nhs.social") >= 1
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            accounts = dict(conn.execute(sa.select(Account.handle, Account.id)).all())
            moved = dict(conn.execute(sa.select(Account.handle, Account.moved_to_id)).all())
            authors = conn.execute(sa.select(Post.account_id)).scalars().all()
        # Both accounts kept, the old one linked to the new; every post kept.
        assert set(accounts) == {"@lks@old.social", "@lks@nhs.social", "@cafe@nhs.social"}
        assert moved["@lks@old.social"] == accounts["@lks@nhs.social"]
        assert sorted(authors) == sorted([accounts["@lks@nhs.social"]] * 3
                                         + [accounts["@cafe@nhs.social"]])
    finally:
        db.dispose()


def test_posts_stored_before_the_move_was_known_join_the_new_account(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    statuses = _statuses()
    before = [json.loads(json.dumps(s)) for s in statuses[2:]]
    for status in before:
        del status["account"]["moved"]
    (campaign_dir / "a.json").write_bytes(orjson.dumps(before))
    assert cli("import", "mastodon", str(campaign_dir / "a.json")).exit_code == 0
    assert _summary(cli)["contributors"] == 1
    (campaign_dir / "b.json").write_bytes(orjson.dumps(statuses[:1]))
    assert cli("import", "mastodon", str(campaign_dir / "b.json")).exit_code == 0
    assert _summary(cli)["contributors"] == 2  # not known to be one person yet
    # A later copy of an old post shows the move: the old account's posts join the new.
    (campaign_dir / "c.json").write_bytes(orjson.dumps(statuses[2:3]))
    assert cli("import", "mastodon", str(campaign_dir / "c.json")).exit_code == 0
    summary = _summary(cli)
    assert summary["contributors"] == 1 and summary["posts"] == 3


def test_after_the_account_moved_to_is_forgotten_neither_account_comes_back(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "statuses.json"
    path.write_bytes(orjson.dumps(_statuses()))
    assert cli("import", "mastodon", str(path)).exit_code == 0
    forgot = cli("forget", "mastodon:@lks@nhs.social", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert _summary(cli)["posts"] == 1  # the person's posts from both accounts are gone
    # A later copy of an old post still names the move, to an account no longer stored.
    (campaign_dir / "again.json").write_bytes(orjson.dumps(_statuses()[2:3]))
    again = cli("import", "mastodon", str(campaign_dir / "again.json"))
    assert again.exit_code == 0, again.output
    # The person is forgotten: neither the old account's post nor the new profile returns.
    assert _summary(cli)["posts"] == 1
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            handles = set(conn.execute(sa.select(Account.handle)).scalars())
    finally:
        db.dispose()
    assert "@lks@nhs.social" not in handles


def test_the_move_is_linked_on_either_database(db) -> None:  # type: ignore[no-untyped-def]
    from collectors.mastodon_payload import from_statuses
    from knowvember.hashtags import CampaignTags
    from knowvember.store import PostWriter

    writer = PostWriter(db, CampaignTags(["knowvember19"]), source="mastodon")
    statuses = _statuses()
    for page in (statuses[:2], statuses[2:]):  # the new account first, then the old
        writer.write(*from_statuses(page))
    with db.begin() as conn:
        ids = dict(conn.execute(sa.select(Account.handle, Account.id)).all())
        authors = sorted(conn.execute(sa.select(Post.account_id)).scalars())
    assert authors == sorted([ids["@lks@nhs.social"]] * 3 + [ids["@cafe@nhs.social"]])
