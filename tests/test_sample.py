"""The sample generator: deterministic, in the platforms' real shapes, realistic in its mix.

Shapes are checked against the recorded real payloads in tests/fixtures/api (the same field
names, nesting and id formats), and the files are read back with the real payload mappers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from knowvember.config import parse_settings
from knowvember.hashtags import CampaignTags
from knowvember.sample import SampleSpec, generate_sample, parse_shares
from knowvember.sample.ids import tid_us, x_snowflake_ms
from knowvember.sample.stories import HEADER

FIXTURES = Path(__file__).parent / "fixtures" / "api"
# Fields real payloads carry that the recorded fixtures (older, or from other queries) lack.
X_EXTRA = {"edit_history_tweet_ids", "edit_controls"}  # v2 since 2022 (twarc2 asks for them)
BLUESKY_EXTRA = {"quoteCount"}  # post views since 2024
BLUESKY_AUTHOR_EXTRA = {"createdAt"}  # profile views since 2024
URI = re.compile(r"^at://did:plc:[a-z2-7]{24}/app\.bsky\.feed\.post/[2-7a-z]{13}$")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _lines(path: Path) -> list[Any]:
    with path.open("rb") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("sample")
    return generate_sample(folder, SampleSpec(posts=3000, seed=7))


@pytest.fixture(scope="module")
def x_pages(made) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return _lines(made.x_file)


@pytest.fixture(scope="module")
def window(made) -> tuple[dt.datetime, dt.datetime]:  # type: ignore[no-untyped-def]
    c = made.campaign
    start = dt.datetime.combine(c.start, dt.time(), c.tz)
    end = dt.datetime.combine(c.end + dt.timedelta(days=1), dt.time(), c.tz)
    return start, end


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _fixture_keys(name: str, path: str) -> set[str]:
    """Every key the recorded payload has at `path` (dots into objects, lists flattened)."""
    items: list[Any] = [json.loads((FIXTURES / name).read_text(encoding="utf-8"))]
    for part in path.split("."):
        found: list[Any] = []
        for item in items:
            value = item.get(part, []) if isinstance(item, dict) else []
            found.extend(value if isinstance(value, list) else [value])
        items = found
    return {key for item in items if isinstance(item, dict) for key in item}


# -- determinism ------------------------------------------------------------------------


def test_same_spec_gives_byte_identical_files(tmp_path: Path) -> None:
    spec = SampleSpec(posts=1500, seed=3)
    generate_sample(tmp_path / "a", spec)
    generate_sample(tmp_path / "b", spec)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    generate_sample(tmp_path / "c", SampleSpec(posts=1500, seed=4))
    assert _digest(tmp_path / "c")["x_search.jsonl"] != _digest(tmp_path / "a")["x_search.jsonl"]


def test_bytes_do_not_depend_on_the_process(tmp_path: Path) -> None:
    """Another interpreter, another hash seed: the same files (nothing iterates a set)."""
    import os
    import subprocess
    import sys

    for name, seed in (("a", "1"), ("b", "4242")):
        subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; "
             "from knowvember.sample import SampleSpec, generate_sample; "
             "generate_sample(Path(sys.argv[1]), SampleSpec(posts=1200, seed=9))",
             str(tmp_path / name)],
            check=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_worker_processes_do_not_change_the_bytes(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from knowvember.sample import build, posts

    monkeypatch.setattr(posts, "CHUNK", 200)  # several X segments even in a small sample
    monkeypatch.setattr(build, "SEGMENT", 600)
    spec = SampleSpec(posts=4000, seed=5)
    one = generate_sample(tmp_path / "one", spec, workers=1)
    generate_sample(tmp_path / "two", spec, workers=2)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")
    pages = _lines(one.x_file)
    search = [p for p in pages if "conversation_id%3A" not in p["__twarc"]["url"]]
    # Pages chain through next_token across segment boundaries, as one search does.
    for page, following in itertools.pairwise(search):
        assert following["__twarc"]["url"].endswith("&next_token=" + page["meta"]["next_token"])
    assert "next_token" not in search[-1]["meta"]


def test_sizes_follow_the_parameter(made) -> None:  # type: ignore[no-untyped-def]
    counts = {name: stats.posts for name, stats in made.stats.items()}
    assert sum(counts.values()) == 3000
    assert counts == {"x": 2100, "mastodon": 450, "bluesky": 450}
    assert SampleSpec(posts=10, shares=parse_shares("x=1")).posts_by_platform() == {"x": 10}


# -- X: twarc2 pages ------------------------------------------------------------------------


def test_x_pages_have_the_twarc2_shape(made, x_pages, window) -> None:  # type: ignore[no-untyped-def]
    tweet_keys = _fixture_keys("twitter_search_recent_2.json", "data") | X_EXTRA
    user_keys = _fixture_keys("twitter_search_recent_2.json", "includes.users")
    start, end = window
    seen = 0
    for page in x_pages:
        assert set(page) == {"data", "includes", "meta", "__twarc"}
        assert set(page["__twarc"]) == {"url", "version", "retrieved_at"}
        assert page["__twarc"]["url"].startswith("https://api.twitter.com/2/tweets/search/all?")
        data, includes, meta = page["data"], page["includes"], page["meta"]
        assert 1 <= len(data) <= 100
        assert meta["result_count"] == len(data)
        assert meta["newest_id"] == data[0]["id"] and meta["oldest_id"] == data[-1]["id"]
        users = {u["id"]: u for u in includes["users"]}
        included = {t["id"] for t in includes.get("tweets", [])}
        for user in includes["users"]:
            assert set(user) <= user_keys
            assert isinstance(user["id"], str) and user["id"].isdigit()
            assert len(user["username"]) <= 15
        for tweet in data + includes.get("tweets", []):
            assert set(tweet) <= tweet_keys, set(tweet) - tweet_keys
            assert isinstance(tweet["id"], str) and tweet["id"].isdigit()
            created = _time(tweet["created_at"])
            assert start <= created < end
            # The snowflake id encodes the same instant (X reports whole seconds).
            minted = x_snowflake_ms(int(tweet["id"])) // 1000
            assert minted == int(created.timestamp())
            assert tweet["author_id"] in users
            assert tweet["edit_history_tweet_ids"] == [tweet["id"]]
            for ref in tweet.get("referenced_tweets", []):
                assert isinstance(ref["id"], str)
                assert int(ref["id"]) < int(tweet["id"])  # references are to earlier posts
            _check_entities(tweet)
        for tweet in data:
            for ref in tweet.get("referenced_tweets", []):
                assert ref["id"] in included
            for mention in tweet.get("entities", {}).get("mentions", []):
                assert mention["id"] in users
            if "in_reply_to_user_id" in tweet:
                assert tweet["in_reply_to_user_id"] in users
        seen += len(data)
    assert seen == made.stats["x"].posts
    ids = [t["id"] for p in x_pages for t in p["data"]]
    assert len(ids) == len(set(ids))


def _check_entities(tweet: dict[str, Any]) -> None:
    """Entity offsets index the (HTML-escaped) text in code points, as X's do."""
    text = tweet["text"]
    entities = tweet.get("entities", {})
    for tag in entities.get("hashtags", []):
        assert text[tag["start"] : tag["end"]] == "#" + tag["tag"]
    for mention in entities.get("mentions", []):
        assert text[mention["start"] : mention["end"]] == "@" + mention["username"]
    for url in entities.get("urls", []):
        assert text[url["start"] : url["end"]] == url["url"]
        assert url["url"].startswith("https://t.co/")
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", text)


