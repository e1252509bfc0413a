"""The usual words of a consent box are consent, not a condition.

Reading conditions into consent answers ("Yes, internally only", "... if my name is
removed") took "internally" and "if" anywhere as one, so a form whose consent box says "I
agree to my story being shared internally and externally", or "... published if selected",
had every row refused and nothing of it imported.
"""

from __future__ import annotations

import pytest

from knowvember.stories import parse_yes_no


@pytest.mark.parametrize("answer", [
    "I agree to my story being shared internally and externally",
    "I consent to my story being published on the KNOWvember website and shared internally "
    "and externally;",
    "I agree to it being shared externally and internally",
    "I consent to my story being shared if selected",
    "I agree that I may be contacted if further information is needed",
    "I agree to my story being edited if needed",
    "Yes, if it is selected",
])
def test_a_consent_box_in_its_usual_words_is_consent(answer: str) -> None:
    assert parse_yes_no(answer) is True


@pytest.mark.parametrize("answer", [
    "Yes, internally only", "Yes, internally", "Yes if my name is left out",
    "I agree to it being published if my name is removed",
    "I agree to my story being shared internally", "Yes, if my manager agrees",
])
def test_a_real_condition_is_still_no_answer(answer: str) -> None:
    with pytest.raises(ValueError, match="condition"):
        parse_yes_no(answer)
