"""The web app: `create_app(settings, db)` builds it on the same database and core as the CLI.

Library staff submit stories on public pages; coordinators sign in to review them and to see
the campaign dashboard. Pages are server-rendered HTML that work without JavaScript. Errors
become friendly pages with the right status code; a traceback is only ever logged.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from knowvember.errors import DatabaseError, InputError, KnowvemberError, NotFoundError
from knowvember.web import auth
from knowvember.web.rendering import STATIC, make_environment, render
from knowvember.web.security import (
    CSRF_FIELD,
    SECURITY_HEADERS,
    CsrfError,
    RateLimited,
    RateLimiter,
    SecurityHeaders,
    check_csrf,
    secret_key,
)

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.organisations import Catalogue
    from knowvember.stories import Lookups
    from knowvember.techniques import Taxonomy
    from knowvember.web.numbers import NumbersCache
    from reports.scope import Directory

log = logging.getLogger(__name__)

SESSION_COOKIE = "knowvember_session"
SESSION_MAX_AGE = 8 * 60 * 60  # a working day; then sign in again
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebState:
    """What every request handler shares: config, database, limiters, templates."""

    settings: Settings
    db: Database
    templates: jinja2.Environment
    login_limiter: RateLimiter
    submit_limiter: RateLimiter
    clock: Callable[[], float] = time.monotonic
    # Loaded on first use (the catalogue reads CSV files), unless create_app was given them.
    catalogue_given: Catalogue | None = None
    taxonomy_given: Taxonomy | None = None

    @cached_property
    def catalogue(self) -> Catalogue:
        from knowvember.organisations import Catalogue

        if self.catalogue_given is not None:
            return self.catalogue_given
        return Catalogue.load(self.settings)

    @cached_property
    def taxonomy(self) -> Taxonomy:
        from knowvember.techniques import Taxonomy

        if self.taxonomy_given is not None:
            return self.taxonomy_given
        return Taxonomy.load(self.settings)

    @cached_property
    def technique_groups(self) -> list[tuple[str, list[str]]]:
        """The taxonomy by phase for the technique checkboxes (a technique in several
        phases is listed under its first)."""
        titles = {"before": "Learning before", "during": "Learning during",
                  "after": "Learning after"}
        groups: dict[str, list[str]] = {phase: [] for phase in titles}
        other: list[str] = []
        for technique in self.taxonomy:
            phase = technique.phases[0] if technique.phases else ""
            groups.get(phase, other).append(technique.name)
        result = [(titles[phase], sorted(names, key=str.casefold))
                  for phase, names in groups.items() if names]
        if other:
            result.append(("Other techniques", sorted(other, key=str.casefold)))
        return result

    @cached_property
    def organisation_names(self) -> list[str]:
        """Names for the organisation picker: open, in-scope organisations only."""
        names = {org.name for org in self.catalogue
                 if not org.out_of_scope and org.closed is None and org.kind != "closed"}
        return sorted(names, key=str.casefold)

    @cached_property
    def numbers(self) -> NumbersCache:
        """The dashboard's reading of the campaign (shared for a minute)."""
        from knowvember.web.numbers import NumbersCache

        return NumbersCache(self.settings, self.db, lambda: self.catalogue,
                            lambda: self.taxonomy, clock=self.clock)

    @cached_property
    def lookups(self) -> Lookups:
        from knowvember.stories import Lookups

        return Lookups(self.catalogue, self.taxonomy)

    @cached_property
    def directory(self) -> Directory:
        """Organisation codes resolved as the campaign's report resolves them: the public
        stories page names a merged trust as the report and `stories export` do."""
        from reports.stories_export import campaign_directory

        return campaign_directory(self.settings, self.lookups)


