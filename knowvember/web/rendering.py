"""Server-rendered pages: one Jinja2 environment with autoescaping always on.

Every page gets the same frame (campaign name, who is signed in, the CSRF token for its forms,
one-off messages), so templates never reach into the request themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.responses import HTMLResponse

from knowvember.stories import is_http_url, printable
from knowvember.web.security import CSRF_FIELD, csrf_token

if TYPE_CHECKING:
    from starlette.requests import Request

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _date(value: dt.datetime | dt.date | None, fmt: str = "%-d %B %Y") -> str:
    if value is None:
        return ""
    return value.strftime(fmt)


def _number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _score(value: float | int | None) -> str:
    """A leaderboard score as `knowvember leaderboard` and the report print it."""
    return "–" if value is None else f"{float(value):,.2f}"


def _answer(value: object) -> str:
    """A stored answer as the trail shows an earlier version of it: lists joined, consent as
    Yes / No, nothing as "(empty)"."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def as_typed(text: str) -> str:
    """A text area's value as the submitter typed it: browsers send each line break as CRLF
    (the HTML form encoding), while the page, the CLI and form exports have LF. Kept as
    sent, a story with many lines counted a character more per line against
    `max_body_chars` than the submitter could see, and its CRs were stored with it."""
    return text.replace("\r\n", "\n")


def filter_text(value: str, limit: int) -> str:
    """A filter typed into an address (`?org=`), cut to `limit`. A NUL, which PostgreSQL
    refuses in a query and no stored text holds, becomes U+FFFD: it matches nothing."""
    return value.replace("\x00", "\ufffd")[:limit]


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: all user text is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.filters["number"] = _number
    env.filters["score"] = _score
    env.filters["answer"] = _answer
    # Story text with control characters and bidi overrides made visible, as the CLI and
    # `stories export` show it: a U+202E in a title reversed how the page read, to
    # submitters on /stories and to the coordinator deciding on it.
    env.filters["visible"] = printable
    env.tests["web_link"] = is_http_url  # only http(s) links become <a href>
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


class _LazyToken:
    """The CSRF token, made only when a page really has a form (so browsing sets no cookie)."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request) if "session" in self.request.scope else ""

    def __html__(self) -> str:
        return str(self)


def flash(request: Request, message: str) -> None:
    """A message shown once, on the next page (after a redirect)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], message][-5:]


def render(request: Request, name: str, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    state = request.app.state.kv
    session = request.scope.get("session")
    messages = session.pop("flash") if session is not None and "flash" in session else []
    frame = {
        "request": request,
        "campaign": state.settings.campaign,
        "user": getattr(request.state, "user", None),
        "csrf_token": _LazyToken(request),
        "messages": messages,
        "path": request.url.path,
    }
    html = state.templates.get_template(name).render({**frame, **context})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if frame["user"] is not None:
        response.headers["cache-control"] = "no-store"
    return response
