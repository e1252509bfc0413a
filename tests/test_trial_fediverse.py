"""A new user's trial of Mastodon and Bluesky: collecting from local servers that serve the
recorded payloads (tests/fixtures/api), changed to carry the campaign hashtag, and importing
saved pages. Each test is a defect the trial found, or a behaviour it checked on real-shaped
data (reblogs, remote accounts, missing fields, odd timestamps, expired sessions)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from collectors.bluesky_payload import from_posts, post_from_view
from collectors.mastodon_payload import from_statuses, post_from_status
from collectors.retry import retry_after
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.models import Account
from tests.conftest import hashtags_of
from tests.conftest import stored_posts as stored
from tests.fakeapi import (
    BSKY_HANDLE,
    BSKY_PASSWORD,
    FIXTURES,
    FakeAPI,
    Seen,
    _Answer,
    _dump,
    bluesky_post,
    mastodon_account,
    mastodon_id,
    mastodon_status,
)

Json = dict[str, Any]
TRIAL = Path(__file__).resolve().parent / "fixtures" / "trial_fedi"
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
CAMPAIGN = """
[campaign]
name = "KNOWvember 2026"
slug = "knowvember26"
hashtags = ["KNOWvember"]
start = 2026-11-01
end = 2026-11-30
timezone = "UTC"
"""
ENV = {"KNOWVEMBER_BLUESKY_HANDLE": BSKY_HANDLE, "KNOWVEMBER_BLUESKY_APP_PASSWORD": BSKY_PASSWORD}
HASHTAG_HTML = ('<a href="{home}/tags/knowvember" class="mention hashtag" rel="tag">'
                '#<span>KNOWvember</span></a>')


class Sleeps(list):  # type: ignore[type-arg]
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def settings_for(section: str) -> Settings:
    return parse_settings(CAMPAIGN + section)


def run(db: Database, settings: Settings, source: str, *, now: dt.datetime = NOW,
        sleeps: Sleeps | None = None, env: dict[str, str] | None = None
        ) -> ingest.RunRecord:
    hooks = ingest.Hooks(now=lambda: now, sleep=sleeps if sleeps is not None else Sleeps(),
                         lock_wait=0, env=ENV if env is None else env)
    return ingest.collect_source(db, settings, source, hooks)


def all_accounts(db: Database) -> list[Account]:
    with db.session() as session:
        found = session.scalars(sa.select(Account)).all()
        session.expunge_all()
    return list(found)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trial.db'}"


# -- Mastodon: mapping real-shaped statuses ------------------------------------------------

def recorded_statuses(home: str) -> list[Json]:
    """The recorded tag timeline pages, moved into November 2026 and tagged KNOWvember."""
    statuses = []
    for number in (4, 5, 6, 7):
        for status in json.loads((FIXTURES / f"mastodon_tag_timeline_{number}.json")
                                 .read_text()):
            status = copy.deepcopy(status)
            when = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC) + dt.timedelta(
                minutes=len(statuses))
            status.update(id=mastodon_id(when, len(statuses)), created_at=_z(when),
                          uri=f"{home}/users/mastodonpy_test_2/statuses/{len(statuses)}",
                          url=f"{home}/@mastodonpy_test_2/{len(statuses)}")
            status["content"] += " " + HASHTAG_HTML.format(home=home)
            status["tags"] = [{"name": "knowvember", "url": f"{home}/tags/knowvember"}]
            statuses.append(status)
    return statuses


def test_a_reblog_carries_the_hashtags_its_original_has_only_in_its_html() -> None:
    """A reblog's own content is empty; its original may name the hashtag only in the HTML
    (servers that send no `tags`, or an archive that dropped them). The repost must carry
    the original's hashtags as a retweet does, or it is missing from per-hashtag counts."""
    home, other = "https://nhs.social", "https://other.example"
    when = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)
    original = mastodon_status("3", other, 3, f"<p>Our Retrospect {HASHTAG_HTML}</p>".format(
        home=other), [], mastodon_account("o", other, acct="o@other.example"), when)
    reblog = mastodon_status("4", home, 4, "", [], mastodon_account("lib", home),
                             when + dt.timedelta(hours=1))
    reblog.update(reblog=original, uri=f"{home}/users/lib/statuses/4/activity")
    posts, _ = from_statuses([reblog])
    repost, context = posts
    assert (repost.kind, repost.referenced_id) == ("repost", original["uri"])
    assert repost.text == "Our Retrospect #KNOWvember"
    assert repost.hashtags == ("knowvember",)
    assert context.hashtags == ("knowvember",) and context.context_only


