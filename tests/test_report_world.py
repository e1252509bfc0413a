"""A small campaign whose every number can be counted by hand, for the reporting tests.

Built through the real store (`PostWriter`, with the technique tagger) plus ORM inserts for
what has no writer of its own here (stories, runs, attribution). Times are UTC; in
November Europe/London is UTC+0, America/New_York is UTC-4 until 3 November 06:00 UTC and
UTC-5 after, which moves several posts across local midnights.

    post  account         kind      UTC time             likes rp rl q  notes
    p1    a1 RWE          original  2019-11-01 09:00:00  5     2  1  0  Peer Assist
    p2    a1 RWE          reply p3  2019-11-01 23:59:59  1     0  0  0  mentions @mft_lib
    p3    a3 R0A          original  2019-11-01 10:00:00  10    3  0  0  AAR, mentions @uhl_lib
    p4    a2 RWE          repost p3 2019-11-02 00:00:00  10    3  0  0  the original's counts
    p5    a4 RBS (mast.)  original  2019-11-02 12:00:00  2     0  0  0  Knowledge Cafe, @uhl_kate
    p6    a4 RBS (mast.)  quote p5  2019-11-03 08:00:00  1     0  0  0  its own post
    p7    a6 unattributed original  2019-11-03 15:30:00  0     0  0  0
    p8    a7 SCHOOLS (oos) original 2019-11-04 11:00:00  4     0  0  0  hostile text and url
    p9    a8 RWE opted out original 2019-11-04 12:00:00  100   0  0  0
    p10   a1 RWE          original  2019-10-31 23:59:00  0     0  0  0  before the campaign
    p11   a3 R0A          original  2019-12-01 00:00:00  0     0  0  0  after (London only)
    p12   a3 R0A          original  2019-11-10 05:00:00  0     0  0  0  mentions itself
    p13   a3 R0A          original  2019-11-10 04:59:59  0     0  0  0

@uhl_kate in p5 is an X handle in a Mastodon post: a different account, no connection.

Stories: s1 approved+consent (RWE, Peer Assist), s2 approved without consent (R0A, AAR),
s3 submitted (RBS), s4 approved+consent (UNI-LIB, Retrospect, only a story), s5 rejected
(RWE). A 2018 campaign has one post by a3 (R0A), so R0A is not a first-time organisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from knowvember.config import Settings, parse_settings
from knowvember.db import Database, open_database
from knowvember.hashtags import CampaignTags
from knowvember.models import Account, Story, StoryTechnique
from knowvember.records import AccountRecord, PostRecord
from knowvember.runs import RunRecord, finish_run, start_run
from knowvember.store import PostWriter
from knowvember.techniques import Taxonomy
from tests.conftest import BASE_CONFIG

WORLD_EXTRA = """
[[organisations]]
code = "UNI-LIB"
name = "University of Example Library"
region = "Midlands"

[[organisations]]
code = "SCHOOLS"
name = "Schools KNOWvember"
out_of_scope = true

