"""The tenth session's trial: a Bluesky account that asks not to be shown to the public.

Bluesky's self-label `!no-unauthenticated` ("discourage apps from showing my account to
users who are not signed in") comes with every post view of its author. A published report
is read by people who are not signed in, so its posts are counted but never quoted, and
the account is never named.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from reports.scope import asks_unlisted

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "RWE"
accounts = ["bluesky:quiet.bsky.social", "bluesky:open.bsky.social"]
"""


def _label(neg: bool = False) -> dict[str, Any]:
    return {"src": "did:plc:quiet", "uri": "at://did:plc:quiet/app.bsky.actor.profile/self",
            "cid": "bafyreih5nj6bwgitw2z7467zbdqsfk3ilfn6npp7o5f6ec3wkquauzghou",
            "val": "!no-unauthenticated", "cts": "1970-01-01T00:00:00.000Z", "neg": neg}


def _view(n: int, handle: str, did: str, labels: list[dict[str, Any]], text: str,
          likes: int) -> dict[str, Any]:
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3kghnlgjhwg2{n}", "cid": f"bafyrei{n}",
        "author": {"did": did, "handle": handle, "displayName": f"{handle[:5]} Library",
                   "labels": labels},
        "record": {"$type": "app.bsky.feed.post", "text": text,
                   "createdAt": f"2019-11-0{n}T10:00:00.000Z", "langs": ["en"]},
        "replyCount": 0, "repostCount": 0, "likeCount": likes, "quoteCount": 0,
        "indexedAt": f"2019-11-0{n}T10:00:01.000Z", "labels": []}


def _import(campaign_dir: Path, cli: Cli, labels: list[dict[str, Any]]) -> None:
    posts = [_view(1, "quiet.bsky.social", "did:plc:quiet", labels,
                   "#KNOWvember19 our ward's peer assist, shared with my followers only", 99),
             _view(2, "open.bsky.social", "did:plc:open", [],
                   "#KNOWvember19 a knowledge café for everyone", 3)]
    (campaign_dir / "page.json").write_text(json.dumps({"posts": posts}), encoding="utf-8")
    result = cli("import", "bluesky", "page.json")
    assert result.exit_code == 0, result.stderr


def _published_text(folder: Path) -> str:
    texts = [p.read_text(encoding="utf-8") for p in
             (folder / "report.html", folder / "report.md", folder / "posts.csv",
              *sorted((folder / "orgs").glob("*.html")))]
    workbook = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            texts.append(" ".join(str(v) for v in row if v is not None))
    return "\n".join(texts)


def test_a_post_of_an_account_asking_not_to_be_shown_publicly_is_counted_not_shown(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The report quoted the post as its most engaging, named the account in the top
    contributors and the organisation's page, and posts.csv held its text and link."""
    write_config(ORGS)
    _import(campaign_dir, cli, [_label()])
    result = cli("report", "--per-org", "--format", "html,md,xlsx")
    assert result.exit_code == 0, result.stderr
    published = _published_text(campaign_dir / "report")
    assert "peer assist, shared with my followers" not in published
    assert "quiet.bsky.social" not in published
    assert "did:plc:quiet" not in published
    assert "quiet Library" not in published
    assert "a knowledge café for everyone" in published
    assert "open.bsky.social" in published
    assert "(a Bluesky account that asks not to be shown publicly)" in published
    # Still counted: two posts, two contributors, its likes in the engagement.
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert (summary["posts"], summary["contributors"], summary["engagement"]) == (2, 2, 102)
    rows = (campaign_dir / "report" / "posts.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3
    # The workbook's posts sheet says why it lists one of the two posts.
    sheet = openpyxl.load_workbook(campaign_dir / "report" / "report.xlsx")["posts"]
    notes = [row[14] for row in sheet.iter_rows(values_only=True) if row[0] is None]
    assert notes == ["Every original post, reply and quote but 1 by accounts that ask not to "
                     "be shown publicly; all posts are in posts.csv."]


def test_a_withdrawn_label_shows_the_account_again(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """A label followed by its negation (`neg: true`) no longer asks anything."""
    write_config(ORGS)
    _import(campaign_dir, cli, [_label(), _label(neg=True)])
    assert cli("report", "--format", "html").exit_code == 0
    page = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "peer assist, shared with my followers only" in page


def test_asks_unlisted_reads_only_the_label() -> None:
    assert asks_unlisted(json.dumps({"did": "d", "labels": [_label()]}))
    assert not asks_unlisted(json.dumps({"did": "d", "labels": []}))
    assert not asks_unlisted(json.dumps({"description": "!no-unauthenticated"}))
    assert not asks_unlisted("not json")
    assert not asks_unlisted(None)
    assert not asks_unlisted(json.dumps({"labels": "!no-unauthenticated"}))


def test_posts_csv_leaves_the_account_out_on_both_databases(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli, db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """posts.csv is SQL of each database's own (SQLite and PostgreSQL)."""
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", db_url)
    write_config(ORGS)
    _import(campaign_dir, cli, [_label()])
    result = cli("report", "--format", "xlsx")
    assert result.exit_code == 0, result.stderr
    with (campaign_dir / "report" / "posts.csv").open(newline="", encoding="utf-8") as handle:
        rows = {r["likes"]: r for r in csv.DictReader(handle)}
    assert rows["99"] | {"platform_id": "", "url": "", "text": "",
                         "account": "(a Bluesky account that asks not to be shown publicly)",
                         "organisation_code": "RWE", "engagement": "99"} == rows["99"]
    assert rows["3"]["account"] == "bluesky:open.bsky.social"
    assert rows["3"]["text"] == "#KNOWvember19 a knowledge café for everyone"


def test_top_posts_say_why_none_is_shown_when_there_are_posts(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The top posts section said "No posts yet." under a headline of posts: those of an
    account that asks not to be shown publicly, or reposts (never listed there)."""
    write_config('\n[[organisations]]\ncode = "RWE"\naccounts = ["bluesky:quiet.bsky.social"]\n')
    posts = [_view(1, "quiet.bsky.social", "did:plc:quiet", [_label()], "#KNOWvember19 hi", 5)]
    (campaign_dir / "page.json").write_text(json.dumps({"posts": posts}), encoding="utf-8")
    assert cli("import", "bluesky", "page.json").exit_code == 0
    assert cli("report", "--format", "html,md").exit_code == 0
    said = ("The period's original posts, replies and quotes are all by accounts that ask "
            "not to be shown publicly.")
    for name in ("report.html", "report.md"):
        text = html.unescape((campaign_dir / "report" / name).read_text(encoding="utf-8"))
        assert "No posts yet." not in text
        assert said in text


def test_top_posts_say_the_posts_are_reposts(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    (campaign_dir / "posts.csv").write_text(
        "platform,id,author_handle,created_at,text,kind\n"
        "x,1,@a,2019-11-05T10:00:00Z,RT @b: #KNOWvember19 hi,repost\n"
        "x,2,@c,2019-11-05T11:00:00Z,RT @b: #KNOWvember19 hi,repost\n", encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    assert cli("report", "--format", "md").exit_code == 0
    text = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert "The period's 2 posts are all reposts, and reposts are not listed here." in text
