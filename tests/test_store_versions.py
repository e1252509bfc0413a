"""Edited X posts are stored once, under their latest version, whichever version comes first.

X gives each version of an edited post its own id (`edit_history_tweet_ids`, oldest first).
A collection run before the edit and one after it, or an archive imported after collecting,
bring two versions: these tests hold the store to one post per edit chain (on SQLite and
PostgreSQL), with replies and quotes of an earlier version pointing at the post.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from knowvember.hashtags import CampaignTags
from knowvember.models import PostVersion
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.conftest import hashtags_of, stored_posts

TAGS = CampaignTags(["KNOWvember25"])
ACCOUNT = AccountRecord(platform="x", key="42", handle="@leedslibraries")
MADE = dt.datetime(2025, 11, 5, 9, 30, tzinfo=dt.UTC)


def _post(pid: str, versions: tuple[str, ...] = (), *, text: str = "Peer Assist today",
          likes: int = 0, tags: tuple[str, ...] = ("knowvember25",), ref: str | None = None,
          kind: str = "original", minutes: int = 0) -> PostRecord:
    return PostRecord(platform="x", platform_id=pid, account_key="42",
                      created_at=MADE + dt.timedelta(minutes=minutes), text=text,
                      hashtags=tags, likes=likes, referenced_id=ref, kind=kind,
                      versions=versions)


def _write(db, *posts: PostRecord, archive: bool = False):  # type: ignore[no-untyped-def]
    return PostWriter(db, TAGS, source="test", archive=archive).write(list(posts), [ACCOUNT])


def _versions(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Earlier version id -> the platform id of the post that holds it now."""
    with db.begin() as conn:
        rows = conn.execute(sa.text(
            "SELECT v.platform_id, p.platform_id FROM post_versions v "
            "JOIN posts p ON p.id = v.post_id"))
        return dict(rows.all())


def test_a_later_version_takes_the_stored_post_over(db) -> None:  # type: ignore[no-untyped-def]
    first = _write(db, _post("100", text="Peer Asist today #KNOWvember25", likes=3))
    assert first.new == 1
    later = _write(db, _post("105", ("100", "105"), text="Peer Assist today #KNOWvember25 "
                             "#RandomisedCoffeeTrial", likes=1, minutes=10,
                             tags=("knowvember25", "randomisedcoffeetrial")))
    assert (later.new, later.updated, later.fetched) == (0, 1, 1)
    posts = stored_posts(db)
    assert list(posts) == ["105"]
    post = posts["105"]
    assert "Assist" in post.text and post.likes == 3  # counts only rise
    assert post.created_at.replace(tzinfo=dt.UTC) == MADE  # the original's time
    assert hashtags_of(db, "105") == {"knowvember25", "randomisedcoffeetrial"}
    assert _versions(db) == {"100": "105"}


def test_an_earlier_version_read_later_is_left_out(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, _post("105", ("100", "105"), likes=4))
    # an older archive, saved before the edit: its copy knows only its own id
    older = _write(db, _post("100", ("100",), likes=9), archive=True)
    assert (older.new, older.updated, older.unchanged) == (0, 0, 1)
    assert list(stored_posts(db)) == ["105"]
    assert stored_posts(db)["105"].likes == 4
    # and a copy saved after the edit, which lists the whole history
    again = _write(db, _post("100", ("100", "105")))
    assert (again.new, again.updated) == (0, 0)
    assert list(stored_posts(db)) == ["105"]


def test_writing_the_latest_version_again_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, _post("100"))
    _write(db, _post("105", ("100", "105")))
    again = _write(db, _post("105", ("100", "105")))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert list(stored_posts(db)) == ["105"]


def test_versions_in_one_batch_are_one_post(db) -> None:  # type: ignore[no-untyped-def]
    result = _write(db, _post("100", ("100",)), _post("107", ("100", "103", "107")),
                    _post("103", ("100", "103")))
    assert (result.new, result.fetched) == (1, 3)
    assert list(stored_posts(db)) == ["107"]
    assert _versions(db) == {"100": "107", "103": "107"}


