"""Signing coordinators in and out, and keeping their pages behind the login.

The session remembers the user's id and a fingerprint of their password hash; each request
checks both against the database, so removing a user or changing a password ends their
sessions at once. Failed logins are rate-limited per client address and per username.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from knowvember import users
from knowvember.users import UserInfo
from knowvember.web.rendering import flash, render
from knowvember.web.security import SESSION_CSRF, RateLimited, client_address

log = logging.getLogger(__name__)

SESSION_USER = "uid"
SESSION_FINGERPRINT = "fp"

router = APIRouter()


class LoginRequired(Exception):
    """A coordinator page asked for without a signed-in coordinator."""


def load_user(request: Request) -> UserInfo | None:
    """The signed-in coordinator, if any (also kept on request.state for the templates)."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    user = None
    uid = request.session.get(SESSION_USER)
    if isinstance(uid, int):
        user = users.get_user(request.app.state.kv.db, uid)
        if user is None or user.fingerprint != request.session.get(SESSION_FINGERPRINT):
            request.session.pop(SESSION_USER, None)
            request.session.pop(SESSION_FINGERPRINT, None)
            user = None
    request.state.user = user
    return user


def require_user(request: Request) -> UserInfo:
    user = load_user(request)
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[UserInfo, Depends(require_user)]


def safe_next(target: str | None) -> str:
    """Only a path on this site (no `//host` or `scheme:`): never an open redirect."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return "/review"
    return target


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def login_page(request: Request, *, status_code: int = 200, username: str = "",
               next: str = "", error: str | None = None, note: str | None = None,
               seen: str = "") -> Response:
    """The sign-in form; with `note`, it also carries a review note typed before the session
    ended, and which version of the story it was written on (`seen`), back to the story's
    review form (see `review.refused_decision`)."""
    return render(request, "login.html", status_code=status_code, username=username[:100],
                  next=safe_next(next), error=error, note=note, seen=seen[:64])


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    if load_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(request, next=next)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    keep_note: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    seen: Annotated[str, Form()] = "",
) -> Response:
    state = request.app.state.kv
    name = users.normalise_username(username)
    keys = (f"ip:{client_address(request)}", f"user:{name}")
    wait = state.login_limiter.retry_after(*keys)
    if wait:
        log.warning("Login rate limit reached for %s", keys[0])
        limited = RateLimited(wait, "sign-in attempts")
        if not keep_note:
            raise limited
        # Carrying a review note: the sign-in form again, with the note, not a bare error.
        page = login_page(request, status_code=429, username=username, next=next, note=note,
                          seen=seen, error=f"{limited.message} Your note is kept below.")
        page.headers["retry-after"] = str(wait)
        return page
    user = users.verify(state.db, name, password) if name and password else None
    if user is None:
        state.login_limiter.hit(*keys)
        log.info("Failed sign-in for %r from %s", name[:100], keys[0])
        return login_page(request, status_code=401, username=username, next=next,
                          error="The username or password is not right. Check them and try "
                                "again.", note=note if keep_note else None, seen=seen)
    state.login_limiter.reset(keys[1])
    # A fresh session on sign-in: nothing from before (a planted token) carries over.
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_FINGERPRINT] = user.fingerprint
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    request.state.user = user
    log.info("%s signed in", user.username)
    flash(request, f"Signed in as {user.username}.")
    if keep_note:
        from knowvember.web.review import resume_decision

        page = resume_decision(request, safe_next(next), note, seen)
        if page is not None:
            return page
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    user = load_user(request)
    if user is not None:
        log.info("%s signed out", user.username)
    return signed_out(request)


def signed_out(request: Request) -> Response:
    """A fresh session saying so, and the home page."""
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/", status_code=303)
