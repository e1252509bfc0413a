"""Coordinators' campaign dashboard, per-organisation pages and the report downloads.

The numbers are the reporting layer's (see `knowvember.web.numbers`): the same definitions
as `knowvember summary`, `leaderboard` and the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, RedirectResponse, Response

from knowvember import stories
from knowvember.errors import NotFoundError
from knowvember.web.auth import require_user
from knowvember.web.rendering import filter_text, flash, render
from knowvember.web.report_files import find_report_file, list_report_files

if TYPE_CHECKING:
    from knowvember.web.app import WebState

router = APIRouter(dependencies=[Depends(require_user)])

# Report HTML is opened in the browser but boxed in: its own unique origin, no scripts, no
# requests anywhere; only its inline styles and embedded images.
REPORT_HTML_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; "
                   "img-src data:; font-src data:")


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    """Headline numbers, daily activity, the organisation leaderboard, techniques, files."""
    state: WebState = request.app.state.kv
    numbers = state.numbers.get()
    summary = numbers.summary
    top = state.settings.reports.top_organisations
    return render(
        request, "dashboard.html", summary=summary, counts=stories.count_by_status(state.db),
        leaderboard=numbers.leaderboard[:top], ranked=len(numbers.leaderboard),
        daily_svg=Markup(numbers.daily_svg), techniques=_techniques(summary),
        files=list_report_files(state.settings), stale_tags=numbers.stale_tags,
    )


@router.get("/dashboard/charts/{name}.png")
def chart(request: Request, name: str) -> Response:
    """The report's matplotlib charts, drawn from the dashboard's current numbers."""
    state: WebState = request.app.state.kv
    png = state.numbers.get().chart(name, state.settings.reports.top_organisations)
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers={"cache-control": "private, no-store"})


def _techniques(summary: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(technique, posts, approved stories), mentioned ones only, most mentioned first."""
    posts = summary.get("techniques", {})
    told = summary.get("technique_stories", {})
    names = [n for n in posts if posts.get(n) or told.get(n)]
    names += [n for n in told if told.get(n) and n not in posts]
    return [(n, int(posts.get(n, 0)), int(told.get(n, 0))) for n in names]


@router.get("/orgs/{code}")
def organisation(request: Request, code: str) -> Response:
    """One organisation: who it is, its numbers and rank, its stories.

    Named as the campaign's report names it (the name it had then). A trust that closed
    before the campaign leads to its successor's page, where its posts and stories count.
    The stories listed are those its numbers count, as the report counts them: attributed
    to it by their ODS code, never by the text a submitter typed. They come from the same
    reading as the numbers, so a story sent through the CLI shows within that minute.
    """
    state: WebState = request.app.state.kv
    code = filter_text(code.strip().upper(), 20)
    org = state.catalogue.get(code)
    reading = state.numbers.get()
    info = reading.data.directory.resolve(code)
    if info is not None and info.code != code:
        flash(request, f"{org.name if org else code} ({code}) closed"
                       f"{org.closed.strftime(' on %-d %B %Y') if org and org.closed else ''}"
                       f": the campaign counts it as {info.name} ({info.code}).")
        return RedirectResponse(f"/orgs/{quote(info.code)}", status_code=303)
    try:
        numbers = reading.organisation(code) if code else None
    except NotFoundError:  # never took part (or not even in the catalogue): nothing to count
        numbers = None
    found = stories.list_stories(state.db, lookups=state.lookups,
                                 ids=numbers["story_ids"] if numbers else ())
    if org is None and not found and reading.rank_of(code) is None:
        raise HTTPException(404)
    summary = numbers["summary"] if numbers else None
    return render(
        request, "org.html", code=code, org=org, stories=found, numbers=numbers,
        org_name=info.name if info else code, region=info.region if info else None,
        summary=summary, daily_svg=Markup(numbers["daily_svg"]) if numbers else None,
        techniques=_techniques(summary) if summary else [], stale_tags=reading.stale_tags,
    )


@router.get("/dashboard/reports/{name:path}")
def report_file(request: Request, name: str) -> Response:
    """A file of the latest report: HTML shown (sandboxed), everything else downloaded."""
    state: WebState = request.app.state.kv
    path = find_report_file(state.settings, name)
    if path is None:
        raise HTTPException(404)
    headers = {"cache-control": "no-store"}
    if path.suffix.lower() == ".html":
        headers["content-security-policy"] = REPORT_HTML_CSP
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)
    return FileResponse(path, filename=path.name, headers=headers)