def test_replies_to_an_earlier_version_refer_to_the_post(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, _post("100"))
    # stored before the edit arrived, replying to the first version
    _write(db, _post("200", kind="reply", ref="100", tags=(), text="Great idea"),
           _post("100"))
    _write(db, _post("105", ("100", "105")))
    # and a reply to the first version, read after: it belongs to the campaign by its
    # reference (it has no campaign hashtag of its own) and refers to the post
    late = _write(db, _post("201", kind="reply", ref="100", tags=(), text="Count me in"))
    assert late.new == 1
    posts = stored_posts(db)
    assert set(posts) == {"105", "200", "201"}
    assert posts["200"].referenced_id == "105"
    assert posts["201"].referenced_id == "105"


def test_a_third_version_takes_over_from_the_second(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, _post("100"))
    _write(db, _post("105", ("100", "105")))
    third = _write(db, _post("109", ("100", "105", "109"), text="final wording"))
    assert (third.new, third.updated) == (0, 1)
    assert list(stored_posts(db)) == ["109"]
    assert _versions(db) == {"100": "109", "105": "109"}


def test_two_rows_of_one_chain_stored_earlier_become_one(db) -> None:  # type: ignore[no-untyped-def]
    # as a release before post_versions stored them: each version a post of its own
    _write(db, _post("100"), _post("105", tags=("knowvember25", "peerassist")))
    assert set(stored_posts(db)) == {"100", "105"}
    again = _write(db, _post("105", ("100", "105"), likes=2))
    assert again.new == 0
    assert list(stored_posts(db)) == ["105"]
    assert stored_posts(db)["105"].likes == 2
    assert _versions(db) == {"100": "105"}


def test_forgetting_the_post_removes_its_versions(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, _post("100"))
    _write(db, _post("105", ("100", "105")))
    with db.begin() as conn:
        conn.exec_driver_sql("DELETE FROM posts")  # foreign keys on: the versions go too
        left = conn.execute(sa.select(sa.func.count()).select_from(PostVersion)).scalar()
    assert left == 0


def test_no_edited_post_asks_nothing_more(db) -> None:  # type: ignore[no-untyped-def]
    """Posts never edited: the batch makes no query of post_versions beyond one check."""
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *a: statements.append(statement))
    writer = PostWriter(db, TAGS, source="test")
    writer.write([_post("100"), _post("101")], [ACCOUNT])
    writer.write([_post("102")], [ACCOUNT])
    assert sum("post_versions" in s for s in statements) == 1


# -- from the CLI: two files, and one file read in two halves --------------------------------


def _edited_pair() -> tuple[str, str, dict[str, object], dict[str, object]]:
    from tests.fakeapi import x_id
    from tests.test_trial_x_archives import NOV, versions

    first, second = x_id(NOV, 10), x_id(NOV, 11)
    before, after = versions(first, second)
    return first, second, before, after


