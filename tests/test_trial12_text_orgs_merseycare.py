"""The twelfth trial: Mersey Care written as one word, as the trust writes it.

"Library, Merseycare" and "Merseycare library team" named nothing: the trust's name run
together matched only inside a handle or hashtag (`#Merseycare`), though its logo and
handle write it so and staff copy them.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue


@pytest.mark.parametrize("text", ["Library, Merseycare", "Merseycare library team"])
def test_merseycare_is_mersey_care(catalogue: Catalogue, text: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == ("RW4", True)