def test_a_status_from_a_server_with_fields_missing_or_null_maps() -> None:
    """Pleroma, Akkoma and GoToSocial leave out or null what Mastodon always sends."""
    home = "https://gts.example"
    status: Json = {
        "id": "01HGZK3J3N5Q8ZQ0R6W3Y4V5T2", "created_at": "2026-11-05T10:00:00.000Z",
        "uri": f"{home}/users/lib/statuses/01HGZK3J3N5Q8ZQ0R6W3Y4V5T2", "url": None,
        "content": f"<p>Knowledge caf&eacute; &amp; more<br>{HASHTAG_HTML}</p>".format(
            home=home),
        "account": {"id": "01H", "username": "lib", "acct": "lib", "url": f"{home}/@lib"},
        "tags": None, "mentions": None, "language": None, "card": None, "poll": None,
        "edited_at": "2026-11-05T10:05:00.000Z",
    }
    post = post_from_status(status)
    assert post.text == "Knowledge café & more\n#KNOWvember"
    assert post.hashtags == ("knowvember",) and post.lang is None
    assert post.url == status["uri"] and (post.likes, post.replies) == (0, 0)


# -- Bluesky: mapping real-shaped post views -----------------------------------------------

def view(text: str, created: str, indexed: str, *, rkey: str = "3kaaa") -> Json:
    post = bluesky_post(rkey, "did:plc:uhllibraries000000000000", "uhllib.bsky.social", text,
                        dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    post["record"]["createdAt"] = created
    post["indexedAt"] = indexed
    return post


@pytest.mark.parametrize("created, expected", [
    ("2026-11-05T12:34:56.789Z", dt.datetime(2026, 11, 5, 12, 34, 56, 789000, dt.UTC)),
    ("2026-11-05T12:34:56+00:00", dt.datetime(2026, 11, 5, 12, 34, 56, tzinfo=dt.UTC)),
    ("2026-11-05T12:34:56Z", dt.datetime(2026, 11, 5, 12, 34, 56, tzinfo=dt.UTC)),
    ("2026-11-05T12:34:56.789123Z", dt.datetime(2026, 11, 5, 12, 34, 56, 789123, dt.UTC)),
    ("2026-11-05T13:34:56.5+01:00", dt.datetime(2026, 11, 5, 12, 34, 56, 500000, dt.UTC)),
])
def test_created_at_in_the_forms_clients_write(created: str, expected: dt.datetime) -> None:
    post = post_from_view(view("Peer Assist #KNOWvember", created, "2026-11-05T12:35:00.000Z"))
    assert post.created_at == expected


def test_a_created_at_in_the_future_is_taken_as_when_the_service_indexed_it() -> None:
    """A client with a wrong clock wrote 2099; the post was indexed on 5 November 2026. The
    service itself sorts and filters it by the earlier of the two, so must the store: kept
    at 2099 it falls outside the campaign in every report."""
    post = post_from_view(view("Peer Assist #KNOWvember", "2099-01-01T00:00:00.000Z",
                               "2026-11-05T12:35:00.000Z"))
    assert post.created_at == dt.datetime(2026, 11, 5, 12, 35, tzinfo=dt.UTC)
    backdated = post_from_view(view("Imported from X #KNOWvember", "2019-11-05T09:00:00Z",
                                    "2026-11-05T12:35:00.000Z"))
    assert backdated.created_at == dt.datetime(2019, 11, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize("created", ["2026-11-05T12:34:56.789z", "yesterday", "", None])
def test_a_created_at_that_cannot_be_read_is_taken_as_when_it_was_indexed(
        created: str | None) -> None:
    """A record's createdAt is not checked when it is written: one that is no timestamp
    lost the whole post (skipped as unreadable) though the service had dated it. A
    lower-case 'z' is read as the 'Z' it means."""
    post = post_from_view(view("Peer Assist #KNOWvember", created, "2026-11-05T12:35:00Z"))  # type: ignore[arg-type]
    expected = (dt.datetime(2026, 11, 5, 12, 34, 56, 789000, dt.UTC) if created and
                created.endswith("z") else dt.datetime(2026, 11, 5, 12, 35, tzinfo=dt.UTC))
    assert post.created_at == expected


def test_a_post_with_no_time_at_all_is_reported_not_stored_undated() -> None:
    bad = view("Peer Assist #KNOWvember", "yesterday", "")
    problems: list[str] = []
    assert from_posts([bad], problems) == ([], [])
    assert problems == [f"post {bad['uri']!r}: not an ISO 8601 timestamp: 'yesterday'"]


def test_missing_counts_and_langs_read_as_none_and_zero() -> None:
    post = view("Knowledge cafe #KNOWvember", "2026-11-05T12:34:56Z", "2026-11-05T12:34:57Z")
    for key in ("likeCount", "repostCount", "replyCount", "quoteCount"):
        post.pop(key)
    post["record"].pop("langs")
    (record,), _ = from_posts([post])
    assert (record.likes, record.reposts, record.replies, record.quotes) == (0, 0, 0, 0)
    assert record.lang is None


# -- Bluesky: collecting through a session that expires -----------------------------------

class BlueskyServer(FakeAPI):
    """The fake Bluesky service, plus what a long run meets: a session the service says has
    expired (`ExpiredToken`, as 401 or 400) though the token's own expiry is hours away."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expire_next: list[int] = []  # statuses to answer searches with, once let through
        self.expire_after = 0  # searches answered normally first

    def _route(self, seen: Seen) -> _Answer:
        if seen.path == "/xrpc/app.bsky.feed.searchPosts" and self.expire_next:
            if self.expire_after > 0:
                self.expire_after -= 1
            else:
                return _Answer(self.expire_next.pop(0), _dump(
                    {"error": "ExpiredToken", "message": "Token has expired"}))
        return super()._route(seen)


def know_views(count: int, newest: dt.datetime = NOW - dt.timedelta(minutes=1)) -> list[Json]:
    return [bluesky_post(f"3k{i:06d}", "did:plc:uhllibraries000000000000",
                         "uhllib.bsky.social", f"Knowledge Cafe number {i} #KNOWvember",
                         newest - dt.timedelta(minutes=3 * i)) for i in range(count)]


def bluesky_settings(url: str) -> Settings:
    return settings_for(f'[sources.bluesky]\nenabled = true\nservice = "{url}"\ntimeout = 2\n')


@pytest.mark.parametrize("status", [401, 400])
def test_a_session_that_expires_mid_run_is_refreshed_and_the_run_goes_on(
        db_path: str, status: int) -> None:
    """The service can end a session before the token's own expiry (a server clock ahead
    of ours, a revoked session): it answers `ExpiredToken`, as 401 or 400. That failed the
    run (401), or was taken for the end of the cursor (400 with a cursor) and walked on by
    time window; now it signs in again and asks for the same page again."""
    with BlueskyServer() as api:
        api.add_bluesky(know_views(230))
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        api.expire_next, api.expire_after = [status], 1  # the second page's request
        record = run(db, settings, "bluesky")
        searches = api.seen("/xrpc/app.bsky.feed.searchPosts")
        logins = api.seen("/xrpc/com.atproto.server.createSession")
    assert record.status == "ok", record.error
    assert record.new == 230 and len(stored(db)) == 230
    assert len(logins) == 2  # signed in again once
    assert [r.param("cursor") for r in searches] == [None, "100", "100", "200"]
    assert [r.param("until") for r in searches] == [None] * 4  # no time-window walk
    db.dispose()


def test_a_session_that_stays_expired_fails_the_run_naming_what_to_check(db_path: str) -> None:
    with BlueskyServer() as api:
        api.add_bluesky(know_views(5))
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        api.expire_next = [401] * 10
        record = run(db, settings, "bluesky")
    assert record.status == "failed"
    assert "still says the session has expired" in (record.error or "")
    assert "clock" in (record.error or "") and BSKY_PASSWORD not in (record.error or "")
    assert len(api.seen("/xrpc/com.atproto.server.createSession")) == 4  # bounded
    db.dispose()


def test_a_changed_handle_is_one_account_under_its_new_handle(db_path: str) -> None:
    """Handles change (a custom domain); the DID does not: one account, named as now."""
    with BlueskyServer() as api:
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        api.add_bluesky(know_views(3, NOW - dt.timedelta(hours=5)))
        assert run(db, settings, "bluesky").new == 3
        renamed = bluesky_post("3knew0001", "did:plc:uhllibraries000000000000",
                               "library.uhl-tr.nhs.uk", "Peer Assist today #KNOWvember",
                               NOW - dt.timedelta(minutes=30))
        for view_ in api.bluesky_posts.values():  # the service shows the current handle
            view_["author"]["handle"] = "library.uhl-tr.nhs.uk"
        api.add_bluesky([renamed])
        later = run(db, settings, "bluesky")
    assert later.status == "ok" and later.new == 1
    (account,) = all_accounts(db)
    assert account.handle == "library.uhl-tr.nhs.uk"
    assert account.key == "did:plc:uhllibraries000000000000"
    posts = stored(db)
    assert len({p.account_id for p in posts.values()}) == 1
    # The links of the posts stored under the old handle still lead to them.
    assert all(p.url.startswith("https://bsky.app/profile/did:plc:uhllibraries000000000000/"
                                "post/") for p in posts.values())
    db.dispose()


# -- Mastodon: servers whose ids are not snowflakes ----------------------------------------

class GoToSocialServer(FakeAPI):
    """A tag timeline as GoToSocial serves it: ULID-like ids (compared as text, so the
    snowflake made from the campaign start is older than all of them... or newer), pages
    newest first, and the `Link` header to page with (`next`: max_id, `prev`: min_id)."""

    def _mastodon_tag(self, seen: Seen, tag: str) -> _Answer:
        limit = min(int(seen.param("limit") or 20), 40)
        found = sorted((s for s in self.statuses.values()
                        if tag.lower() in {t["name"] for t in s.get("tags") or ()}),
                       key=lambda s: s["id"])
        if seen.param("max_id"):
            found = [s for s in found if s["id"] < (seen.param("max_id") or "")]
        if seen.param("min_id"):
            page = [s for s in found if s["id"] > (seen.param("min_id") or "")][:limit]
        else:
            page = found[-limit:]
        page.reverse()  # newest first
        headers = {}
        if page:
            base = f"{self.url}{seen.path}"
            headers["Link"] = (f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"')
        return _Answer(200, _dump(page), headers)


def ulid_at(moment: dt.datetime, sequence: int = 0) -> str:
    """A ULID-like id: time first, fixed length, letters in it (never all digits)."""
    return f"01HX{int(moment.timestamp() * 1000):015d}{sequence:07d}"


def gts_statuses(home: str, count: int, newest: dt.datetime) -> list[Json]:
    person = mastodon_account("lib", home, local_id="01HXLIB")
    person.pop("uri")  # GoToSocial sends no account uri
    statuses = []
    for number in range(count):
        when = newest - dt.timedelta(hours=number)
        status = mastodon_status(ulid_at(when, number), home, number,
                                 f"<p>Knowledge cafe {number} {HASHTAG_HTML}</p>".format(
                                     home=home), ["knowvember"], person, when)
        for missing in ("card", "poll", "media_attachments", "emojis"):
            status.pop(missing)
        status["uri"] = f"{home}/users/lib/statuses/{status['id']}"
        statuses.append(status)
    return statuses


def mastodon_settings(instances: list[str]) -> Settings:
    return settings_for(f"[sources.mastodon]\nenabled = true\n"
                        f"instances = {json.dumps(instances)}\ntimeout = 2\n")


def test_a_server_without_snowflake_ids_is_walked_back_to_the_campaign_start(
        db_path: str) -> None:
    """GoToSocial (and Pleroma, Akkoma) ids are not snowflakes, so the `min_id` made from
    the campaign start means nothing to them: GoToSocial answered it with no statuses and
    the run was `ok` with nothing collected. The first run now walks back from the newest
    status by the server's Link header to the campaign start; later runs page forward."""
    with GoToSocialServer() as api:
        campaign = gts_statuses(api.url, 50, NOW - dt.timedelta(hours=1))  # 18-20 November
        before = gts_statuses(api.url, 3, dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
        for status in before:
            status["uri"] += "-october"
        api.add_statuses(campaign + before)
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=db_path)
        record = run(db, settings, "mastodon")
        first = api.seen("/api/v1/timelines/tag/")
        assert record.status == "ok", record.error
        assert record.new == 50 and set(stored(db)) == {s["uri"] for s in campaign}
        assert first[1].param("min_id") is None and first[2].param("max_id") is not None
        newer = gts_statuses(api.url, 2, NOW + dt.timedelta(hours=2))
        for status in newer:
            status["uri"] += "-new"
        api.add_statuses(newer)
        later = run(db, settings, "mastodon", now=NOW + dt.timedelta(hours=3))
        asked = api.seen("/api/v1/timelines/tag/")[len(first):]
    assert later.status == "ok" and (later.new, later.fetched) == (2, 2)
    assert asked[0].param("min_id") == campaign[0]["id"]  # forward from the newest stored
    assert len(stored(db)) == 52
    db.dispose()


def test_a_walk_back_that_is_stopped_is_done_again_without_duplicates(db_path: str) -> None:
    with GoToSocialServer() as api:
        campaign = gts_statuses(api.url, 90, NOW - dt.timedelta(hours=1))
        api.add_statuses(campaign)
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=db_path)
        api.fail("/api/v1/timelines/tag/", 503, times=10, after=3)  # the third page fails
        broken = run(db, settings, "mastodon")
        assert broken.status in ("partial", "failed") and len(stored(db)) == 80
        again = run(db, settings, "mastodon")
    assert again.status == "ok", again.error
    assert (again.new, len(stored(db))) == (10, 90)
    db.dispose()