def test_x_kinds_look_like_the_api(x_pages) -> None:  # type: ignore[no-untyped-def]
    tweets = {t["id"]: t for p in x_pages for t in p["data"] + p["includes"].get("tweets", [])}
    kinds = Counter()
    for page in x_pages:
        for tweet in page["data"]:
            refs = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
            if "retweeted" in refs:
                kinds["repost"] += 1
                assert tweet["text"].startswith("RT @")
                assert len(tweet["text"]) <= 140
                assert tweet["public_metrics"]["like_count"] == 0
                original = tweets[refs["retweeted"]]
                assert tweet["public_metrics"]["retweet_count"] == \
                    original["public_metrics"]["retweet_count"]
                assert tweet["conversation_id"] == tweet["id"]
            elif "replied_to" in refs:
                kinds["reply"] += 1
                parent = tweets[refs["replied_to"]]
                assert tweet["conversation_id"] in (parent["conversation_id"], parent["id"])
            elif "quoted" in refs:
                kinds["quote"] += 1
                assert tweet["entities"]["urls"][-1]["expanded_url"].endswith(
                    "/status/" + refs["quoted"])
            else:
                kinds["original"] += 1
    assert min(kinds.values()) > 50, kinds


def test_x_engagement_counts_cover_what_the_sample_shows(x_pages) -> None:  # type: ignore[no-untyped-def]
    tweets = {t["id"]: t for p in x_pages for t in p["data"]}
    shown: Counter[tuple[str, str]] = Counter()
    for tweet in tweets.values():
        for ref in tweet.get("referenced_tweets", []):
            shown[(ref["type"], ref["id"])] += 1
    field = {"retweeted": "retweet_count", "replied_to": "reply_count", "quoted": "quote_count"}
    for (kind, target), count in shown.items():
        assert tweets[target]["public_metrics"][field[kind]] >= count
    likes = sorted(t["public_metrics"]["like_count"] for t in tweets.values()
                   if not t["text"].startswith("RT @"))
    assert likes[-1] > 10 * max(1, statistics.median(likes))  # a heavy tail


