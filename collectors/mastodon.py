"""Mastodon hashtag timelines through Mastodon.py, on any number of instances.

For each (instance, hashtag) the collector pages *forward* with `min_id` from the stored newest
local id (or from the campaign start, as a snowflake id), 40 statuses a page, and saves the
new newest id with every page: a checkpoint is never ahead of what is stored, and a run with
nothing new makes one request per (instance, hashtag). It starts well before the stored id
(`OVERLAP`) because remote posts federate late and get ids from their creation time.

Servers that are not Mastodon (GoToSocial, Pleroma, Akkoma) mint ids that are not snowflakes
(ULIDs, flake ids), so no id can be made from the campaign start. When the first page for an
(instance, hashtag) shows such ids, or is empty, the newest page is asked for: if its ids are
not snowflakes, the collector walks back from the newest status through the server's own
`Link` header (`max_id`) to the campaign start, and only then saves the newest id, from which
later runs page forward with `min_id` as on Mastodon.

Mastodon.py makes the requests (rate-limit headers, errors, any base URL including
`http://127.0.0.1:PORT`); the collector maps the raw JSON it received itself, through
`collectors.mastodon_payload`, the same code the file importer uses. Mastodon.py is told to
throw on rate limits, so every wait goes through the one retry policy, visibly.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests

from collectors.base import Batch, Clock, Collector, Scrubber, SourceError, network_reason
from collectors.mastodon_payload import from_statuses, snowflake_at, snowflake_time
from collectors.retry import (
    GaveUpError,
    RetryPolicy,
    TransientError,
    WaitTooLongError,
    retry_after,
)
from collectors.x import collection_window
from knowvember.config import Settings
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord

log = logging.getLogger(__name__)

PAGE_SIZE = 40  # the most Mastodon returns per page
# Remote toots get ids from their creation time, not their arrival: one from a small
# instance whose queue backed up (or that was down) arrives hours late with an id older than
# the newest stored. 15 minutes missed such toots for good; re-reading six hours costs a
# campaign hashtag a page or two a run, and refreshes recent posts' counts on the way.
OVERLAP = dt.timedelta(hours=6)
# The checkpoint of an (instance, hashtag) with no posts at all yet: later runs ask for the
# newest page only, instead of from the start and then the newest page every run.
NOTHING_YET = "none-yet"
PARENT_LOOKUPS = 200  # per run: replies whose parent is asked for by id, at most


_INSTANCE_V2 = "/api/v2/instance"


class RecordingSession(requests.Session):
    """Keeps the last response, so the raw JSON can be mapped and stored as received.

    Mastodon.py asks `/api/v2/instance` before each timeline page (to see whether the
    timeline is open) and remembers only an answer it could read, so a server without that
    endpoint (Mastodon before 4.0, several other servers) was asked once per page, doubling
    the requests a run made against its rate limit. The first refusal is kept and given
    again instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.last: requests.Response | None = None
        self._no_instance_v2: requests.Response | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        self.last = None
        asks_v2 = (isinstance(method, str) and method.upper() == "GET"
                   and urlsplit(str(url)).path.rstrip("/").endswith(_INSTANCE_V2))
        if asks_v2 and self._no_instance_v2 is not None:
            response = self._no_instance_v2
        else:
            response = super().request(method, url, *args, **kwargs)
            if asks_v2 and response.status_code in (404, 405, 410, 501):
                self._no_instance_v2 = response
        self.last = response
        return response


