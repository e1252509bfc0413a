"""Web app: coordinators' pages closed without sign-in (each route), the dashboard, the
per-organisation pages and the report downloads."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from tests.web_support import (
    CATALOGUE,
    SECRET,
    TAXONOMY,
    add_coordinator,
    cheap_hashing,
    csrf,
    sign_in,
)


@pytest.fixture
def app(settings, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return create_app(settings, sqlite_db, catalogue=CATALOGUE, taxonomy=TAXONOMY)


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


@pytest.fixture
def story_id(settings, sqlite_db) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "T", "body": "B", "name": "N",
                                     "email": "n@nhs.net", "consent": True,
                                     "organisation": "RX1"}, settings)
    story, _ = stories.submit_story(sqlite_db, settings, data,
                                    lookups=stories.Lookups(CATALOGUE, TAXONOMY))
    return story.id


@pytest.fixture
def report(campaign_dir):  # type: ignore[no-untyped-def]
    folder = campaign_dir / "report"
    (folder / "orgs").mkdir(parents=True)
    (folder / "report.html").write_text("<html><style>h1{color:red}</style><h1>Report</h1>",
                                        encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7 fake")
    (folder / "report.xlsx").write_bytes(b"PK fake")
    (folder / "orgs" / "RX1.html").write_text("<h1>RX1</h1>", encoding="utf-8")
    (folder / ".hidden.html").write_text("hidden", encoding="utf-8")
    (folder / "notes.txt").write_text("not a report file", encoding="utf-8")
    (campaign_dir / "outside.html").write_text("outside", encoding="utf-8")
    os.symlink(campaign_dir / "outside.html", folder / "link.html")
    return folder


COORDINATOR_GETS = ["/review", "/review?status=all", "/review/{id}", "/dashboard",
                    "/orgs/RX1", "/dashboard/reports/report.html"]


@pytest.mark.parametrize("path", COORDINATOR_GETS)
def test_coordinator_pages_redirect_to_login(client: TestClient, story_id: int,  # type: ignore[no-untyped-def]
                                             report, path: str) -> None:
    response = client.get(path.format(id=story_id), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/")
    assert "T" not in response.text and "Report" not in response.text


def test_coordinator_post_without_login_is_refused(client: TestClient, story_id: int,  # type: ignore[no-untyped-def]
                                                   sqlite_db) -> None:
    token = csrf(client.get("/submit").text)  # a real anonymous session and its token
    response = client.post(f"/review/{story_id}", data={"action": "approve",
                                                        "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "Please sign in" in response.text
    assert stories.get_story(sqlite_db, story_id).status == "submitted"


@pytest.mark.parametrize("path", COORDINATOR_GETS)
def test_coordinator_pages_open_after_sign_in(client: TestClient, story_id: int,  # type: ignore[no-untyped-def]
                                              report, path: str) -> None:
    sign_in(client)
    response = client.get(path.format(id=story_id), follow_redirects=False)
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]


def test_public_pages_need_no_login(client: TestClient) -> None:
    for path in ("/", "/submit", "/stories", "/login", "/healthz", "/submit/confirmation"):
        assert client.get(path, follow_redirects=False).status_code == 200, path


# -- report files -------------------------------------------------------------------------


def test_dashboard_lists_report_files(client: TestClient, report) -> None:  # type: ignore[no-untyped-def]
    sign_in(client)
    html = client.get("/dashboard").text
    for name in ("report.html", "report.pdf", "report.xlsx", "orgs/RX1.html"):
        assert f'href="/dashboard/reports/{name}"' in html, name
    for hidden in (".hidden.html", "notes.txt", "link.html", "outside.html"):
        assert hidden not in html, hidden


def test_report_files_download(client: TestClient, report) -> None:  # type: ignore[no-untyped-def]
    sign_in(client)
    html = client.get("/dashboard/reports/report.html")
    assert html.status_code == 200
    assert html.text.startswith("<html>")
    csp = html.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "script-src" not in csp
    pdf = client.get("/dashboard/reports/report.pdf")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 fake"
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert client.get("/dashboard/reports/orgs/RX1.html").status_code == 200


@pytest.mark.parametrize("name", ["../campaign.toml", "..%2Fcampaign.toml", ".hidden.html",
                                  "notes.txt", "link.html", "missing.pdf", "orgs",
                                  "%2Fetc%2Fpasswd", "orgs/../../outside.html"])
def test_report_downloads_reach_nothing_else(client: TestClient, report, name: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(client)
    response = client.get(f"/dashboard/reports/{name}")
    assert response.status_code == 404, name
    assert "outside" not in response.text and "[campaign]" not in response.text


def test_dashboard_without_a_report_says_how_to_make_one(client: TestClient) -> None:
    sign_in(client)
    assert "Run <code>knowvember report</code>" in client.get("/dashboard").text
