"""The eighth session's new-user trial of Mastodon and Bluesky: collecting from local fake
instances that federate the same posts (one of them older than Mastodon 4.2), and from a fake
Bluesky service, then importing saved pages. Each test is a defect the trial found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from collectors.bluesky_payload import from_posts
from collectors.mastodon_payload import account_key, from_statuses, html_to_text
from knowvember.db import open_database
from knowvember.techniques import Taxonomy
from tests.conftest import FIXTURES
from tests.conftest import stored_posts as stored
from tests.fakeapi import (
    BSKY_HANDLE,
    BSKY_PASSWORD,
    FakeAPI,
    Seen,
    _Answer,
    bluesky_post,
    mastodon_account,
    mastodon_id,
    mastodon_status,
)
from tests.test_trial_fediverse import (
    NOW,
    _z,
    all_accounts,
    bluesky_settings,
    import_file,
    know_views,
    mastodon_settings,
    run,
    settings_for,
)

Json = dict[str, Any]
HOME = "https://nhs.social"


def before_4_2(account: Json) -> Json:
    """An account as a Mastodon server older than 4.2 sends it: no `uri`."""
    return {k: v for k, v in account.items() if k != "uri"}


# -- Mastodon: one person through servers of different versions ---------------------------

def test_an_account_without_uri_has_the_key_its_uri_would_give() -> None:
    """Mastodon added the account `uri` in 4.2; an older server sends only the profile `url`
    (`https://host/@name`), so the same person was keyed `.../users/name` through a newer
    instance and `.../@name` through an older one: two accounts, their posts split."""
    newer = mastodon_account("alice", HOME, acct="alice@nhs.social")
    assert account_key(before_4_2(newer)) == account_key(newer) == f"{HOME}/users/alice"


def test_an_account_whose_url_is_its_uri_keeps_it() -> None:
    """Pleroma and Akkoma profiles are at the actor's own address; other forms of `url`
    (a path that is not `/@name`) are kept as they are, having nothing to be derived from."""
    pleroma = {"username": "lib", "acct": "lib@pl.example",
               "url": "https://pl.example/users/lib"}
    odd = {"username": "lib", "acct": "lib@x.example", "url": "https://x.example/profile/lib"}
    assert account_key(pleroma) == "https://pl.example/users/lib"
    assert account_key(odd) == "https://x.example/profile/lib"


def test_a_person_seen_through_a_pre_4_2_instance_is_one_account(tmp_path: Any) -> None:
    """Collected from a 4.3 instance and a 4.1 instance that both show the person's posts,
    the person is one account, and a post only the older server showed is theirs too."""
    when = NOW - dt.timedelta(days=2)
    person = mastodon_account("alice", HOME, acct="alice@nhs.social")
    shared = mastodon_status(mastodon_id(when), HOME, 1, "<p>Peer Assist #KNOWvember</p>",
                             ["knowvember"], person, when)
    only_old = mastodon_status(mastodon_id(when, 2), HOME, 2, "<p>Retrospect #KNOWvember</p>",
                               ["knowvember"], before_4_2(person), when)
    old_shared = dict(shared, id=mastodon_id(when, 3), account=before_4_2(person))
    with FakeAPI() as newer, FakeAPI() as older:
        newer.add_statuses([shared])
        older.add_statuses([old_shared, only_old])
        settings = mastodon_settings([newer.url, older.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon")
    assert record.status == "ok", record.error
    accounts = all_accounts(db)
    assert [a.key for a in accounts] == [f"{HOME}/users/alice"]
    assert len(stored(db)) == 2
    posts, found = from_statuses([old_shared, shared])
    assert {p.account_key for p in posts} == {a.key for a in found} == {f"{HOME}/users/alice"}
    db.dispose()


# -- imports: a saved page given to the other platform's import ---------------------------

MASTODON_PAGE = FIXTURES / "mastodon_tag_timeline_4.json"
BLUESKY_PAGE = FIXTURES / "bluesky_search_posts_2.json"


@pytest.mark.parametrize(("fmt", "path", "needs"), [
    ("bluesky", MASTODON_PAGE, "mastodon"), ("mastodon", BLUESKY_PAGE, "bluesky"),
    ("bluesky", FIXTURES / "twitter_search_recent_2.json", "twarc2")])
def test_a_page_of_another_platform_is_named_with_the_import_it_needs(
        tmp_path: Path, fmt: str, path: Path, needs: str) -> None:
    """A saved Mastodon page given to `import bluesky` failed with every status "no
    createdAt or indexedAt", which said neither what the file is nor what to do."""
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, fmt, path)
    assert record.status == "failed" and stored(db) == {}
    expected = {"bluesky": "Bluesky searchPosts response (expected an object with `posts`)",
                "mastodon": "Mastodon tag timeline page (expected a JSON array of statuses)"}
    assert (record.error or "").endswith(
        f"{path.name}:1: not a {expected[fmt]}: use `knowvember import {needs}` for it")
    db.dispose()