def test_an_instance_with_nothing_since_the_start_is_asked_once_next_time(
        db_path: str) -> None:
    """On a Mastodon instance whose hashtag has only older posts, the first run sees that
    its ids are snowflakes and saves the start's id: later runs ask one page, as before."""
    with FakeAPI() as api:
        old = dt.datetime(2026, 10, 3, tzinfo=dt.UTC)
        api.add_statuses([mastodon_status(mastodon_id(old), api.url, 1, "<p>#KNOWvember</p>",
                                          ["knowvember"], mastodon_account("lib", api.url),
                                          old)])
        settings = mastodon_settings([api.url])
        db = open_database(settings, url=db_path)
        assert run(db, settings, "mastodon").new == 0
        asked = len(api.seen("/api/v1/timelines/tag/"))
        assert run(db, settings, "mastodon").status == "ok"
        assert len(api.seen("/api/v1/timelines/tag/")) - asked == 1
    assert stored(db) == {}
    db.dispose()


def quote_of(original: Json, rkey: str, created: dt.datetime) -> Json:
    """A post quoting `original`, with the embed view as the service sends it: the quoted
    viewRecord carries no counts (as in the recorded bluesky_search_posts_2.json)."""
    quote = bluesky_post(rkey, "did:plc:quoter00000000000000000", "quoter.bsky.social",
                         "Worth reading #KNOWvember", created)
    quote["record"]["embed"] = {"$type": "app.bsky.embed.record",
                                "record": {"uri": original["uri"], "cid": original["cid"]}}
    quote["embed"] = {"$type": "app.bsky.embed.record#view", "record": {
        "$type": "app.bsky.embed.record#viewRecord", "uri": original["uri"],
        "cid": original["cid"], "author": original["author"], "value": original["record"],
        "indexedAt": original["indexedAt"]}}
    return quote


