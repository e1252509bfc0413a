"""Public pages: the landing page, the story form and its confirmation, published stories,
and the health check.

The form goes through `knowvember.stories` exactly as `stories submit` does: the same
validation, the same organisation and technique resolution. This module only turns the
validator's per-field problems into sentences next to the fields.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from knowvember import __version__, stories
from knowvember.errors import NotFoundError
from knowvember.web.rendering import as_typed, filter_text, render
from knowvember.web.security import RateLimited, client_address, csrf_token

if TYPE_CHECKING:
    from starlette.datastructures import FormData

    from knowvember.web.app import WebState

log = logging.getLogger(__name__)

router = APIRouter()

LABELS = {
    "title": "Title",
    "body": "What happened",
    "outcome": "Outcome or impact",
    "techniques": "Techniques used",
    "organisation": "Organisation",
    "name": "Your name",
    "email": "Email address",
    "role": "Your role",
    "links": "Links",
    "consent": "Permission to publish",
}
WHEN_MISSING = {
    "title": "Enter a title for your story",
    "body": "Tell us what happened",
    "name": "Enter your name",
    "email": "Enter your email address",
    "consent": "Say whether we may publish your story",
}
SESSION_SUBMITTED = "submitted_story"
# The stories this browser sent lately (ids, newest last): a page the browser fetched again
# (the back button, with the typed text restored into a form with a new submission id) and
# sent again is still the one story.
SESSION_RECENT = "submitted_stories"
RECENT_KEPT = 10
# Each rendering of the form carries a random id for the story being written, stored as the
# story's key: the same form sent twice (a double click, the browser's back button and
# send again, a retry after a timeout) is one story, not two.
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_SETTING = re.compile(r" \(\[\w+\] \w+\)")  # " ([stories] max_body_chars)"


def field_errors(exc: stories.StoryValidationError) -> dict[str, str]:
    """The validator's problems as sentences, in the order the form shows the fields."""
    messages: dict[str, str] = {}
    for name in stories.INPUT_FIELDS:
        problem = exc.errors.get(name)
        if problem is None:
            continue
        if problem.startswith("required") and name in WHEN_MISSING:
            messages[name] = WHEN_MISSING[name]
        else:  # the setting behind a limit is for coordinators, not for the submitter
            messages[name] = f"{LABELS[name]}: {_SETTING.sub('', problem)}"
    for name, problem in exc.errors.items():
        if name not in messages:
            messages[name] = problem
    return messages


def _form_page(request: Request, values: dict[str, Any], errors: dict[str, str],
               status_code: int = 200, problem: str | None = None,
               submission: str | None = None, problem_title: str | None = None) -> Response:
    """The story form; sent back with what was typed, it keeps its submission id, so that
    sending it again after a correction is still the one story."""
    state = request.app.state.kv
    return render(
        request, "submit.html", status_code=status_code, values=values, errors=errors,
        technique_groups=state.technique_groups, organisations=state.organisation_names,
        labels=LABELS, max_title=state.settings.stories.max_title_chars, problem=problem,
        problem_title=problem_title,
        submission=_submission_id(submission) or secrets.token_urlsafe(24),
    )


def _submission_id(value: object) -> str | None:
    """The form's submission id if it is one this app makes, else None (an old page, a
    script posting without it: the story is stored, without protection from repeats)."""
    return value if isinstance(value, str) and _SUBMISSION.match(value) else None


def _store(state: WebState, data: stories.StoryInput, submission: str | None,
           session_token: str) -> tuple[int | None, bool]:
    """Store the story once per submission id and session: (its id, whether it is new).

    A repeat of a story already stored gives that story's id (None if it was erased since).
    Two copies sent at the same moment race to the unique key; the loser finds the winner's.
    The key holds a digest of the id with the session's CSRF token, so that one page
    served to two people (by a cache, say) cannot make the second one's story a "repeat"
    of the first's.
    """
    from sqlalchemy.exc import IntegrityError

    key = None
    if submission:
        digest = hashlib.sha256(f"{session_token}:{submission}".encode()).hexdigest()[:40]
        key = f"web:{state.settings.campaign.slug}:{digest}"
    item = stories.NewStory(data, external_key=key)
    for attempt in (1, 2):
        try:
            result = stories.add_stories(state.db, state.settings, [item], source="web",
                                         lookups=state.lookups)
        except IntegrityError:
            if key is None or attempt == 2:
                raise
            continue
        if result.added:
            story = result.added[0]
            for warning in result.warnings:
                log.info("Story %s: %s", story.id, warning)
            return story.id, True
        story_id = result.existing[0][1]
        log.info("Story form sent again (submission already stored as story %s)", story_id)
        return story_id, False
    raise AssertionError("unreachable")