def test_x_pages_parse_with_the_real_mapper(made, x_pages) -> None:  # type: ignore[no-untyped-def]
    from collectors.x_payload import decode_page, from_page

    tags = CampaignTags(made.campaign.hashtags + made.campaign.variants)
    campaign: set[str] = set()
    pending: dict[str, str] = {}
    for line in made.x_file.read_bytes().splitlines():
        posts, accounts = from_page(decode_page(line), [])
        assert accounts and all(a.key.isdigit() for a in accounts)
        for post in posts:
            if post.context_only:
                if tags.matches(post.hashtags):
                    campaign.add(post.platform_id)
                continue
            if tags.matches(post.hashtags):
                campaign.add(post.platform_id)
            elif post.referenced_id:
                pending[post.platform_id] = post.referenced_id
    campaign |= {pid for pid, ref in pending.items() if ref in campaign}
    in_data = {t["id"] for p in x_pages for t in p["data"]}
    assert len(campaign & in_data) == made.stats["x"].campaign
    assert len(in_data - campaign) == made.stats["x"].noise > 0


def test_x_conversation_replies_come_last_without_the_hashtag(made, x_pages) -> None:  # type: ignore[no-untyped-def]
    tags = CampaignTags(made.campaign.hashtags + made.campaign.variants)
    threads = [p for p in x_pages if "conversation_id%3A" in p["__twarc"]["url"]]
    assert threads and x_pages[-len(threads):] == threads
    replies = [t for p in threads for t in p["data"]]
    assert len(replies) == made.stats["x"].conversation_replies
    for tweet in replies:
        assert not tags.matches_text(tweet["text"])
        assert tweet["referenced_tweets"][0]["type"] == "replied_to"


# -- Mastodon: tag timelines from several instances ------------------------------------------


def _statuses(made) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    out = {}
    for path in made.mastodon_files:
        pages = _lines(path)
        assert all(isinstance(p, list) and 1 <= len(p) <= 40 for p in pages)
        out[path.stem.removeprefix("mastodon_")] = [s for p in pages for s in p]
    return out