class MastodonCollector(Collector):
    name = "mastodon"

    def __init__(
        self,
        settings: Settings,
        state: dict[str, str | None],
        *,
        tokens: dict[str, str | None],
        policy: RetryPolicy,
        now: Clock,
        scrub: Scrubber | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.config = settings.sources.mastodon
        self.state = dict(state)
        self.tokens = tokens
        self.policy = policy
        self.now = now
        self.scrub = scrub or Scrubber(tokens.values())
        self.tags = CampaignTags(settings.campaign.all_tags).query_terms()
        self._sessions: list[RecordingSession] = []
        self._best: dict[str, tuple[bool, tuple[int, int, int, int]]] = {}
        self._followers: dict[str, tuple[bool, int]] = {}  # account key -> (from home, count)
        self._parent_lookups = 0
        self._links: dict[str, dict[str, str]] = {}  # the last page's Link header
        # host -> the instance as listed, and the (instance, hashtag)s asked this run
        self._hosts = {urlsplit(i).netloc.lower(): i for i in reversed(self.config.instances)}
        self._asked: set[tuple[str, str]] = set()

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    def _api(self, instance: str) -> tuple[Any, RecordingSession]:
        from mastodon import Mastodon

        session = RecordingSession()
        self._sessions.append(session)
        api = Mastodon(
            api_base_url=self._base(instance),
            access_token=self.tokens.get(instance),
            ratelimit_method="throw",
            request_timeout=self.config.timeout,
            session=session,
            version_check_mode="none",
        )
        return api, session

    def _base(self, instance: str) -> str:
        """The instance's own address. A page's address pasted into `instances` (a profile,
        `https://nhs.social/@lib`) had the API asked under it, and every answer was the
        page: Mastodon and the servers like it answer only at the root."""
        parts = urlsplit(instance)
        if parts.path.strip("/") == "" and not parts.query:
            return instance
        base = f"{parts.scheme}://{parts.netloc}"
        message = (f"{instance} is the address of a page, not of an instance: collecting "
                   f"from {base} (write that in [sources.mastodon] instances)")
        if message not in self.findings.warnings:
            log.warning("%s", message)
            self.findings.warnings.append(message)
        return base

    def batches(self) -> Iterator[Batch]:
        started = self.now()
        start, end = collection_window(self.settings)
        if not self.config.instances:
            raise SourceError("[sources.mastodon] instances is empty: list the instances "
                              'to search, e.g. instances = ["https://mastodon.social"]')
        if started < start:
            self.findings.warnings.append(
                f"the campaign starts {start:%Y-%m-%d}; nothing to collect from Mastodon yet")
            return
        waits: list[str] = []  # instances whose rate limit resets too late: the next run
        listed: dict[str, str] = {}  # host -> the instance as first listed
        for instance in self.config.instances:
            host = urlsplit(instance).netloc.lower()
            first = listed.get(host)
            listed.setdefault(host, instance)
            if first is not None:
                # "https://nhs.social/" beside "https://nhs.social", or a profile link on
                # a listed instance: every hashtag was asked twice, each a request against
                # the instance's rate limit, for posts stored once.
                message = (f"{instance} is on {first}, listed already in [sources.mastodon] "
                           "instances: asked once" if instance != first else
                           f"{instance} is listed twice in [sources.mastodon] instances: "
                           "asked once")
                log.warning("%s", message)
                self.findings.warnings.append(message)
                continue
            api, session = self._api(instance)
            local_uris: dict[str, str] = {}
            for tag in self.tags:
                self.policy.stop.check()
                try:
                    lower = yield from self._timeline(api, session, instance, tag, start, end,
                                                      local_uris)
                except WaitTooLongError as exc:
                    # Not a failure (exit 1, cron mail) but a run to finish later (partial,
                    # exit 4), as for X and Bluesky; the other instances are asked still.
                    message = self.scrub(str(exc))
                    waits.append(message if instance in message else f"{instance}: {message}")
                    log.warning("%s", waits[-1])
                    break
                except (GaveUpError, SourceError) as exc:
                    message = self.scrub(str(exc))
                    if instance not in message:
                        message = f"{instance}: {message}"
                    log.error("%s", message)
                    self.findings.errors.append(message)
                    break  # the instance is down or refuses us: on to the next one
                self._asked.add((instance, tag))
                if self.findings.incomplete:
                    self.findings.incomplete = "; ".join([*waits, self.findings.incomplete])
                    return
                self.findings.cover(lower, started)
        if waits:
            self.findings.incomplete = "; ".join(waits)

    def _timeline(self, api: Any, session: RecordingSession, instance: str, tag: str,
                  start: dt.datetime, end: dt.datetime, local_uris: dict[str, str]
                  ) -> Iterator[Batch]:
        key = f"{instance}|{tag}:min_id"
        stored = self.state.get(key)
        if stored == NOTHING_YET:
            yield from self._first_run_elsewhere(api, session, instance, tag, key, None,
                                                 start, end, local_uris)
            return start
        if stored and not stored.isdigit():  # a server whose ids are not snowflakes
            yield from self._forward(api, session, instance, tag, key, stored, end,
                                     local_uris, snowflakes=False)
            return start
        stored_time = snowflake_time(stored) if stored else None
        lower = max(stored_time - OVERLAP, start) if stored_time else start
        first = yield from self._forward(api, session, instance, tag, key,
                                         snowflake_at(lower), end, local_uris,
                                         snowflakes=True, fresh=not stored)
        if first is not None:  # not a snowflake server, or nothing since the start
            yield from self._first_run_elsewhere(api, session, instance, tag, key, first,
                                                 start, end, local_uris)
        return lower

    def _forward(self, api: Any, session: RecordingSession, instance: str, tag: str,
                 key: str, min_id: str, end: dt.datetime, local_uris: dict[str, str], *,
                 snowflakes: bool, fresh: bool = False) -> Iterator[Batch]:
        """Pages forward with `min_id` until the newest status (or the campaign end).

        On a `fresh` (instance, hashtag), a first page that is empty or whose ids are not
        snowflakes is not used: it is returned (as a list) for `_first_run_elsewhere`.
        """
        previous: list[str] | None = None
        while True:
            self.policy.stop.check()
            statuses = self.policy.call(
                lambda m=min_id: self._fetch(api, session, instance, tag, min_id=m),
                what=f"Mastodon {instance} #{tag}")
            ids = [str(s.get("id")) for s in statuses]
            if fresh and previous is None and not all(i.isdigit() for i in ids or ["x"]):
                return statuses
            if not statuses:
                return None
            if ids == previous:
                self.findings.incomplete = (
                    f"{instance} sent the same page twice for #{tag}; stopped paging to "
                    "avoid a loop")
                return None
            previous = ids
            if snowflakes:
                newest = max((i for i in ids if i.isdigit()), key=int, default=None)
            else:  # newest first; the server's own `prev` link names the next page
                newest = self._link("prev", "min_id") or ids[0]
            past_end = [s for s in statuses if _created(s) > end]
            kept = [s for s in statuses if _created(s) <= end]
            yield self._batch(api, instance, tag, kept, local_uris,
                              {key: newest} if newest else None)
            if past_end or newest is None:
                return None
            min_id = newest
            self._pace(api, instance)

    def _first_run_elsewhere(self, api: Any, session: RecordingSession, instance: str,
                             tag: str, key: str, first: list[dict[str, Any]] | None,
                             start: dt.datetime, end: dt.datetime, local_uris: dict[str, str]
                             ) -> Iterator[Batch]:
        """The first run of an (instance, hashtag) whose answer from the campaign start's
        snowflake was empty, or not in snowflake ids: ask for the newest page to see which.
        `first` is None when that answer was not asked for (the hashtag had no posts at all
        last time, `NOTHING_YET`).

        A snowflake server with nothing since the start saves the start's id (so the next
        run asks once). Any other server is walked back from its newest status through its
        `Link` header to the campaign start; its newest id is saved only at the end, so a
        walk that stops is done again (no duplicates: posts are keyed by uri). A hashtag
        with no posts at all saves `NOTHING_YET`, so the next run asks once too.
        """
        self.policy.stop.check()
        statuses = self.policy.call(
            lambda: self._fetch(api, session, instance, tag),
            what=f"Mastodon {instance} #{tag}")
        ids = [str(s.get("id")) for s in statuses]
        if not statuses:
            if first is not None:
                yield Batch([], [], {key: NOTHING_YET})
            return
        before = first == [] or (first is None and all(_created(s) < start for s in statuses))
        if before and all(i.isdigit() for i in ids):  # only posts from before the start
            yield Batch([], [], {key: snowflake_at(start)})
            return
        if all(i.isdigit() for i in ids):  # a snowflake server: its pages can be used
            yield from self._forward(api, session, instance, tag, key, snowflake_at(start),
                                     end, local_uris, snowflakes=True)
            return
        newest = self._link("prev", "min_id") or ids[0]
        previous: list[str] | None = None
        while statuses:
            if ids == previous:
                self.findings.incomplete = (
                    f"{instance} sent the same page twice for #{tag}; stopped paging to "
                    "avoid a loop")
                return
            previous = ids
            times = [_created(s) for s in statuses]
            kept = [s for s, t in zip(statuses, times, strict=True) if start <= t <= end]
            yield self._batch(api, instance, tag, kept, local_uris, None)
            if any(_UNKNOWN < t < start for t in times):
                break  # reached the campaign start
            max_id = self._link("next", "max_id") or ids[-1]
            self._pace(api, instance)
            self.policy.stop.check()
            statuses = self.policy.call(
                lambda m=max_id: self._fetch(api, session, instance, tag, max_id=m),
                what=f"Mastodon {instance} #{tag}")
            ids = [str(s.get("id")) for s in statuses]
        yield Batch([], [], {key: newest})

    def _batch(self, api: Any, instance: str, tag: str, statuses: list[dict[str, Any]],
               local_uris: dict[str, str], checkpoint: dict[str, str | None] | None) -> Batch:
        self._link_replies(api, instance, statuses, local_uris)
        problems: list[str] = []
        posts, accounts = from_statuses(statuses, local_uris=local_uris, errors=problems)
        for problem in problems:
            self._skip(f"{instance} #{tag}: {problem}")
        self._origin_counts(posts, instance)
        self._origin_followers(accounts, instance)
        posts = [p for p in posts if p.context_only or not self._home_collects(p, instance, tag)]
        return Batch(posts, accounts, checkpoint)

    def _home_collects(self, post: PostRecord, instance: str, tag: str) -> bool:
        """Whether `post`, seen on `instance`, is the own post of another listed instance
        that collects #tag (asked this run, or in an earlier one: it has a checkpoint), so
        its counts are that instance's to give. A remote instance keeps the counts it had
        when the post arrived: once the home instance's window had moved past the post, a
        quieter instance's wider window wrote them over the home's at every run (10 likes
        became 2, for good). A home instance never asked, or failing, leaves it to the
        others."""
        host = urlsplit(post.uri or "").netloc.lower()
        home = self._hosts.get(host)
        if home is None or host == urlsplit(instance).netloc.lower():
            return False
        return (home, tag) in self._asked or bool(self.state.get(f"{home}|{tag}:min_id"))

    def _link(self, rel: str, param: str) -> str | None:
        """A parameter of the last page's `Link` header (`rel="next"`: `max_id`, older;
        `rel="prev"`: `min_id`, newer): the server's own ids, whatever their form."""
        url = (self._links.get(rel) or {}).get("url")
        values = parse_qs(urlsplit(url).query).get(param) if url else None
        return values[0] if values else None

    def _link_replies(self, api: Any, instance: str, statuses: list[dict[str, Any]],
                      local_uris: dict[str, str]) -> None:
        """A reply names its parent only by the serving instance's local id. A parent seen
        in this run is known by then; one stored by an earlier run (or never seen) is asked
        for by id, so that the reply is linked to it (at most PARENT_LOOKUPS per run)."""
        known = set(local_uris) | {str(s.get("id")) for s in statuses}
        wanted = dict.fromkeys(
            str(s["in_reply_to_id"]) for s in statuses
            if s.get("in_reply_to_id") and not isinstance(s.get("reblog"), dict)
            and str(s["in_reply_to_id"]) not in known)
        for local_id in wanted:
            if self._parent_lookups >= PARENT_LOOKUPS:
                self.findings.details["replies_unlinked"] = int(
                    self.findings.details.get("replies_unlinked", 0)) + 1
                continue
            self._parent_lookups += 1
            try:
                uri = self.policy.call(lambda i=local_id: self._parent(api, instance, i),
                                       what=f"Mastodon {instance} status {local_id}")
            except GaveUpError as exc:  # the replies are stored unlinked; the run goes on
                self.findings.warnings.append(
                    f"{instance}: could not look up a reply's parent ({self.scrub(str(exc))})")
                self._parent_lookups = PARENT_LOOKUPS
                continue
            if uri:
                local_uris[local_id] = uri

    def _parent(self, api: Any, instance: str, local_id: str) -> str | None:
        """The uri of a status by its local id; None when it is gone or not public."""
        from mastodon import errors as m

        self.findings.requests += 1
        try:
            status = api.status(local_id)
        except (m.MastodonRatelimitError, m.MastodonServerError, m.MastodonNetworkError) as exc:
            raise self._transient(api, exc) from None
        except (m.MastodonNotFoundError, m.MastodonUnauthorizedError):
            return None  # deleted, or not public
        except m.MastodonAPIError as exc:
            if "parse response as json" in str(exc).lower():
                raise self._not_json(api.session, instance) from None
            return None  # refused (403, 422...): left unlinked
        uri = status.get("uri") if isinstance(status, dict) else None
        return str(uri) if uri else None

    def _skip(self, message: str) -> None:
        log.warning("skipped a status that could not be read: %s", message)
        self.findings.details["unreadable"] = int(self.findings.details.get("unreadable", 0)) + 1
        if len(self.findings.warnings) < 20:
            self.findings.warnings.append(f"skipped an unreadable status ({message})")

    def _fetch(self, api: Any, session: RecordingSession, instance: str, tag: str, *,
               min_id: str | None = None, max_id: str | None = None) -> list[dict[str, Any]]:
        from mastodon import errors as m

        self.findings.requests += 1
        self._links = {}
        try:
            api.timeline_hashtag(tag, min_id=min_id, max_id=max_id, limit=PAGE_SIZE)
        except (m.MastodonRatelimitError, m.MastodonServerError, m.MastodonNetworkError) as exc:
            raise self._transient(api, exc) from None
        except m.MastodonUnauthorizedError:
            raise SourceError(self._refused(instance, 401, session)) from None
        except m.MastodonNotFoundError:
            raise SourceError(f"{instance} has no hashtag timeline API (404): is it a "
                              "Mastodon server?") from None
        except m.MastodonAPIError as exc:
            text = str(exc)
            if "parse response as json" in text.lower():
                raise self._not_json(session, instance) from None
            status = _status(exc)
            if status in (401, 403, 422):
                raise SourceError(self._refused(instance, status, session)) from None
            said = _server_said(session)
            raise SourceError(f"{instance} refused the request ({status}"
                              f"{': ' + said if said else ''})") from None
        response = session.last
        if response is None:
            raise TransientError("no response")
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise TransientError("a malformed response (not JSON)") from None
        if not isinstance(data, list):
            raise TransientError("unexpected JSON (not a list of statuses)")
        self._links = dict(response.links)
        return data

    def _refused(self, instance: str, status: int, session: Any) -> str:
        """Why a 401, 403 or 422 came, naming the variable to look at: the token in it was
        refused or lacks a scope, or none was set and the instance shows hashtag timelines
        to signed-in users only (Mastodon 4 answers 401 or 422 to a request without a token
        when previews are off). A web page in place of the API's answer is a firewall or
        proxy in front of the instance (Cloudflare's challenge is a 403), which no token
        gets past. The server's own reason is quoted."""
        response = getattr(session, "last", None)
        kind = response.headers.get("Content-Type", "") if response is not None else ""
        if "html" in kind.lower():
            return (f"{instance} answered with a web page ({status}), not the API: a "
                    "firewall or proxy in front of it refuses this computer's requests; ask "
                    "its admins, or collect the hashtag from another instance")
        said = _server_said(session)
        code = f"{status}: {said}" if said else str(status)
        name = (self.config.instance_token_env.get(instance) or self.config.access_token_env)
        if self.tokens.get(instance):
            if status == 401:
                return (f"{instance} refused the access token in ${name} ({code}): check "
                        "that it is a token of this instance, or remove it if the instance "
                        "shows hashtag timelines publicly")
            return (f"{instance} refused the request with the access token in ${name} "
                    f"({code}): check that the token has the read:statuses scope and its "
                    "account can read timelines (confirmed, not suspended)")
        where = (f"${name} is not set" if name else "no token is set ([sources.mastodon] "
                 "access_token_env or instance_token_env names the variable to hold one)")
        return (f"{instance} only shows hashtag timelines to signed-in users ({code}), and "
                f"{where}: make an access token on that instance (Preferences > "
                "Development > New application, scope read:statuses)")

    @staticmethod
    def _not_json(session: Any, instance: str) -> TransientError:
        """An answer Mastodon.py could not read: a web page (a proxy's, or not a Mastodon
        server at that address) is named as one, with the address to check."""
        response = getattr(session, "last", None)
        kind = response.headers.get("Content-Type", "") if response is not None else ""
        if "html" in kind.lower():
            return TransientError(f"an HTML page instead of an API answer (is {instance} the "
                                  "address of a Mastodon instance?)")
        return TransientError("a malformed or cut-short response (not JSON)")

    def _transient(self, api: Any, exc: Exception) -> TransientError:
        """What a rate limit, a server error or a network failure from Mastodon.py means for
        the retry policy (the same for a timeline page and a status look-up)."""
        from mastodon import errors as m

        text = str(exc)
        if isinstance(exc, m.MastodonRatelimitError):
            # A proxy in front of the instance (nginx, Cloudflare) says how long in
            # `Retry-After` only, which Mastodon.py does not read: it was retried after 2, 4,
            # 8... seconds until the instance was given up. It wins over a reset that
            # Mastodon.py may keep from an earlier answer.
            wait = self._asked_wait(api)
            if wait is None and "calculations failed" in text:
                return TransientError("rate-limit headers that cannot be read")
            reset = getattr(api, "ratelimit_reset", None)
            if wait is None and reset:
                wait = self.policy.until(float(reset))
            return TransientError("rate limit reached (429)", retry_after=wait,
                                  rate_limited=True)
        if isinstance(exc, m.MastodonServerError):
            return TransientError(f"server error ({_status(exc)})",
                                  retry_after=self._asked_wait(api))
        if "timed out" in text.lower() or "timeout" in text.lower():
            return TransientError(f"no answer within {self.config.timeout:g}s")
        reason = network_reason(exc)
        return TransientError(f"connection failed ({reason or self.scrub(text)[:200]})")

    def _asked_wait(self, api: Any) -> float | None:
        """The seconds the last answer's `Retry-After` asks to wait; None without one."""
        response = getattr(getattr(api, "session", None), "last", None)
        headers = response.headers if response is not None else {}
        return retry_after(headers.get("Retry-After"), self.policy.clock)

    def _pace(self, api: Any, instance: str) -> None:
        """Honour X-RateLimit-Remaining: wait for the reset before the window is used up."""
        remaining = getattr(api, "ratelimit_remaining", None)
        reset = getattr(api, "ratelimit_reset", None)
        if remaining is not None and reset and int(remaining) <= 1:
            delay = self.policy.until(float(reset))
            if delay > self.policy.max_wait:
                raise WaitTooLongError(f"{instance} rate limit resets in {delay:.0f}s, longer "
                                       "than max_wait_seconds; the next run continues")
            self.policy.wait(delay, f"{instance} rate limit nearly used up")

    def _origin_followers(self, accounts: list[AccountRecord], instance: str) -> None:
        """A follower count from the account's home instance wins over the copy a remote
        instance keeps (often behind); without it, the highest seen. The count stored was
        otherwise the last instance's, and potential reach went with the order of
        `instances`."""
        host = urlsplit(instance).netloc
        for account in accounts:
            if account.followers is None:
                continue
            home = urlsplit(account.key).netloc == host
            best = self._followers.get(account.key)
            if best is None or (home and not best[0]) or (
                    home == best[0] and account.followers > best[1]):
                best = (home, account.followers)
            self._followers[account.key] = best
            account.followers = best[1]

    def _origin_counts(self, posts: list[PostRecord], instance: str) -> None:
        """Counts from a post's home instance win over a remote instance's partial view."""
        from urllib.parse import urlsplit

        host = urlsplit(instance).netloc
        for post in posts:
            counts = (post.likes, post.reposts, post.replies, post.quotes)
            best = self._best.get(post.platform_id)
            if urlsplit(post.uri or "").netloc == host:
                best = (True, counts)
            elif best is None:
                best = (False, counts)
            elif not best[0]:
                best = (False, tuple(max(a, b) for a, b in zip(counts, best[1], strict=True)))
            self._best[post.platform_id] = best  # type: ignore[assignment]
            post.likes, post.reposts, post.replies, post.quotes = best[1]


_UNKNOWN = dt.datetime.min.replace(tzinfo=dt.UTC)  # a created_at that cannot be read


def _created(status: dict[str, Any]) -> dt.datetime:
    from collectors.base import parse_time

    try:
        return parse_time(status.get("created_at"))
    except ValueError:
        return _UNKNOWN


def _server_said(session: Any) -> str | None:
    """The `error` a refusal's JSON body gives (Mastodon: "This method requires an
    authenticated user"), cut short; None when there is none."""
    from knowvember.errors import excerpt

    response = getattr(session, "last", None)
    try:
        body = orjson.loads(response.content) if response is not None else None
    except (orjson.JSONDecodeError, TypeError):
        return None
    said = body.get("error") if isinstance(body, dict) else None
    return excerpt(said) if isinstance(said, str) and said.strip() else None


def _status(exc: Exception) -> int | str:
    args = getattr(exc, "args", ())
    return args[1] if len(args) > 1 and isinstance(args[1], int) else "error"