def test_a_quote_in_a_later_run_keeps_the_quoted_campaign_posts_counts(db_path: str) -> None:
    with BlueskyServer() as api:
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        original = bluesky_post("3korig0001", "did:plc:uhllibraries000000000000",
                                "uhllib.bsky.social", "Our Peer Assist #KNOWvember",
                                NOW - dt.timedelta(hours=5), likes=12)
        api.add_bluesky([original, *know_views(2, NOW - dt.timedelta(hours=1))])
        run(db, settings, "bluesky")  # the next run starts from the newer posts
        api.add_bluesky([quote_of(original, "3kquote001", NOW - dt.timedelta(minutes=10))])
        assert run(db, settings, "bluesky").new == 1
    assert stored(db)[original["uri"]].likes == 12
    db.dispose()


@pytest.mark.parametrize("form", ["mastodon", "fedibird", "pleroma"])
def test_a_quote_is_a_quote_in_every_servers_form(form: str) -> None:
    """Mastodon 4.4 wraps the quoted status (`quote.quoted_status`); Fedibird and Akkoma
    send it as `quote`, Pleroma as `pleroma.quote`. Only the first was read: the others
    were stored as originals, and the quoted campaign post was not stored with them."""
    home, other = "https://nhs.social", "https://other.example"
    when = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)
    original = mastodon_status("3", other, 3, "<p>Our Retrospect #KNOWvember</p>",
                               ["knowvember"], mastodon_account("o", other, acct="o@other.example"),
                               when)
    status = mastodon_status("4", home, 4, "<p>Worth a read</p>", [],
                             mastodon_account("lib", home), when + dt.timedelta(hours=1))
    status.update({"mastodon": {"quote": {"state": "accepted", "quoted_status": original}},
                   "fedibird": {"quote": original},
                   "pleroma": {"pleroma": {"quote": original, "quote_id": "3"}}}[form])
    posts, accounts = from_statuses([status])
    quote, context = posts
    assert (quote.kind, quote.referenced_id) == ("quote", original["uri"])
    assert context.platform_id == original["uri"] and context.context_only
    assert {a.handle for a in accounts} == {"@lib@nhs.social", "@o@other.example"}


