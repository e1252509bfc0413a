"""The web app's defences: the session secret, CSRF tokens, rate limits, response headers.

Sessions are signed cookies (Starlette's SessionMiddleware over itsdangerous) holding only
ids and tokens, never personal data. Every form carries the session's CSRF token and every
POST is refused without it. Rate limits live in process memory: with several uvicorn workers
each worker counts on its own (docs/web.md says so).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from knowvember.errors import ConfigError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from knowvember.config import Settings

log = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32
CSRF_FIELD = "csrf_token"
SESSION_CSRF = "csrf"


_process_secret: str | None = None


class CsrfError(Exception):
    """A POST without the form's token, or with someone else's."""


class RateLimited(Exception):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(what)
        self.retry_after = retry_after
        self.what = what

    @property
    def message(self) -> str:
        """What the page says: what was too much, and how long to wait."""
        minutes = max(1, round(self.retry_after / 60))
        wait = (f"{self.retry_after} seconds" if self.retry_after < 120
                else f"{minutes} minutes")
        return f"There have been too many {self.what} from here. Wait {wait} and try again."


def secret_key(settings: Settings, environ: dict[str, str] | None = None) -> str:
    """The session signing key from the env var named in `[web] secret_key_env`.

    Without one, a random key is made once for this process and kept: sessions then end when
    the server restarts and are not shared between workers, which is fine for a trial, not
    for real use.
    """
    global _process_secret
    env = os.environ if environ is None else environ
    name = settings.web.secret_key_env
    value = env.get(name, "")
    if not value:
        log.warning(
            "%s is not set: using a random session key for this process (everyone is signed "
            "out when the server restarts; set it for real use, see docs/web.md)", name,
        )
        if _process_secret is None:
            _process_secret = secrets.token_urlsafe(48)
        return _process_secret
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"{name} must hold at least {MIN_SECRET_CHARS} characters (make one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return value


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, submitted: object) -> None:
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        raise CsrfError("missing CSRF token")
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfError("wrong CSRF token")


def client_address(request: Request) -> str:
    """Who is asking: the peer address, which uvicorn's --proxy-headers sets from
    X-Forwarded-For when the request came through a trusted proxy."""
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding window)."""

    MAX_KEYS = 100_000  # bounded memory however many addresses knock

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another event is allowed for all `keys`; 0 when allowed."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                events = self._recent(key, now)
                if len(events) >= self.limit:
                    wait = max(wait, events[0] + self.window - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def hit(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._events) >= self.MAX_KEYS:
                self._prune(now)
            for key in keys:
                self._recent(key, now)
                self._events.setdefault(key, deque()).append(now)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._events.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in list(self._events):
            self._recent(key, now)
        if len(self._events) >= self.MAX_KEYS:  # still full: forget the oldest half
            for key in list(self._events)[: self.MAX_KEYS // 2]:
                del self._events[key]


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Add the headers every response should carry (pure ASGI, so streaming still works)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
