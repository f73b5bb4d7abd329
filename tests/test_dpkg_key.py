"""dpkg's version order as a tuple key agrees with python-debian's own comparison."""

from __future__ import annotations

from debian.debian_support import NativeVersion
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mergeguard.vulns.ecosystems import Ordering, sort_key

versions = st.text("0123456789.~+-:abzAZ", min_size=1, max_size=10) | st.text("01.~", min_size=1, max_size=6)


def python_debian(a: str, b: str) -> int | None:
    try:
        left, right = NativeVersion(a), NativeVersion(b)
    except ValueError:
        return None
    return (left > right) - (left < right)


@settings(max_examples=3000, deadline=None)
@given(versions, versions)
def test_the_tuple_key_orders_as_python_debian_does(a: str, b: str) -> None:
    expected = python_debian(a, b)
    assume(expected is not None)
    used, key = sort_key(Ordering.DPKG, [a, b])
    assert used is Ordering.DPKG
    assert (key(a) > key(b)) - (key(a) < key(b)) == expected, (a, b)


def test_known_pairs() -> None:
    _, key = sort_key(Ordering.DPKG, ["0", "0~", "1.0", "1.0~rc1", "1.0.0", "1:0.1", "1.0-0", "1.0-1"])
    assert key("0~") < key("0") < key("1.0~rc1") < key("1.0") < key("1.0.0") < key("1:0.1")
    assert key("1.0-0") == key("1.0") < key("1.0-1")
