"""`forget ACCOUNT` (UK GDPR erasure) and opt-outs that keep an account out of storage."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.db import Database
from knowvember.errors import AlreadyRunningError, InputError
from knowvember.hashtags import CampaignTags
from knowvember.ingest import Hooks, collect, import_files
from knowvember.locks import run_lock
from knowvember.models import Account, ForgottenAccount, Post, PostHashtag, PostTechnique, Run
from knowvember.privacy import forget, preview
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.fakeapi import X_TOKEN, FakeAPI
from tests.reliability_support import dump_tables, live_config, x_world
from tests.test_import_twarc2 import BREXIT

WHEN = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)


def _account(key: str, handle: str, platform: str = "x") -> AccountRecord:
    return AccountRecord(platform=platform, key=key, handle=handle, display_name=f"Name {key}",
                         bio="Clinical librarian at a trust", followers=120,
                         raw=json.dumps({"id": key, "username": handle.lstrip("@")}))


def _post(pid: str, key: str, *, kind: str = "original", ref: str | None = None,
          tags: tuple[str, ...] = ("knowvember19",), raw: str | None = None,
          text: str = "Our #KNOWvember19 journal club") -> PostRecord:
    return PostRecord(platform="x", platform_id=pid, account_key=key, created_at=WHEN,
                      text=text, hashtags=tags, kind=kind, referenced_id=ref,
                      raw=raw or json.dumps({"id": pid, "author_id": key}))


def _store(db: Database) -> None:
    """Ann (@annlib, key 1) posts twice; Bob reposts, replies to and quotes her."""
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test",
                        tagger=lambda text: ["Journal club"] if "journal" in text else [])
    ann, bob = _account("1", "@annlib"), _account("2", "@boblib")
    writer.write(
        [
            _post("10", "1"), _post("11", "1"),
            _post("20", "2", kind="repost", ref="10", tags=()),
            _post("21", "2", kind="reply", ref="10", tags=(), text="Great idea",
                  raw=json.dumps({"id": "21", "entities": {"mentions": [
                      {"username": "annlib", "id": "1"}]}})),
            _post("22", "2", kind="quote", ref="11", tags=(), text="Worth a look",
                  raw=json.dumps({"id": "22", "author_id": "2"})),
            _post("23", "2"),
        ],
        [ann, bob],
    )


def _count(db: Database, table: type) -> int:
    with db.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def test_forget_erases_posts_reposts_profile_and_embedded_payloads(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db)
    assert preview(db, "x:@AnnLib").posts == 2  # a preview removes nothing
    assert _count(db, Post) == 6
    report = forget(db, "twitter:@AnnLib", settings)
    assert (report.platform, report.handle) == ("x", "@annlib")
    assert (report.accounts, report.posts, report.reposts) == (1, 2, 1)
    assert report.hashtags == 2 and report.techniques == 3  # the repost was tagged too
    assert report.raw_payloads_cleared == 1  # Bob's reply names her; his quote does not
    with db.begin() as conn:
        left = {r.platform_id: r.raw for r in conn.execute(sa.select(Post.platform_id, Post.raw))}
        handles = [r[0] for r in conn.execute(sa.select(Account.handle))]
        tag_posts = {r[0] for r in conn.execute(sa.select(PostHashtag.post_id))}
        technique_posts = {r[0] for r in conn.execute(sa.select(PostTechnique.post_id))}
        post_ids = {r[0] for r in conn.execute(sa.select(Post.id))}
    assert sorted(left) == ["21", "22", "23"]  # Bob's own words stay
    assert left["21"] is None and left["22"] is not None
    assert handles == ["@boblib"]
    assert tag_posts <= post_ids and technique_posts <= post_ids
    # The forgotten list holds digests only: no handle, no key, no name in any form.
    digests = dump_tables(db.engine.url.render_as_string(hide_password=False))
    rows = digests["forgotten_accounts"]
    assert {r[1] for r in rows} == {"key", "handle"}
    assert not any("ann" in str(value).lower() for row in rows for value in row)


def test_forgotten_account_is_never_stored_again(db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(db)
    forget(db, "x:@annlib", settings)
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")
    again = writer.write(
        [
            _post("10", "1"),  # the same post again
            _post("12", "1"),  # a new post, same account id, handle renamed below
            PostRecord(platform="x", platform_id="13", account_key="@annlib", created_at=WHEN,
                       text="#KNOWvember19", hashtags=("knowvember19",)),  # keyed by handle
            _post("24", "2"),
        ],
        [_account("1", "@ann_renamed"), _account("@annlib", "@annlib"),
         _account("2", "@boblib")],
    )
    assert (again.new, again.skipped) == (1, 3)
    with db.begin() as conn:
        assert sorted(r[0] for r in conn.execute(sa.select(Post.platform_id))) == [
            "21", "22", "23", "24"]
        assert sorted(r[0] for r in conn.execute(sa.select(Account.handle))) == ["@boblib"]


def test_forget_an_account_never_seen_still_keeps_it_out(db, settings) -> None:  # type: ignore[no-untyped-def]
    report = forget(db, "bluesky:Someone.bsky.social", settings)
    assert not report.removed_anything and report.handle == "someone.bsky.social"
    again = forget(db, "bluesky:someone.bsky.social", settings)
    assert again.already_forgotten
    assert _count(db, ForgottenAccount) == 1
    post = PostRecord(platform="bluesky", platform_id="at://did:plc:abc/app.bsky.feed.post/1",
                      account_key="did:plc:abc", created_at=WHEN, text="#KNOWvember19",
                      hashtags=("knowvember19",))
    result = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(
        [post], [_account("did:plc:abc", "someone.bsky.social", "bluesky")])
    assert (result.new, result.skipped) == (0, 1)


def test_forget_refuses_a_bad_reference(db, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="platform:handle"):
        forget(db, "annlib", settings)
    with pytest.raises(InputError, match="unknown platform"):
        forget(db, "facebook:@ann", settings)


def test_forget_waits_for_a_running_collection(sqlite_db, settings) -> None:  # type: ignore[no-untyped-def]
    _store(sqlite_db)
    with run_lock(sqlite_db, "collect:mastodon"), pytest.raises(AlreadyRunningError):
        forget(sqlite_db, "x:@annlib", settings, lock_wait=0)
    assert _count(sqlite_db, Post) == 6  # nothing was removed


def test_forget_redacts_the_handle_in_the_run_log(sqlite_db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "posts.csv"
    archive.write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,100,@annlib,2019-11-05T09:00:00Z,Our #KNOWvember19 clinic\n"
        "x,not-a-number,@annlib,2019-11-05T09:00:00Z,#KNOWvember19\n", encoding="utf-8")
    outcome = import_files(sqlite_db, settings, "csv", [archive])
    assert outcome.runs[0].new == 1 and outcome.error_count == 1
    forget(sqlite_db, "x:@annlib", settings)
    with sqlite_db.begin() as conn:
        run = conn.execute(sa.select(Run.error, Run.details)).one()
    assert "annlib" not in (run.error or "") + json.dumps(run.details)
    assert _count(sqlite_db, Post) == 0


def test_forgotten_account_is_skipped_by_live_collection(campaign_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from knowvember.config import parse_settings
    from knowvember.db import open_database

    now = dt.datetime.now(dt.UTC)
    world = x_world(300, start=now - dt.timedelta(days=2), span=dt.timedelta(days=1), users=5)
    with FakeAPI() as api:
        for page in world.pages():
            api.add_x_page(page)
        config = live_config(api.url, db_url=f"sqlite:///{tmp_path / 'kv.db'}")
        settings = parse_settings(config, campaign_dir / "campaign.toml")
        db = open_database(settings)
        try:
            forget(db, "x:@NHSLib3", settings)
            hooks = Hooks(env={"KNOWVEMBER_X_BEARER_TOKEN": X_TOKEN}, sleep=lambda s: None)
            outcome = collect(db, settings, ["x"], hooks)
            assert [r.status for r in outcome.runs] == ["ok"]
            with db.begin() as conn:
                authors = {r[0] for r in conn.execute(sa.select(Account.handle))}
                stored = conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar()
        finally:
            db.dispose()
    assert "@nhslib3" not in authors and len(authors) == 4
    assert stored and outcome.runs[0].skipped > 0


def test_exclude_from_collection_keeps_an_opted_out_account_out(write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from knowvember.config import load_settings_file
    from knowvember.db import open_database

    archive = tmp_path / "posts.csv"
    archive.write_text(
        "platform,id,author_handle,created_at,text\n"
        "x,100,@annlib,2019-11-05T09:00:00Z,Our #KNOWvember19 clinic\n"
        "x,101,@boblib,2019-11-05T09:00:00Z,Our #KNOWvember19 café\n", encoding="utf-8")
    for flag, expected in (("false", ["@annlib", "@boblib"]), ("true", ["@boblib"])):
        path = write_config(f'[leaderboard]\nexclude_accounts = ["x:@AnnLib"]\n'
                            f"exclude_from_collection = {flag}\n")
        settings = load_settings_file(path)
        db = open_database(settings, url=f"sqlite:///{tmp_path / f'kv-{flag}.db'}")
        try:
            import_files(db, settings, "csv", [archive])
            with db.begin() as conn:
                handles = sorted(r[0] for r in conn.execute(sa.select(Account.handle)))
        finally:
            db.dispose()
        assert handles == expected


# -- the command ------------------------------------------------------------------------


@pytest.fixture
def stored(campaign_dir: Path) -> Path:
    from knowvember.config import load_settings_file
    from knowvember.db import open_database

    db = open_database(load_settings_file(campaign_dir / "campaign.toml"))
    try:
        _store(db)
    finally:
        db.dispose()
    return campaign_dir


def test_cli_needs_yes_off_a_terminal_and_removes_nothing(cli, stored) -> None:  # type: ignore[no-untyped-def]
    result = cli("forget", "x:@annlib")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    again = cli("forget", "x:@annlib", "--yes", "--format", "json")
    assert again.exit_code == 0, again.stderr
    data = json.loads(again.stdout)
    assert {"account", "platform", "handle", "accounts", "posts", "reposts", "hashtags",
            "techniques", "raw_payloads_cleared", "already_forgotten"} <= set(data)
    assert (data["posts"], data["reposts"], data["accounts"]) == (2, 1, 1)


def test_cli_says_what_it_removed_and_what_config_still_names(cli, stored, write_config) -> None:  # type: ignore[no-untyped-def]
    write_config('[[organisations]]\ncode = "RWE"\naccounts = ["x:@annlib"]\n')
    result = cli("forget", "x:@AnnLib", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "removed 1 account profile(s), 2 post(s)" in result.stdout
    assert "organisations[0].accounts (RWE)" in result.stderr
    second = cli("forget", "x:@annlib", "--yes")
    assert "Nothing stored" in second.stdout and "already forgotten" in second.stderr


def test_cli_refuses_a_bad_account_without_a_traceback(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    result = cli("forget", "nobody", "--yes")
    assert result.exit_code == 2
    assert "platform:handle" in result.stderr and "Traceback" not in result.stderr



# -- opted out: collected, but in no leaderboard, report or export ---------------------------

OPTED_OUT_CSV = (
    "platform,id,author_handle,author_name,created_at,text,likes\n"
    "x,100,@annlib,Ann Optedout,2019-11-05T09:00:00Z,Ann's journal club #KNOWvember19,50\n"
    "x,101,@annlib,Ann Optedout,2019-11-06T09:00:00Z,Ann's peer assist #KNOWvember19,40\n"
    "x,102,@boblib,Bob Included,2019-11-05T10:00:00Z,Bob's knowledge cafe #KNOWvember19,3\n"
    "mastodon,https://nhs.social/users/cy/statuses/1,@cy@nhs.social,Cy Included,"
    "2019-11-07T10:00:00Z,Cy's retrospect #KNOWvember19,1\n"
)


def test_an_opted_out_account_is_in_no_leaderboard_report_or_export(  # type: ignore[no-untyped-def]
        cli, write_config, tmp_path, monkeypatch) -> None:
    write_config('[leaderboard]\nexclude_accounts = ["x:@AnnLib"]\n')
    archive = tmp_path / "posts.csv"
    archive.write_text(OPTED_OUT_CSV, encoding="utf-8")
    assert cli("import", "csv", str(archive)).exit_code == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'knowvember.db'}")
    try:
        with engine.connect() as conn:  # still collected: the opt-out is about publishing
            assert conn.execute(sa.text("SELECT COUNT(*) FROM posts")).scalar() == 4
    finally:
        engine.dispose()
    outputs = []
    for args in (["summary", "--format", "json"],
                 ["leaderboard", "--by", "contributor", "--format", "json"],
                 ["leaderboard", "--by", "contributor", "--format", "csv"],
                 ["leaderboard", "--by", "organisation", "--format", "json"],
                 ["leaderboard", "--by", "region", "--format", "json"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        outputs.append(result.stdout)
    summary = json.loads(outputs[0])
    assert summary["posts"] == 2 and summary["contributors"] == 2
    board = json.loads(outputs[1])
    assert len(board) == 2
    report = cli("report", "--format", "html,md,xlsx", "--out", str(tmp_path / "report"))
    assert report.exit_code == 0, report.stderr
    files = [p for p in (tmp_path / "report").rglob("*") if p.is_file()]
    assert {".html", ".md", ".xlsx", ".csv"} <= {p.suffix for p in files}
    outputs += _web_pages(write_config, tmp_path, monkeypatch)
    for text in [*outputs, *(_readable(p) for p in files)]:
        assert "annlib" not in text.lower() and "Optedout" not in text, text[:300]
        assert "Ann's" not in text and "Ann&#39;s" not in text and "Ann&#x27;s" not in text
    assert "boblib" in outputs[1] and "boblib" in _readable(tmp_path / "report" / "posts.csv")
    # The dashboard counts people, never names them: two, not three.
    assert re.search(r'stat__value">2</span><span class="stat__label">contributors', outputs[-1])


def _web_pages(write_config, tmp_path: Path, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The public pages and the coordinators' dashboard, signed in."""
    from fastapi.testclient import TestClient

    from knowvember.config import load_settings_file
    from knowvember.db import open_database
    from knowvember.web import create_app
    from tests.web_support import SECRET, add_coordinator, cheap_hashing, sign_in

    settings = load_settings_file(tmp_path / "campaign.toml")
    db = open_database(settings)
    try:
        cheap_hashing(monkeypatch)
        add_coordinator(db)
        monkeypatch.setenv(settings.web.secret_key_env, SECRET)
        with TestClient(create_app(settings, db)) as client:
            pages = [client.get(p).text for p in ("/", "/stories")]
            sign_in(client)
            dashboard = client.get("/dashboard")
            assert dashboard.status_code == 200
            pages.append(dashboard.text)
    finally:
        db.dispose()
    return pages


