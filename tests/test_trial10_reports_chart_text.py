"""The tenth session's trial of chart labels with the names real campaigns use."""

from __future__ import annotations

import warnings

from reports import charts


def _glyph_warnings(draw: object) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert callable(draw)
        draw()
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_emoji_in_organisation_and_region_names_draw_no_boxes_and_print_no_warning() -> None:
    """An organisation named "📚 Library & Knowledge Service" (or a region "Wales 🐉")
    printed two Python warnings with their source lines ("UserWarning: Glyph 128218
    (\\N{BOOKS}) missing from font(s) DejaVu Sans. fig.savefig(...)") under `report`, and
    the charts drew empty boxes where the emoji were."""
    names = ["📚 Library & Knowledge Service 🏴\U000e0067\U000e0062\U000e0077\U000e006c"
             "\U000e0073\U000e007f", "Wales 🐉", "👩‍⚕️ Clinical Librarians"]
    assert _glyph_warnings(lambda: charts.ranking(names, [3, 2, 1], title="t",
                                                  xlabel="x")) == []
    assert _glyph_warnings(lambda: charts.techniques(["Coffee ☕🫖 trial"], [1], [0],
                                                     ["during"])) == []
    assert _glyph_warnings(lambda: charts.history(["2019 🎉"], {"Posts": [1]})) == []


def test_drawable_keeps_words_whole_and_dollars_literal() -> None:
    assert charts.drawable("📚 Library & Knowledge Service") == "Library & Knowledge Service"
    assert charts.drawable("Ll\u200byfrgell") == "Llyfrgell"  # a zero-width space
    assert charts.drawable("\u202eevil\u202c name") == "evil name"  # a bidi override
    assert charts.drawable("Café naïve – Ysbyty") == "Café naïve – Ysbyty"
    assert charts.drawable("$5 a day $") == r"\$5 a day \$"  # not a formula
    assert charts.drawable("🐉") == "?"
    assert charts.shorten("📚" * 3 + "A" * 60, 10) == "A" * 9 + "…"
