"""One retry policy for every collector: bounded waits, logged and shown, never silent.

A collector turns its library's failures into `TransientError` (worth retrying: rate limits,
5xx, timeouts, broken bodies) or lets anything else propagate. `RetryPolicy.call` retries the
transient ones with backoff, or until the rate-limit reset the server gave, but never waits
longer than `max_wait` at a time nor more than `max_retries` times. Every wait is logged once
and reported second by second to `on_wait` (the CLI draws a countdown from it). Tests pass
their own `sleep` so nothing sleeps for real.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from knowvember.errors import KnowvemberError

log = logging.getLogger(__name__)

T = TypeVar("T")

WaitHook = Callable[[float, str], None]  # (seconds left, why) - 0 when the wait is over


class TransientError(Exception):
    """A failure that may go away: retry it, after `retry_after` seconds when the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class GaveUpError(KnowvemberError):
    """Retries are used up, or the server asked for a longer wait than the policy allows."""


class WaitTooLongError(GaveUpError):
    """The server asked for a longer wait than `max_wait` allows: stop, the next run goes on."""


class InterruptedRun(KnowvemberError):
    """Ctrl-C (or a stop request) arrived: the run stops cleanly between pages."""

    exit_code = 130


class StopFlag:
    """Set by a signal handler; collectors check it between pages and during waits.

    `reason` names what asked for the stop (Ctrl-C, SIGTERM), for the run log's message.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "Ctrl-C"

    def set(self, reason: str = "Ctrl-C") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise InterruptedRun(f"interrupted ({self.reason}); stopped cleanly between pages")


@dataclass
class RetryPolicy:
    """How often and how long to retry. `sleep` and `clock` are injectable for tests."""

    max_retries: int = 5
    max_wait: float = 900.0
    base_delay: float = 2.0
    max_backoff: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    on_wait: WaitHook | None = None
    stop: StopFlag = field(default_factory=StopFlag)
    waited: float = 0.0  # total seconds waited, for the run log
    retries: int = 0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff: 2, 4, 8 ... seconds, capped."""
        return float(min(self.max_backoff, self.base_delay * 2 ** (attempt - 1)))

    def until(self, reset_epoch: float) -> float:
        """Seconds from now until an epoch time (a rate-limit reset), plus one for clock skew."""
        return max(0.0, reset_epoch - self.clock() + 1.0)

    def wait(self, seconds: float, reason: str) -> None:
        """Sleep in steps of at most a second, reporting what is left; abort on a stop."""
        if seconds <= 0:
            return
        log.warning("%s: waiting %s before trying again", reason, _human(seconds))
        remaining = seconds
        try:
            while remaining > 0:
                self.stop.check()
                if self.on_wait is not None:
                    self.on_wait(remaining, reason)
                step = min(1.0, remaining)
                self.sleep(step)
                remaining -= step
                self.waited += step
        finally:
            if self.on_wait is not None:
                self.on_wait(0.0, reason)
        self.stop.check()

    def _delay(self, exc: TransientError, attempt: int) -> float:
        """How long to wait before retry `attempt`: as long as the server asks, when that
        is still ahead; otherwise the backoff. A 429 whose reset time has already passed
        (a stale `x-rate-limit-reset`, a clock behind) or `Retry-After: 0` gave waits of
        0 s (`until` gives under a second only for a reset gone by): the run asked again
        at once, was refused again, and gave up within a second after `max_retries`
        requests, each of them refused."""
        if exc.retry_after is not None and exc.retry_after >= 1.0:
            return exc.retry_after
        return self.backoff(attempt)

    def call(self, fn: Callable[[], T], what: str) -> T:
        """Call `fn`, retrying `TransientError`s within the policy's bounds."""
        attempt = 0
        while True:
            self.stop.check()
            try:
                return fn()
            except TransientError as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise GaveUpError(
                        f"{what}: {exc} (gave up after {self.max_retries} "
                        f"{'retry' if self.max_retries == 1 else 'retries'})"
                    ) from exc
                delay = self._delay(exc, attempt)
                if delay > self.max_wait:
                    raise WaitTooLongError(
                        f"{what}: {exc}; the server asks to wait {_human(delay)}, longer than "
                        f"max_wait_seconds ({_human(self.max_wait)}); the next run continues"
                    ) from exc
                self.retries += 1
                self.wait(delay, f"{what}: {exc} (retry {attempt} of {self.max_retries})")


def retry_after(value: object, clock: Callable[[], float] = time.time) -> float | None:
    """The seconds a `Retry-After` header asks to wait (a number of seconds, or an HTTP
    date), never negative; None when there is none or it cannot be read. A server in
    maintenance says how long it will be (503), and the backoff alone would give up first."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - clock()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _human(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
