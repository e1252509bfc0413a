"""Hostile text: stored byte for byte, escaped in every HTML and Markdown output, harmless in
every spreadsheet cell and on the terminal.

Posts, display names, bios and stories are written by anyone on the internet. The same
strings go through the store (SQLite and PostgreSQL), the importer, the report (HTML,
Markdown, XLSX, posts.csv), the leaderboard CSV, the stories export and the web pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from knowvember import stories
from knowvember.hashtags import CampaignTags
from knowvember.models import Account, Post
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.reliability_support import snowflake
from tests.web_support import (
    CATALOGUE,
    SECRET,
    TAXONOMY,
    add_coordinator,
    cheap_hashing,
    sign_in,
)

HOSTILE = [
    "<script>alert('post')</script>",
    "<img src=x onerror=alert('img')> and <a href=\"javascript:alert('a')\">click</a>",
    "[a markdown link](javascript:alert('md')) <javascript:alert('auto')> ![i](x)",
    "**bold** _it_ `code` | a | b |\n# a heading\n> a quote\n- a list\n1. one",
    "=HYPERLINK(\"http://evil.example\",\"prize\")",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "\tTab first",
    "control \x01\x07\x08 \x1b[31mred\x1b[0m \x7f \u0085 \u2028 \u2029 end",
    "right-to-left \u202eevil.exe\u202c \u200f\u200e \u2066isolate\u2069 \u061c",
    "4-byte 🦠📚👩🏽‍⚕️ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and combining é̂ and zero\u200bwidth",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7} %s %(x)s",
    "A" * 100_000,
]
TAG = " #KNOWvember19"
NAME = "=cmd|' /C calc'!A0 <script>alert('name')</script>[bold red]R[/]\x1b[2J"
BIO = "<b>bio</b> javascript:alert('bio') \u202eoib"
WHEN = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)


def _records() -> tuple[list[PostRecord], list[AccountRecord]]:
    posts = [PostRecord(platform="x", platform_id=str(1000 + i), account_key="666",
                        created_at=WHEN + dt.timedelta(minutes=i), text=text + TAG,
                        hashtags=("knowvember19",), likes=10 - i % 10,
                        raw=json.dumps({"id": str(1000 + i), "text": text + TAG}))
             for i, text in enumerate(HOSTILE)]
    account = AccountRecord(platform="x", key="666", handle="@hostile", display_name=NAME,
                            bio=BIO, followers=7, raw=json.dumps({"name": NAME}))
    return posts, [account]


def test_stored_byte_for_byte_on_both_databases(db) -> None:  # type: ignore[no-untyped-def]
    posts, accounts = _records()
    nul = PostRecord(platform="x", platform_id="999", account_key="666", created_at=WHEN,
                     text="a NUL \x00 byte" + TAG, hashtags=("knowvember19",))
    result = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(
        [*posts, nul], accounts)
    assert result.new == len(HOSTILE) + 1
    with db.begin() as conn:
        stored = dict(conn.execute(sa.select(Post.platform_id, Post.text)).all())
        raws = dict(conn.execute(sa.select(Post.platform_id, Post.raw)).all())
        account = conn.execute(sa.select(Account.display_name, Account.bio)).one()
    for post in posts:
        assert stored[post.platform_id] == post.text  # every code point, 100 KB included
        assert raws[post.platform_id] == post.raw
    assert tuple(account) == (NAME, BIO)
    # PostgreSQL text cannot hold NUL: it becomes U+FFFD on both, and the batch still lands.
    assert stored["999"] == "a NUL \ufffd byte" + TAG


def _twarc2(path: Path) -> Path:
    user = {"id": "666", "username": "hostile", "name": NAME, "description": BIO,
            "public_metrics": {"followers_count": 7}}
    tweets = [{"id": snowflake(WHEN + dt.timedelta(minutes=i), i), "author_id": "666",
               "text": text + TAG, "created_at": f"2019-11-05T09:{i:02d}:00.000Z",
               "entities": {"hashtags": [{"start": len(text) + 1, "end": len(text) + 14,
                                          "tag": "KNOWvember19"}]},
               "public_metrics": {"like_count": 10 - i % 10, "retweet_count": 0,
                                  "reply_count": 0, "quote_count": 0}}
              for i, text in enumerate(HOSTILE)]
    path.write_text(json.dumps({"data": tweets, "includes": {"users": [user]}}) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def hostile_campaign(cli, campaign_dir: Path) -> Path:
    """The hostile posts imported from a twarc2 file, and a hostile story approved."""
    result = cli("import", "twarc2", str(_twarc2(campaign_dir / "hostile.jsonl")))
    assert result.exit_code == 0, result.stderr
    submitted = cli("stories", "submit", "--title", HOSTILE[0], "--body", "\n".join(HOSTILE[:4]),
                    "--outcome", HOSTILE[4], "--name", NAME.replace("\x1b", ""), "--role",
                    HOSTILE[2], "--email", "someone@nhs.net", "--link", "https://example.org",
                    "--consent", "--format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    story = json.loads(submitted.stdout)["id"]
    assert cli("stories", "approve", str(story), "--reviewer", "coordinator").exit_code == 0
    return campaign_dir


def test_imported_text_is_the_text_sent(hostile_campaign) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{hostile_campaign / 'knowvember.db'}")
    try:
        with engine.connect() as conn:
            texts = {r[0] for r in conn.execute(sa.text("SELECT text FROM posts"))}
            names = {r[0] for r in conn.execute(sa.text("SELECT display_name FROM accounts"))}
    finally:
        engine.dispose()
    assert texts == {t + TAG for t in HOSTILE}
    assert names == {NAME}


class _Scan(HTMLParser):
    """What a browser would run or follow in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs += [(tag, name, value or "") for name, value in attrs]
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def assert_safe_html(page: str, where: str) -> None:
    scan = _Scan()
    scan.feed(page)
    assert not any("alert(" in s for s in scan.scripts), f"{where}: hostile text runs as script"
    for tag, name, value in scan.attrs:
        assert not (name.startswith("on") and "alert" in value), f"{where}: <{tag} {name}>"
        assert not re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I), \
            f"{where}: <{tag} {name}={value!r}>"
    assert "<script>alert" not in page and "<img src=x" not in page, where