def test_mastodon_pages_have_the_api_shape(made, window) -> None:  # type: ignore[no-untyped-def]
    keys: set[str] = set()
    account_keys: set[str] = set()
    for n in (3, 4, 5, 6):
        for status in json.loads((FIXTURES / f"mastodon_tag_timeline_{n}.json").read_text()):
            keys |= set(status)
            account_keys |= set(status["account"])
    start, end = window
    by_instance = _statuses(made)
    assert set(by_instance) == {"mastodon.social", "med-mastodon.com", "glammr.us"}
    for host, statuses in by_instance.items():
        ids = [s["id"] for s in statuses]
        assert ids == sorted(ids, key=int, reverse=True)  # newest first, like the API
        local = set(ids)
        for status in statuses:
            assert set(status) <= keys, set(status) - keys
            assert set(status["account"]) <= account_keys
            created = _time(status["created_at"])
            assert start <= created < end
            assert int(status["id"]) >> 16 == int(created.timestamp() * 1000)
            origin = re.match(r"^https://([^/]+)/users/([^/]+)/statuses/(\d+)$", status["uri"])
            assert origin, status["uri"]
            assert status["url"] == f"https://{origin[1]}/@{origin[2]}/{origin[3]}"
            acct = status["account"]["acct"]
            assert ("@" in acct) == (origin[1] != host)
            if origin[1] == host:
                assert origin[3] == status["id"]
            for tag in status["tags"]:
                assert tag["name"] == tag["name"].lower()
                assert tag["url"] == f"https://{host}/tags/{tag['name']}"
            if status["in_reply_to_id"] is not None:
                assert status["in_reply_to_id"] in local
            assert status["content"].startswith("<p>") and status["content"].endswith("</p>")


def test_mastodon_instances_share_posts_under_their_own_ids(made) -> None:  # type: ignore[no-untyped-def]
    by_uri: dict[str, list[tuple[str, str]]] = {}
    for host, statuses in _statuses(made).items():
        for status in statuses:
            by_uri.setdefault(status["uri"], []).append((host, status["id"]))
    shared = [copies for copies in by_uri.values() if len(copies) > 1]
    assert shared, "some posts must be seen on more than one instance"
    for copies in shared:
        assert len({host for host, _ in copies}) == len(copies)
        assert len({sid for _, sid in copies}) == len(copies)  # different local ids
    assert len(by_uri) == made.stats["mastodon"].posts
    stats = made.stats["mastodon"]
    assert sum(len(c) - 1 for c in by_uri.values()) == stats.duplicates


def test_mastodon_statuses_parse_with_the_real_mapper(made) -> None:  # type: ignore[no-untyped-def]
    from collectors.mastodon_payload import from_statuses

    tags = CampaignTags(made.campaign.hashtags + made.campaign.variants)
    campaign: set[str] = set()
    for statuses in _statuses(made).values():
        posts, accounts = from_statuses(statuses)
        assert all(a.key.startswith("https://") for a in accounts)
        campaign |= {p.platform_id for p in posts if tags.matches(p.hashtags)}
    assert len(campaign) == made.stats["mastodon"].campaign


# -- Bluesky: searchPosts pages -------------------------------------------------------------