def _readable(path: Path) -> str:
    """A report file as text (a workbook's cells; other binaries as bytes decoded)."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(
            values_only=True) for v in row if v is not None)
    return path.read_bytes().decode("utf-8", errors="replace")


def test_a_repost_of_a_forgotten_account_is_not_stored_again(db, settings) -> None:  # type: ignore[no-untyped-def]
    """`forget` erased Bob's repost of Ann: the same repost, or a new one, must not come
    back, whether Ann's original comes in the same batch, an earlier one, or not at all."""
    _store(db)
    forget(db, "x:@annlib", settings)
    writer = PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")
    ann, bob = _account("1", "@annlib"), _account("2", "@boblib")
    original = _post("14", "1")
    original.context_only = True
    same_batch = writer.write(
        [original, _post("25", "2", kind="repost", ref="14",
                         text="RT @someone: #KNOWvember19 journal club")],
        [ann, bob])
    assert same_batch.new == 0
    later_batch = writer.write(  # the original was left out by this writer before
        [_post("26", "2", kind="repost", ref="14", text="#KNOWvember19 journal club")], [bob])
    assert later_batch.new == 0
    by_text = writer.write(  # an X retweet names its author; the original is not here
        [_post("27", "2", kind="repost", ref="99", text="RT @AnnLib: Our #KNOWvember19 club")],
        [bob])
    assert by_text.new == 0
    theirs = writer.write(  # Bob's repost of somebody else is his to keep
        [_post("28", "2", kind="repost", ref="98", text="RT @carol: Our #KNOWvember19 club")],
        [bob])
    assert theirs.new == 1
    with db.begin() as conn:
        assert sorted(r[0] for r in conn.execute(sa.select(Post.platform_id))) == [
            "21", "22", "23", "28"]


