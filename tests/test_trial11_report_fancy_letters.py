"""The sixth new-user trial: "fancy text" names print as their letters in the PDF and charts.

Social media display names and posts are often written with a "fancy text" generator, in
mathematical bold or script letters ("𝐉𝐚𝐧𝐞 𝐒𝐦𝐢𝐭𝐡", "𝓚𝓝𝓞𝓦𝓿𝓮𝓶𝓫𝓮𝓻"), fullwidth or circled
ones. The PDF's font has none of them: such a name printed as "??????????", a circled one
vanished as if it were an emoji, and the charts left the letters out ("𝐊𝐍𝐎𝐖𝐯𝐞𝐦𝐛𝐞𝐫
Library" was labelled "Library"). They now print as the plain letters they stand for; a
letter of a script the font lacks is still "?" in the PDF, and emoji are still left out.
"""

from __future__ import annotations

import pytest

from reports.charts import drawable
from reports.pdf import _Writer


@pytest.mark.parametrize(("styled", "plain"), [
    ("𝐉𝐚𝐧𝐞 𝐒𝐦𝐢𝐭𝐡", "Jane Smith"),          # mathematical bold
    ("𝓚𝓝𝓞𝓦𝓿𝓮𝓶𝓫𝓮𝓻 Library", "KNOWvember Library"),  # bold script
    ("𝗣𝗲𝗲𝗿 𝗔𝘀𝘀𝗶𝘀𝘁", "Peer Assist"),          # sans-serif bold
    ("ｆｕｌｌｗｉｄｔｈ café", "fullwidth café"),
    ("Ⓚⓝⓞⓦ Lib", "Know Lib"),                 # circled: a symbol, not left out
])
def test_styled_letters_print_as_plain_letters(styled: str, plain: str) -> None:
    assert _Writer("KNOWvember 2019").text(styled) == plain
    assert drawable(styled) == plain


def test_what_has_no_plain_form_is_treated_as_before() -> None:
    w = _Writer("KNOWvember 2019")
    assert w.text("图书馆 Library 🎉") == "??? Library"
    assert drawable("图书馆 Library 🎉") == "Library"
    assert w.text("\u202eoverride") == "<U+202E>override"
    assert drawable("zero\u200bwidth") == "zerowidth"