def test_bluesky_pages_have_the_api_shape(made, window) -> None:  # type: ignore[no-untyped-def]
    post_keys = _fixture_keys("bluesky_search_posts_2.json", "posts") | BLUESKY_EXTRA
    author_keys = (_fixture_keys("bluesky_search_posts_2.json", "posts.author")
                   | BLUESKY_AUTHOR_EXTRA)
    record_keys = _fixture_keys("bluesky_search_posts_2.json", "posts.record")
    start, end = window
    (path,) = made.bluesky_files
    pages = _lines(path)
    uris = {p["uri"] for page in pages for p in page["posts"]}
    for number, page in enumerate(pages):
        assert set(page) <= {"posts", "cursor", "hitsTotal"}
        assert ("cursor" in page) == (number < len(pages) - 1)
        for post in page["posts"]:
            assert set(post) <= post_keys and set(post["author"]) <= author_keys
            assert set(post["record"]) <= record_keys
            assert URI.match(post["uri"]) and post["uri"].startswith(
                f"at://{post['author']['did']}/")
            assert post["cid"].startswith("bafyrei") and len(post["cid"]) == 59
            created = _time(post["record"]["createdAt"])
            assert start <= created < end
            assert _time(post["indexedAt"]) >= created
            rkey = post["uri"].rsplit("/", 1)[1]
            assert tid_us(rkey) // 1000 == int(created.timestamp() * 1000)
            encoded = post["record"]["text"].encode("utf-8")
            for facet in post["record"].get("facets", []):
                piece = encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
                feature = facet["features"][0]
                if feature["$type"] == "app.bsky.richtext.facet#tag":
                    assert piece.decode() == "#" + feature["tag"]
                elif feature["$type"] == "app.bsky.richtext.facet#mention":
                    assert piece.decode().startswith("@")
            reply = post["record"].get("reply")
            if reply:
                assert reply["parent"]["uri"] in uris and reply["root"]["uri"] in uris
            embed = post["record"].get("embed")
            if embed:
                assert embed["$type"] == "app.bsky.embed.record"
                assert post["embed"]["record"]["uri"] == embed["record"]["uri"] in uris


def test_bluesky_posts_parse_with_the_real_mapper(made) -> None:  # type: ignore[no-untyped-def]
    from collectors.bluesky_payload import from_posts

    tags = CampaignTags(made.campaign.hashtags + made.campaign.variants)
    posts = []
    for page in _lines(made.bluesky_files[0]):
        records, accounts = from_posts(page["posts"])
        assert all(a.key.startswith("did:plc:") for a in accounts)
        posts += records
    found = [p for p in posts if not p.context_only]  # quoted posts come along as context
    assert len(found) == made.stats["bluesky"].posts
    assert sum(tags.matches(p.hashtags) for p in found) == made.stats["bluesky"].campaign
    assert {p.kind for p in found} == {"original", "reply", "quote"}


# -- the realistic mix -------------------------------------------------------------------


def test_hashtag_spellings_and_noise_are_mixed_in(made, x_pages) -> None:  # type: ignore[no-untyped-def]
    written = Counter(tag["tag"] for p in x_pages for t in p["data"]
                      for tag in t.get("entities", {}).get("hashtags", []))
    yy = made.campaign.yy
    for spelling in (f"KNOWvember{yy}", "KNOWvember", f"knowvember{yy}", f"Knowvmber{yy}",
                     f"Knovember{yy}", "KNOWVEMBER"):
        assert written[spelling] > 0, spelling
    assert written["ukmedlibs"] + written["NHSLibraries"] > 0
    tags = CampaignTags(made.campaign.hashtags + made.campaign.variants)
    noise = [t for p in x_pages for t in p["data"]
             if not tags.matches_text(t["text"]) and "referenced_tweets" not in t]
    assert len(noise) == made.stats["x"].noise
    assert any("KNOWvember" in t["text"] for t in noise)  # the word, not the hashtag


def test_techniques_and_connections_are_there(made, x_pages) -> None:  # type: ignore[no-untyped-def]
    from knowvember.sample.texts import TECHNIQUES

    stats = made.stats["x"]
    assert set(stats.techniques) == {t.name for t in TECHNIQUES}
    text = " ".join(t["text"] for p in x_pages for t in p["data"]).lower()
    for phrase in ("randomised coffee trial", "peer assist", "after action review", "fishbowl",
                   "community of practice", "knowledge caf", "retrospect"):
        assert phrase in text, phrase
    authors = {u["id"]: u["username"] for p in x_pages for u in p["includes"]["users"]}
    edges = {(t["author_id"], m["id"]) for p in x_pages for t in p["data"]
             for m in t.get("entities", {}).get("mentions", []) if m["id"] != t["author_id"]}
    assert len(edges) > 50 and len({a for a, _ in edges}) > 20
    assert len(authors) >= 60


