"""A local fake of the X, Mastodon and Bluesky APIs, serving recorded payloads, with faults.

It answers on 127.0.0.1 the way the real APIs do for what the collectors ask: X v2 recent and
full-archive search (query hashtags, since_id/until_id/start_time/end_time, max_results,
next_token, expansions) and counts; Mastodon hashtag timelines (min_id/max_id/since_id/limit,
Link and X-RateLimit headers); Bluesky createSession and searchPosts (q/tag, since/until,
cursor, with the cursor giving out after `cursor_cap` results like the real ~10,000). The data
are the recorded payloads from tests/fixtures/api plus whatever a test adds.

Faults are queued per path prefix and used up in order, one per request:
    api.fail("/2/tweets/search", "429", reset_in=30)    # 429 with reset headers
    api.fail("/api/v1/timelines", 503)                   # any status (500, 503, ...)
    api.fail("/xrpc/app.bsky.feed.searchPosts", "slow", delay=0.5)   # past the timeout
    api.fail(..., "malformed")  # 200 with broken JSON
    api.fail(..., "html")       # an HTML error page (status 502 unless given)
    api.fail(..., "truncated")  # the body cut short
    api.fail(..., "repeat")     # the previous page again
    api.fail(..., 500, after=1)  # let the first matching request through, fail the next
Every request is logged in `api.requests` (method, path, params, headers) for assertions.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Json = dict[str, Any]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "api"
X_TOKEN = "fake-x-bearer-token-0123456789abcdef"
BSKY_HANDLE = "library.test.bsky.social"
BSKY_PASSWORD = "fake-app-pass-word-1234"
BSKY_DID = "did:plc:fakelibraryaccount0000"
_HASHTAG = re.compile(r"#(\w+)")


@dataclass
class Fault:
    kind: str  # "429", "status", "slow", "malformed", "html", "truncated", "repeat"
    status: int = 500
    reset_in: float = 60.0
    delay: float = 1.0
    after: int = 0  # matching requests to let through before this fault applies


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = None

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


def _dump(data: Any) -> bytes:
    return json.dumps(data).encode()


def _time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def fake_jwt(subject: str, lifetime: float = 86400.0) -> str:
    def part(obj: Json) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    now = int(time.time())
    return ".".join([part({"alg": "HS256", "typ": "JWT"}),
                     part({"scope": "com.atproto.appPass", "sub": subject, "iat": now,
                           "exp": now + int(lifetime)}), "c2lnbmF0dXJl"])


def tweet_tags(tweet: Json) -> set[str]:
    """The hashtags X's search matches: a long post's too, past its 280 characters."""
    tags: set[str] = set()
    for part in (tweet, tweet.get("note_tweet") or {}):
        tags.update(h["tag"].lower() for h in (part.get("entities") or {}).get("hashtags") or ())
        tags.update(t.lower() for t in _HASHTAG.findall(part.get("text") or ""))
    return tags


def _fields(tweet: Json, asked: set[str]) -> Json:
    """A tweet as X sends it: note_tweet only when tweet.fields asks for it."""
    if "note_tweet" in tweet and "note_tweet" not in asked:
        return {k: v for k, v in tweet.items() if k != "note_tweet"}
    return tweet


def status_tags(status: Json) -> set[str]:
    return {t["name"].lower() for t in status.get("tags") or ()}


def post_tags(view: Json) -> set[str]:
    record = view.get("record") or {}
    tags = {f["tag"].lower() for facet in record.get("facets") or ()
            for f in facet.get("features") or () if f.get("$type", "").endswith("#tag")}
    tags.update(t.lower() for t in record.get("tags") or ())
    tags.update(t.lower() for t in _HASHTAG.findall(record.get("text") or ""))
    return tags


def post_sort_at(view: Json) -> dt.datetime:
    times = [_time(view["indexedAt"])] if view.get("indexedAt") else []
    created = (view.get("record") or {}).get("createdAt")
    if created:
        times.append(_time(created))
    return min(times)


class FakeAPI:
    """One fake server; start it as a context manager and point the config at `url`."""

    def __init__(self, *, x_token: str | None = X_TOKEN, mastodon_token: str | None = None,
                 bluesky_login: tuple[str, str] = (BSKY_HANDLE, BSKY_PASSWORD),
                 cursor_cap: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.x_token = x_token
        self.mastodon_token = mastodon_token
        self.bluesky_login = bluesky_login
        self.cursor_cap = cursor_cap
        self.clock = clock
        self.tweets: dict[str, Json] = {}
        self.users: dict[str, Json] = {}
        self.included: dict[str, Json] = {}
        self.statuses: dict[str, Json] = {}  # local id -> status
        self.bluesky_posts: dict[str, Json] = {}  # uri -> post view
        self.requests: list[Seen] = []
        self.faults: list[tuple[str, Fault]] = []
        self.mastodon_remaining = 300
        self._last: dict[str, _Answer] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- data ---------------------------------------------------------------------------

    def add_x_page(self, page: Json) -> FakeAPI:
        """Serve the tweets (and includes) of an X v2 response page."""
        for tweet in page.get("data") or ():
            self.tweets[str(tweet["id"])] = tweet
        includes = page.get("includes") or {}
        for user in includes.get("users") or ():
            self.users[str(user["id"])] = user
        for tweet in includes.get("tweets") or ():
            self.included[str(tweet["id"])] = tweet
        return self

    def add_statuses(self, statuses: Iterable[Json]) -> FakeAPI:
        for status in statuses:
            self.statuses[str(status["id"])] = status
        return self

    def add_bluesky(self, response_or_posts: Json | Iterable[Json]) -> FakeAPI:
        posts = (response_or_posts.get("posts", []) if isinstance(response_or_posts, dict)
                 else response_or_posts)
        for post in posts:
            self.bluesky_posts[post["uri"]] = post
        return self

    def load_fixtures(self) -> FakeAPI:
        """All recorded payloads from tests/fixtures/api."""
        for name in ("twitter_search_recent_2.json", "twitter_search_all_1.json"):
            self.add_x_page(json.loads((FIXTURES / name).read_text()))
        for number in (3, 4, 5, 6, 7):
            self.add_statuses(json.loads((FIXTURES / f"mastodon_tag_timeline_{number}.json")
                                         .read_text()))
        self.add_bluesky(json.loads((FIXTURES / "bluesky_search_posts_2.json").read_text()))
        return self

    # -- faults -------------------------------------------------------------------------

    def fail(self, path_prefix: str, kind: str | int, *, times: int = 1,
             reset_in: float = 60.0, delay: float = 1.0, after: int = 0) -> FakeAPI:
        """Queue `times` faults for requests whose path starts with `path_prefix`, once
        `after` such requests have been answered normally."""
        with self._lock:
            for number in range(times):
                if isinstance(kind, int):
                    fault = Fault("status", status=kind)
                else:
                    fault = Fault(kind, status=429 if kind == "429" else 502,
                                  reset_in=reset_in, delay=delay)
                fault.after = after if number == 0 else 0
                self.faults.append((path_prefix, fault))
        return self

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for index, (prefix, fault) in enumerate(self.faults):
                if path.startswith(prefix):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    del self.faults[index]
                    return fault
        return None

    def seen(self, path_prefix: str) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # -- server -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the FakeAPI first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                api._handle(self, "GET")

            def do_POST(self) -> None:
                api._handle(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        params = parse_qs(split.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        seen = Seen(method, split.path, params, {k.lower(): v for k, v in
                                                 handler.headers.items()}, body)
        with self._lock:
            self.requests.append(seen)
        fault = self._take_fault(split.path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "repeat" and split.path in self._last:
            self._send(handler, self._last[split.path])
            return
        if fault is not None and fault.kind not in ("truncated", "repeat"):
            self._send(handler, self._fault_answer(fault, split.path))
            return
        try:
            answer = self._route(seen)
        except Exception as exc:  # a bug in the fake: say so loudly
            answer = _Answer(599, _dump({"error": f"fake API crashed: {exc!r}"}))
        if answer.status == 200:
            self._last[split.path] = answer
        if fault is not None and fault.kind == "truncated":
            self._send(handler, answer, truncate=True)
            return
        self._send(handler, answer)

    def _send(self, handler: BaseHTTPRequestHandler, answer: _Answer,
              truncate: bool = False) -> None:
        try:
            handler.send_response_only(answer.status)
            handler.send_header("Content-Type", answer.content_type)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.send_header("Date", formatdate(self.clock(), usegmt=True))
            for key, value in answer.headers.items():
                handler.send_header(key, value)
            if truncate:
                handler.send_header("Connection", "close")
            handler.end_headers()
            if truncate:
                handler.wfile.write(answer.body[: max(1, len(answer.body) // 2)])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _fault_answer(self, fault: Fault, path: str) -> _Answer:
        reset = self.clock() + fault.reset_in
        if fault.kind == "429":
            reset_iso = dt.datetime.fromtimestamp(reset, dt.UTC).isoformat()
            return _Answer(429, _dump({"title": "Too Many Requests", "status": 429,
                                       "error": "RateLimitExceeded",
                                       "message": "Rate Limit Exceeded"}), {
                "x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(reset)),
                "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset_iso,
                "ratelimit-limit": "3000", "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(reset)),
            })
        if fault.kind == "malformed":
            return _Answer(200, b'{"data": [{"id": "1", "text": "broken', {})
        if fault.kind == "html":
            return _Answer(fault.status, b"<html><head><title>502 Bad Gateway</title></head>"
                           b"<body><h1>Bad Gateway</h1></body></html>", {},
                           "text/html; charset=utf-8")
        return _Answer(fault.status, _dump({"title": "Server Error", "status": fault.status,
                                            "error": "InternalServerError",
                                            "detail": "fake server error"}))

    # -- routes -------------------------------------------------------------------------

    def _route(self, seen: Seen) -> _Answer:
        path = seen.path
        if path.startswith("/2/tweets/search/"):
            return self._x_search(seen, path.endswith("/all"))
        if path.startswith("/2/tweets/counts/"):
            return self._x_counts(seen)
        if path == "/2/tweets":
            return self._x_lookup(seen)
        if path.startswith("/api/v1/timelines/tag/"):
            return self._mastodon_tag(seen, path.rsplit("/", 1)[1])
        if path.startswith("/api/v1/statuses/"):
            return self._mastodon_status(path.rsplit("/", 1)[1])
        if path == "/xrpc/com.atproto.server.createSession":
            return self._bluesky_login(seen)
        if path == "/xrpc/app.bsky.feed.searchPosts":
            return self._bluesky_search(seen)
        return _Answer(404, _dump({"error": "NotFound", "message": f"no route {path}"}))

    # X ---------------------------------------------------------------------------------

    def _x_auth(self, seen: Seen) -> _Answer | None:
        if self.x_token and seen.headers.get("authorization") != f"Bearer {self.x_token}":
            return _Answer(401, _dump({"title": "Unauthorized", "type": "about:blank",
                                       "status": 401, "detail": "Unauthorized"}))
        return None

    def _x_matching(self, seen: Seen) -> list[Json]:
        query = seen.param("query") or ""
        wanted = {t.lower() for t in _HASHTAG.findall(query)}
        words = [w.lower() for w in query.split() if w not in ("OR",) and not w.startswith("#")]
        found = []
        for tweet in self.tweets.values():
            if wanted and not (tweet_tags(tweet) & wanted):
                continue
            if not wanted and not all(w in (tweet.get("text") or "").lower() for w in words):
                continue
            tid = int(tweet["id"])
            if seen.param("since_id") and tid <= int(seen.param("since_id") or 0):
                continue
            if seen.param("until_id") and tid >= int(seen.param("until_id") or 0):
                continue
            created = _time(tweet["created_at"]) if tweet.get("created_at") else None
            if created and seen.param("start_time") and created < _time(
                    seen.param("start_time") or ""):
                continue
            if created and seen.param("end_time") and created >= _time(
                    seen.param("end_time") or ""):
                continue
            found.append(tweet)
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        return found

    def _x_headers(self) -> dict[str, str]:
        return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                "x-rate-limit-reset": str(int(self.clock()) + 900)}

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        denied = self._x_auth(seen) or _x_bounds_mixed(seen)
        if denied:
            return denied
        max_results = int(seen.param("max_results") or 10)
        if not 10 <= max_results <= (500 if full_archive else 100):
            return _Answer(400, _dump({"errors": [{"message": "max_results out of range"}],
                                       "title": "Invalid Request"}))
        token = seen.param("next_token")
        offset = int(token[1:]) if token and token.startswith("n") else 0
        matching = self._x_matching(seen)
        page = matching[offset: offset + max_results]
        meta: Json = {"result_count": len(page)}
        if not page:
            return _Answer(200, _dump({"meta": meta}), self._x_headers())
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + max_results < len(matching):
            meta["next_token"] = f"n{offset + max_results}"
        refs = [str(r["id"]) for t in page for r in t.get("referenced_tweets") or ()]
        tweets = [self.included.get(r) or self.tweets.get(r) for r in dict.fromkeys(refs)]
        body = self._x_body(seen, page, [t for t in tweets if t])
        return _Answer(200, _dump({**body, "meta": meta}), self._x_headers())

    def _x_body(self, seen: Seen, data: list[Json], included: list[Json]) -> Json:
        """`data` and its `includes` as X sends them: the authors of `data` and `included`
        (sorted by id), `included` as `includes.tweets` when there are any, and each tweet
        with only the fields `tweet.fields` asks for. Search and lookup answer alike."""
        asked = set((seen.param("tweet.fields") or "").split(","))
        authors = {str(t.get("author_id")) for t in [*data, *included] if t.get("author_id")}
        includes: Json = {"users": [self.users[a] for a in sorted(authors) if a in self.users]}
        if included:
            includes["tweets"] = [_fields(t, asked) for t in included]
        return {"data": [_fields(t, asked) for t in data], "includes": includes}

    def _x_lookup(self, seen: Seen) -> _Answer:
        """GET /2/tweets?ids=...: the tweets as they are now (the latest page added), and
        an error for each id X does not have (deleted, protected), as X answers."""
        denied = self._x_auth(seen)
        if denied:
            return denied
        ids = [i for i in (seen.param("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return _Answer(400, _dump({"errors": [{"message": "ids: 1 to 100"}],
                                       "title": "Invalid Request"}))
        found = [self.tweets[i] for i in ids if i in self.tweets]
        body: Json = self._x_body(seen, found, []) if found else {}
        missing = [i for i in ids if i not in self.tweets]
        if missing:
            body["errors"] = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].",
                               "title": "Not Found Error", "resource_type": "tweet",
                               "parameter": "ids", "resource_id": i} for i in missing]
        return _Answer(200, _dump(body), self._x_headers())

    def _x_counts(self, seen: Seen) -> _Answer:
        denied = self._x_auth(seen) or _x_bounds_mixed(seen)
        if denied:
            return denied
        days: dict[str, int] = {}
        for tweet in self._x_matching(seen):
            day = tweet["created_at"][:10] if tweet.get("created_at") else "unknown"
            days[day] = days.get(day, 0) + 1
        data = [{"start": f"{d}T00:00:00.000Z", "end": f"{d}T23:59:59.999Z",
                 "tweet_count": n} for d, n in sorted(days.items())]
        return _Answer(200, _dump({"data": data,
                                   "meta": {"total_tweet_count": sum(days.values())}}),
                       self._x_headers())

    # Mastodon --------------------------------------------------------------------------

    def _mastodon_status(self, local_id: str) -> _Answer:
        status = self.statuses.get(local_id)
        if status is None:
            return _Answer(404, _dump({"error": "Record not found"}))
        return _Answer(200, _dump(status))

    def _mastodon_tag(self, seen: Seen, tag: str) -> _Answer:
        if self.mastodon_token and seen.headers.get("authorization") != (
                f"Bearer {self.mastodon_token}"):
            return _Answer(401, _dump({"error": "The access token is invalid"}))
        limit = min(int(seen.param("limit") or 20), 40)
        statuses = [s for s in self.statuses.values() if tag.lower() in status_tags(s)]
        max_id, since_id, min_id = (seen.param("max_id"), seen.param("since_id"),
                                    seen.param("min_id"))
        if max_id:
            statuses = [s for s in statuses if int(s["id"]) < int(max_id)]
        if since_id:
            statuses = [s for s in statuses if int(s["id"]) > int(since_id)]
        if min_id:
            statuses = sorted((s for s in statuses if int(s["id"]) > int(min_id)),
                              key=lambda s: int(s["id"]))[:limit]
        statuses = sorted(statuses, key=lambda s: int(s["id"]), reverse=True)[:limit]
        self.mastodon_remaining = max(0, self.mastodon_remaining - 1)
        reset = dt.datetime.fromtimestamp(self.clock() + 300, dt.UTC)
        headers = {"X-RateLimit-Limit": "300",
                   "X-RateLimit-Remaining": str(self.mastodon_remaining),
                   "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")}
        if statuses:
            base = f"{self.url}{seen.path}"
            newest, oldest = statuses[0]["id"], statuses[-1]["id"]
            headers["Link"] = (f'<{base}?{urlencode({"max_id": oldest})}>; rel="next", '
                               f'<{base}?{urlencode({"min_id": newest})}>; rel="prev"')
        return _Answer(200, _dump(statuses), headers)

    # Bluesky ---------------------------------------------------------------------------

    def _bluesky_login(self, seen: Seen) -> _Answer:
        body = seen.body or {}
        if (body.get("identifier"), body.get("password")) != self.bluesky_login:
            return _Answer(401, _dump({"error": "AuthenticationRequired",
                                       "message": "Invalid identifier or password"}))
        return _Answer(200, _dump({
            "accessJwt": fake_jwt(BSKY_DID), "refreshJwt": fake_jwt(BSKY_DID, 7 * 86400),
            "handle": self.bluesky_login[0], "did": BSKY_DID, "active": True,
        }))

    def _bluesky_search(self, seen: Seen) -> _Answer:
        if not (seen.headers.get("authorization") or "").startswith("Bearer ey"):
            return _Answer(401, _dump({"error": "AuthenticationRequired",
                                       "message": "Authentication Required"}))
        query = (seen.param("q") or "").strip()
        if not query:
            return _Answer(400, _dump({"error": "InvalidRequest",
                                       "message": "Error: Params must have the property q"}))
        tags = {t.lower() for t in seen.params.get("tag", [])}
        limit = min(int(seen.param("limit") or 25), 100)
        posts = []
        for view in self.bluesky_posts.values():
            have = post_tags(view)
            if tags and not tags <= have:
                continue
            if query.startswith("#"):
                if query[1:].lower() not in have:
                    continue
            elif not all(w.lower() in (view.get("record") or {}).get("text", "").lower()
                         for w in query.split()):
                continue
            at = post_sort_at(view)
            if seen.param("since") and at < _time(seen.param("since") or ""):
                continue
            if seen.param("until") and at >= _time(seen.param("until") or ""):
                continue
            posts.append((at, view))
        posts.sort(key=lambda p: p[0], reverse=True)
        offset = int(seen.param("cursor") or 0)
        page = [view for _, view in posts[offset: offset + limit]]
        response: Json = {"posts": page, "hitsTotal": len(posts)}
        if offset + limit < min(len(posts), self.cursor_cap):
            response["cursor"] = str(offset + limit)
        return _Answer(200, _dump(response),
                       {"ratelimit-limit": "3000", "ratelimit-remaining": "2999",
                        "ratelimit-reset": str(int(self.clock()) + 300)})


# -- small KNOWvember payloads, built next to the recorded ones ---------------------------

X_EPOCH_MS = 1288834974657


def x_id(moment: dt.datetime, sequence: int = 0) -> str:
    """A real-looking tweet id minted at `moment`."""
    return str(((int(moment.timestamp() * 1000) - X_EPOCH_MS) << 22) | (sequence & 0xFFF))


def x_user(uid: str, username: str, *, name: str | None = None, bio: str = "",
           followers: int = 100) -> Json:
    return {"id": uid, "username": username, "name": name or username, "description": bio,
            "public_metrics": {"followers_count": followers, "following_count": 10,
                               "tweet_count": 50, "listed_count": 1}}


def x_tweet(tid: str, text: str, author_id: str, created: dt.datetime, *,
            refs: list[tuple[str, str]] = (), likes: int = 0) -> Json:  # type: ignore[assignment]
    tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in _HASHTAG.finditer(text)]
    tweet: Json = {
        "id": tid, "text": text, "author_id": author_id, "conversation_id": tid,
        "created_at": created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": "en", "edit_history_tweet_ids": [tid],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": likes,
                           "quote_count": 0},
    }
    if tags:
        tweet["entities"] = {"hashtags": tags}
    if refs:
        tweet["referenced_tweets"] = [{"type": kind, "id": rid} for kind, rid in refs]
    return tweet


def x_page(tweets: list[Json], users: list[Json], included: list[Json] = ()  # type: ignore[assignment]
           ) -> Json:
    page: Json = {"data": tweets, "includes": {"users": users},
                  "meta": {"result_count": len(tweets)}}
    if included:
        page["includes"]["tweets"] = list(included)
    if tweets:
        page["meta"].update(newest_id=max((t["id"] for t in tweets), key=int),
                            oldest_id=min((t["id"] for t in tweets), key=int))
    return page


def mastodon_id(moment: dt.datetime, sequence: int = 0) -> str:
    return str((int(moment.timestamp() * 1000) << 16) | (sequence & 0xFFFF))


def mastodon_account(username: str, home: str, *, local_id: str = "1", acct: str | None = None,
                     note: str = "", followers: int = 10) -> Json:
    return {"id": local_id, "username": username, "acct": acct or username,
            "display_name": username.title(), "note": f"<p>{note}</p>" if note else "",
            "url": f"{home}/@{username}", "uri": f"{home}/users/{username}",
            "followers_count": followers, "following_count": 1, "statuses_count": 3}


def mastodon_status(local_id: str, home: str, number: int, html: str, tags: list[str],
                    account: Json, created: dt.datetime, *, favourites: int = 0) -> Json:
    return {
        "id": local_id, "created_at": created.astimezone(dt.UTC).isoformat().replace(
            "+00:00", "Z"),
        "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
        "spoiler_text": "", "visibility": "public", "language": "en",
        "uri": f"{home}/users/{account['username']}/statuses/{number}",
        "url": f"{home}/@{account['username']}/{number}",
        "replies_count": 0, "reblogs_count": 0, "favourites_count": favourites,
        "content": html, "reblog": None, "account": account, "media_attachments": [],
        "mentions": [], "tags": [{"name": t.lower(), "url": f"{home}/tags/{t.lower()}"}
                                 for t in tags],
        "emojis": [], "card": None, "poll": None,
    }


def saved_status(number: int, user: str, text: str, *, year: int = 2019,
                 instance: str = "https://med-mastodon.com") -> Json:
    """A #KNOWvember status as a saved tag-timeline file holds it, for `import mastodon`:
    the shape the ops tests (forget, reports, a new year) each wrote out for themselves."""
    return {
        "id": str(110000000000000000 + number),
        "uri": f"{instance}/users/{user}/statuses/{number}",
        "url": f"{instance}/@{user}/{number}",
        "created_at": f"{year}-11-{5 + number:02d}T10:00:00.000Z",
        "content": f"<p>{text} <a href=\"{instance}/tags/KNOWvember\">#KNOWvember</a></p>",
        "visibility": "public", "language": "en",
        "account": {"id": str(900 + len(user)), "username": user, "acct": user,
                    "url": f"{instance}/@{user}", "uri": f"{instance}/users/{user}",
                    "display_name": user.title(), "followers_count": 10},
        "tags": [{"name": "knowvember"}], "mentions": [],
        "reblogs_count": 0, "favourites_count": 1, "replies_count": 0,
    }


def bluesky_post(rkey: str, did: str, handle: str, text: str, created: dt.datetime, *,
                 likes: int = 0) -> Json:
    encoded = text.encode()
    facets = []
    for match in _HASHTAG.finditer(text):
        start = len(text[:match.start()].encode())
        facets.append({"index": {"byteStart": start,
                                 "byteEnd": start + len(match.group(0).encode())},
                       "features": [{"$type": "app.bsky.richtext.facet#tag",
                                     "tag": match.group(1)}]})
    stamp = created.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    record: Json = {"$type": "app.bsky.feed.post", "text": encoded.decode(), "langs": ["en"],
                    "createdAt": stamp}
    if facets:
        record["facets"] = facets
    return {"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": f"bafy{rkey}",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0]},
            "record": record, "replyCount": 0, "repostCount": 0, "likeCount": likes,
            "quoteCount": 0, "indexedAt": stamp, "labels": []}


def _x_bounds_mixed(seen: Seen) -> _Answer | None:
    """X's 400 for an id bound (`since_id`, `until_id`) beside a time bound (`start_time`,
    `end_time`): the fake refuses it as X does, so no collector test can pass by sending it."""
    ids = [n for n in ("since_id", "until_id") if seen.param(n)]
    times = [n for n in ("start_time", "end_time") if seen.param(n)]
    if not (ids and times):
        return None
    message = ("Invalid use of 'since_id' or 'until_id' in conjunction with 'start_time' or "
               "'end_time'.")
    return _Answer(400, _dump({"errors": [{"parameters": {}, "message": message}],
                               "title": "Invalid Request",
                               "detail": "One or more parameters to your request was invalid.",
                               "type": "https://api.twitter.com/2/problems/invalid-request"}))
