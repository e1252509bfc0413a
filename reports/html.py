"""The HTML report, the per-organisation pages and their index (Jinja2, autoescaped).

Pages are self-contained: the stylesheet is inline, charts are `data:` URIs (PNG) or
inline SVG, and nothing loads from anywhere else, so a page works offline and as an email
attachment. User text (posts, names, bios, stories) is escaped by autoescape and shown
with control characters and bidi overrides made visible; only http(s) links are links.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowvember.stories import is_http_url, printable
from reports.charts import Chart, platform_label
from reports.content import (
    NO_POSTS,
    ReportContent,
    count,
    day_ranges,
    fmt,
    org_slug,
    org_top,
)
from reports.period import long_date
from reports.redact import redact_contacts

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


def clean(text: str | None) -> str:
    """User text for display: control characters and bidi overrides made visible."""
    return printable(text) if text else ""


def story_text(text: str | None) -> str:
    """Story text for display: as `clean`, and no email address or phone number, even one
    typed in."""
    return clean(redact_contacts(text))


def safe_url(url: str | None) -> str | None:
    return url if url and is_http_url(url) else None


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{long_date(moment.date())} {moment:%H:%M}"


def _when_utc(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return f"{_when(moment.astimezone(dt.UTC).replace(tzinfo=None))} UTC"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def data_uri(chart: Chart) -> str:
    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters.update(
        num=lambda v: fmt(v or 0),
        score=lambda v: f"{float(v or 0):,.2f}",
        money=_money,
        clean=clean,
        story_text=story_text,
        safe_url=safe_url,
        data_uri=data_uri,
        platform=platform_label,
        when=_when,
        when_utc=_when_utc,
        long_date=long_date,
        iso_long=lambda v: long_date(dt.date.fromisoformat(v)),
        day=lambda d: f"{d:%a} {long_date(d)}",
        slug=org_slug,
        tag=lambda t: "#" + t,
        count=count,
        day_ranges=day_ranges,
    )
    env.tests["safe_url"] = lambda url: safe_url(url) is not None
    return env


def _css() -> Markup:
    """The stylesheet, marked safe: autoescape turned its quotes and `>` into entities,
    which a <style> element does not decode, so the fonts and the print rules were lost
    (the report showed in the browser's default serif)."""
    from markupsafe import Markup

    return Markup((TEMPLATES / "_report.css").read_text(encoding="utf-8"))


def _context(content: ReportContent, **extra: Any) -> dict[str, Any]:
    charts = dict.fromkeys(("daily", "cumulative", "hours", "organisations", "regions",
                            "techniques", "connections", "history"))
    charts.update(content.charts)

    class _Charts(dict[str, Any]):
        __getattr__ = dict.get

    return {
        "c": _View(content, _Charts(charts)),
        "css": _css(),
        "weights": content.weights,
        "top_orgs": org_top(content),
        "top_posts": content.top_posts[: content.data.settings.reports.top_posts],
        "org_names": {r["code"]: r["name"] for r in content.org_board},
        "no_posts": NO_POSTS,
        **extra,
    }


class _View:
    """The content as templates see it (`c.charts.daily` may be missing: None)."""

    def __init__(self, content: ReportContent, charts: dict[str, Any]) -> None:
        self._content = content
        self.charts = charts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._content, name)


def render_report(content: ReportContent, *, per_org: bool = False) -> str:
    return environment().get_template("report.html.j2").render(
        **_context(content, per_org=per_org))


def write_html(content: ReportContent, out: Path, *, per_org: bool = False) -> dict[str, Path]:
    """report.html, and with `per_org` orgs/index.html plus one page per organisation."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    path = out / "report.html"
    path.write_text(render_report(content, per_org=per_org), encoding="utf-8")
    written["HTML report"] = path
    if per_org:
        folder = out / "orgs"
        folder.mkdir(exist_ok=True)
        env = environment()
        context = _context(content)
        page_template = env.get_template("org.html.j2")
        for page in content.org_pages:
            (folder / f"{page.slug}.html").write_text(
                page_template.render(**context, page=page), encoding="utf-8")
        index = folder / "index.html"
        index.write_text(env.get_template("orgs_index.html.j2").render(**context),
                         encoding="utf-8")
        written[f"Organisation pages ({len(content.org_pages)})"] = index
    return written
