"""Coordinators' pages: the review queue (with filters) and one story's review.

Decisions go through `stories.transition`, the same call `stories approve|reject|
request-changes` makes, with the signed-in coordinator as the reviewer; the rules (which
status allows what, which decisions need a note) live there. Like the CLI, these pages reach
only the campaign's own stories: another campaign's story is not found here (404).
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from knowvember import stories
from knowvember.errors import ConflictError, InputError, NotFoundError
from knowvember.web.auth import CurrentUser, load_user, login_page, require_user
from knowvember.web.rendering import as_typed, filter_text, flash, render

if TYPE_CHECKING:
    from starlette.datastructures import FormData

    from knowvember.web.app import WebState

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(require_user)])

STATUS_CHOICES = [("submitted", "Waiting for review"), ("approved", "Approved"),
                  ("changes_requested", "Changes requested"), ("rejected", "Rejected"),
                  ("all", "All")]
ACTION_LABELS = {"approve": "Approve", "request_changes": "Request changes",
                 "reject": "Reject"}
DONE = {"approve": "approved", "request_changes": "sent back for changes",
        "reject": "rejected"}
# Story ids are database integers: a bigger number in the address is not found (404), not an
# overflow in the database driver (500).
MAX_STORY_ID = stories.MAX_STORY_ID
StoryId = Annotated[int, Path(ge=1, le=MAX_STORY_ID)]
_REVIEW_PAGE = re.compile(r"/review/([0-9]{1,10})")
# A note carried through signing in again waits in the session for the story's page. The
# session is a cookie, which browsers keep only up to 4 KB: a longer note is shown at once.
SESSION_RESUME = "resume"
MAX_CARRIED_NOTE = 1800  # characters of the note as JSON (an accent is 6)


@router.get("/review")
def queue(request: Request, status: str = "submitted", org: str = "",
          technique: str = "") -> Response:
    """Pending stories oldest first; other statuses and filters on request."""
    state: WebState = request.app.state.kv
    if status not in {value for value, _ in STATUS_CHOICES}:
        status = "submitted"
    org, technique = filter_text(org, 300), filter_text(technique, 200)
    found = stories.list_stories(
        state.db, status=None if status == "all" else status, org=org or None,
        technique=technique or None, lookups=state.lookups,
    )
    return render(request, "review_list.html", stories=found, status=status, org=org,
                  technique=technique, status_choices=STATUS_CHOICES,
                  counts=stories.count_by_status(state.db),
                  technique_groups=state.technique_groups)


@router.get("/review/trail.csv")
def trail_download(request: Request) -> Response:
    """Every story's review trail as a spreadsheet, as `stories trail --format csv` writes
    it: who did what, when, with which note, and which fields each edit changed (and of an
    erased story, what is left: who did what, and when)."""
    from reports.story_trail import CSV_FILE_BOM, trail_csv

    state: WebState = request.app.state.kv
    rows = stories.trail_rows(stories.list_stories(state.db, with_events=True,
                                                   lookups=state.lookups),
                              stories.erased_trails(state.db))
    name = f"{state.settings.campaign.slug}-review-trail.csv"
    return Response(CSV_FILE_BOM + trail_csv(rows, state.settings),
                    media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"',
                             "cache-control": "no-store"})


def _not_found(request: Request, story_id: int) -> Response:
    """An unknown id, an erased story and another campaign's story: one 404, naming the id."""
    from knowvember.web.app import error_page

    return error_page(request, 404, "Page not found",
                      f"There is no story {story_id} in this campaign (it may have been "
                      "erased on request). Check the address, or go back to the review queue.")


