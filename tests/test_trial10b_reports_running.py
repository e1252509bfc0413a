"""The fifth trial's second pass: while a campaign runs, every reading stops at today.

`report` made mid-campaign is the interim report to today; `summary` and `leaderboard`
counted to the campaign's end, so the headline said "1 to 30 November" beside a report
"to 20 November", and the three disagreed on which stories were in the period.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import BASE_CONFIG

Cli = Callable[..., Any]


def _running_config() -> tuple[str, dt.date]:
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    start, end = today - dt.timedelta(days=5), today + dt.timedelta(days=20)
    base = (BASE_CONFIG.replace("start = 2019-11-01", f"start = {start}")
            .replace("end = 2019-11-30", f"end = {end}"))
    return base, today


def test_summary_of_a_running_campaign_stops_at_today_as_the_report_does(
        write_config: Callable[..., Path], campaign_dir: Path, cli: Cli) -> None:
    base, today = _running_config()
    write_config("", base=base)
    result = cli("summary", "--format", "json")
    assert result.exit_code == 0, result.stderr
    period = json.loads(result.stdout)["period"]
    assert period["until"] == today.isoformat()
    assert period["interim"] is True
    result = cli("report", "--format", "md")
    assert result.exit_code == 0, result.stderr
    markdown = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    assert f"interim report to {today.day} {today:%B %Y}" in markdown


def test_an_until_given_or_a_since_after_today_is_kept(
        write_config: Callable[..., Path], cli: Cli) -> None:
    base, today = _running_config()
    write_config("", base=base)
    later = today + dt.timedelta(days=3)
    result = cli("summary", "--format", "json", "--until", later.isoformat())
    assert json.loads(result.stdout)["period"]["until"] == later.isoformat()
    result = cli("summary", "--format", "json", "--since", later.isoformat())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["period"]["since"] == later.isoformat()
    result = cli("leaderboard", "--format", "json", "--since", later.isoformat())
    assert result.exit_code == 0, result.stderr