# -- importing saved pages -------------------------------------------------------------------

def import_file(db: Database, settings: Settings, fmt: str, path: Path) -> ingest.RunRecord:
    hooks = ingest.Hooks(now=lambda: NOW, sleep=Sleeps(), lock_wait=0, env={})
    (record,) = ingest.import_files(db, settings, fmt, [path], hooks).runs
    return record


def test_a_saved_author_feed_keeps_the_accounts_reposts(tmp_path: Path, db_path: str) -> None:
    """A library saves its own feed (getAuthorFeed): its reposts are items whose `reason`
    says who reposted. Only `post` was read, so a repost was stored as the original alone
    and the library's repost was lost (a Mastodon reblog is kept as a repost)."""
    original = bluesky_post("3korig0001", "did:plc:ukhsa0000000000000000000", "ukhsa.bsky.social",
                            "Our Retrospect guide #KNOWvember",
                            dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC), likes=4)
    own = bluesky_post("3kown00001", "did:plc:uhllibraries000000000000", "uhllib.bsky.social",
                       "Knowledge cafe today #KNOWvember",
                       dt.datetime(2026, 11, 6, 9, tzinfo=dt.UTC))
    library = own["author"]
    repost_uri = "at://did:plc:uhllibraries000000000000/app.bsky.feed.repost/3krepost01"
    feed = {"feed": [
        {"post": own},
        {"post": original, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                      "by": library, "uri": repost_uri, "cid": "bafyrepost",
                                      "indexedAt": "2026-11-06T10:00:00.000Z"}},
        {"post": original, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                      "by": library, "indexedAt": "2026-11-06T11:00:00.000Z"}},
    ], "cursor": "x"}
    path = tmp_path / "uhllib_feed.json"
    path.write_text(json.dumps(feed))
    settings = settings_for("")
    db = open_database(settings, url=db_path)
    record = import_file(db, settings, "bluesky", path)
    assert record.status == "ok", record.error
    posts = stored(db)
    assert set(posts) == {own["uri"], original["uri"], repost_uri}
    repost = posts[repost_uri]
    assert (repost.kind, repost.referenced_id) == ("repost", original["uri"])
    assert repost.created_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 11, 6, 10,
                                                                   tzinfo=dt.UTC)
    assert hashtags_of(db, repost_uri) == {"knowvember"}
    assert posts[original["uri"]].likes == 4
    library_id = {a.key: a.id for a in all_accounts(db)}["did:plc:uhllibraries000000000000"]
    assert repost.account_id == library_id
    db.dispose()