def _story_page(request: Request, story_id: int, *, status_code: int = 200,
                error: str | None = None, note: str = "", note_error: bool = False,
                withdraw_note: str | None = None) -> Response:
    """One story's review page; `note_error`: `error` is about the note, so the note box
    says so too (a screen reader reads it there, where the coordinator types)."""
    state: WebState = request.app.state.kv
    try:
        story = stories.get_story(state.db, story_id, lookups=state.lookups)
    except NotFoundError:
        return _not_found(request, story_id)
    order = [*ACTION_LABELS, *(name for name in stories.ACTIONS if name not in ACTION_LABELS)]
    actions = [(name, ACTION_LABELS.get(name, name), stories.ACTIONS[name].needs_note)
               for name in order
               if name in stories.ACTIONS and story.status in stories.ACTIONS[name].allowed_from]
    return render(request, "review_story.html", status_code=status_code, story=story,
                  actions=actions, error=error, note=note, note_error=note_error,
                  changes=stories.edit_changes(story), withdraw_note=withdraw_note,
                  can_withdraw=story.consent and story.status in stories.EDITABLE_FROM,
                  waiting=_waiting_for_changes(state, story))


def _waiting_for_changes(state: WebState, story: stories.StoryRecord
                         ) -> list[stories.StoryRecord]:
    """The submitter's earlier stories waiting for the changes asked for, beside a story in
    the queue: a submitter asked for changes often sends the story again through the form,
    and the new one came into the queue with nothing to say it answers the request, while
    the one sent back waited for ever."""
    if story.status != stories.SUBMITTED or not story.email:
        return []
    sender = stories.email_key(story.email)
    return [other for other in stories.list_stories(
                state.db, status=stories.CHANGES_REQUESTED, lookups=state.lookups)
            if other.id < story.id and other.email and stories.email_key(other.email) == sender]


@router.get("/review/{story_id}")
def show(request: Request, story_id: StoryId) -> Response:
    carried = request.session.get(SESSION_RESUME)
    if isinstance(carried, dict) and carried.get("story") == story_id:
        # Kept until the decision is sent (a reload shows the note again), or another
        # story is opened.
        return _resumed_page(request, story_id, str(carried.get("note") or ""),
                             str(carried.get("seen") or ""))
    request.session.pop(SESSION_RESUME, None)
    return _story_page(request, story_id)


@router.post("/review/{story_id}")
def decide(
    request: Request,
    story_id: StoryId,
    user: CurrentUser,
    action: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    seen: Annotated[str, Form()] = "",
) -> Response:
    state: WebState = request.app.state.kv
    request.session.pop(SESSION_RESUME, None)  # the note carried here is in this form now
    note = as_typed(note)
    spec = stories.ACTIONS.get(action)
    if spec is None:
        return _story_page(request, story_id, status_code=400, note=note,
                           error="Choose approve, request changes or reject.")
    if spec.needs_note and not note.strip():
        return _story_page(request, story_id, status_code=400, note=note, note_error=True,
                           error=f"Add a note to {ACTION_LABELS[action].lower()}: say why, "
                                 "for the submitter and the trail.")
    try:
        # `seen`: the version the page showed. A page from before this field (none) is
        # decided on the status alone, as it was.
        decided = stories.transition(state.db, story_id, action, reviewer=user.username,
                                     note=note or None, lookups=state.lookups,
                                     seen=seen or None)
    except NotFoundError:
        return _not_found(request, story_id)
    except ConflictError as exc:
        if _made_just_now(state, story_id, action, user.username, note or None, seen):
            log.info("Decision on story %s sent twice (a double click); made once", story_id)
            flash(request, f"Story {story_id} {DONE.get(action, action)}.")
            return RedirectResponse("/review", status_code=303)
        if isinstance(exc, stories.StoryChanged):
            return _story_page(request, story_id, status_code=409, note=note, error=(
                f"Your decision was not saved: story {story_id} changed while you had it "
                f"open{f' ({exc.step})' if exc.step else ''}. It is shown below as it is "
                "now: read it again, then decide."))
        meanwhile = _decided_meanwhile(state, story_id, seen, user.username)
        return _story_page(request, story_id, status_code=409, note=note,
                           error=meanwhile or str(exc))
    except InputError as exc:
        return _story_page(request, story_id, status_code=400, error=str(exc), note=note)
    state.numbers.invalidate()
    unpublished = (" Its author did not agree to publication, so it is counted but not "
                   "published." if decided.status == stories.APPROVED and not decided.consent
                   else "")
    flash(request, f"Story {story_id} {DONE.get(action, action)}.{unpublished}")
    return RedirectResponse("/review", status_code=303)