def _repeat_of_recent(request: Request, data: stories.StoryInput) -> int | None:
    """The id of a story this browser sent lately with every answer the same, or None
    (any answer changed, even only the consent: a new story, as before).

    The submission id alone missed a repeat when the browser fetched the form again (back
    from the confirmation with no back-forward cache: Firefox, Safari, a phone short of
    memory) and restored the typed text into it: a new id, and the story was stored twice.
    """
    state: WebState = request.app.state.kv
    recent = request.session.get(SESSION_RECENT)
    if not isinstance(recent, list):
        return None
    sent = _as_sent(stories.resolve_input(data, state.lookups))
    for story_id in reversed(recent):
        if not isinstance(story_id, int):
            continue
        try:
            story = stories.get_story(state.db, story_id, lookups=state.lookups)
        except NotFoundError:  # erased on request since: sending it again is a new story
            continue
        if _as_sent(story) == sent:
            log.info("Story form sent again (the same story as story %s)", story_id)
            return story_id
    return None


def _as_sent(story: stories.StoryRecord | stories.Resolved) -> tuple[object, ...]:
    """A story's answers as the form sent them, to compare a stored one with one sent."""
    if isinstance(story, stories.Resolved):
        data = story.input
        return (data.title, data.body, data.outcome, story.chosen, data.organisation,
                data.name, stories.email_key(data.email), data.role, data.links, data.consent)
    return (story.title, story.body, story.outcome, story.chosen_techniques,
            story.organisation_text, story.name, stories.email_key(story.email), story.role,
            story.links, story.consent)


def _remember(request: Request, story_id: int | None) -> None:
    """Keep `story_id` for the confirmation page and for `_repeat_of_recent`."""
    request.session[SESSION_SUBMITTED] = story_id
    if story_id is None:
        return
    recent = request.session.get(SESSION_RECENT)
    kept = [i for i in recent if isinstance(i, int) and i != story_id] \
        if isinstance(recent, list) else []
    request.session[SESSION_RECENT] = [*kept, story_id][-RECENT_KEPT:]


NOT_SAVED = ("The story could not be saved just now: the service is busy or unavailable. "
             "It is below, as you wrote it: send it again in a minute.")