async def csrf_protect(request: Request) -> None:
    """Every state-changing request must carry the session's CSRF token in its form."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))


def create_app(settings: Settings, db: Database | None = None, *,
               clock: Callable[[], float] = time.monotonic,
               catalogue: Catalogue | None = None,
               taxonomy: Taxonomy | None = None) -> FastAPI:
    """The app for `settings`; opens (and later closes) the database unless given one.

    `catalogue` and `taxonomy` default to the ones `settings` describes (loaded on first use).
    """
    from knowvember.db import open_database

    key = secret_key(settings)  # before opening anything: a bad key is a config error
    owns_db = db is None
    database = open_database(settings) if db is None else db

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_db:
            database.dispose()

    app = FastAPI(
        title=f"knowvember: {settings.campaign.name}",
        docs_url=None, redoc_url=None, openapi_url=None,  # a website, not a public API
        lifespan=lifespan,
        dependencies=[Depends(auth.load_user), Depends(csrf_protect)],
    )
    app.state.kv = WebState(
        settings=settings,
        db=database,
        templates=make_environment(),
        login_limiter=RateLimiter(settings.web.login_attempts_per_minute, 60.0, clock),
        submit_limiter=RateLimiter(settings.web.submissions_per_hour, 3600.0, clock),
        clock=clock,
        catalogue_given=catalogue,
        taxonomy_given=taxonomy,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.web.secure_cookies,
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, hsts=settings.web.secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    from knowvember.web import dashboard, public, review

    for module in (public, auth, review, dashboard):
        app.include_router(module.router)
    _add_error_pages(app)
    return app


class HeadAsGet:
    """Answer HEAD wherever GET works (uptime checks use it): run GET, send no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and worker processes: config from $KNOWVEMBER_CONFIG.

    A worker that cannot build the app (the database went down after `serve` checked it, the
    config was edited since) logs why in one line and exits with uvicorn's code for a failed
    start, which stops the server: an exception here was a traceback per worker, and uvicorn
    restarted the workers, each failing the same way, until someone stopped it.
    """
    from knowvember.config import load_settings
    from knowvember.logfile import configure_log_file

    try:
        settings = load_settings()
        configure_log_file(settings)
        return create_app(settings)
    except KnowvemberError as exc:
        from uvicorn.config import STARTUP_FAILURE  # the code uvicorn does not restart

        log.error("The web app could not start: %s", exc)
        _record_worker_failure(exc)
        raise SystemExit(STARTUP_FAILURE) from None


# Set by `serve --workers`: a file where a worker that could not start writes why, so that
# `serve` can say it, and exit non-zero, once uvicorn has stopped the server (uvicorn itself
# just returns, and a service manager took the stop for a clean one).
WORKER_FAILURE_FILE_ENV = "KNOWVEMBER_WORKER_FAILURE_FILE"


def _record_worker_failure(exc: KnowvemberError) -> None:
    import os
    from pathlib import Path

    path = os.environ.get(WORKER_FAILURE_FILE_ENV)
    if path:
        with contextlib.suppress(OSError):
            Path(path).write_text(f"{exc.exit_code}\n{exc}", encoding="utf-8")


def error_page(request: Request, status_code: int, title: str, message: str,
               headers: dict[str, str] | None = None) -> Response:
    return render(request, "error.html", status_code=status_code, headers=headers,
                  title=title, message=message)


_HTTP_PAGES = {
    400: ("Something in the request was not right", "Go back, check the page and try again."),
    403: ("You cannot do that", "You do not have permission to do that."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted "
          "it, check you copied the entire address."),
    405: ("That is not allowed here", "This page cannot be used that way."),
}


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title, message = _HTTP_PAGES.get(
            exc.status_code, ("Something went wrong", "Please try again later.")
        )
        return error_page(request, exc.status_code, title, message,
                          headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return error_page(request, 404, *_HTTP_PAGES[404])
        return error_page(request, 400, *_HTTP_PAGES[400])

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        if request.method in SAFE_METHODS:
            return auth.login_redirect(request)
        refused = _refused_form(request)
        if refused is not None:
            return refused(request, await request.form())  # nothing stored or decided
        return error_page(request, 403, "Please sign in",
                          "This is for campaign coordinators. Sign in and try again.")

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, exc: CsrfError) -> Response:
        if request.url.path == "/logout" and auth.load_user(request) is None:
            # Signing out after the session ended (the cookie expired overnight): nothing to
            # protect, and what was asked for is so. It answered "This form has expired: go
            # back, reload the page and try again".
            return auth.signed_out(request)
        log.warning("Refused a %s to %s: %s", request.method, request.url.path, exc)
        if request.url.path == "/login" and request.method == "POST":
            # The sign-in form again, with a fresh token: what was typed (and a review note
            # being carried back to its story) is kept, and no one is signed in. It was a
            # bare "This form has expired" page, and the note carried was lost.
            form = await request.form()
            keep = bool(form.get("keep_note"))
            return auth.login_page(
                request, status_code=403, username=str(form.get("username") or ""),
                next=str(form.get("next") or ""), seen=str(form.get("seen") or ""),
                note=str(form.get("note") or "") if keep else None,
                error="The sign-in form had expired (it was open too long, or your browser "
                      "did not send this site's cookie). Enter your password again.")
        refused = _refused_form(request)
        if refused is not None:
            return refused(request, await request.form())  # nothing stored or decided
        return error_page(
            request, 403, "This form has expired",
            "For your security the form could not be sent. Go back, reload the page and try "
            "again. (Your browser must accept cookies from this site.)",
        )

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        return error_page(request, 429, "Too many attempts", exc.message,
                          headers={"retry-after": str(exc.retry_after)})

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return error_page(request, 404, *_HTTP_PAGES[404])

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return error_page(request, 400, "Something in the request was not right", str(exc))

    @app.exception_handler(DatabaseError)
    async def database_error(request: Request, exc: DatabaseError) -> Response:
        from knowvember.web import public

        log.error("Database error on %s: %s", request.url.path, exc)
        if _refused_form(request) is public.refused_form:
            # A story sent while the database was busy (an SQLite file another process is
            # writing to past the busy timeout) or down: it comes back as typed, not lost.
            with contextlib.suppress(Exception):  # the page needs the session; if not, plain
                return public.refused_form(request, await request.form(), status_code=503,
                                           problem=public.NOT_SAVED)
        return _plain_error_page(request, 503, "The service is busy or unavailable",
                                 "Please try again in a few minutes.")

    @app.exception_handler(KnowvemberError)
    async def domain_error(request: Request, exc: KnowvemberError) -> Response:
        log.error("Error on %s: %s", request.url.path, exc)
        return _plain_error_page(request, 500, "Sorry, there is a problem with the service",
                                 "Please try again later.")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Outside the session and header middleware: a page that needs neither.
        log.error("Unexpected error on %s %s", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
        return _plain_error_page(request, 500, "Sorry, there is a problem with the service",
                                 "Please try again later.")


def _refused_form(request: Request) -> Callable[[Request, FormData], Response] | None:
    """What puts a refused POST's form back as it was typed, for the forms where losing it
    loses real work: the story form, and a coordinator's decision with its note. None for
    the others (sign-in, sign-out), which show "This form has expired"."""
    from knowvember.web import public, review

    if request.method != "POST":
        return None
    route = getattr(request.scope.get("route"), "path", None)
    forms: dict[str, Callable[[Request, FormData], Response]] = {
        "/submit": public.refused_form,
        "/review/{story_id}": review.refused_decision,
    }
    return forms.get(route) if isinstance(route, str) else None


def _plain_error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    """An error page that needs no session, no user and no database."""
    state = request.app.state.kv
    html = state.templates.get_template("error.html").render(
        request=request, campaign=state.settings.campaign, user=None, csrf_token="",
        messages=[], path=request.url.path, title=title, message=message,
    )
    response = HTMLResponse(html, status_code=status_code)
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response
