"""Coordinators' campaign dashboard, per-organisation pages and the report downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from knowvember import stories
from knowvember.web.auth import require_user
from knowvember.web.rendering import render
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
    state: WebState = request.app.state.kv
    counts = stories.count_by_status(state.db)
    return render(request, "dashboard.html", counts=counts,
                  files=list_report_files(state.settings))


@router.get("/orgs/{code}")
def organisation(request: Request, code: str) -> Response:
    """One organisation: who it is, its numbers and rank, its stories."""
    state: WebState = request.app.state.kv
    code = code.strip().upper()[:20]
    org = state.catalogue.get(code)
    found = stories.list_stories(state.db, org=code, lookups=state.lookups) if code else []
    if org is None and not found:
        raise HTTPException(404)
    return render(request, "org.html", code=code, org=org, stories=found)


@router.get("/dashboard/reports/{name:path}")
def report_file(request: Request, name: str) -> Response:
    state: WebState = request.app.state.kv
    path = find_report_file(state.settings, name)
    if path is None:
        raise HTTPException(404)
    headers = {"cache-control": "no-store"}
    if path.suffix.lower() == ".html":
        headers["content-security-policy"] = REPORT_HTML_CSP
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)
    return FileResponse(path, filename=path.name, headers=headers)
