"""What live collectors share: the batch they yield, the read budget, the run's findings.

A collector only fetches and maps: it yields `Batch`es (records plus the checkpoint that is
safe once they are stored) and notes warnings, failures and the time window it covered. The
pipeline in `knowvember.ingest` stores the batches, applies limits and keeps the run log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from knowvember.errors import KnowvemberError
from knowvember.records import AccountRecord, PostRecord

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SourceError(KnowvemberError):
    """The source refused or cannot be used (credentials, access level, a bad request):
    retrying will not help, the message says what to change."""


@dataclass
class Batch:
    """One page's records, and the checkpoint to save in the same transaction."""

    posts: list[PostRecord]
    accounts: list[AccountRecord]
    checkpoint: dict[str, str | None] | None = None
    posts_read: int = 0  # billed reads (X); 0 for free APIs and files


@dataclass
class Estimate:
    """What a dry run found out without reading posts."""

    posts: int | None
    requests: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Budget:
    """How many more posts this run may read, so a run stops before it goes over.

    `run_limit` is `max_posts_per_run`; `month_left` is what the monthly budget still allows
    (None: no limit).
    """

    run_limit: int | None = None
    month_left: int | None = None
    read: int = 0

    def allowance(self) -> int | None:
        """Posts the next request may return at most (None: unlimited)."""
        limits = []
        if self.run_limit is not None:
            limits.append(self.run_limit - self.read)
        if self.month_left is not None:
            limits.append(self.month_left - self.read)
        return max(0, min(limits)) if limits else None

    def spend(self, posts: int) -> None:
        self.read += posts

    def exhausted_reason(self) -> str:
        run_left = None if self.run_limit is None else self.run_limit - self.read
        month_left = None if self.month_left is None else self.month_left - self.read
        if month_left is not None and (run_left is None or month_left <= run_left):
            return (
                f"stopped before going over the monthly read budget ({self.read} read this "
                f"run, {max(month_left, 0)} left this month); raise "
                "[sources.x] monthly_read_budget or wait for next month"
            )
        return (
            f"stopped at max_posts_per_run ({self.run_limit}); more posts remain and the next "
            "run continues from here"
        )


@dataclass
class Findings:
    """What a collector noticed during a run, for the run log."""

    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # parts that failed; the run is partial
    incomplete: str | None = None  # why the run stopped with more to fetch
    window: tuple[dt.datetime, dt.datetime] | None = None  # the stretch fully covered
    details: dict[str, object] = field(default_factory=dict)

    def cover(self, lower: dt.datetime, upper: dt.datetime) -> None:
        """Narrow the covered window to what every query of this run covered."""
        if self.window is None:
            self.window = (lower, upper)
        else:
            self.window = (max(self.window[0], lower), min(self.window[1], upper))


class Collector:
    """Base of the live collectors: `batches()` yields pages until done, limited or stopped."""

    name = ""

    def __init__(self) -> None:
        self.findings = Findings()

    def batches(self) -> Iterator[Batch]:
        raise NotImplementedError

    def estimate(self) -> Estimate:
        return Estimate(posts=None, notes=[f"{self.name}: no estimate (the API is free)"])

    def close(self) -> None:
        """Release sessions and connections."""


class Scrubber:
    """Removes secrets from text that may reach a log, a message or the run log."""

    _AUTH = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+")
    _BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9%._~+/=-]{8,}")
    _JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "****")
        text = self._AUTH.sub(lambda m: m.group(1) + "****", text)
        text = self._BEARER.sub("Bearer ****", text)
        return self._JWT.sub("****", text)


def parse_time(value: object) -> dt.datetime:
    """An aware datetime from the ISO 8601 forms the APIs send ('Z', offsets, fractions)."""
    if isinstance(value, dt.datetime):
        return _in_utc_range(value if value.tzinfo else value.replace(tzinfo=dt.UTC), value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        # Bluesky clients sometimes send more than 6 fractional digits or odd separators.
        match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
        if not match:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
        fraction = (match.group(3) or "")[:7]
        zone = (match.group(4) or "Z").strip().upper()  # a lower-case 'z' (some clients)
        try:
            parsed = dt.datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}{fraction}{zone}")
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    return _in_utc_range(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC), value)


def _in_utc_range(moment: dt.datetime, value: object) -> dt.datetime:
    """`moment`, unless it has no UTC equivalent (year 9999 at UTC-5): then a clear error."""
    if moment.year in (1, 9999):
        try:
            moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(f"timestamp out of range: {value!r}") from None
    return moment


def describe(exc: Exception) -> str:
    """A short reason why a payload could not be mapped (for a skipped item or line)."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, TypeError | AttributeError):
        return "a field has the wrong type"
    return str(exc)[:200] or type(exc).__name__


MAPPING_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def iso(moment: dt.datetime) -> str:
    """UTC ISO 8601 with 'Z', seconds precision, as the APIs expect it."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def network_reason(exc: BaseException) -> str | None:
    """What went wrong underneath a network error, in the system's words ("Connection
    refused", "Name or service not known"). The libraries' messages start with the whole
    request (Mastodon.py's and requests' nest urllib3's), so a message cut to a readable
    length loses the reason, which is at the bottom of the chain of causes."""
    found = None
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        error = stack.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, OSError) and isinstance(error.strerror, str) and error.strerror:
            found = error.strerror
        stack.extend(e for e in (error.__cause__, error.__context__,
                                 getattr(error, "reason", None), *error.args)
                     if isinstance(e, BaseException))
    return found
