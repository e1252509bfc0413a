"""A renamed account (an X username change under the same user id, a Bluesky handle change
under the same DID) is still the account campaign.toml names by its old handle: its
organisation mapping and its opt-out outlast the rename (accounts.former_handles)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember.attribution import opted_out_accounts
from knowvember.models import Account
from tests.fakeapi import bluesky_post, x_id, x_page, x_tweet, x_user

EARLY = dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2019, 11, 20, 9, 0, tzinfo=dt.UTC)
CONFIG = """
[[organisations]]
code = "RWE"
accounts = ["x:@UHL_Library"]

[leaderboard]
exclude_accounts = ["x:@Opted_Out", "bluesky:opted.bsky.social"]
"""


def _x_file(path: Path, when: dt.datetime, library: str, person: str) -> Path:
    page = x_page([x_tweet(x_id(when), "Peer assist #KNOWvember19", "111", when),
                   x_tweet(x_id(when, 1), "Coffee trial #KNOWvember19", "222", when)],
                  [x_user("111", library, name="Clinical librarians"),
                   x_user("222", person, name="Some One")])
    path.write_bytes(orjson.dumps(page) + b"\n")
    return path


def _board(cli: Callable[..., object]) -> list[dict[str, object]]:
    result = cli("leaderboard", "--by", "contributor", "--format", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined, no-any-return]


def _attributions(cli: Callable[..., object]) -> dict[str, str]:
    shown = cli("orgs", "show", "RWE", "--format", "json")
    assert shown.exit_code == 0, shown.output  # type: ignore[attr-defined]
    return {a["account"]: a["attribution"]
            for a in json.loads(shown.stdout)["accounts"]}  # type: ignore[attr-defined]


def _import(cli: Callable[..., object], fmt: str, path: Path) -> None:
    result = cli("import", fmt, str(path))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


def test_an_x_rename_keeps_the_mapping_and_the_opt_out(write_config, cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    write_config(CONFIG)
    _import(cli, "twarc2", _x_file(campaign_dir / "a.jsonl", EARLY, "UHL_Library", "Opted_Out"))
    _import(cli, "twarc2", _x_file(campaign_dir / "b.jsonl", LATE, "UHL_Knowledge",
                                   "Opted_Out_Now"))
    rows = {row["account"]: row["organisation_code"] for row in _board(cli)}
    assert rows["x:@uhl_knowledge"] == "RWE"  # the mapping outlasts the rename
    unmatched = cli("orgs", "unmatched", "--format", "json")
    assert unmatched.exit_code == 0 and "opted_out" not in unmatched.stdout  # so does the opt-out
    assert _attributions(cli) == {"x:@uhl_knowledge": "config"}
    # The old handle still names the account, and the mapping still outranks a choice.
    refused = cli("orgs", "assign", "x:@UHL_Library", "RBS")
    assert refused.exit_code == 7
    assert "by the handle it had before, x:@uhl_library" in refused.output
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            former = dict(conn.execute(sa.select(Account.handle, Account.former_handles)).all())
            ids, unmatched_refs = opted_out_accounts(conn, ["x:@Opted_Out"])
            assert conn.execute(sa.select(Account.handle).where(Account.id.in_(ids))
                                ).scalars().all() == ["@opted_out_now"] and not unmatched_refs
    finally:
        db.dispose()
    assert former == {"@uhl_knowledge": ["@uhl_library"], "@opted_out_now": ["@opted_out"]}


def test_a_handle_passed_on_names_its_new_holder(write_config, cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    write_config(CONFIG)
    _import(cli, "twarc2", _x_file(campaign_dir / "a.jsonl", EARLY, "UHL_Library", "Someone"))
    _import(cli, "twarc2", _x_file(campaign_dir / "b.jsonl", LATE, "UHL_Knowledge", "Someone"))
    # Another account takes the old handle: the mapping names it now, not the renamed one.
    later = LATE + dt.timedelta(days=2)
    page = x_page([x_tweet(x_id(later), "Our first retrospect #KNOWvember19", "333", later)],
                  [x_user("333", "UHL_Library", name="Someone else")])
    (campaign_dir / "c.jsonl").write_bytes(orjson.dumps(page) + b"\n")
    _import(cli, "twarc2", campaign_dir / "c.jsonl")
    assert _attributions(cli) == {"x:@uhl_library": "config", "x:@uhl_knowledge": "auto"}


def test_a_bluesky_handle_change_keeps_an_opt_out_from_collection(
        write_config, cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    did = "did:plc:z72i7hdynmk6r22z27h6tvur"
    for name, when, handle in (("a", EARLY, "opted.bsky.social"), ("b", LATE, "opted.nhs.uk")):
        # The person asks to be left out after the first import; then changes handle.
        write_config(CONFIG + ("exclude_from_collection = true\n" if name == "b" else ""))
        posts = [bluesky_post(f"3k{name}", did, handle, "Knowledge cafe #KNOWvember19", when),
                 bluesky_post(f"3m{name}", "did:plc:other", "stays.bsky.social",
                              "Peer assist #KNOWvember19", when)]
        (campaign_dir / f"{name}.json").write_bytes(orjson.dumps({"posts": posts}))
        _import(cli, "bluesky", campaign_dir / f"{name}.json")
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        with db.begin() as conn:
            stored = sorted(conn.exec_driver_sql("SELECT platform_id FROM posts").scalars())
    finally:
        db.dispose()
    assert stored == sorted([f"at://{did}/app.bsky.feed.post/3ka",  # before the opt-out
                             "at://did:plc:other/app.bsky.feed.post/3ma",
                             "at://did:plc:other/app.bsky.feed.post/3mb"])


def test_an_older_archive_with_the_old_handle_lets_the_old_mapping_apply(
        write_config, cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    write_config(CONFIG)
    # The newer data first (the account as it is now), then last year's archive.
    _import(cli, "twarc2", _x_file(campaign_dir / "b.jsonl", LATE, "UHL_Knowledge", "Someone"))
    _import(cli, "twarc2", _x_file(campaign_dir / "a.jsonl", EARLY, "UHL_Library", "Someone"))
    assert _attributions(cli) == {"x:@uhl_knowledge": "config"}


def test_a_tags_sheet_from_before_a_rename_joins_the_renamed_account(
        write_config, cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.test_import_files import TAGS_HEADER, tags_row, write_csv

    write_config(CONFIG)
    _import(cli, "twarc2", _x_file(campaign_dir / "a.jsonl", EARLY, "UHL_Library", "Someone"))
    _import(cli, "twarc2", _x_file(campaign_dir / "b.jsonl", LATE, "UHL_Knowledge", "Someone"))
    # The sheet's rows name the old handle, with an id Excel cut to 15 digits: keyed by
    # handle, they belong to the account renamed from it, not to a second contributor.
    sheet = write_csv(campaign_dir / "tags.csv", TAGS_HEADER, [tags_row(
        "1191672311587868672", "UHL_Library", "Knowledge cafe today #KNOWvember19",
        from_user_id_str="1191672311587870000")])
    _import(cli, "tags", sheet)
    contributors = {row["account"] for row in _board(cli)}
    assert contributors == {"x:@uhl_knowledge", "x:@someone"}