def test_the_month_has_a_weekday_rhythm_and_a_chat_peak(made, x_pages) -> None:  # type: ignore[no-untyped-def]
    tz = made.campaign.tz
    hours: Counter[dt.datetime] = Counter()
    days: Counter[dt.date] = Counter()
    for page in x_pages:
        for tweet in page["data"]:
            local = _time(tweet["created_at"]).astimezone(tz)
            hours[local.replace(minute=0, second=0)] += 1
            days[local.date()] += 1
    busiest, _ = hours.most_common(1)[0]
    chat = next(e for e in made.manifest()["events"] if e["key"] == "chat")
    assert busiest.isoformat() in (chat["start"], _time(chat["start"]).replace(
        hour=_time(chat["start"]).hour + 1).isoformat())
    weekday = statistics.mean(n for d, n in days.items() if d.weekday() < 5)
    weekend = statistics.mean(n for d, n in days.items() if d.weekday() >= 5)
    assert weekday > 2.5 * weekend
    hashtags = {tag["tag"] for p in x_pages for t in p["data"]
                for tag in t.get("entities", {}).get("hashtags", [])}
    assert "KNOWvemberChat" in hashtags


def test_accounts_include_the_awkward_cases(made) -> None:  # type: ignore[no-untyped-def]
    people = made.people
    voices = Counter(a.voice for a in people.accounts)
    assert voices["team"] == len(people.orgs) >= 30
    assert voices["anon"] >= 4 and voices["national"] == 1 and voices["other"] == 1
    bios = [a.bio for a in people.accounts]
    assert any(b.startswith(("Library & Knowledge Service, ", "Library and Knowledge "
                             "Service")) for b in bios)
    assert any("| #KNOWvember" in b for b in bios)
    assert any(re.search(r"@ [A-Z]{2,}", b) for b in bios)
    assert {"RWE", "RR8", "R0A"} <= {o.code for o in people.orgs}
    followers = sorted(a.followers for a in people.accounts)
    assert followers[-1] > 10 * statistics.median(followers)


# -- stories and the config ----------------------------------------------------------------


def test_stories_csv_is_a_microsoft_forms_export(made) -> None:  # type: ignore[no-untyped-def]
    raw = made.stories_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # "CSV UTF-8", as Excel saves it
    with made.stories_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == HEADER
    assert HEADER[:5] == ["ID", "Start time", "Completion time", "Email", "Name"]
    assert len(rows) == len(made.stories) == made.spec.story_count()
    for row in rows:
        begun = dt.datetime.strptime(row["Start time"], "%d/%m/%Y %H:%M:%S")
        finished = dt.datetime.strptime(row["Completion time"], "%d/%m/%Y %H:%M:%S")
        assert begun < finished
        assert row["Email"].endswith("@nhs.net") and row["Name"]
        techniques = row["Which knowledge mobilisation techniques did you use?"]
        assert techniques.endswith(";")
        assert row["Can we publish your story on the KNOWvember stories page?"] in ("Yes", "No")
    decisions = {plan.decision for plan in made.stories}
    assert decisions == {"approve", "reject", "request_changes", "none"}
    assert all(plan.note for plan in made.stories if plan.decision in ("reject",
                                                                       "request_changes"))


def test_campaign_toml_matches_the_sample(made) -> None:  # type: ignore[no-untyped-def]
    settings = parse_settings(made.config_file.read_text(encoding="utf-8"), made.config_file)
    c = settings.campaign
    assert (c.name, c.start, c.end) == ("KNOWvember 2025", dt.date(2025, 11, 1),
                                        dt.date(2025, 11, 30))
    assert c.hashtags == ["KNOWvember2025", "KNOWvember25", "KNOWvember"]
    assert set(settings.stories.form_columns.values()) <= set(HEADER)
    assert settings.sources.mastodon.instances == [
        "https://mastodon.social", "https://med-mastodon.com", "https://glammr.us"]
    codes = {o.code: o for o in settings.organisations}
    assert codes["HVLLP"].out_of_scope and not codes["NHSE-KLS"].out_of_scope
    assert settings.leaderboard.exclude_accounts == made.manifest()["accounts"]["opted_out"]
    manifest = json.loads(made.manifest_file.read_text(encoding="utf-8"))
    assert manifest["campaign_posts"] + manifest["off_campaign_posts"] == 3000