def test_versions_in_two_files_are_one_post_from_the_cli(cli, write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A search saved before the edit, then one saved after it: one post, the new text."""
    import json

    from tests.fakeapi import x_page, x_user
    from tests.test_trial_x_archives import jsonl

    write_config()
    _, _, before, after = _edited_pair()
    users = [x_user("111", "UHLLibraries")]
    one = jsonl(tmp_path / "before.jsonl", x_page([before], users))
    two = jsonl(tmp_path / "after.jsonl", x_page([after], users))
    (run,) = json.loads(cli("import", "twarc2", str(one), "--format", "json").stdout)
    assert run["new"] == 1
    result = cli("import", "twarc2", str(two), "--format", "json")
    assert result.exit_code == 0, result.stderr
    (run,) = json.loads(result.stdout)
    assert (run["new"], run["updated"]) == (0, 1)
    again = cli("import", "twarc2", str(one), "--format", "json")  # the old file once more
    (run,) = json.loads(again.stdout)
    assert (run["new"], run["updated"]) == (0, 0)
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["posts"] == 1


def test_versions_in_two_halves_of_one_file_are_one_post(cli, write_config, tmp_path,  # type: ignore[no-untyped-def]
                                                         monkeypatch) -> None:
    """Two reading processes, each with half the file: neither knows the other's version."""
    import json

    from collectors.archive import split_point
    from tests.fakeapi import x_id, x_page, x_tweet, x_user
    from tests.test_trial_x_archives import NOV, jsonl

    write_config()
    monkeypatch.setenv("KNOWVEMBER_IMPORT_PROCESSES", "3")
    _, _, before, after = _edited_pair()
    users = [x_user("111", "UHLLibraries")]
    filler = [x_tweet(x_id(NOV, 100 + i), f"Coffee roulette {i} #KNOWvember2019", "111", NOV)
              for i in range(40)]
    path = jsonl(tmp_path / "search.jsonl", x_page([after, *filler[:20]], users),
                 x_page(filler[20:], users), x_page([before], users))
    at = split_point(path)
    assert at is not None and path.read_bytes()[:at].count(b"\n") == 2  # the halves differ
    result = cli("import", "twarc2", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["posts"] == 41


# -- posts edited in place (Mastodon: the same id, a later edited_at) ----------------------


def _toot(text: str, edited: dt.datetime | None = None, *, likes: int = 0) -> PostRecord:
    return PostRecord(platform="mastodon", platform_id="https://nhs.social/users/lib/statuses/1",
                      account_key="https://nhs.social/users/lib", created_at=MADE, text=text,
                      hashtags=tuple(w[1:].lower() for w in text.split() if w[:1] == "#"),
                      likes=likes,
                      edited_at=edited)


LIB = AccountRecord(platform="mastodon", key="https://nhs.social/users/lib",
                    handle="@lib@nhs.social")


def _write_toot(db, post: PostRecord, *, archive: bool = False):  # type: ignore[no-untyped-def]
    writer = PostWriter(db, TAGS, source="test", archive=archive,
                        tagger=lambda text: ["Peer Assist"] if "Peer Assist" in text else [])
    return writer.write([post], [LIB])


def _techniques(db) -> set[str]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT technique FROM post_techniques"))}


def test_a_later_edit_replaces_the_stored_text_and_tags(db) -> None:  # type: ignore[no-untyped-def]
    _write_toot(db, _toot("Our Retrospect #KNOWvember25"))
    edit = MADE + dt.timedelta(hours=2)
    result = _write_toot(db, _toot("Our Peer Assist #KNOWvember25 #PeerAssist", edit),
                         archive=True)
    assert (result.new, result.updated) == (0, 1)
    (post,) = stored_posts(db).values()
    assert post.text == "Our Peer Assist #KNOWvember25 #PeerAssist"
    assert post.edited_at.replace(tzinfo=dt.UTC) == edit
    assert hashtags_of(db, post.platform_id) == {"knowvember25", "peerassist"}
    assert _techniques(db) == {"Peer Assist"}
    # the same edit again changes nothing; an older copy (an archive saved before) neither
    again = _write_toot(db, _toot("Our Peer Assist #KNOWvember25 #PeerAssist", edit))
    assert (again.new, again.updated) == (0, 0)
    older = _write_toot(db, _toot("Our Retrospect #KNOWvember25"), archive=True)
    assert (older.new, older.updated) == (0, 0)
    first_edit = _write_toot(db, _toot("Our Retro #KNOWvember25", edit - dt.timedelta(hours=1)))
    assert first_edit.updated == 0
    assert next(iter(stored_posts(db).values())).text.startswith("Our Peer Assist")


def test_an_edited_status_imported_from_the_cli_keeps_the_latest_text(cli, write_config,  # type: ignore[no-untyped-def]
                                                                      tmp_path) -> None:
    """Two saved tag timeline pages, the second after the author edited the status."""
    import json

    from tests.fakeapi import mastodon_account, mastodon_status

    write_config()
    home = "https://nhs.social"
    when = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)
    first = mastodon_status("109", home, 1, "<p>Our Retrospect today #KNOWvember2019</p>",
                            ["KNOWvember2019"], mastodon_account("lib", home), when)
    edited = dict(first, content="<p>Our Peer Assist today #KNOWvember2019</p>",
                  edited_at="2019-11-06T12:00:00.000Z")
    day1, day2 = tmp_path / "day1.json", tmp_path / "day2.json"
    day1.write_text(json.dumps([first]))
    day2.write_text(json.dumps([edited]))
    for path in (day1, day2, day1):  # the older page once more changes nothing
        result = cli("import", "mastodon", str(path), "--format", "json")
        assert result.exit_code == 0, result.stderr
    (post,) = stored_posts_of_cli()
    assert post == "Our Peer Assist today #KNOWvember2019"


def stored_posts_of_cli() -> list[str]:
    """The texts stored in the test campaign's database (the CLI's own, next to its config)."""
    import sqlite3

    with sqlite3.connect("knowvember.db") as conn:
        return [r[0] for r in conn.execute("SELECT text FROM posts")]