def test_bare_bluesky_post_views_given_to_import_mastodon_are_named(tmp_path: Path) -> None:
    """A list of post views (a searchPosts answer's `posts`, saved alone) is no page of
    statuses: one message naming the import, not "missing field 'created_at'" per post."""
    views = json.loads(BLUESKY_PAGE.read_text())["posts"]
    (tmp_path / "posts.json").write_text(json.dumps(views))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", tmp_path / "posts.json")
    assert record.status == "failed"
    assert "created_at" not in (record.error or "")
    assert (record.error or "").endswith("use `knowvember import bluesky` for it")
    db.dispose()


# -- Bluesky: a handle the service could not verify ---------------------------------------

KM_DID = "did:plc:kmnhs00000000000000000000"


def km_post(rkey: str, handle: str, when: dt.datetime) -> Json:
    return bluesky_post(rkey, KM_DID, handle, f"Peer Assist {rkey} #KNOWvember", when)


def test_an_unverified_handle_is_not_taken_for_one() -> None:
    """The service sends `handle.invalid` for every account whose handle it could not verify
    (a trust's own domain whose DNS record lapsed): the account was stored under that handle,
    shared with every such account, and linked to https://bsky.app/profile/handle.invalid."""
    (account,) = from_posts([km_post("3kaa1", "handle.invalid", NOW)])[1]
    assert account.handle == KM_DID and account.key == KM_DID
    assert account.url == f"https://bsky.app/profile/{KM_DID}"


def test_an_unverified_handle_keeps_the_handle_stored_before(tmp_path: Path) -> None:
    pages = tmp_path / "pages.jsonl"
    pages.write_text("\n".join(json.dumps({"posts": [post]}) for post in (
        km_post("3kaa1", "km.nhs.uk", NOW - dt.timedelta(days=2)),
        km_post("3kaa2", "handle.invalid", NOW - dt.timedelta(days=1)))))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "bluesky", pages).status == "ok"
    assert [a.handle for a in all_accounts(db)] == ["km.nhs.uk"]
    db.dispose()


@pytest.mark.parametrize("typed", [f"@{BSKY_HANDLE}", f" {BSKY_HANDLE}\r"])
def test_a_handle_written_as_the_app_shows_it_signs_in(tmp_path: Path, typed: str) -> None:
    """The app shows handles as "@lib.bsky.social", and coordinators copy them so into the
    handle variable; the service takes an identifier with "@" for an email address, and the
    run failed with "Bluesky refused the login ... check $KNOWVEMBER_BLUESKY_HANDLE"."""
    with FakeAPI() as api:
        api.add_bluesky(know_views(3))
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "bluesky", env={
            "KNOWVEMBER_BLUESKY_HANDLE": typed, "KNOWVEMBER_BLUESKY_APP_PASSWORD": BSKY_PASSWORD})
        (login,) = api.seen("/xrpc/com.atproto.server.createSession")
    assert record.status == "ok", record.error
    assert (login.body or {})["identifier"] == BSKY_HANDLE and record.new == 3
    db.dispose()


# -- Mastodon: HTML that remote servers send ------------------------------------------------

def test_lists_headings_and_quotes_keep_their_words_apart() -> None:
    """Mastodon 4 keeps the lists, headings and block quotes of posts from Misskey, Akkoma or
    a WordPress blog; their items ran together ("Peer AssistRandomised Coffee Trial"), and
    neither technique was tagged."""
    content = ("<h2>Our KNOWvember day</h2><p>What we tried:</p><ul><li>Peer Assist</li>"
               "<li>Randomised Coffee Trial</li></ul><blockquote><p>So useful</p></blockquote>"
               "<div>After Action Review next</div>")
    text = html_to_text(content)
    assert text == ("Our KNOWvember day\n\nWhat we tried:\n\nPeer Assist\nRandomised Coffee "
                    "Trial\n\nSo useful\n\nAfter Action Review next")
    assert set(Taxonomy.load().tag(text)) == {
        "Peer Assist", "Randomised Coffee Trial", "After Action Review"}


