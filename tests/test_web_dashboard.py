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
    campaign_posts,
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


@pytest.mark.parametrize("path", [*COORDINATOR_GETS, "/dashboard/charts/hours.png"])
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


# -- the numbers (from the reporting layer) -----------------------------------------------


def _stat(html: str, label: str) -> str:
    import re

    match = re.search(r'<span class="stat__value">(?:<a [^>]+>)?([^<]+)(?:</a>)?</span>'
                      r'<span class="stat__label">' + re.escape(label) + "<", html)
    assert match, label
    return match.group(1)


@pytest.fixture
def numbers_client(settings, db, monkeypatch):  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL, with the campaign above and a fake clock for the cache."""
    from knowvember.web import create_app
    from tests.web_support import FakeClock

    cheap_hashing(monkeypatch)
    add_coordinator(db)
    campaign_posts(db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    clock = FakeClock()
    client = TestClient(create_app(settings, db, clock=clock, catalogue=CATALOGUE,
                                   taxonomy=TAXONOMY))
    sign_in(client)
    return client, clock


def test_dashboard_headline_numbers(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    html = client.get("/dashboard").text
    assert _stat(html, "posts") == "5"
    assert _stat(html, "original posts") == "4"
    assert _stat(html, "contributors") == "3"
    assert _stat(html, "organisations") == "2"
    assert _stat(html, "regions") == "2"
    assert _stat(html, "engagement (likes, reposts, replies, quotes)") == "7"
    assert _stat(html, "potential reach (an upper bound)") == "160"
    assert "2019-11-01 to 2019-11-30 (Europe/London)" in html
    assert "<td>X (Twitter)</td><td class=\"num\">3</td>" in html


def test_dashboard_numbers_match_the_reporting_layer(numbers_client, settings, db) -> None:  # type: ignore[no-untyped-def]
    from reports.dataset import load_campaign_data
    from reports.metrics import summarise

    client, _ = numbers_client
    summary = summarise(load_campaign_data(db, settings, catalogue=CATALOGUE,
                                           taxonomy=TAXONOMY))
    html = client.get("/dashboard").text
    for key, label in (("posts", "posts"), ("contributors", "contributors"),
                       ("engagement", "engagement (likes, reposts, replies, quotes)"),
                       ("stories_submitted", "stories submitted")):
        assert _stat(html, label) == f"{summary[key]:,}", key


def test_dashboard_daily_chart_and_its_table(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    html = client.get("/dashboard").text
    assert '<svg viewBox="0 0 680 220" role="img"' in html  # the report's own SVG chart
    assert "<title>05 Nov: 2 on X (Twitter)</title>" in html
    assert "<title>05 Nov: 1 on Mastodon</title>" in html
    assert "<td>2019-11-05</td><td class=\"num\">3</td>" in html
    assert 'style="' not in html  # the CSP allows no inline styles


def test_dashboard_png_charts_from_the_report(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    html = client.get("/dashboard").text
    for name in ("organisations", "hours"):
        assert f'<img src="/dashboard/charts/{name}.png" alt="' in html
        response = client.get(f"/dashboard/charts/{name}.png")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")
    assert "/dashboard/charts/techniques.png" not in html  # nothing mentioned: no chart
    assert client.get("/dashboard/charts/techniques.png").status_code == 404
    assert client.get("/dashboard/charts/nonsense.png").status_code == 404


def test_dashboard_leaderboard_links_to_organisation_pages(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    html = client.get("/dashboard").text
    first = html.index('<a href="/orgs/RX1">Nottingham University Hospitals NHS Trust</a>')
    second = html.index('<a href="/orgs/RTH">Oxford University Hospitals NHS Foundation Trust')
    assert first < second
    assert "2 organisations, by score" in html


def test_story_counts_refresh_after_a_web_decision(numbers_client, settings, db) -> None:  # type: ignore[no-untyped-def]
    client, clock = numbers_client
    data = stories.StoryInput.parse({"title": "T", "body": "B", "name": "N",
                                     "email": "n@nhs.net", "consent": True}, settings)
    first, _ = stories.submit_story(db, settings, data)
    second, _ = stories.submit_story(db, settings, data)
    clock.advance(61)
    html = client.get("/dashboard").text
    assert _stat(html, "stories submitted") == "2"
    assert _stat(html, "stories approved") == "0"
    token = csrf(client.get(f"/review/{first.id}").text)
    client.post(f"/review/{first.id}", data={"action": "approve", "csrf_token": token})
    assert _stat(client.get("/dashboard").text, "stories approved") == "1"
    # A decision made elsewhere (the CLI) shows within the minute the numbers are kept.
    stories.transition(db, second.id, "approve", reviewer="cli")
    assert _stat(client.get("/dashboard").text, "stories approved") == "1"
    clock.advance(61)
    assert _stat(client.get("/dashboard").text, "stories approved") == "2"


def test_organisation_page_numbers_rank_and_contributors(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    html = client.get("/orgs/RX1").text
    assert "<h1>Nottingham University Hospitals NHS Trust</h1>" in html
    assert "Ranked <strong>1</strong> of 2 organisations" in html
    assert _stat(html, "posts") == "4"
    assert _stat(html, "contributors") == "2"
    assert "x:@nuhlibrary" in html and "mastodon:@kate@nhs.social" in html
    assert "oxlib" not in html
    other = client.get("/orgs/rth").text  # codes are case-insensitive
    assert "Ranked <strong>2</strong>" in other
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ox" in other and "<script>" not in other


def test_organisation_page_lists_the_stories_the_report_counts(numbers_client, settings,  # type: ignore[no-untyped-def]
                                                               db) -> None:
    """A story whose organisation is only typed text is counted for no organisation by the
    report, even when the text reads like an ODS code; so the page neither lists nor counts it."""
    from knowvember.organisations import Catalogue
    from reports.dataset import load_campaign_data
    from reports.metrics import filter_data

    client, _ = numbers_client

    def sent(title: str, organisation: str, catalogue: Catalogue) -> int:
        data = stories.StoryInput.parse({"title": title, "body": "B", "name": "N",
                                         "email": "n@nhs.net", "consent": True,
                                         "organisation": organisation}, settings)
        story, _ = stories.submit_story(db, settings, data,
                                        lookups=stories.Lookups(catalogue, TAXONOMY))
        return story.id

    counted = sent("Attributed by its code", "RX1", CATALOGUE)
    typed = sent("Only typed as RX1", "RX1", Catalogue([]))  # not resolved when it was sent
    sent("Only typed as UNI01", "uni01", CATALOGUE)  # an organisation outside the catalogue
    assert stories.get_story(db, typed).organisation_code is None
    report = filter_data(load_campaign_data(db, settings, catalogue=CATALOGUE,
                                            taxonomy=TAXONOMY), org="RX1")
    assert [s.id for s in report.stories] == [counted]
    html = client.get("/orgs/RX1").text
    assert "Attributed by its code" in html
    assert "Only typed as RX1" not in html
    assert _stat(html, "stories submitted") == "1"
    assert client.get("/orgs/UNI01").status_code == 404  # the report knows no such organisation


def test_organisation_pages_for_absent_and_unknown_codes(numbers_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = numbers_client
    quiet = client.get("/orgs/RQ6")
    assert quiet.status_code == 200
    assert "not taken part yet" in quiet.text or "Not on the leaderboard" in quiet.text
    missing = client.get("/orgs/ZZZ99")
    assert missing.status_code == 404 and "Page not found" in missing.text


def test_organisation_outside_the_catalogue_with_posts_has_a_page(settings, sqlite_db,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    import sqlalchemy as sa

    from knowvember.models import Account
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    campaign_posts(sqlite_db)
    table = Account.__table__
    with sqlite_db.begin() as conn:
        conn.execute(sa.update(table).where(table.c.key == "did:plc:ox")
                     .values(organisation_code="UNI01"))
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    client = TestClient(create_app(settings, sqlite_db, catalogue=CATALOGUE,
                                   taxonomy=TAXONOMY))
    sign_in(client)
    response = client.get("/orgs/UNI01")
    assert response.status_code == 200
    assert "Ranked <strong>2</strong>" in response.text
    assert "bluesky:oxlib.bsky.social" in response.text
