"""The one typed JSON reader: each getter's type rule, and that a caller's own error is what is raised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mergeguard.core.jsonfields import (
    as_object,
    dig,
    fits,
    items,
    maybe,
    need,
    need_list,
    objects_in,
    or_default,
    or_empty,
)


class Wrong(Exception):
    """A caller's own error type."""


def wrong(value: Any) -> Wrong:
    return Wrong(f"got {type(value).__name__}")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (1, int, True),
        (True, int, False),  # JSON true is not a number, though Python says so
        (True, bool, True),
        (1, bool, False),
        ("", str, True),
        (1.5, int, False),
        ({}, dict, True),
        ([], dict, False),
        (None, str, False),
    ],
)
def test_fits_reads_json_types_not_python_subclasses(value: Any, kind: type, expected: bool) -> None:
    assert fits(value, kind) is expected


def test_need_raises_the_callers_error_built_from_the_value() -> None:
    assert need("x", str, wrong) == "x"
    with pytest.raises(Wrong, match=r"^got bool$"):
        need(False, int, wrong)
    with pytest.raises(Wrong, match=r"^got str$"):
        need("", str, wrong, empty=False)
    with pytest.raises(Wrong, match=r"^got int$"):
        need(0, int, wrong, empty=False)


def test_maybe_or_empty_and_or_default_treat_null_each_their_way() -> None:
    assert maybe(None, str, wrong) is None
    assert or_empty(None, list, wrong) == []
    assert or_empty(7, int, wrong) == 7
    assert or_default("seven", int, 0) == 0
    with pytest.raises(Wrong):
        maybe(3, str, wrong)
    with pytest.raises(Wrong):
        or_empty({}, list, wrong)


def test_need_list_checks_every_item_and_reads_null_only_when_asked() -> None:
    assert need_list(["a", "b"], str, wrong) == ["a", "b"]
    assert need_list(None, str, wrong, null=True) == []
    for bad in (None, ["a", 1], "ab", {"a": 1}):
        with pytest.raises(Wrong):
            need_list(bad, str, wrong)


def test_lenient_readers_skip_what_does_not_fit() -> None:
    assert items([1, "a", True, 2], int) == [1, 2]
    assert items("not a list", int) == []
    assert objects_in([{"a": 1}, [], None, {}]) == [{"a": 1}, {}]
    assert as_object([1]) == {} and as_object({"k": 1}) == {"k": 1}


def test_dig_walks_objects_and_stops_at_anything_else() -> None:
    event = json.loads('{"pull_request": {"base": {"sha": "abc"}, "head": []}}')
    assert dig(event, ("pull_request", "base", "sha")) == "abc"
    assert dig(event, ("pull_request", "head", "sha")) is None
    assert dig(event, ("missing", "sha")) is None
    assert dig("text", ("a",)) is None