def test_a_2019_sample_is_x_only_and_of_its_time(tmp_path: Path) -> None:
    made = generate_sample(tmp_path, SampleSpec(posts=400, year=2019))
    assert set(made.stats) == {"x"} and not made.mastodon_files and not made.bluesky_files
    assert made.campaign.hashtags == ("KNOWvember2019", "KNOWvember19", "KNOWvember")
    pages = _lines(made.x_file)
    tweet = pages[0]["data"][0]
    assert tweet["created_at"].startswith("2019-11-")
    assert "source" in tweet and "edit_controls" not in tweet
    assert "HEE-LKS" in made.config_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("posts", [0, 1, 3, 7])
def test_a_small_sample_writes_no_file_without_posts(tmp_path: Path, posts: int) -> None:
    """`import` refuses a file with no posts, so a sample of a few posts (or none) offers
    only the files that hold some."""
    made = generate_sample(tmp_path, SampleSpec(posts=posts))
    platform_files = [p for p in (made.x_file, *made.mastodon_files, *made.bluesky_files) if p]
    assert bool(platform_files) == (posts > 0)
    for path in platform_files:
        pages = _lines(path)
        assert pages and any(page.get("data") or page.get("posts") if isinstance(page, dict)
                             else page for page in pages), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in made.files())
    files = json.loads(made.manifest_file.read_text(encoding="utf-8"))["files"]
    assert sorted(files["x"] + files["mastodon"] + files["bluesky"]) == sorted(
        p.name for p in platform_files)


def test_regenerating_replaces_an_earlier_sample_only(tmp_path: Path) -> None:
    from knowvember.errors import InputError

    generate_sample(tmp_path / "s", SampleSpec(posts=600))
    again = generate_sample(tmp_path / "s", SampleSpec(posts=300, shares={"x": 1}))
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(
        p.name for p in again.files())
    other = tmp_path / "mine"
    other.mkdir()
    (other / "campaign.toml").write_text("# my own campaign\n", encoding="utf-8")
    with pytest.raises(InputError, match="not from a knowvember sample"):
        generate_sample(other, SampleSpec(posts=10))
    assert (other / "campaign.toml").read_text(encoding="utf-8") == "# my own campaign\n"


# -- the command -------------------------------------------------------------------------


def test_sample_command_writes_the_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = cli("sample", "--out", str(out), "--posts", "500", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["manifest"]["spec"]["posts"] == 500
    assert {Path(p).name for p in data["files"]} >= {"x_search.jsonl", "stories.csv",
                                                      "campaign.toml", "bluesky_search.jsonl"}
    table = cli("sample", "--out", str(out), "--posts", "200")
    assert table.exit_code == 0
    assert "import twarc2" in table.stderr and str(out / "x_search.jsonl") in table.stdout
    bad = cli("sample", "--out", str(out), "--split", "x=70,facebook=30")
    assert bad.exit_code == 2 and "facebook" in bad.stderr


def test_the_curve_allocates_exactly_and_fairly() -> None:
    import random as random_module

    from knowvember.sample.curve import allocate

    weights = [0.05] * 200 + [3.0, 7.0, 0.0, 1.5]
    for seed in range(5):
        counts = allocate(123, weights, random_module.Random(seed))
        assert sum(counts) == 123
        share = 123 / sum(weights)
        for weight, count in zip(weights, counts, strict=True):
            assert int(weight * share) <= count <= int(weight * share) + 1
    quiet = sum(allocate(100, weights, random_module.Random(seed))[0] for seed in range(400))
    assert 0 < quiet < 400  # a quiet hour gets a post now and then, not never