_DECIDED = {"approved": "approved it", "rejected": "rejected it",
            "changes_requested": "sent it back for changes"}


def _decided_meanwhile(state: WebState, story_id: int, seen: str, username: str) -> str | None:
    """What to tell a coordinator whose decision lost to another one made while they had the
    page open: who decided what, and when. None when the story did not change since `seen`.

    The page said only the CLI's refusal ("story 5 is changes requested: only a submitted
    story can be approved; ... edit it (`knowvember stories edit 5 ...`)"), naming neither
    the colleague nor their decision, and nothing said that the note typed was not kept.
    """
    if not seen:
        return None
    try:
        story = stories.get_story(state.db, story_id, lookups=state.lookups)
    except NotFoundError:
        return None
    if story.version == seen or not story.events:
        return None
    last = story.events[-1]
    what = _DECIDED.get(last.action)
    if what is None:
        return None
    when = f"{last.at:%-d %B at %H:%M} UTC"
    if last.reviewer == username:  # this page sent again, or another tab of theirs
        done = f"you {what.removesuffix(' it')} story {story_id} already, on {when}"
    else:
        done = (f"while you had story {story_id} open, {last.reviewer or 'another coordinator'}"
                f" {what} on {when}")
    return (f"Your decision was not saved: {done}. It is shown below as it is now, with its "
            "trail.")


