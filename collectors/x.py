"""X (Twitter) API v2 search through tweepy: incremental, resumable and cost-aware.

Every post read is billed, so the collector
- asks for no more posts than the budget still allows (`max_results` shrinks as the run's
  `max_posts_per_run` or the month's `monthly_read_budget` runs out) and stops before a request
  could go over;
- never reads a post twice on purpose: a pass runs from the newest stored id (`since_id`)
  backwards with `next_token`, and saves after every page where it is (`until_id`), so a run
  stopped by the budget, a fault or Ctrl-C continues the same pass next time, then starts a
  fresh pass for what came in meanwhile.

tweepy hard-codes `https://api.twitter.com`; `HostRewritingSession` sends its requests to
`api_base` instead (`https://api.x.com`, a proxy, or the local test server).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import requests
from msgspec import DecodeError, ValidationError

from collectors.base import (
    Batch,
    Budget,
    Clock,
    Collector,
    Estimate,
    Scrubber,
    SourceError,
    network_reason,
)
from collectors.retry import RetryPolicy, TransientError, WaitTooLongError, retry_after
from collectors.x_payload import (
    Meta,
    Page,
    UserCache,
    decode_page,
    from_page,
    snowflake_at,
    snowflake_time,
)
from knowvember.config import Settings
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"
MAX_QUERY = 512  # characters, the query limit of recent search on the standard tiers
RECENT_REACH = dt.timedelta(days=7)
REACH_MARGIN = dt.timedelta(minutes=2)  # X refuses a start_time at exactly 7 days ago
MIN_RESULTS, MAX_RESULTS = 10, 100
LOOKUP_IDS = 100  # tweets X's lookup (GET /2/tweets) takes a request
FULL_ARCHIVE_GAP = 1.05  # seconds between full-archive requests (X allows one a second)
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
# note_tweet: a post over 280 characters comes with `text` cut at 280 and its whole text
# and hashtags only in note_tweet, so without it a campaign hashtag at the end is lost.
TWEET_FIELDS = ["author_id", "created_at", "public_metrics", "entities", "lang",
                "conversation_id", "referenced_tweets", "note_tweet"]
USER_FIELDS = ["username", "name", "description", "public_metrics"]


class HostRewritingSession(requests.Session):
    """A requests session that sends tweepy's api.twitter.com requests to `api_base`, with a
    timeout (tweepy sets none)."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(TWEEPY_HOST):
            url = self.api_base + url[len(TWEEPY_HOST):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def build_queries(tags: CampaignTags, limit: int = MAX_QUERY) -> list[str]:
    """OR the campaign hashtags into as few queries as fit the query length limit."""
    queries: list[str] = []
    current: list[str] = []
    for term in (f"#{t}" for t in tags.query_terms()):
        candidate = " OR ".join([*current, term])
        if current and len(candidate) > limit:
            queries.append(" OR ".join(current))
            current = [term]
        else:
            current.append(term)
    if current:
        queries.append(" OR ".join(current))
    return queries


def query_key(query: str) -> str:
    """A short stable name for a query's checkpoints (a changed hashtag list starts afresh)."""
    return "q" + hashlib.sha1(query.encode()).hexdigest()[:10]


def collection_window(settings: Settings) -> tuple[dt.datetime, dt.datetime]:
    """From the campaign's first instant to `grace_days` after its last."""
    start, end = settings.campaign.window_utc()
    return start, end + dt.timedelta(days=settings.schedule.grace_days)


class XCollector(Collector):
    name = "x"

    def __init__(
        self,
        settings: Settings,
        state: dict[str, str | None],
        *,
        token: str,
        policy: RetryPolicy,
        budget: Budget,
        now: Clock,
        scrub: Scrubber | None = None,
        refresh_ids: list[str] | None = None,
    ) -> None:
        """`refresh_ids`: read these stored posts again for their counts now, instead of
        searching (`collect --refresh-counts`, see `_refresh`)."""
        super().__init__()
        import tweepy

        self.settings = settings
        self.config = settings.sources.x
        self.state = dict(state)
        self.policy = policy
        self.budget = budget
        self.now = now
        # A token pasted with the line's end (a secrets file saved on Windows ends it in
        # '\r') made every request fail as a connection error, retried: no token holds a
        # space or a line break, so they are dropped.
        self.scrub = scrub or Scrubber([token])
        self.scrub.add(token)
        token = token.strip()
        if len(token) > 2 and token[0] == token[-1] and token[0] in "\"'":
            # quoted in an env file that keeps the quotes (docker --env-file, cron): X
            # refused it as a wrong token (401); no bearer token holds a quote
            token = token[1:-1].strip()
        self.scrub.add(token)
        self.recent = self.config.endpoint == "recent"
        self.client = tweepy.Client(bearer_token=token, return_type=requests.Response)
        self.client.session = HostRewritingSession(self.config.api_base, self.config.timeout)
        self.queries = build_queries(CampaignTags(settings.campaign.all_tags))
        self.users = UserCache()
        self._tweepy = tweepy
        self._last_request: float | None = None
        self.refresh_ids = refresh_ids

    def close(self) -> None:
        self.client.session.close()

    # -- the run ------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        if self.refresh_ids is not None:
            yield from self._refresh(self.refresh_ids)
            return
        started = self.now()
        start, end = collection_window(self.settings)
        if started < start:
            self.findings.warnings.append(
                f"the campaign starts {start:%Y-%m-%d}; nothing to collect from X yet")
            return
        self.findings.details["queries"] = len(self.queries)
        for query in self.queries:
            lower = yield from self._query(query, started, start, end)
            if self.findings.incomplete:
                return
            if lower is not None:
                self.findings.cover(lower, started)

    def _reach(self, now: dt.datetime) -> dt.datetime | None:
        return now - RECENT_REACH + REACH_MARGIN if self.recent else None

    def _query(self, query: str, now: dt.datetime, start: dt.datetime, end: dt.datetime
               ) -> Iterator[Batch]:
        """Finish any pass left unfinished, then fetch what is newer; return the covered
        window's lower bound."""
        key = query_key(query)
        since = self.state.get(f"{key}:since_id")
        pending = self.state.get(f"{key}:pending_newest")
        lower: dt.datetime | None = None
        if pending:
            lower = yield from self._pass(query, key, since, self.state.get(f"{key}:until_id"),
                                          pending, now, start, end)
            if self.findings.incomplete:
                return None
            since = pending
        fresh_lower = yield from self._pass(query, key, since, None, None, now, start, end)
        if self.findings.incomplete:
            return None
        floor = yield from self._backfill(query, key, now, start, end)
        return floor or lower or fresh_lower

    def _backfill(self, query: str, key: str, now: dt.datetime, start: dt.datetime,
                  end: dt.datetime) -> Iterator[Batch]:
        """Read the campaign below where this query's first pass began (`:from`), once
        full-archive search can reach it: a first run on recent search warns that the
        campaign before 7 days ago is out of reach and advises `endpoint = "all"`, but
        every run after the switch began at the newest stored post, so that part was never
        read while each run said "ok". A campaign start moved earlier is read so too.
        Resumable as a pass is (`:backfill_until`); done, `:from` is the campaign start."""
        covered = _moment(self.state.get(f"{key}:from"))
        if self.recent or covered is None or covered <= start:
            return None
        until = self.state.get(f"{key}:backfill_until") or snowflake_at(covered)
        lower = yield from self._pass(query, key, None, until, None, now, start, end,
                                      backfill=True)
        return None if self.findings.incomplete else lower

    def _pass(self, query: str, key: str, since: str | None, until: str | None,
              newest: str | None, now: dt.datetime, start: dt.datetime, end: dt.datetime,
              *, backfill: bool = False) -> Iterator[Batch]:
        # A query's first pass records where it began (`:from`): what lies below is read
        # by `_backfill` when full-archive search can reach it.
        first = not backfill and not since and not self.state.get(f"{key}:since_id")
        params: dict[str, Any] = {
            "query": query, "expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
        }
        reach = self._reach(now)
        if until and reach and snowflake_time(until) <= reach:
            # What the pass still had to read is older than recent search reaches: asking
            # would be refused (or read nothing) on every run. The pass is closed, saying so.
            self._warn(
                f"the X search left unfinished (stopped at a post of "
                f"{snowflake_time(until):%Y-%m-%d %H:%M} UTC) cannot be finished: that is "
                "beyond recent search's 7 days, so older posts of the campaign may be missing "
                '(import an archive, or use endpoint = "all")')
            yield Batch([], [], {f"{key}:since_id": newest or since,
                                 f"{key}:pending_newest": None, f"{key}:until_id": None})
            return None
        kept = since  # the checkpoint keeps it when the request cannot carry it
        if since and reach and snowflake_time(since) < reach:
            if not self._read_past(key, reach):
                self._warn(
                    f"the newest stored X post ({snowflake_time(since):%Y-%m-%d %H:%M} UTC) "
                    "is older than recent search's 7 days: posts from then until "
                    f"{reach:%Y-%m-%d %H:%M} UTC may be missing (import an archive, or use "
                    'endpoint = "all")')
            since = None
        if since:
            params["since_id"] = since
            lower = snowflake_time(since)
        else:
            lower = max(start, reach) if reach else start
            _check_reach(end, reach)
            if reach and start < reach and not self.state.get(f"{key}:since_id"):
                self._warn(
                    f"recent search reaches back 7 days only: the campaign from "
                    f"{start:%Y-%m-%d %H:%M} to {reach:%Y-%m-%d %H:%M} UTC is out of its "
                    'reach (import an archive, or use endpoint = "all" with full-archive '
                    "access)")
            params["start_time"] = lower
        if until:
            params["until_id"] = until
        if end < now - dt.timedelta(seconds=30):
            params["end_time"] = end
        params = ids_not_times(params)
        token: str | None = None
        used_tokens: set[str] = set()
        previous_ids: list[str] | None = None
        while True:
            self.policy.stop.check()
            allowance = self.budget.allowance()
            if allowance is not None and allowance < MIN_RESULTS:
                self.findings.incomplete = self.budget.exhausted_reason() + (
                    f" (X's smallest request reads up to {MIN_RESULTS} posts, more than "
                    f"the {allowance} left)" if allowance else "")
                return lower
            max_results = MAX_RESULTS if allowance is None else min(MAX_RESULTS, allowance)
            try:
                page = self.policy.call(
                    lambda t=token, m=max_results: self._search(params, t, m), what="X search")
            except WaitTooLongError as exc:  # a rate limit resetting later: partial, go on later
                self.findings.incomplete = str(exc)
                return lower
            meta = page.meta or Meta()
            posts, accounts = self._mapped(page)
            ids = [p.platform_id for p in posts if not p.context_only]
            read = len(page.data)
            if previous_ids is not None and ids and ids == previous_ids:
                self.findings.incomplete = (
                    "X sent the same page twice; stopped paging to avoid a loop (the next run "
                    "continues from the last stored page)")
                return lower
            previous_ids = ids
            if newest is None:
                newest = meta.newest_id or (max(ids, key=int) if ids else None)
            self.budget.spend(read)
            next_token = meta.next_token
            looped = bool(next_token and next_token in used_tokens)
            if looped:
                # The posts below this page are still unread: the pass stays unfinished
                # (until_id), so the next run asks for them afresh instead of taking the
                # pass for done and never reading them.
                self.findings.incomplete = (
                    "X repeated a pagination token; stopped paging to avoid a loop (the next "
                    "run continues below the last stored page)")
            if next_token:
                # A page may hold no tweets and still a next_token: keep the last oldest id.
                oldest = meta.oldest_id or (min(ids, key=int) if ids else until)
                until = oldest
                checkpoint: dict[str, str | None] = (
                    {f"{key}:backfill_until": oldest} if backfill else
                    {f"{key}:since_id": kept, f"{key}:pending_newest": newest,
                     f"{key}:until_id": oldest})
            elif backfill:
                checkpoint = {f"{key}:backfill_until": None, f"{key}:from": lower.isoformat()}
            else:
                # `:read_to`: everything up to this run's start is read, which a quiet week
                # (no post newer than since_id) shows no other way
                checkpoint = {f"{key}:since_id": newest or kept,
                              f"{key}:pending_newest": None, f"{key}:until_id": None,
                              f"{key}:read_to": now.isoformat()}
                if first:
                    checkpoint[f"{key}:from"] = lower.isoformat()
            yield Batch(posts, accounts, checkpoint, posts_read=read)
            if self.findings.incomplete or not next_token or looped:
                return lower
            used_tokens.add(next_token)
            token = next_token

    def _refresh(self, ids: list[str]) -> Iterator[Batch]:
        """Read stored posts again by id (X's tweet lookup, LOOKUP_IDS a request) so they
        take their counts now.

        A run reads only tweets newer than the last one stored (X bills every read), so the
        likes and reposts a live collection stores are those of about half an hour after
        posting, and the report's X engagement stayed near nothing. Billed per post read,
        within max_posts_per_run and monthly_read_budget; resumable: `refresh:after` is the
        last id read, cleared when every post has been read. A post X no longer has (deleted,
        protected) is counted in `details.api_errors` and left as stored."""
        self.findings.details["refresh_posts"] = len(ids)
        for at in range(0, len(ids), LOOKUP_IDS):
            self.policy.stop.check()
            chunk = ids[at:at + LOOKUP_IDS]
            allowance = self.budget.allowance()
            if allowance is not None and allowance < len(chunk):
                if allowance < 1:
                    self.findings.incomplete = self.budget.exhausted_reason()
                    return
                chunk = chunk[:allowance]
            try:
                page = self.policy.call(lambda c=chunk: self._lookup(c), what="X lookup")
            except WaitTooLongError as exc:
                self.findings.incomplete = str(exc)
                return
            posts, accounts = self._mapped(page)
            self.budget.spend(len(page.data))
            done = at + len(chunk) >= len(ids)
            yield Batch(posts, accounts, {"refresh:after": None if done else chunk[-1]},
                        posts_read=len(page.data))
            if len(chunk) < min(LOOKUP_IDS, len(ids) - at):  # cut short by the budget
                self.findings.incomplete = self.budget.exhausted_reason()
                return

    def _mapped(self, page: Page) -> tuple[list[PostRecord], list[AccountRecord]]:
        """A search or lookup page's posts and accounts; unreadable tweets are warned
        about, and what X could not return (a deleted original, a suspended author) is
        counted in `api_errors`, as an import of the same pages counts it."""
        problems: list[str] = []
        posts, accounts = from_page(page, problems, cache=self.users)
        for problem in problems:
            self._warn(f"skipped an unreadable tweet ({problem})")
        if page.errors:
            details = self.findings.details
            details["api_errors"] = int(details.get("api_errors") or 0) + len(page.errors)
        return posts, accounts

    def _lookup(self, ids: list[str]) -> Page:
        return _decoded(self._call(lambda: self.client.get_tweets(
            ids=ids, expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS), "lookup"))

    def _read_past(self, key: str, reach: dt.datetime) -> bool:
        """Whether a pass of this query finished after `reach` (7 days ago): then nothing
        between the newest stored post and `reach` is missing, however old that post. A
        hashtag quiet for a week was said, run after run, to be missing posts."""
        read_to = _moment(self.state.get(f"{key}:read_to"))
        return read_to is not None and read_to >= reach

    def _warn(self, message: str) -> None:
        if message not in self.findings.warnings:
            log.warning("%s", message)
            self.findings.warnings.append(message)

    # -- requests -----------------------------------------------------------------------

    def _search(self, params: dict[str, Any], token: str | None, max_results: int) -> Page:
        method = (self.client.search_recent_tweets if self.recent
                  else self.client.search_all_tweets)
        response = self._call(
            lambda: method(**params, next_token=token, max_results=max_results), "search")
        page = _decoded(response)
        if page.meta is None and not page.data:
            # Every search page has `meta`; taking one without it for the end of the results
            # would move since_id past pages never read.
            errors = [orjson.loads(bytes(e)) for e in page.errors or ()]
            said = "; ".join(str(e.get("message") or e.get("detail")) for e in errors
                             if isinstance(e, dict))
            reason = self.scrub(said)[:200] or "no reason given"
            raise TransientError(f"X sent a page without results or meta ({reason})")
        return page

    def _call(self, send: Any, what: str) -> requests.Response:
        """One request; library failures become TransientError or SourceError."""
        tweepy = self._tweepy
        self._pace()
        self.findings.requests += 1
        try:
            response = send()
        except tweepy.TooManyRequests as exc:
            if _usage_capped(exc.response):
                raise SourceError(
                    "X says the app's monthly usage cap is reached (429 UsageCapExceeded: "
                    f"{self._detail(exc)}); nothing more can be read until X resets it or the "
                    "plan is raised (developer portal), so the run stops instead of waiting "
                    "for the rate limit") from None
            headers = exc.response.headers
            if headers.get("x-app-limit-24hour-remaining") == "0":
                # The app's limit per 24 hours: its reset is hours away, and the 15-minute
                # window's headers (requests left in it) had it retried 5 times at once and
                # failed, every run until the reset, saying only "rate limit reached".
                raise TransientError(
                    "X says the app's limit of requests per 24 hours is used up (429)",
                    retry_after=_until_reset(headers, self.policy, "x-app-limit-24hour-reset"),
                    rate_limited=True) from None
            wait = _until_reset(headers, self.policy)
            left = headers.get("x-rate-limit-remaining") or ""
            if left.isdigit() and int(left) > 0:
                # Requests left in the 15-minute window: a limit per second (full-archive
                # search allows one a second), over in a moment, not at the window's reset.
                wait = None
            raise TransientError("X rate limit reached (429)", retry_after=wait,
                                 rate_limited=True) from None
        except tweepy.TwitterServerError as exc:
            # (a 503 in maintenance may say how long it will be, as Mastodon's and
            # Bluesky's servers do: the backoff alone gave up first)
            raise TransientError(f"X server error ({exc.response.status_code})",
                                 retry_after=retry_after(exc.response.headers.get(
                                     "retry-after"), self.policy.clock)) from None
        except tweepy.Unauthorized:
            # "check the token" did not say what to check: a token that worked until now
            # was regenerated or revoked (the developer portal's "Regenerate" ends the old
            # one at once), or the app was suspended, and only a new one helps.
            raise SourceError(
                f"X refused the bearer token in ${self.config.bearer_token_env} (401 "
                "Unauthorized): it is not the app's current token (regenerated or revoked in "
                "the developer portal, or mistyped): copy the app's Bearer Token from the "
                "developer portal (Projects & Apps > your app > Keys and tokens) into "
                f"${self.config.bearer_token_env}") from None
        except tweepy.Forbidden as exc:
            hint = (" (full-archive search needs that access level; or set endpoint = "
                    '"recent")') if not self.recent else ""
            if what == "count":
                hint = (" (a dry run asks X's counts endpoint, which the app's access level "
                        "may not include: without it there is no estimate; a run itself "
                        "still stops at max_posts_per_run and monthly_read_budget)")
            raise SourceError(
                f"X refused the {what} (403 Forbidden): {self._detail(exc)}{hint}") from None
        except tweepy.HTTPException as exc:
            status = exc.response.status_code
            if status == 402:
                raise SourceError("X says the account has no credits left (402 Payment "
                                  "Required); nothing more was read") from None
            if status == 404:  # X has these routes: the requests went somewhere else
                raise SourceError(
                    f"{self.config.api_base} has no X {what} endpoint (404 Not Found: "
                    f"{self._detail(exc)}): check [sources.x] api_base") from None
            raise SourceError(f"X rejected the {what} ({status}): {self._detail(exc)}") from None
        except requests.exceptions.InvalidHeader:
            raise SourceError(
                f"the bearer token in ${self.config.bearer_token_env} holds a character a "
                "request header cannot carry (a line break or a space inside it?): copy it "
                "again from the developer portal") from None
        except requests.Timeout:
            raise TransientError(f"X did not answer within {self.config.timeout:g}s") from None
        except requests.RequestException as exc:
            reason = network_reason(exc) or self.scrub(str(exc))[:200]
            raise TransientError(f"connection to X at {self.config.api_base} failed "
                                 f"({type(exc).__name__}: {reason})") from None
        return response

    def _pace(self) -> None:
        """Full-archive search and counts allow one request a second (twarc waits 1.05 s):
        paging faster was refused (429) and waited for the 15-minute window's reset."""
        if self.recent:
            return
        if self._last_request is not None:
            gap = FULL_ARCHIVE_GAP - (self.policy.clock() - self._last_request)
            if gap > 0:
                self.policy.stop.check()
                self.policy.sleep(min(gap, FULL_ARCHIVE_GAP))
        self._last_request = self.policy.clock()

    def _detail(self, exc: Any) -> str:
        messages = getattr(exc, "api_messages", None) or [str(exc)]
        return self.scrub("; ".join(str(m) for m in messages))[:300]

    # -- dry run ------------------------------------------------------------------------

    def estimate(self) -> Estimate:
        """Count the posts the next run would read (counts endpoint: no posts are read)."""
        if self.refresh_ids is not None:  # every stored post not yet read again, once
            return Estimate(posts=len(self.refresh_ids))
        now = self.now()
        start, end = collection_window(self.settings)
        reach = self._reach(now)
        total = 0
        estimate = Estimate(posts=0)
        if now < start:
            # As a run, ask nothing: X refuses a count from a start_time still to come
            # (400), and a dry run in October failed so.
            self.findings.warnings.append(
                f"the campaign starts {start:%Y-%m-%d}; nothing to collect from X yet")
            return estimate
        for query in self.queries:
            key = query_key(query)
            since = self.state.get(f"{key}:since_id")
            pending = self.state.get(f"{key}:pending_newest")
            # A pass left unfinished goes on below where it stopped (until_id); what came in
            # since it began (after pending_newest) is read by a fresh pass.
            passes = ([(since, self.state.get(f"{key}:until_id")), (pending, None)] if pending
                      else [(since, None)])
            covered = _moment(self.state.get(f"{key}:from"))
            if not self.recent and covered is not None and covered > start:
                # the campaign below the first pass, which a run reads (`_backfill`)
                passes.append((None, self.state.get(f"{key}:backfill_until")
                               or snowflake_at(covered)))
            for lower_id, until in passes:
                if until and reach and snowflake_time(until) <= reach:
                    continue  # beyond reach: the run closes that pass without reading
                params: dict[str, Any] = {"query": query, "granularity": "day"}
                if lower_id and not (reach and snowflake_time(lower_id) < reach):
                    params["since_id"] = lower_id
                else:
                    _check_reach(end, reach)
                    params["start_time"] = max(start, reach) if reach else start
                if until:
                    params["until_id"] = until
                if end < now - dt.timedelta(seconds=30):
                    params["end_time"] = end
                total += self._count(ids_not_times(params))
        estimate.posts = total
        estimate.requests = self.findings.requests
        return estimate

    def _count(self, params: dict[str, Any]) -> int:
        """The posts the counts endpoint finds for one query's window, over all its pages.

        A `next_token` sent again ends the count with a warning: a dry run went on asking
        for the same pages (no post is read, but X's rate limit was spent and waited for,
        again and again) and never ended, as a run's search stops on it."""
        method = (self.client.get_recent_tweets_count if self.recent
                  else self.client.get_all_tweets_count)
        total = 0
        token = None
        used: set[str] = set()
        while True:
            if token in used:
                self._warn("X repeated a pagination token of its counts; stopped counting to "
                           "avoid a loop (the estimate may be low)")
                return total
            if token:
                used.add(token)
            extra = {"next_token": token} if token else {}
            page = self.policy.call(
                lambda e=extra: decode_json(self._call(lambda: method(**params, **e), "count"),
                                            "X"),
                what="X count")
            meta = page.get("meta") or {}
            total += int(meta.get("total_tweet_count") or
                         sum(int(b.get("tweet_count", 0)) for b in page.get("data") or ()))
            token = meta.get("next_token")
            if not token:
                return total


def ids_not_times(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with `start_time` and `end_time` as ids when an id bounds the search too.

    X refuses a search (and a count) that has `since_id` or `until_id` together with
    `start_time` or `end_time` (400: "Invalid use of 'since_id' or 'until_id' in conjunction
    with 'start_time' or 'end_time'"): a pass left unfinished on the first run (`until_id`
    over the campaign's start) failed so on every run after, and so did a run after the
    collection period (`since_id` over its end). The times become the ids minted then, which
    bound the same posts (both `since_id` and `start_time`'s opposite, `until_id` and
    `end_time`, leave out the bound itself)."""
    if "since_id" not in params and "until_id" not in params:
        return params
    params = dict(params)
    start = params.pop("start_time", None)
    end = params.pop("end_time", None)
    if start is not None and "since_id" not in params:
        params["since_id"] = str(max(int(snowflake_at(start)) - 1, 0))
    if end is not None:
        until = snowflake_at(end)
        if "until_id" not in params or int(until) < int(params["until_id"]):
            params["until_id"] = until
    return params


def _until_reset(headers: Any, policy: RetryPolicy, name: str = "x-rate-limit-reset"
                 ) -> float | None:
    """Seconds until a 429's `x-rate-limit-reset` (an epoch time on X's clock), measured
    from the answer's `Date` (X's clock too) when it has one: by this machine's clock, a
    laptop running minutes fast (WSL after a sleep) retried at once and gave up, and one
    running slow waited minutes past the reset. One second more for the rounding. `name`
    is the header to read (`x-app-limit-24hour-reset` for the app's daily limit)."""
    reset = headers.get(name) or ""
    if not reset.isdigit():
        return None
    try:
        sent = email.utils.parsedate_to_datetime(headers.get("date") or "")
    except (TypeError, ValueError):
        sent = None
    if sent is None or sent.tzinfo is None:
        return policy.until(float(reset))
    return max(0.0, float(reset) - sent.timestamp() + 1.0)


def _decoded(response: requests.Response) -> Page:
    """An X v2 answer's page; a web page, malformed JSON or an unexpected shape is a
    TransientError (retried), as a proxy or a cut connection sends them."""
    _refuse_html(response, "X")
    try:
        return decode_page(response.content)
    except ValidationError as exc:
        raise TransientError(f"X sent a page of an unexpected shape ({exc})") from None
    except DecodeError:
        raise TransientError(
            f"X sent a malformed or cut-short response ({len(response.content)} bytes, "
            "not JSON)") from None


def _moment(value: str | None) -> dt.datetime | None:
    """A time saved in the state (ISO 8601), or None when there is none or it is unreadable."""
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _check_reach(end: dt.datetime, reach: dt.datetime | None) -> None:
    if reach and end <= reach:
        raise SourceError(
            f"the campaign's collection period ended {end:%Y-%m-%d %H:%M} UTC, beyond recent "
            'search\'s 7 days: import an archive, or use endpoint = "all" (full-archive '
            "access)")


def _usage_capped(response: requests.Response) -> bool:
    """Whether a 429 is X's monthly usage cap (`UsageCapExceeded`, problem type
    `usage-capped`) rather than a rate limit: its `x-rate-limit-reset` is only the 15-minute
    window's, and waiting for it lifts nothing."""
    body = response.content or b""
    return b"UsageCapExceeded" in body or b"/problems/usage-capped" in body


def _refuse_html(response: requests.Response, platform: str) -> None:
    content_type = response.headers.get("content-type", "")
    if "html" in content_type.lower() or response.content.lstrip()[:1] == b"<":
        raise TransientError(
            f"{platform} sent an HTML page instead of JSON (HTTP {response.status_code}; an "
            "outage or proxy page?)")


def decode_json(response: requests.Response, platform: str) -> dict[str, Any]:
    """The JSON object in a response, or TransientError for an HTML page or a broken body."""
    _refuse_html(response, platform)
    body = response.content
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TransientError(
            f"{platform} sent a malformed or cut-short response ({len(body)} bytes, not JSON)"
        ) from None
    if not isinstance(data, dict):
        raise TransientError(f"{platform} sent unexpected JSON (not an object)")
    return data
