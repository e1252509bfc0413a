"""A Google Forms tick-box answer keeps an option whose explanation holds a comma.

Google Forms joins the ticked options with ", ". An option worded to explain itself, "Peer
Assist (learning before, from peers)", was split at its own comma into two techniques, "Peer
Assist (learning before" and "from peers)", each kept as written and counted in the report.
"""

from __future__ import annotations

from knowvember.stories import split_choices


def test_commas_inside_brackets_do_not_split() -> None:
    assert split_choices("Peer Assist (learning before, from peers), Retrospect") == [
        "Peer Assist (learning before, from peers)", "Retrospect"]
    assert split_choices("After Action Review, Knowledge café [world café, fishbowl]") == [
        "After Action Review", "Knowledge café [world café, fishbowl]"]


def test_plain_answers_split_as_before() -> None:
    assert split_choices("Randomised Coffee Trials, Peer Assist") == [
        "Randomised Coffee Trials", "Peer Assist"]
    assert split_choices("A;B (x, y);") == ["A", "B (x, y)"]  # Microsoft Forms: `;` only
    assert split_choices("Odd) bracket, Retrospect") == ["Odd) bracket", "Retrospect"]
    assert split_choices("") == [] and split_choices(None) == []