def refused_form(request: Request, form: FormData, *, status_code: int = 403,
                 problem: str | None = None) -> Response:
    """The form again as it was typed, when it came without a good CSRF token (most often
    because the session expired while the story was being written), or the database did
    not answer (`problem` says so): a fresh token, and the story is not lost. Nothing is
    stored until it is sent again."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in stories.INPUT_FIELDS}
    values["body"], values["outcome"] = as_typed(values["body"]), as_typed(values["outcome"])
    values["techniques"] = [str(t) for t in form.getlist("techniques")]
    values["consent"] = form.get("consent")
    return _form_page(request, values, {}, status_code=status_code, problem=problem or (
        "For your security your story could not be sent: the page was open too long, or "
        "your browser did not send this site's cookie. Check your story below and send it "
        "again."), submission=_submission_id(form.get("submission")))


@router.get("/")
def index(request: Request) -> Response:
    return render(request, "index.html")


@router.get("/submit")
def submit_form(request: Request) -> Response:
    return _form_page(request, {"techniques": []}, {})


@router.post("/submit")
def submit(
    request: Request,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    techniques: Annotated[list[str] | None, Form()] = None,
    organisation: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    links: Annotated[str, Form()] = "",
    consent: Annotated[str | None, Form()] = None,
    submission: Annotated[str, Form()] = "",
) -> Response:
    state: WebState = request.app.state.kv
    client = f"ip:{client_address(request)}"
    values: dict[str, Any] = {
        "title": title, "body": as_typed(body), "outcome": as_typed(outcome),
        "techniques": techniques or [],
        "organisation": organisation, "name": name, "email": email, "role": role,
        "links": links, "consent": consent,
    }
    wait = state.submit_limiter.retry_after(client)
    if wait:
        # The story comes back as typed: a trust's staff often share one address, so the
        # limit can be reached by colleagues, and a bare error page lost the story.
        log.warning("Submission rate limit reached for %s", client)
        limited = RateLimited(wait, "stories sent")
        page = _form_page(request, values, {}, status_code=429, submission=submission,
                          problem_title="Too many attempts",
                          problem=f"{limited.message} Your story has not been sent yet: it "
                                  "is below, as you wrote it.")
        page.headers["retry-after"] = str(wait)
        return page
    try:
        data = stories.StoryInput.parse(values, state.settings)
    except stories.StoryValidationError as exc:
        return _form_page(request, values, field_errors(exc), status_code=400,
                          submission=submission)
    story_id = _repeat_of_recent(request, data)
    new = False
    if story_id is None:
        story_id, new = _store(state, data, _submission_id(submission), csrf_token(request))
    if new:
        state.submit_limiter.hit(client)
        state.numbers.invalidate()
    _remember(request, story_id)
    return RedirectResponse("/submit/confirmation", status_code=303)


@router.get("/submit/confirmation")
def confirmation(request: Request) -> Response:
    story_id = request.session.get(SESSION_SUBMITTED)
    return render(request, "submitted.html",
                  story_id=story_id if isinstance(story_id, int) else None)


@router.get("/stories")
def published(request: Request, technique: str = "", org: str = "") -> Response:
    """Approved stories whose authors agreed to publication, newest first.

    Shown as `stories export` publishes them (`reports.stories_export.to_export`): an email
    address typed into a title, byline or text is removed, and a link holding one left
    out. This page is publication too, and submitters were promised their address never is.
    """
    from reports.stories_export import to_export

    state: WebState = request.app.state.kv
    technique, org = filter_text(technique, 200), filter_text(org, 300)
    found = stories.list_stories(
        state.db, status=stories.APPROVED, consent=True, technique=technique or None,
        org=org or None, lookups=state.lookups,
    )
    shown = [to_export(story, state.settings, directory=state.directory)
             for story in reversed(found)]
    return render(request, "stories.html", stories=shown, technique=technique,
                  org=org, technique_groups=state.technique_groups,
                  organisations=_published_organisations(state, org))


def _published_organisations(state: WebState, org: str) -> list[tuple[str, str]]:
    """(value, name) of each organisation with a published story, by name, for the filter.

    A text box took only an exact name, abbreviation or code: "Leeds" found none of the
    Leeds stories shown below it, and said only "No published stories match". A filter
    given in the address (a bookmark, ?org=LTHT) stays chosen, as typed.
    """
    from reports.stories_export import to_export

    choices: dict[str, str] = {}
    for story in stories.list_stories(state.db, status=stories.APPROVED, consent=True,
                                      lookups=state.lookups):
        value = story.organisation_code or story.organisation_text
        if not value or value in choices:
            continue
        name = to_export(story, state.settings, directory=state.directory).organisation
        choices[value] = name or value
    if org and org not in choices:
        choices[org] = org
    return sorted(choices.items(), key=lambda item: (item[1].casefold(), item[0]))


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """For load balancers and monitoring: 200 when the database answers, else 503."""
    db = request.app.state.kv.db
    try:
        with db.begin() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        log.error("Health check: the database does not answer: %s", exc)
        return JSONResponse({"status": "error", "database": "unavailable",
                             "version": __version__}, status_code=503,
                            headers={"cache-control": "no-store"})
    return JSONResponse({"status": "ok", "database": "ok", "version": __version__},
                        headers={"cache-control": "no-store"})