def assert_safe_markdown(text: str, where: str) -> None:
    assert "<script" not in text and "<img" not in text, where
    assert not re.search(r"\]\(\s*javascript:", text, re.I), f"{where}: a javascript: link"
    assert not re.search(r"<\s*javascript:", text, re.I), f"{where}: a javascript: autolink"
    # No line of post text may become a heading, quote or list: each starts escaped.
    assert "\n# a heading" not in text and "\n> a quote" not in text, where
    assert "\x1b" not in text, where


def assert_safe_cells(cells: list[str], where: str) -> None:
    for value in cells:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), f"{where}: {value[:40]!r}"


def test_report_html_markdown_and_spreadsheets_are_safe(cli, hostile_campaign) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    out = hostile_campaign / "report"
    result = cli("report", "--format", "html,md,xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert_safe_html(html, "report.html")
    assert "&lt;script&gt;alert(" in html  # shown as text, not dropped
    assert_safe_markdown((out / "report.md").read_text(encoding="utf-8"), "report.md")
    workbook = load_workbook(out / "report.xlsx")
    values: list[str] = []
    quoted: list[str] = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and not cell.quotePrefix:
                    values.append(cell.value)
                elif isinstance(cell.value, str):
                    quoted.append(cell.value)
    assert_safe_cells(values, "report.xlsx")  # formula-looking text is quote-prefixed
    assert any(v.startswith("=HYPERLINK") for v in quoted)  # there, as written, neutralised
    rows = list(csv.reader(io.StringIO((out / "posts.csv").read_text(encoding="utf-8"))))
    cells = [c for row in rows[1:] for c in row]
    assert_safe_cells(cells, "posts.csv")
    assert "'-2+3" + TAG in cells


def test_leaderboard_csv_and_terminal_output_are_safe(cli, hostile_campaign) -> None:  # type: ignore[no-untyped-def]
    board = cli("leaderboard", "--by", "contributor", "--format", "csv")
    assert board.exit_code == 0, board.stderr
    rows = list(csv.reader(io.StringIO(board.stdout)))
    assert_safe_cells([c for row in rows[1:] for c in row], "leaderboard.csv")
    for args in (["leaderboard", "--by", "contributor"], ["orgs", "unmatched"],
                 ["stories", "list"], ["stories", "show", "1"], ["summary"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        shown = result.stdout + result.stderr
        assert "\x1b" not in shown and "\u202e" not in shown, args  # no terminal control
    unmatched = cli("orgs", "unmatched").stdout
    assert "[bold red]" in unmatched or "[bold" in unmatched  # markup shown, not obeyed


def test_stories_export_is_safe_in_every_format(cli, hostile_campaign) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("html", "md", "csv"):
        target = hostile_campaign / f"stories.{fmt}"
        result = cli("stories", "export", "--format", fmt, "--out", str(target))
        assert result.exit_code == 0, result.stderr
        text = target.read_text(encoding="utf-8")
        if fmt == "html":
            assert_safe_html(text, "stories.html")
        elif fmt == "md":
            assert_safe_markdown(text, "stories.md")
        else:
            rows = list(csv.reader(io.StringIO(text)))
            assert_safe_cells([c for row in rows[1:] for c in row], "stories.csv")


def test_web_pages_are_safe(settings, sqlite_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    posts, accounts = _records()
    PostWriter(sqlite_db, CampaignTags(["KNOWvember19"]), source="test").write(posts, accounts)
    with sqlite_db.begin() as conn:
        conn.execute(Account.__table__.update().values(organisation_code="RX1",
                                                       attribution="manual"))
    lookups = stories.Lookups(CATALOGUE, TAXONOMY)
    data = stories.StoryInput.parse(
        {"title": HOSTILE[0], "body": "\n".join(HOSTILE[:4]), "outcome": HOSTILE[4],
         "name": HOSTILE[1], "role": HOSTILE[2], "email": "x@nhs.net", "consent": True,
         "organisation": "RX1", "links": ["https://example.org/a?<script>"]}, settings)
    story, _ = stories.submit_story(sqlite_db, settings, data, lookups=lookups)
    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    app = create_app(settings, sqlite_db, catalogue=CATALOGUE, taxonomy=TAXONOMY)
    with TestClient(app) as client:
        sign_in(client)
        pages = {path: client.get(path) for path in (
            "/review", f"/review/{story.id}", "/dashboard", "/orgs/RX1")}
        stories.approve_story(sqlite_db, story.id, reviewer="coordinator")
        pages.update({path: client.get(path) for path in ("/", "/stories", "/orgs/RX1")})
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.status_code)
        assert_safe_html(response.text, path)
    assert "&lt;script&gt;alert(" in pages["/stories"].text
