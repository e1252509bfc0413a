"""The report as PDF (fpdf2, pure Python): the same sections and charts as the HTML.

Text is set in DejaVu Sans, the TTF that ships with matplotlib, so names and posts in any
European script print correctly without installing fonts; emoji the font lacks are left
out and letters of scripts it lacks print as "?" rather than failing. Control characters and bidi
overrides are made visible first, as everywhere else.

Text is shaped by HarfBuzz (uharfbuzz) and laid out by the Unicode bidi algorithm: without
it an Arabic trust name or post printed as separate letters, left to right, which no Arabic
reader can read (Hebrew came out backwards). Without uharfbuzz installed the PDF is still
written, unshaped, with a warning.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from knowvember.stories import printable
from reports.charts import plain_letters, platform_label
from reports.content import (
    NO_ORGANISATIONS,
    NO_POSTS,
    NO_TECHNIQUES,
    ReportContent,
    count,
    fmt,
    org_top,
    rank_text,
)
from reports.html import safe_url
from reports.period import long_date
from reports.stories_export import redact_emails

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)

BLUE = (0, 94, 184)
INK = (33, 43, 50)
MUTED = (76, 98, 114)
PALE = (240, 244, 245)
FONT = "dejavu"
TABLE_PADDING = 1  # mm, on each side of a table cell's text


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def pdf_text(text: str, glyphs: set[int] | frozenset[int]) -> str:
    """`text` as the PDF's font can print it.

    Emoji, flags and the joiners, selectors and skin tones between them are left out, as
    in the charts: each printed as "?", a post's "Thanks all 🎉📚" read "Thanks all ??" to
    the report's readers, as if the text were garbled. A letter of a script the font lacks
    is still "?", so a name is never silently shortened.
    """
    out = []
    for ch in text:
        if ord(ch) in glyphs or ch == "\n":
            out.append(ch)
        elif (plain := plain_letters(ch, glyphs)) is not None:
            out.append(plain)
        elif unicodedata.category(ch) in _PICTURES:
            out.append(_GONE)
        elif unicodedata.category(ch)[0] not in "CM":
            out.append("?")
    return "\n".join(_without_pictures(line) if _GONE in line else line
                     for line in "".join(out).split("\n"))


def _without_pictures(line: str) -> str:
    """A line with its pictures taken out: one space where they stood between words."""
    return _AROUND_GONE.sub(" ", line).strip(" ")


# Unicode categories of what the font lacks that is a picture, not a letter: symbols (emoji,
# flags, U+1F3FB skin tones) and, left out silently, format and combining characters.
_PICTURES = frozenset({"So", "Sk"})
_GONE = "\x00"  # never in `text`: printable() made every control character visible
_AROUND_GONE = re.compile(r" *\x00[\x00 \u200d\ufe0f]* *")


def _can_shape(pdf: FPDF) -> bool:
    """Whether text can be shaped (joined Arabic letters, right-to-left runs in their order):
    uharfbuzz is there. Without it, say so and go on unshaped rather than fail the report."""
    from fpdf.errors import FPDFException

    try:
        pdf.set_text_shaping(True)
    except FPDFException:
        log.warning("PDF: uharfbuzz is not installed, so Arabic and other right-to-left or "
                    "joined scripts print unshaped (pip install uharfbuzz)")
        return False
    pdf.set_text_shaping(False)
    return True


def needs_shaping(text: str) -> bool:
    """Whether `text` has letters laid out by shaping: right-to-left scripts, the joined and
    reordered scripts from Hebrew to Myanmar (Arabic, Syriac, the Indic scripts, Thai...),
    presentation forms, or combining marks to place. Shaping every line tripled the time of
    a PDF with its 1,000 top posts; Latin, Greek and Cyrillic print the same without it."""
    return any("\u0590" <= ch <= "\u109f" or "\ufb1d" <= ch <= "\ufefe"
               or unicodedata.category(ch)[0] == "M"
               or unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)


class _Writer:
    """fpdf2 with the report's typography and a guard for glyphs the font lacks."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF, ViewerPreferences

        self.pdf: FPDF = FPDF(format="A4", unit="mm")
        pdf = self.pdf
        pdf.set_title(title)
        pdf.set_creator("knowvember")
        # For screen readers and the PDF reader's window: the language to read it in, and
        # the report's title rather than "report.pdf".
        pdf.set_lang("en-GB")
        pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.set_margins(15, 15, 15)
        fonts = _font_dir()
        pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self._glyphs = set(pdf.fonts[FONT].cmap)
        self._can_shape = _can_shape(pdf)
        self._shaping = False
        footer_title = title

        def footer() -> None:
            # Set in the middle of a paragraph or table that breaks across the page: its
            # shaping is put back for the rest of it.
            before = self._shaping
            pdf.set_y(-11)
            self.font(7, "I", MUTED)
            line = self.shaped(self.text(f"{footer_title} · page {pdf.page_no()}"))
            pdf.cell(0, 5, line, align="C")
            self._shape(before)

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.add_page()

    def text(self, value: str | None) -> str:
        return pdf_text(printable(value or ""), self._glyphs)

    def shaped(self, *texts: str) -> str:
        """Turn shaping on for what is set next when any of `texts` needs it, off when none
        does; returns the first text, to set."""
        self._shape(self._can_shape and any(needs_shaping(t) for t in texts))
        return texts[0] if texts else ""

    def _shape(self, want: bool) -> None:
        if want != self._shaping:
            self.pdf.set_text_shaping(want)
            self._shaping = want

    def font(self, size: float, style: str = "", colour: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(FONT, style, size)
        self.pdf.set_text_color(*colour)

    def h1(self, text: str) -> None:
        self.font(18, "B", INK)
        self.pdf.multi_cell(0, 8, self.shaped(self.text(text)), align="L", new_x="LMARGIN",
                            new_y="NEXT")

    def h2(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.ln(4)
        # A bookmark per section, as the HTML's contents list: a 10-page report was one
        # scroll with no way to jump to the stories or the method.
        pdf.start_section(self.text(text), level=0, strict=False)
        self.font(13, "B", BLUE)
        pdf.multi_cell(0, 7, self.shaped(self.text(text)), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.6)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)

    def h3(self, text: str) -> None:
        if self.pdf.get_y() > self.pdf.h - 40:
            self.pdf.add_page()
        self.pdf.ln(1)
        self.pdf.start_section(self.text(text), level=1, strict=False)
        self.font(10.5, "B")
        self.pdf.multi_cell(0, 6, self.shaped(self.text(text)), align="L", new_x="LMARGIN",
                            new_y="NEXT")

    def para(self, text: str, size: float = 9, style: str = "",
             colour: tuple[int, int, int] = INK) -> None:
        self.font(size, style, colour)
        self.pdf.multi_cell(0, size * 0.5, self.shaped(self.text(text)), align="L", new_x="LMARGIN",
                            new_y="NEXT")
        self.pdf.ln(1)

    def link(self, label: str, url: str) -> None:
        """A link on as many lines as it needs: a story's SharePoint link, 200 characters
        without a space, ran off the right edge of the page on one line."""
        from fpdf.enums import WrapMode

        self.font(8, "", BLUE)
        self.pdf.multi_cell(0, 4.5, self.shaped(self.text(label)), link=url, align="L",
                            new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)

    def image(self, png: bytes, title: str) -> None:
        from PIL import Image

        pdf = self.pdf
        width = pdf.w - pdf.l_margin - pdf.r_margin
        with Image.open(io.BytesIO(png)) as img:
            height = width * img.height / img.width
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, alt_text=title)
        pdf.ln(2)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[float], right: Sequence[int] = ()) -> None:
        from fpdf.fonts import FontFace

        if not rows:
            return
        pdf = self.pdf
        self.font(7.5)
        align = ["RIGHT" if i in right else "LEFT" for i in range(len(header))]
        headed = any(header)  # the headline numbers have none: no empty grey band above
        header = [self.text(cell) for cell in header]
        rows = [[self.text(cell) for cell in row] for row in rows]
        self.shaped(*header, *(cell for row in rows for cell in row))
        with pdf.table(col_widths=tuple(widths), text_align=tuple(align), line_height=4,
                       headings_style=FontFace(emphasis="BOLD", fill_color=PALE),
                       first_row_as_headings=headed, borders_layout="HORIZONTAL_LINES",
                       padding=TABLE_PADDING) as table:
            if headed:
                head = table.row()
                for cell in header:
                    head.cell(cell)
            for row in rows:
                line = table.row()
                for cell in row:
                    line.cell(cell)
        pdf.ln(2)