def test_forget_then_import_the_recorded_archive_again(write_config, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The recorded X page: after forgetting an author, importing the same file again stores
    none of his posts and no retweet of them (their text is his)."""
    from tests.fakeapi import FIXTURES

    write_config("", base=BREXIT)
    page = json.loads((FIXTURES / "twitter_search_recent_2.json").read_text())
    archive = tmp_path / "x.jsonl"
    archive.write_text(json.dumps(page) + "\n", encoding="utf-8")
    users = {u["id"]: u["username"] for u in page["includes"]["users"]}
    originals = {t["id"]: t["author_id"] for t in page["includes"]["tweets"]}
    retweeted = [originals[r["id"]] for t in page["data"]
                 for r in t.get("referenced_tweets", ()) if r["type"] == "retweeted"
                 and r["id"] in originals]
    author = users[max(set(retweeted), key=retweeted.count)]  # the most retweeted author
    assert cli("import", "twarc2", str(archive)).exit_code == 0
    assert cli("forget", f"x:@{author}", "--yes").exit_code == 0
    db_file = tmp_path / "knowvember.db"

    def copies() -> list[str]:
        engine = sa.create_engine(f"sqlite:///{db_file}")
        with engine.connect() as conn:
            texts = [r[0] for r in conn.execute(sa.select(Post.text))]
        engine.dispose()
        return [t for t in texts if f"@{author.lower()}:" in t.lower()]

    assert copies() == []
    again = cli("import", "twarc2", str(archive), "--format", "json")
    assert again.exit_code == 0
    assert copies() == []
    (run,) = json.loads(again.stdout)  # the run records, a list
    assert run["new"] == 0
