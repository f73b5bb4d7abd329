"""The one package-name normaliser: PEP 503's definition, for any name."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from mergeguard.core.packagenames import normalise

_NAMES = st.text(alphabet="AaBbZz09-_.~", min_size=1, max_size=20)


@given(_NAMES)
def test_the_name_normaliser_is_pep_503(name: str) -> None:
    """PEP 503's own definition, letter for letter."""
    assert normalise(name) == re.sub(r"[-_.]+", "-", name).lower()
