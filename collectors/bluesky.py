"""Bluesky search through atproto: `app.bsky.feed.searchPosts`, newest first, per hashtag.

Search's cursor gives out after roughly 10,000 results. When it stops while pages are still
full, the collector starts again with `until` set to the oldest post seen, so a busy hashtag is
walked back by time window all the way to the stored newest post (`since`, asked from
`OVERLAP` before it, as Mastodon is). Like the X collector, a pass saves where it is after
every page (`until`) and only moves `since` forward when it reached the stored newest post, so
a stopped run resumes without gaps.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

from collectors.base import (
    Batch,
    Clock,
    Collector,
    Scrubber,
    SourceError,
    network_reason,
    parse_time,
)
from collectors.bluesky_payload import from_posts, sort_time
from collectors.retry import RetryPolicy, TransientError, WaitTooLongError, retry_after
from collectors.x import collection_window
from knowvember.config import Settings
from knowvember.hashtags import CampaignTags

log = logging.getLogger(__name__)

PAGE_SIZE = 100
BOUNDARY = dt.timedelta(milliseconds=1)  # `until` is exclusive: keep the oldest post's instant
RELOGINS = 3  # per run: sign-ins again after the service said the session had expired
OVERLAP = dt.timedelta(minutes=15)  # posts indexed late, or from a clock running behind
APP_PASSWORD = re.compile(r"[a-z0-9]{4}(?:-[a-z0-9]{4}){3}")
# Search leaves out of a page the hits it cannot show (deleted, taken down, from blocked or
# deactivated accounts), so a page can come back empty with a cursor to more: followed,
# but no more than this many empty pages in a row are asked for.
EMPTY_PAGES = 3


def _ms_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyCollector(Collector):
    name = "bluesky"

    def __init__(
        self,
        settings: Settings,
        state: dict[str, str | None],
        *,
        handle: str,
        password: str,
        policy: RetryPolicy,
        now: Clock,
        scrub: Scrubber | None = None,
    ) -> None:
        super().__init__()
        from atproto import Client
        from atproto_client.request import Request

        self.settings = settings
        self.config = settings.sources.bluesky
        self.state = dict(state)
        # As the app shows it ("@lib.bsky.social", maybe with the line end of an env file
        # saved on Windows): the service reads an identifier with "@" in it as an email
        # address, and refused the login as a wrong password.
        self.handle = handle.strip().removeprefix("@")
        self.password = password
        self.policy = policy
        self.now = now
        self.scrub = scrub or Scrubber([password])
        self._request = Request(timeout=self.config.timeout)
        self.client = Client(base_url=self.config.service, request=self._request)
        self.tags = CampaignTags(settings.campaign.all_tags).query_terms()
        self._expired = False  # the service ended the session: sign in before the next search
        self._relogins = 0

    def close(self) -> None:
        self._request.close()

    def batches(self) -> Iterator[Batch]:
        started = self.now()
        start, end = collection_window(self.settings)
        if started < start:
            self.findings.warnings.append(
                f"the campaign starts {start:%Y-%m-%d}; nothing to collect from Bluesky yet")
            return
        self._check_app_password()
        try:
            self.policy.call(self._login, what="Bluesky login")
        except WaitTooLongError as exc:  # a rate limit resetting later: partial, go on later
            self.findings.incomplete = str(exc)
            return
        for tag in self.tags:
            lower = yield from self._tag(tag, started, start, end)
            if self.findings.incomplete:
                return
            self.findings.cover(lower, started)

    def _tag(self, tag: str, now: dt.datetime, start: dt.datetime, end: dt.datetime
             ) -> Iterator[Batch]:
        since = self.state.get(f"{tag}:since")
        pending = self.state.get(f"{tag}:pending_newest")
        lower = max(parse_time(since), start) if since else start
        if pending:
            yield from self._pass(tag, since, self.state.get(f"{tag}:until"), pending, start,
                                  end, now)
            if self.findings.incomplete:
                return lower
            since = pending
        yield from self._pass(tag, since, None, None, start, end, now)
        return lower

    def _pass(self, tag: str, since: str | None, until: str | None, newest: str | None,
              start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Iterator[Batch]:
        since = since or _ms_iso(start)
        # Asked from a little before the stored newest post: search sorts by the earlier
        # of createdAt (the poster's clock) and indexedAt, so a post indexed after the last
        # run can sort before the newest post it saw, and was never read.
        asked_since = _ms_iso(max(parse_time(since) - OVERLAP, start))
        if until is None and end < now:
            until = _ms_iso(end)
        cursor: str | None = None
        asked: set[str] = set()  # this window's cursors: one seen again is a loop
        previous: list[str] | None = None
        oldest: dt.datetime | None = None
        window_oldest: dt.datetime | None = None
        empty = 0  # empty pages in a row
        while True:
            self.policy.stop.check()
            try:
                page = self.policy.call(
                    lambda c=cursor, u=until: self._signed_in_search(tag, asked_since, u, c),
                    what=f"Bluesky search #{tag}")
            except WaitTooLongError as exc:
                self.findings.incomplete = str(exc)
                return
            except _CursorExhausted:
                if oldest is not None and (window_oldest is None or oldest < window_oldest):
                    window_oldest = oldest
                    until = _ms_iso(oldest + BOUNDARY)
                    cursor, previous = None, None
                    asked.clear()
                    continue
                page = {"posts": []}
            views = [v for v in page.get("posts") or () if isinstance(v, dict)]
            uris = [str(v.get("uri")) for v in views]
            if previous is not None and uris and uris == previous:
                self.findings.incomplete = (
                    f"Bluesky sent the same page twice for #{tag}; stopped paging to avoid a "
                    "loop")
                return
            previous = uris
            times = [t for t in (_safe_sort_time(v) for v in views) if t is not None]
            if times and newest is None:
                newest = _ms_iso(max(times))
            if times:
                oldest = min(times) if oldest is None else min(oldest, min(times))
            problems: list[str] = []
            posts, accounts = from_posts(views, problems)
            for problem in problems:
                self._warn(f"skipped an unreadable post ({problem})")
            # An empty page with a cursor was taken for the end: the pass was closed
            # (`since` moved to its newest post) and the pages after it never read.
            empty = 0 if views else empty + 1
            next_cursor = page.get("cursor") if empty < EMPTY_PAGES else None
            if empty >= EMPTY_PAGES and page.get("cursor"):
                self._warn(f"Bluesky sent {empty} empty pages in a row for #{tag} (posts it "
                           "cannot show); stopped paging there, so older posts may be missing")
            if not next_cursor and len(views) >= PAGE_SIZE and oldest is not None and (
                    window_oldest is None or oldest < window_oldest):
                # The cursor gave out with pages still full: walk on by time window.
                window_oldest = oldest
                until = _ms_iso(oldest + BOUNDARY)
                log.info("Bluesky search cursor ended for #%s; continuing before %s", tag,
                         until)
                checkpoint = {f"{tag}:since": since, f"{tag}:pending_newest": newest,
                              f"{tag}:until": until}
                yield Batch(posts, accounts, checkpoint)
                cursor = None
                previous = None
                asked.clear()
                continue
            if cursor is not None:
                asked.add(cursor)
            if next_cursor and next_cursor in asked:
                # Pages 1, 2, 1, 2...: not caught as a page equal to the one before it.
                self.findings.incomplete = (
                    f"Bluesky sent a cursor it had sent before for #{tag}; stopped paging to "
                    "avoid a loop")
                next_cursor = None
                checkpoint = {f"{tag}:since": since, f"{tag}:pending_newest": newest,
                              f"{tag}:until": _ms_iso(oldest + BOUNDARY) if oldest else until}
            elif next_cursor:
                checkpoint = {f"{tag}:since": since, f"{tag}:pending_newest": newest,
                              f"{tag}:until": _ms_iso(oldest + BOUNDARY) if oldest else until}
            else:
                checkpoint = {f"{tag}:since": newest or since, f"{tag}:pending_newest": None,
                              f"{tag}:until": None}
            yield Batch(posts, accounts, checkpoint)
            if not next_cursor:
                return
            cursor = next_cursor

    def _warn(self, message: str) -> None:
        if message not in self.findings.warnings and len(self.findings.warnings) < 20:
            log.warning("%s", message)
            self.findings.warnings.append(message)

    def _check_app_password(self) -> None:
        """Warn when the password is not an app password (four groups of four: the only
        form Bluesky makes them in). The account password signs in too, and then the
        campaign's computer holds a password that can change the account's email, delete
        it or post as the library, where an app password can be revoked on its own."""
        if APP_PASSWORD.fullmatch(self.password):
            return
        self._warn(f"${self.config.app_password_env} does not look like an app password "
                   "(xxxx-xxxx-xxxx-xxxx): if it is the account's own password, make an app "
                   "password (Settings > Privacy and security > App passwords) and use it "
                   "instead")

    # -- requests -----------------------------------------------------------------------

    def _login(self) -> None:
        from atproto_client import exceptions as e

        self.findings.requests += 1
        try:
            self._translate(lambda: self.client.login(self.handle, self.password,
                                                      fetch_bsky_profile=False), "login")
        except SourceError as exc:
            if isinstance(exc.__cause__, e.UnauthorizedError) or "401" in str(exc):
                raise SourceError(
                    # The login handle comes from an environment variable like the password:
                    # the message names the variables, never their values.
                    f"Bluesky refused the login at {self.config.service}: "
                    f"check ${self.config.handle_env} and ${self.config.app_password_env} "
                    "(use an app password, not the account password)") from None
            raise

    def _signed_in_search(self, tag: str, since: str, until: str | None, cursor: str | None
                          ) -> dict[str, Any]:
        """One search page, signing in again when the service says the session expired.

        The service can end a session before the token's own expiry (its clock ahead of
        ours, a session revoked), answering `ExpiredToken` (as 401, or 400): that is neither
        a refused login nor the end of the cursor. A sign-in that fails transiently is retried
        by the policy, which calls this again, so `_expired` keeps the sign-in pending.
        """
        while True:
            if self._expired:
                self._login()
                self._expired = False
            try:
                return self._search(tag, since, until, cursor)
            except _SessionExpired as exc:
                if self._relogins >= RELOGINS:
                    raise SourceError(
                        f"Bluesky still says the session has expired ({exc}) after signing "
                        f"in again {RELOGINS} times: check that this computer's clock is "
                        "right") from None
                self._relogins += 1
                self._expired = True
                log.warning("Bluesky said the session has expired (%s); signing in again",
                            exc)

    def _search(self, tag: str, since: str, until: str | None, cursor: str | None
                ) -> dict[str, Any]:
        from atproto import models

        # No `tag=[tag]` filter: the lexicon matches it against facets and the record's
        # tags only, so a hashtag typed by a client that makes no facets was never found.
        # The text query finds both; posts that only name the word are left as off-campaign.
        params = models.AppBskyFeedSearchPosts.Params(
            q=f"#{tag}", sort="latest", limit=PAGE_SIZE, since=since, until=until,
            cursor=cursor)
        self.findings.requests += 1
        response = self._translate(
            lambda: self.client.invoke_query("app.bsky.feed.searchPosts", params=params),
            "search", cursor=cursor)
        content = response.content
        if isinstance(content, bytes | str):
            text = content[:1].decode() if isinstance(content, bytes) else content[:1]
            kind = "an HTML page" if text == "<" else "a response that is not JSON"
            raise TransientError(f"Bluesky sent {kind} (HTTP {response.status_code})")
        if not isinstance(content, dict):
            raise TransientError("Bluesky sent unexpected JSON (not an object)")
        if not isinstance(content.get("posts"), list):
            # Not the end of the results: taking it so would move `since` past unread pages.
            raise TransientError("Bluesky sent a search answer without posts")
        return content

    def _translate(self, send: Any, what: str, cursor: str | None = None) -> Any:
        import httpx
        from atproto_client import exceptions as e

        try:
            return send()
        except e.RateLimitExceededError as exc:
            wait = exc.retry_after
            if wait is None and exc.reset_at is not None:
                wait = self.policy.until(exc.reset_at.timestamp())
            raise TransientError("Bluesky rate limit reached (429)", retry_after=wait,
                                 rate_limited=True) from None
        except e.InvokeTimeoutError:
            raise TransientError(
                f"Bluesky did not answer within {self.config.timeout:g}s") from None
        except e.NetworkError as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise TransientError(f"Bluesky network error{f' ({status})' if status else ''}",
                                 retry_after=self._asked_wait(exc)) from None
        except (e.UnauthorizedError, e.BadRequestError) as exc:
            if what != "login" and _xrpc_error(exc) == "ExpiredToken":
                raise _SessionExpired(self._detail(exc)) from None
            if isinstance(exc, e.BadRequestError):
                if cursor is not None:
                    raise _CursorExhausted from None
                raise SourceError(f"Bluesky rejected the {what} ({self._detail(exc)})"
                                  ) from None
            raise SourceError(f"Bluesky refused the {what} ({self._detail(exc)}); check the "
                              "login variables") from exc
        except e.RequestException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status >= 500 or status == 0:
                raise TransientError(f"Bluesky server error ({status or 'no status'})",
                                     retry_after=self._asked_wait(exc)) from None
            raise SourceError(f"Bluesky refused the {what} ({self._detail(exc)})") from None
        except e.ModelError:  # an outage or proxy page where the login answer should be
            # ... or, every time, a `service` that is not the API (https://bsky.app, the
            # web app, answers every address with its page): name the address to check.
            raise TransientError(
                f"{self.config.service} sent a {what} answer that could not be read (is "
                "[sources.bluesky] service the Bluesky API, e.g. https://bsky.social?)"
            ) from None
        except httpx.TransportError as exc:
            reason = network_reason(exc)
            raise TransientError(f"connection to Bluesky failed ({type(exc).__name__}"
                                 f"{': ' + reason if reason else ''})") from None
        except ValueError:
            raise TransientError("Bluesky sent a malformed or cut-short response (not JSON)"
                                 ) from None

    def _asked_wait(self, exc: Exception) -> float | None:
        """What a failed answer's `Retry-After` asks to wait (a 503 in maintenance)."""
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        return retry_after(value, self.policy.clock)

    def _detail(self, exc: Exception) -> str:
        return self.scrub(str(exc))[:200]


class _SessionExpired(Exception):
    """The service answered `ExpiredToken`: sign in again and ask the same page again."""


def _xrpc_error(exc: Exception) -> str | None:
    """The XRPC error name of a refused request (`ExpiredToken`, `InvalidToken`...)."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    name = content.get("error") if isinstance(content, dict) else getattr(content, "error", None)
    return name if isinstance(name, str) else None


class _CursorExhausted(Exception):
    """Search refused a cursor (past its ~10,000 results): go on by time window instead."""


def _safe_sort_time(view: dict[str, Any]) -> dt.datetime | None:
    try:
        return sort_time(view)
    except (ValueError, TypeError):
        return None

