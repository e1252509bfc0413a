"""The eleventh trial: trusts formed by a merger open on the day of the merger.

nhs_trusts.csv has no opening dates, so R0B South Tyneside and Sunderland (formed on
1 April 2019 from RE9 and RLN) counted as an NHS trust of KNOWvember 2018 beside the two
trusts it replaced: the report's "N of M trusts" had two trusts too many in 2018 and 2019.
"""

from __future__ import annotations

import datetime as dt

import pytest

from knowvember.organisations import Catalogue, Organisation, merger_openings
from reports.scope import Directory


@pytest.mark.parametrize(("code", "opened"), [
    ("R0A", dt.date(2017, 10, 1)),  # RM2 and RW3 (RW6 joined in 2021: not the day it opened)
    ("R0B", dt.date(2019, 4, 1)),
    ("R0D", dt.date(2020, 10, 1)),
    ("R1L", dt.date(2017, 4, 1)),
])
def test_a_trust_formed_by_a_merger_opens_the_day_after_its_trusts_closed(
    catalogue: Catalogue, code: str, opened: dt.date
) -> None:
    org = catalogue.get(code)
    assert org is not None and org.opened == opened


@pytest.mark.parametrize("code", [
    "RAJ",  # took RDD and RQ8 over on one day, but was Southend before: it existed
    "RH5",  # took RBA (2020) and RA4 (2023) over on different days
    "REM",  # took one trust over (RQ6)
    "RR8",  # no merger at all
])
def test_a_trust_that_took_others_over_keeps_no_opening_date(
    catalogue: Catalogue, code: str
) -> None:
    org = catalogue.get(code)
    assert org is not None and org.opened is None


def test_a_merged_trust_is_not_counted_before_it_existed(catalogue: Catalogue) -> None:
    in_2018 = {t.code for t in Directory(catalogue, dt.date(2018, 11, 1)).trusts()}
    assert "R0B" not in in_2018 and "R0D" not in in_2018
    assert {"RE9", "RLN", "RD3", "RDZ", "R0A", "R1L"} <= in_2018
    in_2019 = {t.code for t in Directory(catalogue, dt.date(2019, 11, 1)).trusts()}
    assert "R0B" in in_2019 and not {"RE9", "RLN"} & in_2019
    assert "R0D" not in in_2019 and {"RD3", "RDZ"} <= in_2019
    in_2021 = {t.code for t in Directory(catalogue, dt.date(2021, 11, 1)).trusts()}
    assert "R0D" in in_2021 and not {"RD3", "RDZ"} & in_2021


def test_the_number_of_trusts_in_2018_counts_each_trust_once(catalogue: Catalogue) -> None:
    # Every trust open on the day, once: the open trusts less R0B and R0D, plus the closed
    # ones still open then. Before, R0B and R0D were counted as well as RE9, RLN, RD3, RDZ.
    day = dt.date(2018, 11, 1)
    expected = sum(1 for o in catalogue
                   if o.kind in ("trust", "closed") and not o.out_of_scope
                   and (o.closed is None or o.closed >= day)
                   and (o.opened is None or o.opened <= day))
    assert len(Directory(catalogue, day).trusts()) == expected
    open_now = [o for o in catalogue if o.kind == "trust"]
    assert expected == len(open_now) - 2 + sum(
        1 for o in catalogue if o.kind == "closed" and o.closed >= day
        and (o.opened is None or o.opened <= day))  # not R0C Nightingale (2020)


def test_the_rule_needs_two_closures_on_one_day() -> None:
    day = dt.date(2019, 3, 31)
    orgs = [
        Organisation("NEW", "New NHS Trust", None),
        Organisation("OLD", "Old NHS Trust", None),
        Organisation("A", "A NHS Trust", None, kind="closed", closed=day,
                     successor_codes=("NEW",)),
        Organisation("B", "B NHS Trust", None, kind="closed", closed=day,
                     successor_codes=("NEW",)),
        Organisation("C", "C NHS Trust", None, kind="closed", closed=day,
                     successor_codes=("OLD",)),
        Organisation("D", "D NHS Trust", None, kind="closed", closed=dt.date(2020, 3, 31),
                     successor_codes=("OLD",)),
    ]
    assert merger_openings(orgs) == {"NEW": dt.date(2019, 4, 1)}
