"""The report as Markdown, for a blog post: the same sections, charts as image files.

User text is escaped for Markdown (its syntax and any HTML shown, not run) with the same
helpers as the story export; links are http(s) only, written as `<...>` autolinks.
"""

from __future__ import annotations

from pathlib import Path

from reports.charts import platform_label
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
from reports.stories_export import (
    md_emphasis,
    md_escape,
    md_paragraphs,
    md_url,
    redact_emails,
)


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    line = ["---:" if i in right else "---" for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(line) + " |"]
    out += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return [*out, ""]


def render_markdown(content: ReportContent, chart_dir: str = "charts") -> str:
    c, s, q = content, content.summary, content.quality
    period = c.data.period
    out = [f"# {md_escape(c.title)}", "", f"*{md_escape(c.subtitle)}*", ""]
    if c.interim:
        out += [f"**Interim report**: the campaign runs until "
                f"{long_date(c.data.campaign.end)}; numbers will change.", ""]

    def chart(name: str) -> None:
        found = c.charts.get(name)
        if found:
            out.extend([f"![{md_escape(found.alt)}]({chart_dir}/{name}.png)", ""])

    out += ["## Headline numbers", ""]
    out += _table(["", "", ""], [[f"**{label}**", value, md_escape(note)]
                                 for label, value, note in c.headline], {1})
    out += _table(["Platform", "Posts"], [[platform_label(p), fmt(n)]
                                          for p, n in s["by_platform"].items()], {1})

    out += ["## Daily activity", "", f"Days are in the campaign's timezone ({period.timezone}).",
            ""]
    if not s["posts"]:
        out += [NO_POSTS, ""]
    chart("daily")
    chart("cumulative")
    chart("hours")  # as the HTML and the PDF show it

    out += ["## Organisations and regions", "",
            "Ranked by score (see the method section); ties share a rank. Organisations "
            "marked out of scope are counted in the totals but do not rank.", ""]
    chart("organisations")
    top = org_top(c)
    if not c.org_board:
        out += [NO_ORGANISATIONS, ""]
    else:
        out += _table(["Rank", "Organisation", "Region", "Contributors", "Posts",
                       "Engagement", "Stories", "Score"],
                      [[str(r["rank"]), md_escape(r["name"]), md_escape(r["region"] or "—"),
                        fmt(r["contributors"]), fmt(r["posts"]), fmt(r["engagement"]),
                        fmt(r["stories"]), f"{r['score']:,.2f}"] for r in c.org_board[:top]],
                      {0, 3, 4, 5, 6, 7})
    if c.region_board:
        out += _table(["Rank", "Region", "Organisations", "Contributors", "Posts", "Score"],
                      [[rank_text(r["rank"]), md_escape(r["region"]), fmt(r["organisations"]),
                        fmt(r["contributors"]), fmt(r["posts"]), f"{r['score']:,.2f}"]
                       for r in c.region_board], {0, 2, 3, 4, 5})

    out += ["## Techniques by phase", ""]
    chart("techniques")
    if not any(phase["techniques"] for phase in c.phases):
        out += [NO_TECHNIQUES, ""]
    for phase in c.phases:
        if phase["techniques"]:
            out += [f"### {'Learning ' + phase['phase'] if phase['phase'] else 'No phase'}", ""]
            out += _table(["Technique", "Posts", "Approved stories"],
                          [[md_escape(t["name"]), fmt(t["posts"]), fmt(t["stories"])]
                           for t in phase["techniques"]], {1, 2})

    out += ["## Top posts by engagement", ""]
    if not c.top_posts:
        out += [c.no_top_posts, ""]
    for p in c.top_posts[: c.data.settings.reports.top_posts]:
        who = (md_emphasis(p.display_name) or md_emphasis(p.handle)
               or "**(unknown account)**")
        org = f", {md_escape(p.org_name)}" if p.org_name else ""
        link = f" {md_url(p.url)}" if safe_url(p.url) else ""
        out += [f"{who}{org}, {platform_label(p.platform)}, "
                f"{long_date(p.created.date())}: {fmt(p.engagement)} engagement{link}", "",
                md_paragraphs(p.text), ""]

    out += ["## Knowledge mobilisation stories", "",
            f"{fmt(s['stories_submitted'])} submitted, {fmt(s['stories_approved'])} approved; "
            "shown: approved stories whose authors agreed to publication.", ""]
    for story in c.stories:
        out += [f"### {md_escape(redact_emails(story.title))}", ""]
        by = ", ".join(x.strip() for x in (story.name, story.role) if x and x.strip())
        org = story.org.name if story.org else story.organisation_text
        meta = " · ".join(x.strip() for x in (redact_emails(by), redact_emails(org) or "",
                                              ", ".join(story.techniques)) if x and x.strip())
        if meta:
            out += [md_emphasis(meta, "*"), ""]
        out += [md_paragraphs(redact_emails(story.body)), ""]
        if story.outcome:
            out += [f"**Outcome and impact:** {md_paragraphs(redact_emails(story.outcome))}",
                    ""]
        links = [md_url(link) for link in story.links if safe_url(link)]
        if links:
            out += ["Links: " + ", ".join(links), ""]
    if not c.stories:
        out += ["No stories have been approved for publication yet.", ""]

    if c.history:
        out += ["## Year on year", ""]
        chart("history")
        out += _table(["Campaign", "Posts", "Contributors", "Organisations", "Engagement"],
                      [[md_escape(r["name"]), fmt(r["posts"]), fmt(r["contributors"]),
                        fmt(r["organisations"]), fmt(r["engagement"])] for r in c.history],
                      {1, 2, 3, 4})

    out += ["## Connections", "",
            # As the HTML says it: "1 replies ... linked 1 organisations" read wrong.
            f"{count(c.connections.interactions, 'interaction')} (replies, reposts, quotes "
            f"and mentions) linked "
            f"{count(c.connections.graph.number_of_nodes(), 'organisation')}.", ""]
    chart("connections")
    if c.connections.links:
        out += _table(["Between", "Interactions"],
                      [[f"{md_escape(link['a_name'])} — {md_escape(link['b_name'])}",
                        fmt(link["weight"])] for link in c.connections.links], {1})

    w = c.weights
    out += ["## Method and data quality", "",
            f"- Posts from {long_date(period.since)} to {long_date(period.until)} "
            f"({period.timezone}); reposts count as activity, not original content.",
            "- Engagement: likes + reposts + replies + quotes of original posts, replies and "
            "quotes. Potential reach: the contributors' followers added up (an upper bound).",
            f"- Score = {w['contributors']:g} × contributors + {w['posts']:g} × Σ log₂(1 + "
            f"posts per contributor) + {w['reposts']:g} × Σ log₂(1 + reposts per "
            f"contributor) + {w['techniques']:g} × techniques + {w['stories']:g} × approved "
            f"stories + {w['engagement']:g} × log₂(1 + engagement).",
            f"- Off-campaign posts skipped: {fmt(q.off_campaign_skipped)}; X posts read: "
            f"{fmt(q.x_reads)} (estimated ${q.x_cost:,.2f}).",
            f"- Unattributed contributors: {fmt(q.unattributed_accounts)} "
            f"({count(q.unattributed_posts, 'post')}).",
            # With no run recorded nothing is known of coverage: "Coverage gaps: 0" read as
            # if every day had been collected.
            (f"- Coverage gaps: {len(q.gaps)}" if q.sources else
             "- Coverage gaps: not known (no collection or import runs are recorded)")
            + f"; days without posts: {len(q.days_without_posts)}.",
            # As the HTML and the PDF say it: an interim report's readers see why the
            # campaign's stored posts are more than the report counts.
            f"- Campaign posts outside the report's dates, not counted: "
            f"{fmt(q.before_period)} before, {fmt(q.after_period)} after.",
            "- Opted-out accounts are left out of every number.", ""]
    return "\n".join(out).rstrip() + "\n"


def write_markdown(content: ReportContent, out: Path) -> dict[str, Path]:
    path = out / "report.md"
    path.write_text(render_markdown(content), encoding="utf-8")
    return {"Markdown": path}
