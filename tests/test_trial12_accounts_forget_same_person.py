"""`forget` by any handle a person has had takes every stored account of that person: the
old end of a Mastodon move (whose posts are stored under the account moved to), the new end
(whose old profile stayed), and an account named by the handle it had before a rename."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember.models import Account, ForgottenAccount, Post
from tests.fakeapi import (
    mastodon_account,
    mastodon_id,
    mastodon_status,
    x_id,
    x_page,
    x_tweet,
    x_user,
)

OLD, NEW = "https://old.social", "https://nhs.social"
AT = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)
EARLY = dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2019, 11, 20, 9, 0, tzinfo=dt.UTC)


def _statuses() -> list[dict[str, object]]:
    """lks posted from old.social, then moved to nhs.social; cafe is someone else."""
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


def _stored(campaign_dir: Path) -> tuple[set[str], int, int]:
    """Stored handles, posts, forgotten-list entries."""
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            handles = set(conn.execute(sa.select(Account.handle)).scalars())
            posts = conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar_one()
            digests = conn.execute(
                sa.select(sa.func.count()).select_from(ForgottenAccount)).scalar_one()
    finally:
        db.dispose()
    return handles, posts, digests


def _run(cli: Callable[..., object], *args: str) -> object:
    result = cli(*args)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return result


def test_forgetting_the_handle_a_mastodon_account_moved_from_takes_both(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "statuses.json"
    path.write_bytes(orjson.dumps(_statuses()))
    _run(cli, "import", "mastodon", str(path))
    dry = _run(cli, "forget", "mastodon:@lks@old.social", "--dry-run", "--format", "json")
    found = json.loads(dry.stdout)  # type: ignore[attr-defined]
    # Every post of the person: the old account's are stored under the account moved to.
    assert found["accounts"] == 2 and found["posts"] == 3
    assert found["same_person"] == [{"account": "mastodon:@lks@nhs.social", "link": "moved"}]
    forgot = _run(cli, "forget", "mastodon:@lks@old.social", "--yes")
    assert "mastodon:@lks@nhs.social (the other end of a Mastodon move)" in forgot.stdout  # type: ignore[attr-defined]
    handles, posts, _ = _stored(campaign_dir)
    assert handles == {"@cafe@nhs.social"} and posts == 1
    # The new account's posts are not collected again either.
    (campaign_dir / "again.json").write_bytes(orjson.dumps(_statuses()[:1]))
    _run(cli, "import", "mastodon", str(campaign_dir / "again.json"))
    handles, posts, _ = _stored(campaign_dir)
    assert handles == {"@cafe@nhs.social"} and posts == 1


def test_forgetting_the_account_moved_to_erases_the_old_profile_too(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "statuses.json"
    path.write_bytes(orjson.dumps(_statuses()))
    _run(cli, "import", "mastodon", str(path))
    _run(cli, "forget", "mastodon:@lks@nhs.social", "--yes")
    handles, posts, _ = _stored(campaign_dir)
    assert handles == {"@cafe@nhs.social"} and posts == 1  # no @lks@old.social profile left


def _x_file(path: Path, when: dt.datetime, person: str, text: str) -> Path:
    page = x_page([x_tweet(x_id(when), text, "222", when),
                   x_tweet(x_id(when, 1), "Thanks @Jo_Library for the cafe #KNOWvember19",
                           "333", when)],
                  [x_user("222", person, name="Jo Bloggs"),
                   x_user("333", "ward_team", name="Ward Team")])
    path.write_bytes(orjson.dumps(page) + b"\n")
    return path


def test_forgetting_a_handle_an_x_account_had_before_a_rename_takes_the_account(
        write_config, campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config('[leaderboard]\nexclude_accounts = ["x:@Jo_Library"]\n')
    _run(cli, "import", "twarc2", str(_x_file(campaign_dir / "a.jsonl", EARLY, "Jo_Library",
                                               "Journal club #KNOWvember19")))
    _run(cli, "import", "twarc2", str(_x_file(campaign_dir / "b.jsonl", LATE, "Jo_Evidence",
                                               "Evidence search #KNOWvember19")))
    forgot = _run(cli, "forget", "x:@Jo_Library", "--yes", "--format", "json")
    report = json.loads(forgot.stdout)  # type: ignore[attr-defined]
    assert report["accounts"] == 1 and report["posts"] == 2
    assert report["same_person"] == [{"account": "x:@jo_evidence", "link": "renamed"}]
    handles, posts, _ = _stored(campaign_dir)
    assert handles == {"@ward_team"} and posts == 2


def test_campaign_toml_is_named_when_it_names_the_account_by_its_old_handle(
        write_config, campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config('[leaderboard]\nexclude_accounts = ["x:@Jo_Library"]\n')
    _run(cli, "import", "twarc2", str(_x_file(campaign_dir / "a.jsonl", EARLY, "Jo_Library",
                                               "Journal club #KNOWvember19")))
    _run(cli, "import", "twarc2", str(_x_file(campaign_dir / "b.jsonl", LATE, "Jo_Evidence",
                                               "Evidence search #KNOWvember19")))
    forgot = _run(cli, "forget", "x:@Jo_Evidence", "--yes")
    assert "leaderboard.exclude_accounts" in forgot.stderr  # type: ignore[attr-defined]
    from knowvember.config import load_settings
    from knowvember.db import open_database
    from knowvember.privacy import REDACTED, digest

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            digests = set(conn.execute(sa.select(ForgottenAccount.digest)).scalars())
            texts = list(conn.execute(sa.select(Post.text)).scalars())
    finally:
        db.dispose()
    # A sheet keyed by the old handle (TAGS without usable ids) does not bring it back.
    assert digest("x", "handle", "@jo_library") in digests
    # Others' posts from before the rename no longer name the person by the old handle.
    assert texts and all("Jo_Library" not in t and REDACTED in t for t in texts)


def test_forgetting_by_the_profile_address_of_a_server_serving_another_domain(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """`@lks@nhs.uk` served from social.nhs.uk: its profile address names the server's
    actor (the account's key), not its handle; forget took it for `@lks@social.nhs.uk`,
    erased nothing, and said the account was on the forgotten list."""
    home = "https://social.nhs.uk"
    person = mastodon_account("lks", home, acct="lks@nhs.uk")
    status = mastodon_status(mastodon_id(AT), home, 1, "<p>Peer assist #KNOWvember19</p>",
                             ["KNOWvember19"], person, AT)
    (campaign_dir / "s.json").write_bytes(orjson.dumps([status]))
    _run(cli, "import", "mastodon", str(campaign_dir / "s.json"))
    forgot = _run(cli, "forget", f"{home}/@lks", "--yes", "--format", "json")
    assert json.loads(forgot.stdout)["posts"] == 1  # type: ignore[attr-defined]
    handles, posts, _ = _stored(campaign_dir)
    assert handles == set() and posts == 0