class CyclingCursorServer(BlueskyServer):
    """A search answer whose cursor leads back to an earlier page (a caching proxy, a
    service bug): page 3 is page 1 again, with page 1's cursor."""

    def _route(self, seen: Seen) -> _Answer:
        if seen.path == "/xrpc/app.bsky.feed.searchPosts" and seen.param("cursor") == "200":
            seen.params["cursor"] = ["0"]
        return super()._route(seen)


def test_a_cursor_that_leads_back_to_an_earlier_page_stops_the_paging(db_path: str) -> None:
    """Only a page equal to the one before it was caught, so pages 1, 2, 1, 2... never
    ended: the run held its lock for ever and every scheduled run after it exited 75."""
    with CyclingCursorServer() as api:
        api.add_bluesky(know_views(350))
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        record = run(db, settings, "bluesky")
        searches = api.seen("/xrpc/app.bsky.feed.searchPosts")
    assert len(searches) <= 4
    assert record.status == "partial" and "cursor" in (record.error or "")
    assert len(stored(db)) == 200
    db.dispose()


def test_an_account_archive_outbox_imports_its_public_posts(db_path: str) -> None:
    """A Mastodon account archive's outbox.json (ActivityPub, what Settings > Import and
    export gives) was refused as 'not a Mastodon tag timeline page'; it now imports its
    public posts under the status URIs a collection stores (the ninth session's trial:
    tests/test_trial9_fediverse_archives.py covers the rest)."""
    settings = settings_for("")
    db = open_database(settings, url=db_path)
    record = import_file(db, settings, "mastodon", TRIAL / "outbox.json")
    assert record.status == "ok" and record.new == 1
    assert "https://nhs.social/users/lib/statuses/1" in stored(db)
    db.dispose()