[leaderboard]
exclude_accounts = ["x:@optout"]
"""

HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> =HYPERLINK("http://evil")'
UTC = dt.UTC


def world_config(timezone: str = "Europe/London") -> str:
    return BASE_CONFIG.replace('timezone = "Europe/London"', f'timezone = "{timezone}"') \
        + WORLD_EXTRA


def make_settings(folder: Path, timezone: str = "Europe/London") -> Settings:
    path = folder / "campaign.toml"
    text = world_config(timezone)
    path.write_text(text, encoding="utf-8")
    return parse_settings(text, path)


ACCOUNTS = {
    # name: (platform, key, handle, display name, followers, organisation)
    "a1": ("x", "1", "@uhl_lib", "UHL Library", 100, "RWE"),
    "a2": ("x", "2", "@uhl_kate", "Kate at UHL", 50, "RWE"),
    "a3": ("x", "3", "@mft_lib", "MFT Library & Knowledge", 200, "R0A"),
    "a4": ("mastodon", "https://nhs.social/users/lib", "@lib@nhs.social", "Alder Hey Library",
           30, "RBS"),
    "a6": ("x", "6", "@nobody", '<b>Bold</b> "Nobody"', 10, None),
    "a7": ("x", "7", "@school", "Schools KM", 500, "SCHOOLS"),
    "a8": ("x", "8", "@optout", "Opted Out", 1000, "RWE"),
}


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


POSTS = [
    # id, account, kind, time, likes, reposts, replies, quotes, ref, text, mentions, url
    ("p1", "a1", "original", "2019-11-01 09:00:00", 5, 2, 1, 0, None,
     "Our Peer Assist session #KNOWvember19", ("@optout",), "https://x.com/uhl_lib/status/p1"),
    ("p2", "a1", "reply", "2019-11-01 23:59:59", 1, 0, 0, 0, "p3",
     "@mft_lib thank you! #KNOWvember19", ("@mft_lib",), None),
    ("p3", "a3", "original", "2019-11-01 10:00:00", 10, 3, 0, 0, None,
     "After Action Review with the team #KNOWvember19 @uhl_lib", ("@uhl_lib",), None),
    ("p4", "a2", "repost", "2019-11-02 00:00:00", 10, 3, 0, 0, "p3",
     "RT @mft_lib: After Action Review with the team #KNOWvember19", (), None),
    ("p5", "a4", "original", "2019-11-02 12:00:00", 2, 0, 0, 0, None,
     "Knowledge café at Alder Hey #KNOWvember @uhl_kate", ("@uhl_kate",), None),
    ("p6", "a4", "quote", "2019-11-03 08:00:00", 1, 0, 0, 0, "p5",
     "Great to see this #KNOWvember19", (), None),
    ("p7", "a6", "original", "2019-11-03 15:30:00", 0, 0, 0, 0, None,
     "Hello #KNOWvember19 @mft_lib", ("@mft_lib",), None),
    ("p8", "a7", "original", "2019-11-04 11:00:00", 4, 0, 0, 0, None,
     HOSTILE + " #KNOWvember19 @uhl_lib", ("@uhl_lib",), "javascript:alert(1)"),
    ("p9", "a8", "original", "2019-11-04 12:00:00", 100, 0, 0, 0, None,
     "Please leave me out #KNOWvember19 @mft_lib", ("@mft_lib",), None),
    ("p10", "a1", "original", "2019-10-31 23:59:00", 0, 0, 0, 0, None,
     "Coming soon #KNOWvember19", (), None),
    ("p11", "a3", "original", "2019-12-01 00:00:00", 0, 0, 0, 0, None,
     "That was #KNOWvember19", (), None),
    ("p12", "a3", "original", "2019-11-10 05:00:00", 0, 0, 0, 0, None,
     "Midnight in New York #KNOWvember19 @mft_lib", ("@mft_lib",), None),
    ("p13", "a3", "original", "2019-11-10 04:59:59", 0, 0, 0, 0, None,
     "A second before #KNOWvember19", (), None),
]

STORIES = [
    # title, status, consent, organisation, techniques
    ("Peer Assist for F1 doctors <script>alert(1)</script>", "approved", True, "RWE",
     ["Peer Assist"]),
    ("Our AAR programme", "approved", False, "R0A", ["After Action Review"]),
    ("Coffee trials", "submitted", True, "RBS", ["Randomised Coffee Trial"]),
    ("A retrospect on the library move", "approved", True, "UNI-LIB", ["Retrospect"]),
    ("Not this one", "rejected", True, "RWE", ["Storytelling"]),
]


@dataclass
class World:
    db: Database
    settings: Settings
    post_ids: dict[str, int]
    account_ids: dict[str, int]


def _records(names: list[str]) -> tuple[list[PostRecord], list[AccountRecord]]:
    posts = []
    for pid, account, kind, when, likes, reposts, replies, quotes, ref, text, mentions, url \
            in POSTS:
        if pid not in names:
            continue
        posts.append(PostRecord(
            platform=ACCOUNTS[account][0], platform_id=pid, account_key=ACCOUNTS[account][1],
            created_at=_t(when), text=text, kind=kind, referenced_id=ref,
            hashtags=("knowvember19",), mentions=mentions, likes=likes, reposts=reposts,
            replies=replies, quotes=quotes, url=url,
        ))
    accounts = [AccountRecord(platform=p, key=k, handle=h, display_name=d, followers=f)
                for p, k, h, d, f, _ in ACCOUNTS.values()]
    return posts, accounts


def build_world(db: Database, settings: Settings) -> World:
    taxonomy = Taxonomy.load(settings)
    writer = PostWriter(db, CampaignTags(settings.campaign.all_tags), source="test",
                        tagger=taxonomy.tag)
    posts, accounts = _records([p[0] for p in POSTS])
    writer.write(posts, accounts)
    with db.begin() as conn:
        t = Account.__table__
        for platform, key, _h, _d, _f, code in ACCOUNTS.values():
            conn.execute(t.update().where(t.c.platform == platform, t.c.key == key)
                         .values(organisation_code=code,
                                 attribution="config" if code else None))
        ids = {r.platform_id: r.id for r in conn.execute(sa.text(
            "SELECT id, platform_id FROM posts"))}
        account_ids = {name: conn.execute(sa.select(t.c.id).where(
            t.c.platform == a[0], t.c.key == a[1])).scalar_one()
            for name, a in ACCOUNTS.items()}
    with db.session() as session:
        for i, (title, status, consent, org, techniques) in enumerate(STORIES):
            story = Story(
                campaign_id=db.campaign_id, external_key=f"s{i + 1}", title=title,
                body="We ran it twice.\nWrite to jane.smith@nhs.net for the slides.",
                outcome="Better handovers", chosen_techniques=techniques,
                organisation_code=org, name="Jane Smith", email="jane.smith@nhs.net",
                role="Clinical Librarian", links=["https://example.org/s", "javascript:alert(1)"],
                consent=consent, source="cli", status=status,
                submitted_at=dt.datetime(2019, 11, 20, 12, 0, tzinfo=UTC),
                updated_at=dt.datetime(2019, 11, 21, 12, 0, tzinfo=UTC),
            )
            story.techniques = [StoryTechnique(technique=name) for name in techniques]
            session.add(story)
    x = start_run(db, RunRecord(source="x", started_at=_t("2019-11-05 10:00:00")))
    x.fetched, x.new, x.skipped, x.requests, x.posts_read = 12, 12, 3, 2, 12
    x.estimated_cost = 0.06
    finish_run(db, x, "ok")
    imp = start_run(db, RunRecord(source="import:twarc2", started_at=_t("2019-12-02 09:00:00")))
    imp.fetched, imp.new, imp.skipped = 5, 1, 2
    imp.error = "line 7: not JSON <b>bad</b>"
    finish_run(db, imp, "partial")
    _previous_campaign(db, settings)
    return World(db=db, settings=settings, post_ids=ids, account_ids=account_ids)


def _previous_campaign(db: Database, settings: Settings) -> None:
    text = (BASE_CONFIG.replace('slug = "knowvember19"', 'slug = "knowvember18"')
            .replace('name = "KNOWvember 2019"', 'name = "KNOWvember 2018"')
            .replace("2019-11-01", "2018-11-01").replace("2019-11-30", "2018-11-30"))
    previous = parse_settings(text, settings.path)
    old = open_database(previous, url=db.engine.url.render_as_string(hide_password=False))
    try:
        writer = PostWriter(old, CampaignTags(["KNOWvember18"]), source="test")
        writer.write([PostRecord(platform="x", platform_id="old1", account_key="3",
                                 created_at=_t("2018-11-15 12:00:00"), text="#KNOWvember18",
                                 hashtags=("knowvember18",), likes=3)],
                     [AccountRecord(platform="x", key="3", handle="@mft_lib",
                                    display_name="MFT Library & Knowledge", followers=200)])
    finally:
        old.dispose()


def open_world(settings: Settings, url: str) -> Iterator[World]:
    """For a fixture: the world in a fresh database at `url`, disposed of afterwards."""
    database = open_database(settings, url=url)
    try:
        yield build_world(database, settings)
    finally:
        database.dispose()