@router.post("/review/{story_id}/withdraw")
def withdraw_consent(
    request: Request,
    story_id: StoryId,
    user: CurrentUser,
    note: Annotated[str, Form()] = "",
    seen: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw a story's permission to publish (its submitter asked): it leaves /stories and
    every export at once and keeps its status, as `stories edit ID --no-consent` does.

    Only the command line could do it, so a coordinator working in the web app could not
    unpublish an approved story whose author asked them to.
    """
    state: WebState = request.app.state.kv
    note = as_typed(note).strip()
    try:
        story = stories.get_story(state.db, story_id, lookups=state.lookups)
    except NotFoundError:
        return _not_found(request, story_id)
    if not story.consent:
        flash(request, f"Story {story_id} is not published: its author did not agree to "
                       "publication, or it was withdrawn already.")
        return RedirectResponse(f"/review/{story_id}", status_code=303)
    if seen and seen != story.version:
        return _story_page(request, story_id, status_code=409, withdraw_note=note, error=(
            f"Permission was not withdrawn: story {story_id} changed while you had it open. "
            "It is shown below as it is now: read it again, then withdraw."))
    try:
        stories.edit_story(state.db, state.settings, story_id, {"consent": False},
                           editor=user.username,
                           note=note or "permission to publish withdrawn at the author's "
                                        "request", lookups=state.lookups)
    except NotFoundError:
        return _not_found(request, story_id)
    except (ConflictError, InputError) as exc:
        return _story_page(request, story_id, status_code=409, withdraw_note=note,
                           error=f"Permission was not withdrawn: {exc}")
    state.numbers.invalidate()
    log.info("Story %s: permission to publish withdrawn by %s", story_id, user.username)
    hint = stories.report_hint(state.settings) if story.status == stories.APPROVED else ""
    flash(request, f"Story {story_id} is no longer published: permission to publish is "
                   f"withdrawn (it stays {stories.status_label(story.status)}).{hint}")
    return RedirectResponse(f"/review/{story_id}", status_code=303)


def _made_just_now(state: WebState, story_id: int, action: str, reviewer: str,
                   note: str | None, seen: str) -> bool:
    """Whether the story's last step is this very decision, by this coordinator, on the
    version they saw: the second copy of a double-clicked button. It was answered with an
    error ("story N is already approved"), the page the browser shows, although the first
    copy had saved it."""
    if not seen:
        return False
    try:
        story = stories.get_story(state.db, story_id, lookups=state.lookups)
    except NotFoundError:
        return False
    if len(story.events) < 2:
        return False
    before, last = story.events[-2], story.events[-1]
    return (last.action == stories.EVENT_FOR_ACTION.get(action) and last.reviewer == reviewer
            and last.note == note and last.at.isoformat() == story.version
            and before.at.isoformat() == seen)


def refused_decision(request: Request, form: FormData) -> Response:
    """The review form again with the note as typed, when a decision came without a good
    CSRF token or signed out (most often because the session expired while the note was
    being written), as `public.refused_form` does for a story. Nothing is decided.

    Signed out, the story is not shown: the sign-in form carries the note (and which version
    of the story was read), and signing in brings it back to the story's review form
    (`resume_decision`).
    """
    note = as_typed(str(form.get("note") or ""))
    seen = str(form.get("seen") or "")[:64]
    story_id = _story_id(str(request.path_params.get("story_id", "")))
    if story_id is None:
        from knowvember.web.app import error_page

        return error_page(request, 404, "Page not found", "Check the address.")
    if load_user(request) is None:
        return login_page(request, status_code=403, next=f"/review/{story_id}", note=note,
                          seen=seen,
                          error=f"Please sign in: your decision on story {story_id} was not "
                                "saved, because you were signed out (the page was open too "
                                "long). Your note comes back in the review form once you are "
                                "signed in.")
    return _story_page(request, story_id, status_code=403, note=note, error=(
        "For your security your decision was not saved: the page was open too long, or your "
        "browser did not send this site's cookie. "
        f"{_changed_since(request, story_id, seen)}Check your note below and submit your "
        "decision again."))


def resume_decision(request: Request, target: str, note: str, seen: str = "") -> Response | None:
    """After signing in from `refused_decision`'s form: back to the story's review page, its
    form holding the note as typed, nothing decided yet. None when `target` is not a story's
    review page.

    A redirect, so the story is at its own address (shown as the answer to the sign-in, it
    was at /login: reloading it sent the password again, and Back left the story). The note
    waits in the session for that page; one too long for the session cookie is shown at once.
    """
    match = _REVIEW_PAGE.fullmatch(target)
    story_id = _story_id(match.group(1)) if match else None
    if story_id is None:
        return None
    note, seen = as_typed(note), seen[:64]
    if len(json.dumps(note)) > MAX_CARRIED_NOTE:
        return _resumed_page(request, story_id, note, seen)
    request.session[SESSION_RESUME] = {"story": story_id, "note": note, "seen": seen}
    return RedirectResponse(f"/review/{story_id}", status_code=303)


def _resumed_page(request: Request, story_id: int, note: str, seen: str) -> Response:
    """The story's review form with a note carried through signing in again."""
    return _story_page(request, story_id, note=note, error=(
        "Your decision was not saved before you were signed out. "
        f"{_changed_since(request, story_id, seen)}Check your note below and submit your "
        "decision again."))


def _changed_since(request: Request, story_id: int, seen: str) -> str:
    """A sentence when the story changed after the coordinator read it (`seen`): the page
    shows it as it is now, which is not what the note was written about."""
    if not seen:
        return ""
    state: WebState = request.app.state.kv
    try:
        story = stories.get_story(state.db, story_id, lookups=state.lookups)
    except NotFoundError:
        return ""
    if story.version == seen:
        return ""
    return ("The story has changed since you read it: it is shown below as it is now, so read "
            "it again before you decide. ")


def _story_id(text: str) -> int | None:
    """A story id from an address, as `StoryId` takes it; None for anything else."""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_STORY_ID else None