class LexiconTagServer(BlueskyServer):
    """searchPosts with `tag` as the lexicon defines it: "based on rich-text facet or tag
    field", so a hashtag typed by a client that makes no facets does not match it (the
    shared fake also matches `#tag` in the text)."""

    def _bluesky_search(self, seen: Seen) -> _Answer:
        wanted = {t.lower() for t in seen.params.get("tag", [])}
        if not wanted:
            return super()._bluesky_search(seen)
        hidden = {uri: view for uri, view in self.bluesky_posts.items()
                  if not wanted <= _facet_or_tags(view)}
        for uri in hidden:
            del self.bluesky_posts[uri]
        try:
            return super()._bluesky_search(seen)
        finally:
            self.bluesky_posts.update(hidden)


def _facet_or_tags(view: Json) -> set[str]:
    record = view.get("record") or {}
    tags = {f["tag"].lower() for facet in record.get("facets") or ()
            for f in facet.get("features") or () if f.get("$type", "").endswith("#tag")}
    return tags | {t.lower() for t in record.get("tags") or ()}


def test_a_hashtag_typed_without_a_facet_is_found(db_path: str) -> None:
    with LexiconTagServer() as api:
        typed = bluesky_post("3ktyped001", "did:plc:uhllibraries000000000000",
                             "uhllib.bsky.social", "Knowledge cafe today #KNOWvember",
                             NOW - dt.timedelta(hours=2))
        typed["record"].pop("facets")  # a client that makes no facets
        api.add_bluesky([typed, *know_views(2)])
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=db_path)
        record = run(db, settings, "bluesky")
    assert record.status == "ok"
    assert typed["uri"] in stored(db)
    db.dispose()