def render_pdf(content: ReportContent) -> tuple[bytes, int]:
    """The PDF bytes and its number of pages."""
    c, s, q = content, content.summary, content.quality
    w = _Writer(c.title)
    w.h1(c.title)
    w.para(c.subtitle, 10, "", MUTED)
    if c.interim:
        w.para(f"Interim report: the campaign runs until {long_date(c.data.campaign.end)}; "
               "numbers will change.", 9, "B")

    w.h2("Headline numbers")
    w.table(["", "", ""], [[label, value, note] for label, value, note in c.headline],
            [30, 32, 118], right=[1])
    w.table(["Platform", "Posts"], [[platform_label(p), fmt(n)]
                                    for p, n in s["by_platform"].items()], [60, 30], [1])

    w.h2("Daily activity")
    w.para(f"Days and hours are in the campaign's timezone ({c.data.period.timezone}).")
    if not s["posts"]:
        w.para(NO_POSTS)
    for name in ("daily", "cumulative", "hours"):
        if name in c.charts:
            w.image(c.charts[name].png, c.charts[name].title)

    w.h2("Organisations and regions")
    w.para("Ranked by score (formula in Method); ties share a rank. Out-of-scope "
           "organisations are counted in the totals but do not rank.")
    if "organisations" in c.charts:
        w.image(c.charts["organisations"].png, c.charts["organisations"].title)
    top = org_top(c)
    if not c.org_board:  # a table of headers alone looks broken
        w.para(NO_ORGANISATIONS)
    else:
        w.table(["Rank", "Organisation", "Region", "People", "Posts", "Engagement", "Stories",
                 "Score"],
                [[str(r["rank"]), r["name"], r["region"] or "—", fmt(r["contributors"]),
                  fmt(r["posts"]), fmt(r["engagement"]), fmt(r["stories"]),
                  f"{r['score']:,.2f}"] for r in c.org_board[:top]],
                [10, 58, 30, 14, 16, 22, 14, 16], right=[0, 3, 4, 5, 6, 7])
    if "regions" in c.charts:
        w.image(c.charts["regions"].png, c.charts["regions"].title)
    if c.region_board:
        w.table(["Rank", "Region", "Organisations", "People", "Posts", "Score"],
                [[rank_text(r["rank"]), r["region"], fmt(r["organisations"]),
                  fmt(r["contributors"]), fmt(r["posts"]), f"{r['score']:,.2f}"]
                 for r in c.region_board], [12, 70, 26, 22, 24, 26], right=[0, 2, 3, 4, 5])

    w.h2("Techniques by phase")
    if "techniques" in c.charts:
        w.image(c.charts["techniques"].png, c.charts["techniques"].title)
    if not any(phase["techniques"] for phase in c.phases):
        w.para(NO_TECHNIQUES)
    for phase in c.phases:
        if phase["techniques"]:
            w.h3(f"Learning {phase['phase']}" if phase["phase"] else "No phase")
            w.table(["Technique", "Posts", "Approved stories"],
                    [[t["name"], fmt(t["posts"]), fmt(t["stories"])]
                     for t in phase["techniques"]], [110, 35, 35], right=[1, 2])

    w.h2("Top posts by engagement")
    if not c.top_posts:
        w.para(c.no_top_posts)  # as the HTML says it: a heading over nothing looks broken
    for p in c.top_posts[: c.data.settings.reports.top_posts]:
        # A display name of emoji alone prints as nothing: the handle is named instead.
        who = w.text(p.display_name) or p.handle or "(unknown account)"
        org = f" · {p.org_name}" if p.org_name else ""
        w.para(f"{who}{org} · {platform_label(p.platform)} · {long_date(p.created.date())} · "
               f"{fmt(p.engagement)} engagement", 8, "B")
        w.para(p.text, 8.5)
        if safe_url(p.url):
            w.link("View the post", p.url or "")

    w.h2("Knowledge mobilisation stories")
    w.para(f"{fmt(s['stories_submitted'])} submitted, {fmt(s['stories_approved'])} approved; "
           "shown: approved stories whose authors agreed to publication.")
    if not c.stories:
        w.para("No stories have been approved for publication yet.")
    for story in c.stories:
        w.h3(redact_emails(story.title) or "")
        by = ", ".join(redact_emails(x) or "" for x in (story.name, story.role) if x)
        org = story.org.name if story.org else story.organisation_text
        meta = " · ".join(x for x in (by, redact_emails(org) or "", ", ".join(story.techniques))
                          if x)
        if meta:
            w.para(meta, 8, "I", MUTED)
        w.para(redact_emails(story.body) or "", 9)
        if story.outcome:
            w.para("Outcome and impact: " + (redact_emails(story.outcome) or ""), 9)
        for link in story.links:
            if safe_url(link):
                w.link(link, link)

    if c.history:
        w.h2("Year on year")
        if "history" in c.charts:
            w.image(c.charts["history"].png, c.charts["history"].title)
        w.table(["Campaign", "Posts", "People", "Organisations", "Engagement"],
                [[r["name"], fmt(r["posts"]), fmt(r["contributors"]), fmt(r["organisations"]),
                  fmt(r["engagement"])] for r in c.history], [70, 25, 25, 30, 30],
                right=[1, 2, 3, 4])

    w.h2("Connections")
    w.para(f"{count(c.connections.interactions, 'interaction')} (replies, reposts, quotes "
           f"and mentions) linked "
           f"{count(c.connections.graph.number_of_nodes(), 'organisation')}; "
           f"{fmt(c.connections.internal)} more stayed within one organisation. The whole "
           "network is in connections.gexf and connections.graphml.")
    if "connections" in c.charts:
        w.image(c.charts["connections"].png, c.charts["connections"].title)
    w.table(["Between", "Replies", "Reposts", "Quotes", "Mentions", "All"],
            [[f"{link['a_name']} — {link['b_name']}", fmt(link["replies"]),
              fmt(link["reposts"]), fmt(link["quotes"]), fmt(link["mentions"]),
              fmt(link["weight"])] for link in c.connections.links],
            [90, 18, 18, 18, 18, 18], right=[1, 2, 3, 4, 5])

    weights = c.weights
    w.h2("Method and data quality")
    period = c.data.period
    for line in (
        f"Posts: every campaign post from {long_date(period.since)} to "
        f"{long_date(period.until)} ({period.timezone}) under the campaign hashtags, with "
        "replies, reposts and quotes of them. Reposts count as activity, not original content.",
        "Engagement: likes + reposts + replies + quotes of original posts, replies and quotes. "
        "Potential reach: the contributors' followers added up, an upper bound.",
        f"Score = {weights['contributors']:g} × contributors + {weights['posts']:g} × "
        f"Σ log2(1 + each contributor's posts) + {weights['reposts']:g} × Σ log2(1 + each "
        f"contributor's reposts) + {weights['techniques']:g} × techniques + "
        f"{weights['stories']:g} × approved stories + {weights['engagement']:g} × "
        "log2(1 + engagement).",
        f"Off-campaign posts skipped: {fmt(q.off_campaign_skipped)}. X posts read: "
        f"{fmt(q.x_reads)}, estimated cost ${q.x_cost:,.2f}.",
        f"Unattributed contributors: {fmt(q.unattributed_accounts)} "
        f"({count(q.unattributed_posts, 'post')}). Opted-out accounts are left out everywhere "
        f"({q.excluded_configured} configured).",
        f"Campaign posts outside the report's dates: {fmt(q.before_period)} before, "
        f"{fmt(q.after_period)} after.",
    ):
        w.para("• " + line, 8.5)
    w.table(["Source", "Runs", "OK", "Partial", "Failed", "Fetched", "New", "Skipped",
             "Cost"],
            [[r["source"], fmt(r["runs"]), fmt(r["ok"]), fmt(r["partial"]), fmt(r["failed"]),
              fmt(r["fetched"]), fmt(r["new"]), fmt(r["skipped"]),
              f"${r['estimated_cost']:,.2f}"] for r in q.sources],
            [38, 14, 14, 16, 16, 22, 22, 20, 18], right=[1, 2, 3, 4, 5, 6, 7, 8])
    if q.gaps:
        w.h3("Coverage gaps")
        w.table(["Source", "From", "To", "Hours"],
                [[g["source"], g["from"], g["to"], str(g["hours"])] for g in q.gaps],
                [30, 60, 60, 30], right=[3])
    if q.unattributed:
        w.h3("Unattributed accounts (most active first)")
        w.table(["Account", "Display name", "Posts"],
                [[a["account"], a["display_name"] or "", fmt(a["posts"])]
                 for a in q.unattributed], [75, 80, 25], right=[2])
    data = bytes(w.pdf.output())
    return data, w.pdf.page_no()


def write_pdf(content: ReportContent, out: Path) -> dict[str, Path]:
    data, pages = render_pdf(content)
    path = out / "report.pdf"
    path.write_bytes(data)
    log.debug("PDF: %d pages", pages)
    return {"PDF": path}
