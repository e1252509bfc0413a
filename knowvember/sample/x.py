"""X API v2 search pages, one JSON document a line, as `twarc2 search --archive` writes them.

Each line is a response page: `data` (up to 100 tweets, newest first), `includes.users` (the
authors, the authors of referenced tweets and everyone mentioned), `includes.tweets` (the
tweets they retweet, quote or reply to), `meta` (`newest_id`, `oldest_id`, `result_count`,
`next_token` on all but the last page) and the `__twarc` key twarc adds. Replies that carry no
campaign hashtag come last, as pages of `twarc2 conversations` run on the campaign's threads.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Iterable
from typing import IO, Any

import orjson

from knowvember.sample import texts
from knowvember.sample.campaign import Campaign
from knowvember.sample.ids import mix16, x_snowflake
from knowvember.sample.people import Account, People
from knowvember.sample.posts import (
    AUTHOR,
    CONVERSATION,
    FLAGS,
    KIND,
    METRICS,
    MS,
    PARTS,
    QUOTE,
    REF,
    REF_CORE,
    REPLY,
    REPOST,
    ROOT,
    SEQ,
)
from knowvember.sample.render import display_url, escape_x, iso_s, short_code

EXPANSIONS = ("author_id,in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id,"
              "entities.mentions.username,attachments.poll_ids,attachments.media_keys,"
              "geo.place_id")
TWEET_FIELDS = ("attachments,author_id,context_annotations,conversation_id,created_at,"
                "edit_controls,entities,geo,id,in_reply_to_user_id,lang,public_metrics,text,"
                "possibly_sensitive,referenced_tweets,reply_settings,source,withheld")
USER_FIELDS = ("created_at,description,entities,id,location,name,pinned_tweet_id,"
               "profile_image_url,protected,public_metrics,url,username,verified,withheld")
CLIENTS = ("Twitter Web App", "Twitter for iPhone", "Twitter for Android", "TweetDeck",
           "Hootsuite Inc.", "Twitter for iPad")
_BIO_TAG = re.compile(r"(?<![\w&])#(\w+)")
RT_LIMIT = 140


def tweet_id(seq: int, ms: int) -> str:
    """The id of the `seq`-th X post, minted at `ms` (worker bits vary as X's do)."""
    return str(x_snowflake(ms, (seq * 2654435761) >> 13, seq))


class XWriter:
    """Renders X records into twarc2 JSONL."""

    def __init__(self, campaign: Campaign, people: People, seed: int) -> None:
        self.campaign = campaign
        self.accounts = {a.idx: a for a in people.accounts}
        self.seed = seed
        self.modern = campaign.year >= 2023  # after the 2022-23 API changes
        self.status_host = "x.com" if campaign.year >= 2024 else "twitter.com"
        self._users: dict[int, orjson.Fragment] = {}
        # Tweets others refer to, rendered once: an original retweeted 30 times is one dict.
        self._rendered: dict[int, tuple[dict[str, Any], list[int]]] = {}
        self._url_base: dict[str, str] = {}
        self._retweets: dict[int, tuple[str, dict[str, list[Any]], list[int]]] = {}
        start, end = campaign.window_ms()
        tags = [*campaign.hashtags, *campaign.variants]
        self.query = " OR ".join([*(f"#{t}" for t in tags), "knowvember", "#ukmedlibs"])
        self.start_time = iso_s(start).replace(".000Z", "Z")
        self.end_time = iso_s(end).replace(".000Z", "Z")
        self.retrieved_at = iso_s(end + 3 * 86_400_000 + 37_123_000).replace(".000Z",
                                                                               "+00:00")
        self.pages = 0
        self.tweets = 0

    # -- accounts -----------------------------------------------------------------------

    def user(self, idx: int) -> orjson.Fragment:
        cached = self._users.get(idx)
        if cached is None:
            cached = orjson.Fragment(orjson.dumps(self._user(self.accounts[idx])))
            self._users[idx] = cached
        return cached

    def _user(self, a: Account) -> dict[str, Any]:
        user: dict[str, Any] = {
            "created_at": iso_s(int(a.created.timestamp() * 1000)),
            "description": a.bio,
            "id": a.x_id,
            "location": _location(a),
            "name": a.display_name,
            "profile_image_url": (f"https://pbs.twimg.com/profile_images/"
                                  f"{int(a.avatar, 16) % 10**18 + 10**18}/{a.avatar[:8]}"
                                  "_normal.jpg"),
            "protected": False,
            "public_metrics": {
                "followers_count": a.followers,
                "following_count": a.following,
                "tweet_count": int(a.activity * 900) + 40,
                "listed_count": a.followers // 40,
            },
            "url": "",
            "username": a.x_username,
            "verified": False,
        }
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in _BIO_TAG.finditer(a.bio)]
        if tags:
            user["entities"] = {"description": {"hashtags": tags}}
        return user

    # -- tweets -------------------------------------------------------------------------

    def text(self, parts: Iterable[Any], seq: int
             ) -> tuple[str, dict[str, list[Any]], list[int]]:
        """Tweet text and its entities (offsets in code points of the escaped text)."""
        out: list[str] = []
        mentioned: list[int] = []
        pos = 0
        hashtags: list[dict[str, Any]] = []
        mentions: list[dict[str, Any]] = []
        urls: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, str):
                piece = escape_x(part)
            elif part[0] == texts.HASHTAG:
                piece = "#" + part[1]
                hashtags.append({"start": pos, "end": pos + len(piece), "tag": part[1]})
            elif part[0] == texts.MENTION:
                account = self.accounts[part[1]]
                piece = "@" + (account.x_username or "")
                mentions.append({"start": pos, "end": pos + len(piece),
                                 "username": account.x_username, "id": account.x_id})
                mentioned.append(part[1])
            else:
                piece = "https://t.co/" + short_code(seq, len(urls))
                urls.append({"start": pos, "end": pos + len(piece), "url": piece,
                             "expanded_url": part[1], "display_url": display_url(part[1])})
            out.append(piece)
            pos += len(piece)
        entities: dict[str, list[Any]] = {}
        if urls:
            entities["urls"] = urls
        if hashtags:
            entities["hashtags"] = hashtags
        if mentions:
            entities["mentions"] = mentions
        return "".join(out), entities, mentioned

    def cached_tweet(self, core: tuple[Any, ...]) -> tuple[dict[str, Any], list[int]]:
        if core[KIND] == REPOST:
            return self.tweet(core)
        found = self._rendered.get(core[SEQ])
        if found is None:
            if len(self._rendered) > 20_000:
                self._rendered.clear()
            found = self._rendered[core[SEQ]] = self.tweet(core)
        return found

    def tweet(self, core: tuple[Any, ...]) -> tuple[dict[str, Any], list[int]]:
        """A tweet object and the accounts it needs in `includes.users`."""
        seq, ms, author = core[SEQ], core[MS], core[AUTHOR]
        kind, ref = core[KIND], core[REF]
        tid = tweet_id(seq, ms)
        users = [author]
        likes, reposts, replies, quotes = core[METRICS]
        if kind == REPOST and ref is not None:
            # The same text and entities for every retweet of one original: made once.
            found = self._retweets.get(ref[1])
            if found is None:
                if len(self._retweets) > 20_000:
                    self._retweets.clear()
                found = self._retweets[ref[1]] = self._retweet_text(
                    core, self.accounts[ref[3]])
            text, entities, mentioned = found
        else:
            text, entities, mentioned = self.text(core[PARTS], seq)
            if kind == QUOTE and ref is not None:
                quoted = self.accounts[ref[3]]
                link = f"https://{self.status_host}/{quoted.x_username}/status/" + tweet_id(
                    ref[1], ref[2])
                short = "https://t.co/" + short_code(seq, 9)
                start = len(text) + 1
                text = f"{text} {short}"
                entities.setdefault("urls", []).append(
                    {"start": start, "end": start + len(short), "url": short,
                     "expanded_url": link, "display_url": display_url(link[8:], 26)})
        users.extend(mentioned)
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text,
            "created_at": iso_s(ms),
            "author_id": self.accounts[author].x_id,
            "conversation_id": tid,
            "lang": "en",
            "public_metrics": self._metrics(likes, reposts, replies, quotes, seq),
            "reply_settings": "everyone",
            "possibly_sensitive": False,
            "edit_history_tweet_ids": [tid],
        }
        if entities:
            tweet["entities"] = entities
        if ref is not None:
            ref_type = {REPOST: "retweeted", QUOTE: "quoted", REPLY: "replied_to"}[kind]
            tweet["referenced_tweets"] = [{"type": ref_type, "id": tweet_id(ref[1], ref[2])}]
            users.append(ref[3])
            if kind == REPLY:
                tweet["in_reply_to_user_id"] = self.accounts[ref[3]].x_id
                root = core[ROOT]
                tweet["conversation_id"] = tweet_id(root[0], root[1])
        if self.modern:
            tweet["edit_controls"] = {"edits_remaining": 5, "is_edit_eligible": kind != REPOST,
                                      "editable_until": iso_s(ms + 3_600_000)}
        else:
            tweet["source"] = CLIENTS[mix16(author, 3) % len(CLIENTS)]
        return tweet, users

    def _metrics(self, likes: int, reposts: int, replies: int, quotes: int, seq: int
                 ) -> dict[str, int]:
        metrics = {"retweet_count": reposts, "reply_count": replies, "like_count": likes,
                   "quote_count": quotes}
        if self.modern:
            metrics["bookmark_count"] = likes // 12
            metrics["impression_count"] = (likes + 1) * (40 + (seq * 40503 >> 5) % 80)
        return metrics

    def _retweet_text(self, core: tuple[Any, ...], original: Account
                      ) -> tuple[str, dict[str, list[Any]], list[int]]:
        """`RT @name: ` and the original's text, cut at 140 characters as X does."""
        target_tweet, target_users = self.cached_tweet(core[REF_CORE])
        body = target_tweet["text"]
        body_entities = target_tweet.get("entities", {})
        mentioned = target_users[1:] if len(target_users) > 1 else []
        prefix = f"RT @{original.x_username}: "
        full = prefix + body
        cut = len(full)
        if cut > RT_LIMIT:
            cut = RT_LIMIT - 1
            amp = full.rfind("&", cut - 5, cut)
            if amp != -1 and ";" not in full[amp:cut]:
                cut = amp
            full = full[:cut] + "…"
        shift = len(prefix)
        entities: dict[str, list[Any]] = {}
        for key in ("urls", "hashtags"):
            kept = [{**e, "start": e["start"] + shift, "end": e["end"] + shift}
                    for e in body_entities.get(key, ()) if e["end"] + shift <= cut]
            if kept:
                entities[key] = kept
        mentions = [{"start": 3, "end": 4 + len(original.x_username or ""),
                     "username": original.x_username, "id": original.x_id}]
        mentions += [{**e, "start": e["start"] + shift, "end": e["end"] + shift}
                     for e in body_entities.get("mentions", ()) if e["end"] + shift <= cut]
        entities["mentions"] = mentions
        return full, entities, mentioned

    # -- pages --------------------------------------------------------------------------

    def _twarc(self, query: str, next_token: str | None) -> dict[str, str]:
        base = self._url_base.get(query)
        if base is None:
            params = [("expansions", EXPANSIONS), ("user.fields", USER_FIELDS),
                      ("tweet.fields", TWEET_FIELDS), ("max_results", "100"),
                      ("query", query), ("start_time", self.start_time),
                      ("end_time", self.end_time)]
            base = ("https://api.twitter.com/2/tweets/search/all?"
                    + urllib.parse.urlencode(params))
            if len(self._url_base) < 1000:
                self._url_base[query] = base
        url = f"{base}&next_token={next_token}" if next_token else base
        return {"url": url, "version": "2.14.0", "retrieved_at": self.retrieved_at}

    def page(self, records: list[tuple[Any, ...]], query: str, previous_token: str | None,
             next_token: str | None) -> bytes:
        data = []
        users: dict[int, None] = {}
        included: dict[str, Any] = {}
        for record in records:
            tweet, needed = self.cached_tweet(record)
            data.append(tweet)
            for idx in needed:
                users[idx] = None
            target = record[REF_CORE]
            if target is not None:
                ref_tweet, ref_users = self.cached_tweet(target)
                if ref_tweet["id"] not in included:
                    included[ref_tweet["id"]] = ref_tweet
                    for idx in ref_users:
                        users[idx] = None
        includes: dict[str, Any] = {"users": [self.user(i) for i in users]}
        if included:
            includes["tweets"] = list(included.values())
        meta: dict[str, Any] = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"],
                                "result_count": len(data)}
        if next_token:
            meta["next_token"] = next_token
        page = {"data": data, "includes": includes, "meta": meta,
                "__twarc": self._twarc(query, previous_token)}
        self.pages += 1
        self.tweets += len(data)
        return orjson.dumps(page) + b"\n"

    def write_segment(self, records: Iterable[tuple[Any, ...]], out: IO[bytes], segment: int,
                      *, final: bool, page_size: int = 100) -> list[tuple[Any, ...]]:
        """Write one stretch of the search results (newest first) as pages; return the
        conversation-only replies, which go to the end of the file.

        Pages are numbered within their segment and tokens derive from (segment, page), so a
        segment renders the same bytes whichever process renders it.
        """
        conversations: list[tuple[Any, ...]] = []
        batch: list[tuple[Any, ...]] = []
        pending: list[tuple[Any, ...]] | None = None
        number = 0
        previous = self.page_token(segment, 0) if segment else None
        for record in records:
            if record[FLAGS] & CONVERSATION:
                conversations.append(record)
                continue
            batch.append(record)
            if len(batch) == page_size:
                if pending is not None:
                    number += 1
                    following = self.page_token(segment, number)
                    out.write(self.page(pending, self.query, previous, following))
                    previous = following
                pending, batch = batch, []
        if batch:
            if pending is not None:
                number += 1
                following = self.page_token(segment, number)
                out.write(self.page(pending, self.query, previous, following))
                previous = following
            pending = batch
        if pending:
            following = None if final else self.page_token(segment + 1, 0)
            out.write(self.page(pending, self.query, previous, following))
        return conversations

    def write_conversations(self, records: list[tuple[Any, ...]], out: IO[bytes],
                            page_size: int = 100) -> None:
        """Replies without a campaign hashtag, as `twarc2 conversations` pages: one search
        per thread (`conversation_id:<id>`), newest thread first."""
        threads: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
        for record in records:
            root = record[ROOT]
            threads.setdefault((root[1], root[0]), []).append(record)
        for (root_ms, root_seq), replies in sorted(threads.items(), reverse=True):
            replies.sort(key=lambda r: r[MS], reverse=True)
            query = f"conversation_id:{tweet_id(root_seq, root_ms)}"
            previous = None
            for start in range(0, len(replies), page_size):
                chunk = replies[start : start + page_size]
                more = start + page_size < len(replies)
                following = self.page_token(-root_seq - 1, start) if more else None
                out.write(self.page(chunk, query, previous, following))
                previous = following

    def page_token(self, segment: int, page: int) -> str:
        digest = hashlib.blake2b(f"{self.seed}:{segment}:{page}".encode(),
                                 digest_size=24).digest()
        value = int.from_bytes(digest, "big")
        out = []
        for _ in range(45):
            value, digit = divmod(value, 36)
            out.append(_B36[digit])
        return "".join(out)


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _location(a: Account) -> str:
    if a.org is None or a.org.kind != "trust":
        return "" if a.voice != "national" else "England"
    return f"{a.org.region}, England" if a.org.region else "England"
