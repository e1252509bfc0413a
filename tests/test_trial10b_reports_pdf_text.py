"""The fifth trial's second pass: the PDF prints posts with emoji as words, not "??".

DejaVu Sans, the PDF's font, has no emoji: every one printed as "?", so the top posts read
"Thanks all for #KNOWvember ??" and a flag was "??" (two regional indicators), as if the
report's text were garbled. They are left out, as in the charts; a letter of a script the
font lacks is still "?", so a name is never silently shortened.
"""

from __future__ import annotations

from reports.pdf import _Writer


def test_emoji_are_left_out_and_letters_the_font_lacks_still_show_as_question_marks(
        ) -> None:
    w = _Writer("KNOWvember 2019")
    assert w.text("Thanks all 🎉📚 see you at the #KNOWvember café") == (
        "Thanks all see you at the #KNOWvember café")
    assert w.text("🇬🇧 Peer Assist 👩🏽‍⚕️") == "Peer Assist ⚕\ufe0f"
    assert w.text("Ysbyty Gwynedd · Zoë Łódź ŵ ŷ") == "Ysbyty Gwynedd · Zoë Łódź ŵ ŷ"
    assert w.text("图书馆 Library") == "??? Library"
    assert w.text("line one 🎉\n\n  indented, kept") == "line one\n\n  indented, kept"
    assert w.text("\u202eoverride") == "<U+202E>override"  # made visible, as everywhere
    assert w.text("🎉🎉") == ""