def test_an_edited_status_read_again_is_stored_as_edited(tmp_path: Path) -> None:
    """A status keeps its uri when edited: read again, it kept its first text (now stored
    as edited, by 6bbb103 in the store)."""
    when = NOW - dt.timedelta(days=3)
    person = mastodon_account("alice", HOME, acct="alice@nhs.social")
    first = mastodon_status(mastodon_id(when), HOME, 1, "<p>Our Retrospect #KNOWvember</p>",
                            ["knowvember"], person, when)
    edited = dict(first, content="<p>Our Peer Assist #KNOWvember</p>",
                  edited_at="2026-11-18T10:00:00.000Z")
    (tmp_path / "day1.json").write_text(json.dumps([first]))
    (tmp_path / "day2.json").write_text(json.dumps([edited]))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    for name in ("day1.json", "day2.json"):
        assert import_file(db, settings, "mastodon", tmp_path / name).status == "ok"
    (post,) = stored(db).values()
    assert post.text == "Our Peer Assist #KNOWvember"
    db.dispose()


class WebAppServer(FakeAPI):
    """What `service = "https://bsky.app"` answers: the web app's page, for every address."""

    def _route(self, seen: Seen) -> _Answer:
        return _Answer(200, b"<!DOCTYPE html><html><title>Bluesky</title></html>", {},
                       "text/html; charset=utf-8")


def test_a_service_that_is_not_the_api_is_named_in_the_error(tmp_path: Path) -> None:
    """The web app's address as `service` failed the run with "Bluesky login: Bluesky sent a
    login answer that could not be read", naming neither the address nor the setting."""
    with WebAppServer() as api:
        service = api.url
        settings = bluesky_settings(service)
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "bluesky")
    assert record.status == "failed"
    assert f"{service} sent a login answer that could not be read" in (record.error or "")
    assert "[sources.bluesky] service" in (record.error or "")
    db.dispose()


# -- Mastodon: an address that is not an instance's --------------------------------------

def test_a_profile_address_in_instances_collects_from_its_instance(tmp_path: Path) -> None:
    """`instances = ["https://nhs.social/@lib"]` (a profile link pasted) had every request
    made under the profile's address, answered with its web page: five retries, then "a
    malformed or cut-short response (not JSON)". The instance is asked, with a warning."""
    when = NOW - dt.timedelta(days=1)
    with FakeAPI() as api:
        api.add_statuses([mastodon_status(mastodon_id(when), HOME, 1, "<p>#KNOWvember</p>",
                                          ["knowvember"], mastodon_account("lib", HOME),
                                          when)])
        pasted = f"{api.url}/@lib"
        settings = mastodon_settings([pasted])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon")
        base = api.url
    assert record.status == "ok", record.error
    assert record.new == 1
    assert record.details["warnings"] == [
        f"{pasted} is the address of a page, not of an instance: collecting from {base} "
        "(write that in [sources.mastodon] instances)"]
    db.dispose()


class WebPageServer(FakeAPI):
    """A web site where the instance should be: every address answers with a page."""

    def _route(self, seen: Seen) -> _Answer:
        return _Answer(200, b"<!DOCTYPE html><html><title>NHS Library</title></html>", {},
                       "text/html; charset=utf-8")


def test_a_web_page_instead_of_the_api_names_the_address_to_check(tmp_path: Path) -> None:
    with WebPageServer() as api:
        instance = api.url
        settings = mastodon_settings([instance])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon")
    assert record.status == "failed"
    assert (f"an HTML page instead of an API answer (is {instance} the address of a "
            "Mastodon instance?)") in (record.error or "")
    db.dispose()


# -- Bluesky: a post indexed after the run that saw newer ones ------------------------------

