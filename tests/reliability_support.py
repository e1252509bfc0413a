"""Builders shared by the reliability, security and privacy tests.

Synthetic X API v2 pages shaped like the recorded ones in tests/fixtures/api (same fields,
same nesting), in any number, seeded; a campaign config around "now" for live collection
against tests/fakeapi.py; the CLI as a real subprocess; and a dump of every table, to
compare two databases or search one for a string.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
X_EPOCH_MS = 1288834974657
CAMPAIGN_TAGS = ("KNOWvember", "KNOWvember19", "knowvember2019")
Json = dict[str, Any]


def snowflake(moment: dt.datetime, sequence: int) -> str:
    """An X id minted at `moment` (ids embed their creation time)."""
    ms = int(moment.timestamp() * 1000) - X_EPOCH_MS
    return str((ms << 22) | (sequence & 0x3FFFFF))


def x_user(number: int) -> Json:
    return {
        "id": str(7000 + number), "username": f"NHSLib{number}", "name": f"NHS Library {number}",
        "description": f"Knowledge and library service, trust {number}",
        "public_metrics": {"followers_count": 10 * number + 3, "following_count": 40,
                           "tweet_count": 500, "listed_count": 2},
    }


@dataclass
class XWorld:
    """Tweets and users of a synthetic campaign, newest first like the API returns them."""

    tweets: list[Json]
    users: list[Json]

    def pages(self, per_page: int = 100) -> Iterator[Json]:
        """twarc2-style response pages: data, includes (users, referenced tweets), meta."""
        by_id = {t["id"]: t for t in self.tweets}
        users = {u["id"]: u for u in self.users}
        for start in range(0, len(self.tweets), per_page):
            page = self.tweets[start:start + per_page]
            refs = [by_id[r["id"]] for t in page for r in t.get("referenced_tweets") or ()
                    if r["id"] in by_id]
            authors = sorted({t["author_id"] for t in [*page, *refs]})
            includes: Json = {"users": [users[a] for a in authors]}
            if refs:
                includes["tweets"] = list({t["id"]: t for t in refs}.values())
            yield {"data": page, "includes": includes,
                   "meta": {"result_count": len(page), "newest_id": page[0]["id"],
                            "oldest_id": page[-1]["id"]}}

    def write_twarc2(self, path: Path, per_page: int = 100) -> Path:
        with path.open("w", encoding="utf-8") as out:
            for page in self.pages(per_page):
                out.write(json.dumps(page, ensure_ascii=False) + "\n")
        return path

    def campaign_ids(self) -> set[str]:
        """Ids a clean run must store: tagged posts, and replies/reposts of stored ones."""
        stored: set[str] = set()
        for tweet in sorted(self.tweets, key=lambda t: int(t["id"])):
            tags = {h["tag"].lower() for h in tweet["entities"].get("hashtags", ())}
            refs = [r["id"] for r in tweet.get("referenced_tweets") or ()]
            if tags & {t.lower() for t in CAMPAIGN_TAGS} or any(r in stored for r in refs):
                stored.add(tweet["id"])
        return stored


def x_world(count: int, *, start: dt.datetime, span: dt.timedelta, seed: int = 9,
            users: int = 40, text: str | None = None) -> XWorld:
    """`count` tweets spread over `span` from `start`: mostly campaign posts, some off-topic,
    some replies and retweets of earlier campaign posts."""
    rnd = random.Random(seed)
    people = [x_user(n) for n in range(users)]
    tweets: list[Json] = []
    step = span / max(count, 1)
    for number in range(count):
        at = start + step * number
        tid = snowflake(at, number)
        author = rnd.choice(people)
        roll = rnd.random()
        tweet: Json = {
            "id": tid, "author_id": author["id"], "conversation_id": tid, "lang": "en",
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "public_metrics": {"retweet_count": rnd.randint(0, 3), "reply_count": 0,
                               "like_count": rnd.randint(0, 20), "quote_count": 0},
        }
        earlier = [t for t in tweets[-50:] if t["entities"]["hashtags"]]
        if roll < 0.1 and earlier:
            original = rnd.choice(earlier)
            tweet["text"] = f"RT @x: {original['text']}"[:140]
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": original["id"]}]
            tweet["entities"] = {"hashtags": []}
        elif roll < 0.2 and earlier:
            original = rnd.choice(earlier)
            tweet["text"] = "Thank you, this is so useful for our evidence search service"
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": original["id"]}]
            tweet["conversation_id"] = original["conversation_id"]
            tweet["entities"] = {"hashtags": []}
        elif roll < 0.3:
            tweet["text"] = f"Off topic note {number} #Brexit"
            tweet["entities"] = {"hashtags": [{"start": 16, "end": 23, "tag": "Brexit"}]}
        else:
            tag = rnd.choice(CAMPAIGN_TAGS)
            body = text if text is not None else f"Day {number}: our literature search clinic"
            tweet["text"] = f"{body} #{tag}"
            tweet["entities"] = {"hashtags": [{"start": len(body) + 1,
                                               "end": len(body) + 2 + len(tag), "tag": tag}]}
        tweets.append(tweet)
    tweets.sort(key=lambda t: int(t["id"]), reverse=True)
    return XWorld(tweets=tweets, users=people)


def live_config(api_url: str, *, db_url: str, sources: Sequence[str] = ("x",),
                extra: str = "", days_back: int = 3) -> str:
    """A campaign running now, its live sources pointed at the fake API."""
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=days_back)
    end = today + dt.timedelta(days=3)
    text = f"""\
[campaign]
name = "KNOWvember test"
slug = "kvtest"
hashtags = {json.dumps(list(CAMPAIGN_TAGS))}
start = {start.isoformat()}
end = {end.isoformat()}
timezone = "Europe/London"

[database]
url = "{db_url}"

[sources.x]
enabled = {str("x" in sources).lower()}
api_base = "{api_url}"
max_posts_per_run = 100000
monthly_read_budget = 10000000
timeout = 5
max_retries = 2
max_wait_seconds = 5

[sources.mastodon]
enabled = {str("mastodon" in sources).lower()}
instances = ["{api_url}"]
timeout = 5
max_retries = 2
max_wait_seconds = 5

[sources.bluesky]
enabled = {str("bluesky" in sources).lower()}
service = "{api_url}"
timeout = 5
max_retries = 2
max_wait_seconds = 5
"""
    return text + "\n" + extra


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a CLI subprocess: no KNOWVEMBER_* leaking in from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def knowvember(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m knowvember ARGS` as a real process, as cron would."""
    return subprocess.run([sys.executable, "-m", "knowvember", *args], cwd=cwd,
                          env=cli_env(env), capture_output=True, text=True, timeout=timeout,
                          check=False)


def spawn(*args: str, cwd: Path, env: Mapping[str, str] | None = None
          ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "knowvember", *args], cwd=cwd,
                            env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def dump_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as tuples, for comparing or searching a database."""
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: [tuple(row) for row in conn.execute(sa.select(table))]
                    for name, table in meta.tables.items()}
    finally:
        engine.dispose()


def post_ids(url: str) -> list[tuple[str, str]]:
    """(platform, platform_id) of every stored post, sorted; duplicates would show twice."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT platform, platform_id FROM posts ORDER BY platform, platform_id"))
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params: Any) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()
