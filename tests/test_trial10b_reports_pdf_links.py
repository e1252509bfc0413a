"""The fifth trial's second pass: a long link stays on the PDF's page.

A story's link to its notes on SharePoint or Teams is 150 to 300 characters without a
space; the PDF set it on one line, which ran off the right edge of the page (and its
clickable area with it), so readers of the printed or emailed report could not read it.
"""

from __future__ import annotations

from reports.pdf import _Writer

URL = ("https://nhs.sharepoint.com/sites/LKS/Shared%20Documents/Forms/AllItems.aspx?id="
       "%2Fsites%2FLKS%2FShared%20Documents%2FKNOWvember%2FPeer%20Assist%20notes%202019.pdf"
       "&parent=%2Fsites%2FLKS")


def test_a_long_link_wraps_inside_the_margins_and_every_line_is_clickable() -> None:
    w = _Writer("KNOWvember 2019")
    w.link(URL, URL)
    pdf = w.pdf
    rects = [[float(v) for v in str(a.rect).strip("[]").split()]
             for page in pdf.pages.values() for a in page.annots]
    assert len(rects) >= 2  # more than one line, each a link
    right_edge = (pdf.w - pdf.r_margin) * pdf.k
    assert all(x2 <= right_edge + 0.5 for _, _, x2, _ in rects), rects
    assert all(a.a.uri == URL for page in pdf.pages.values() for a in page.annots)