def test_a_post_indexed_after_the_last_run_but_sorted_before_it_is_collected(
        tmp_path: Path) -> None:
    """Search sorts by the earlier of createdAt and indexedAt. A post written at 10:58 on a
    phone whose clock runs two minutes slow, indexed at 11:00 after a run that had seen a
    post of 10:59, sorts before that post: the next run asked only from 10:59, and it was
    never collected."""
    seen = NOW - dt.timedelta(hours=1)
    with FakeAPI() as api:
        api.add_bluesky(know_views(3, newest=seen))
        settings = bluesky_settings(api.url)
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        assert run(db, settings, "bluesky", now=NOW).new == 3
        late = bluesky_post("3klate", KM_DID, "km.nhs.uk", "Retrospect done #KNOWvember",
                            seen - dt.timedelta(minutes=2))
        late["indexedAt"] = _z(NOW + dt.timedelta(minutes=1))
        api.add_bluesky([late])
        record = run(db, settings, "bluesky", now=NOW + dt.timedelta(minutes=30))
    assert record.status == "ok", record.error
    assert record.new == 1 and late["uri"] in stored(db)
    db.dispose()


# -- Mastodon: a rate limit that resets later than the run may wait -------------------------

def test_a_rate_limit_longer_than_the_wait_allowed_is_a_partial_run(tmp_path: Path) -> None:
    """An instance's 429 resetting after `max_wait_seconds` failed the run (exit 1: cron
    mails "collect failed") though its message said "the next run continues"; X and Bluesky
    runs are partial then (exit 4), and so is this one. Other instances are still asked."""
    when = NOW - dt.timedelta(days=1)
    with FakeAPI() as busy, FakeAPI() as calm:
        for api, number in ((busy, 1), (calm, 2)):
            api.add_statuses([mastodon_status(
                mastodon_id(when, number), HOME, number, "<p>#KNOWvember</p>", ["knowvember"],
                mastodon_account("lib", HOME), when)])
        records = []
        for instances in ([busy.url], [busy.url, calm.url]):
            busy.fail("/api/v1/timelines/tag/", "429", reset_in=600)
            settings = settings_for(
                f"[sources.mastodon]\nenabled = true\ninstances = {json.dumps(instances)}"
                "\nmax_wait_seconds = 60\n")
            db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
            records.append(run(db, settings, "mastodon"))
            db.dispose()
        busy_url = busy.url
    assert [(r.status, r.new) for r in records] == [("partial", 0), ("partial", 1)]
    for record in records:
        assert (record.error or "").startswith(
            f"Mastodon {busy_url} #knowvember: rate limit reached (429)")
        assert (record.error or "").endswith("the next run continues")


@pytest.mark.parametrize(("fmt", "answer", "said"), [
    ("mastodon", {"error": "This method requires an authenticated user"},
     "This method requires an authenticated user"),
    ("bluesky", {"error": "AuthenticationRequired", "message": "Authentication Required"},
     "AuthenticationRequired: Authentication Required")])
def test_a_saved_error_answer_is_named_as_one(tmp_path: Path, fmt: str, answer: Json,
                                              said: str) -> None:
    """A page saved from the browser while signed out holds the server's error, not results;
    the import said only "not a Mastodon tag timeline page" or "not a Bluesky searchPosts
    response", as for a file of the wrong kind."""
    (tmp_path / "page.json").write_text(json.dumps(answer))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, fmt, tmp_path / "page.json")
    assert record.status == "failed"
    assert (record.error or "").endswith(
        f"page.json:1: an error answer saved in place of results ({said}); save the page "
        "again (signed in, if the server asked for that)")
    db.dispose()


def test_a_follower_count_from_the_home_instance_wins(tmp_path: Path) -> None:
    """The same person seen through their home instance (500 followers) and a remote one
    whose copy is behind (20) was stored with the last instance's count: potential reach
    depended on the order of `instances`."""
    when = NOW - dt.timedelta(days=1)
    with FakeAPI() as home, FakeAPI() as remote:
        person = mastodon_account("lib", home.url, followers=500)
        status = mastodon_status(mastodon_id(when), home.url, 1, "<p>#KNOWvember</p>",
                                 ["knowvember"], person, when)
        home.add_statuses([status])
        remote.add_statuses([dict(status, id=mastodon_id(when, 9),
                                  account=dict(person, acct=f"lib@{home.url[7:]}",
                                               followers_count=20))])
        settings = mastodon_settings([home.url, remote.url])
        db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
        record = run(db, settings, "mastodon")
    assert record.status == "ok", record.error
    assert [a.followers for a in all_accounts(db)] == [500]
    db.dispose()
