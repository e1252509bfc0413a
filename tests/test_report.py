"""`knowvember report`: every file is made, the HTML is self-contained and escapes what users
wrote, the workbook keeps ids as text, the PDF opens, per-org pages exist for each
participating organisation. The world is in tests/test_report_world.py, plus one post with
an X-sized numeric id and a formula-looking text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from knowvember.hashtags import CampaignTags
from knowvember.records import PostRecord
from knowvember.store import PostWriter
from reports.build import build_report
from tests.test_report_world import World, make_settings, open_world

BIG_ID = "1440716895355764743"  # a float would make it 1.44071689535576E+18
FORMULA = "=1+2 see #KNOWvember19"
EMAIL = "jane.smith@nhs.net"
NOW = dt.datetime(2019, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(campaign_dir: Path) -> Iterator[World]:
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    for w in open_world(make_settings(campaign_dir), url):
        PostWriter(w.db, CampaignTags(w.settings.campaign.all_tags), source="test").write([
            PostRecord(platform="x", platform_id=BIG_ID, account_key="1",
                       created_at=dt.datetime(2019, 11, 5, 9, 0, tzinfo=dt.UTC), text=FORMULA,
                       hashtags=("knowvember19",), likes=50,
                       url=f"https://x.com/uhl_lib/status/{BIG_ID}")])
        yield w


@pytest.fixture
def report(world: World, tmp_path: Path) -> dict[str, Path]:
    return build_report(world.db, world.settings, tmp_path / "out", per_org=True, now=NOW)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        if values.get("id"):
            self.ids.add(values["id"] or "")


def _parse(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _self_contained(path: Path) -> _Tags:
    html = path.read_text(encoding="utf-8")
    parsed = _parse(path)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
        if tag in ("img", "source", "video", "audio", "input"):
            assert (attrs.get("src") or "").startswith("data:image/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)  # no event handlers
            if name in ("href", "src", "xlink:href", "action") and value:
                lowered = value.lower()
                assert not lowered.startswith(("javascript:", "vbscript:", "data:text")), value
                if tag != "a":
                    assert not lowered.startswith(("http:", "https:", "//")), (tag, value)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    for style in styles:
        assert "@import" not in style and "@font-face" not in style
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", style)
    return parsed


def test_every_file_is_written(report: dict[str, Path]) -> None:
    out = report["HTML report"].parent
    for name in ("report.html", "report.pdf", "report.md", "report.xlsx", "posts.csv",
                 "connections.gexf", "connections.graphml", "orgs/index.html"):
        assert (out / name).stat().st_size > 0, name
    charts = {p.stem: p.stat().st_size for p in (out / "charts").glob("*.png")}
    assert set(charts) == {"daily", "cumulative", "hours", "organisations", "regions",
                           "techniques", "connections", "history"}
    for name, size in charts.items():
        assert size > 2000, name
        assert (out / "charts" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.parent.glob(".out.partial-*"))  # the staging folder is gone


def test_html_is_self_contained_with_contents_and_print_styles(report: dict[str, Path]) -> None:
    path = report["HTML report"]
    html = path.read_text(encoding="utf-8")
    parsed = _self_contained(path)
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 8 and all(a.get("alt") for a in images)
    contents = [attrs["href"] for tag, attrs in parsed.tags
                if tag == "a" and (attrs.get("href") or "").startswith("#")]
    assert len(contents) >= 9
    assert all(href[1:] in parsed.ids for href in contents)
    assert "@media print" in html
    for heading in ("Headline numbers", "Daily activity", "Organisations and regions",
                    "Techniques by phase", "Top posts by engagement",
                    "Knowledge mobilisation stories", "Year on year", "Connections",
                    "Method and data quality"):
        assert f">{heading}</h2>" in html, heading


def test_html_escapes_what_users_wrote(report: dict[str, Path]) -> None:
    out = report["HTML report"].parent
    pages = [out / "report.html", *sorted((out / "orgs").glob("*.html"))]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html and "<img src=x" not in html, page.name
        assert "<b>Bold</b>" not in html
        assert "javascript:" not in html.lower()  # p8's url and a story link are not links
        assert EMAIL not in html
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # the post, shown
    assert "Peer Assist for F1 doctors &lt;script&gt;" in html  # the story title
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html  # a display name
    assert "[email address removed]" in html
    assert 'href="javascript' not in html
    assert "Our AAR programme" not in html  # approved, but no consent to publish
    assert "Not this one" not in html and "Coffee trials" not in html  # not approved
    assert f'href="https://x.com/uhl_lib/status/{BIG_ID}"' in html  # top posts are linked


def test_report_numbers_match_the_summary(report: dict[str, Path], world: World) -> None:
    from reports.dataset import load_campaign_data
    from reports.metrics import summarise

    summary = summarise(load_campaign_data(world.db, world.settings))
    html = report["HTML report"].read_text(encoding="utf-8")
    assert summary["posts"] == 11  # the world's ten and the extra post
    assert '<dt>Posts</dt><dd><span class="value">11</span>' in html
    assert f'<span class="value">{summary["engagement"]:,}</span>' in html
    assert "Out-of-scope organisations (Schools KNOWvember)" in html
    assert "do not rank" in html


def test_per_org_pages_for_each_participating_organisation(report: dict[str, Path]) -> None:
    folder = report["HTML report"].parent / "orgs"
    pages = {p.stem for p in folder.glob("*.html")} - {"index"}
    assert pages == {"RWE", "R0A", "RBS", "UNI-LIB", "SCHOOLS"}
    index = _self_contained(folder / "index.html")
    linked = {attrs["href"] for tag, attrs in index.tags if tag == "a"}
    assert {f"{code}.html" for code in pages} <= linked
    rwe = (folder / "RWE.html").read_text(encoding="utf-8")
    _self_contained(folder / "RWE.html")
    assert "<svg" in rwe and "posts per day" in rwe  # its daily activity
    assert "@uhl_kate" in rwe and "@uhl_lib" in rwe  # its contributors
    assert "Peer Assist for F1 doctors" in rwe  # its story
    assert '<span class="value">1</span><span class="note">of 4 organisations' in rwe
    schools = (folder / "SCHOOLS.html").read_text(encoding="utf-8")
    assert "out of scope: counted, not ranked" in schools
    uni = (folder / "UNI-LIB.html").read_text(encoding="utf-8")
    assert "A retrospect on the library move" in uni and "Retrospect" in uni


def test_workbook_sheets_ids_as_text_and_no_formulas(report: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(report["Workbook (XLSX)"], read_only=False)
    assert book.sheetnames == ["summary", "leaderboards", "posts", "stories", "organisations"]
    boards = [(r[0].value, r[1].value, r[2].value) for r in book["leaderboards"].iter_rows(
        min_row=2)]
    assert boards[:4] == [("organisation", 1, "RWE"), ("organisation", 2, "R0A"),
                          ("organisation", 3, "RBS"), ("organisation", 4, "UNI-LIB")]
    assert {b[0] for b in boards} == {"organisation", "region", "contributor"}
    posts = book["posts"]
    header = [c.value for c in posts[1]]
    rows = {r[1].value: r for r in posts.iter_rows(min_row=2) if r[1].value}
    big = rows[BIG_ID]
    assert big[1].data_type == "s" and big[1].number_format == "@"
    assert big[header.index("text")].value == FORMULA  # a string cell, quote-prefixed
    assert big[header.index("text")].quotePrefix
    assert big[header.index("engagement")].value == 50
    assert all(c.data_type != "f" for row in posts.iter_rows() for c in row)
    summary = {r[0].value: r[1].value for r in book["summary"].iter_rows(min_row=2)}
    assert summary["posts"] == 11
    stories = [r[1].value for r in book["stories"].iter_rows(min_row=2)]
    assert sorted(stories) == ["A retrospect on the library move",
                               "Peer Assist for F1 doctors <script>alert(1)</script>"]
    every_cell = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows()
                          for c in row if c.value is not None)
    assert EMAIL not in every_cell
    orgs = {r[0].value: r for r in book["organisations"].iter_rows(min_row=2)}
    assert {"RWE", "R0A", "RBS", "UNI-LIB", "SCHOOLS"} <= set(orgs)
    assert orgs["SCHOOLS"][3].value == "no"


def test_workbook_cells_keep_their_type_and_never_become_formulas(tmp_path: Path) -> None:
    """What the sheet writer gives XlsxWriter: text stays text (a formula-looking one is
    neutralised, a number-looking one is not converted), ids carry the text format, times
    are dates, and a value Excel cannot hold (NaN) is left blank rather than failing."""
    from openpyxl import load_workbook
    from xlsxwriter import Workbook

    from reports.xlsx import OPTIONS, _writer

    path = tmp_path / "cells.xlsx"
    workbook = Workbook(str(path), OPTIONS)
    add = _writer(workbook, "s", ["id", "text", "n", "when", "flag"], text_columns=[0])
    add(["1440716895355764743", "=1+1", 3, dt.datetime(2025, 11, 5, 9, 30), True])
    add([42, "0042", float("nan"), None, False])
    workbook.close()
    sheet = load_workbook(path).active
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in rows[0]] == ["1440716895355764743", "=1+1", 3,
                                          dt.datetime(2025, 11, 5, 9, 30), True]
    assert rows[0][1].data_type == "s" and rows[0][1].quotePrefix
    assert [c.value for c in rows[1]] == ["42", "0042", None, None, False]
    assert rows[0][0].number_format == rows[1][0].number_format == "@"
    assert all(c.data_type != "f" for row in rows for c in row)


def test_pdf_opens_with_pages_and_images(report: dict[str, Path]) -> None:
    data = report["PDF"].read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 4
    assert len(re.findall(rb"/Subtype\s*/Image", data)) >= 8
    assert EMAIL.encode() not in data


def test_markdown_escapes_and_links_charts(report: dict[str, Path]) -> None:
    md = report["Markdown"].read_text(encoding="utf-8")
    assert md.startswith("# KNOWvember 2019: campaign report")
    assert "<script" not in md and "<img" not in md and EMAIL not in md
    assert "&lt;script&gt;" in md
    assert "](charts/daily.png)" in md and "](charts/connections.png)" in md
    assert "javascript:" not in md
    assert f"<https://x.com/uhl_lib/status/{BIG_ID}>" in md


def test_interim_report(world: World, tmp_path: Path) -> None:
    written = build_report(world.db, world.settings, tmp_path / "interim", formats=["html"],
                           until=dt.date(2019, 11, 3), now=NOW)
    html = written["HTML report"].read_text(encoding="utf-8")
    assert "interim report to 3 November 2019" in html
    assert '<dt>Posts</dt><dd><span class="value">7</span>' in html  # p1-p7
    assert not (tmp_path / "interim" / "report.pdf").exists()


def test_failed_report_leaves_the_previous_one(world: World, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    build_report(world.db, world.settings, out, formats=["html"], now=NOW)
    before = (out / "report.html").read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("reports.pdf.write_pdf", broken)
    with pytest.raises(OSError, match="disk full"):
        build_report(world.db, world.settings, out, formats=["html", "pdf"], now=NOW)
    assert (out / "report.html").read_bytes() == before
    assert not list(tmp_path.glob(".out.partial-*"))


def test_abandoned_staging_folders_are_cleared(world: World, tmp_path: Path) -> None:
    dead = tmp_path / ".out.partial-999999999"  # no such process
    dead.mkdir()
    (dead / "report.html").write_text("half", encoding="utf-8")
    build_report(world.db, world.settings, tmp_path / "out", formats=["md"], now=NOW)
    assert not dead.exists()
    assert (tmp_path / "out" / "report.md").exists()


def test_cli_report(world: World, cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", "--out", str(campaign_dir / "r"), "--format", "html,md",
                 "--per-org")
    assert result.exit_code == 0, result.stderr
    assert "HTML report:" in result.stderr and "Organisation pages (5)" in result.stderr
    assert (campaign_dir / "r" / "report.md").exists()
    assert not (campaign_dir / "r" / "report.xlsx").exists()
    result = cli("report", "--format", "html,docx")
    assert result.exit_code == 2 and "docx" in result.stderr
    result = cli("report", "--format", "html")  # out_dir from the config: ./report
    assert result.exit_code == 0, result.stderr
    assert (campaign_dir / "report" / "report.html").exists()