# -- a server in maintenance says how long it will be --------------------------------------

class MaintenanceServer(BlueskyServer):
    """Answers the first `down` requests to a path with 503 and `Retry-After: 45`, as a
    server (or its proxy) in maintenance does."""

    def __init__(self, prefix: str, down: int) -> None:
        super().__init__()
        self.prefix, self.down = prefix, down

    def _route(self, seen: Seen) -> _Answer:
        if seen.path.startswith(self.prefix) and self.down > 0:
            self.down -= 1
            return _Answer(503, _dump({"error": "ServiceUnavailable",
                                       "message": "down for maintenance"}),
                           {"Retry-After": "45"})
        return super()._route(seen)


@pytest.mark.parametrize("source, prefix", [("mastodon", "/api/v1/timelines/tag/"),
                                            ("bluesky", "/xrpc/app.bsky.feed.searchPosts")])
def test_a_503_with_retry_after_waits_as_long_as_the_server_asks(
        db_path: str, source: str, prefix: str) -> None:
    """The `Retry-After` was ignored: the retries came after 2 s and 4 s, while the server
    had said 45 s, and the whole backoff (2 + 4 + 8 + 16 + 32 s) gives up before a longer
    maintenance is over."""
    with MaintenanceServer(prefix, down=2) as api:
        api.add_statuses(recorded_statuses(api.url))
        api.add_bluesky(know_views(5))
        settings = settings_for(
            f'[sources.mastodon]\nenabled = true\ninstances = ["{api.url}"]\nmax_retries = 2\n'
            if source == "mastodon" else
            f'[sources.bluesky]\nenabled = true\nservice = "{api.url}"\nmax_retries = 2\n')
        db = open_database(settings, url=db_path)
        sleeps = Sleeps()
        record = run(db, settings, source, sleeps=sleeps)
    assert record.status == "ok", record.error
    assert 89 <= sum(sleeps) <= 92  # twice 45 s, not 2 + 4
    db.dispose()


@pytest.mark.parametrize("value, expected", [
    ("45", 45.0), (" 0 ", 0.0), ("-3", 0.0), ("soon", None), ("", None), (None, None),
    ("Wed, 02 Dec 2026 01:00:30 GMT", 30.0), ("Wed, 02 Dec 2026 00:59:00 GMT", 0.0),
])
def test_retry_after_reads_seconds_and_http_dates(value: str | None,
                                                  expected: float | None) -> None:
    now = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC).timestamp()
    assert retry_after(value, lambda: now) == expected
