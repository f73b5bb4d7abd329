"""The depth pre-scan of `jsonload`: brackets inside strings never count, however the text is written;
and how its errors read."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mergeguard.core import jsonload
from mergeguard.core.errors import UsageError


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 1 + max(map(_depth, value), default=0) if isinstance(value, list) else 0


# Strings made of what the pre-scan must see through: brackets, quotes, runs of backslashes,
# escapes it deletes (\n), non-ASCII text (raw or escaped) and a surrogate-escaped byte.
_TEXT = st.text(alphabet=["[", "]", "{", "}", '"', "\\", "\n", "é", "€", "😀", "a", "\udcff"], max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_JSON, st.booleans(), st.sampled_from([None, 1]))
def test_the_pre_scan_counts_only_the_brackets_outside_strings(
    value: object, ascii_only: bool, indent: int | None
) -> None:
    text, depth = json.dumps(value, ensure_ascii=ascii_only, indent=indent), _depth(value)
    jsonload.check_bounds(text, max_depth=max(depth, 1))
    if depth > 1:
        with pytest.raises(jsonload.JsonProblem, match=f"nested deeper than {depth - 1} levels"):
            jsonload.check_bounds(text, max_depth=depth - 1)


@pytest.mark.parametrize(
    "text",
    [
        r'["\\", [[[]]]]',  # an escaped backslash ends the string: the brackets after it count
        r'["\\\"[[[[", [[[]]]]',  # escaped backslash, then an escaped quote: still inside the string
        r'["\"", "\\\\", [[[]]]]',
        '["", "", "" , [[[]]]]',  # empty strings side by side
        '{"[": "{", "k": [[[]]]}',
        '[\n  "é[[[[",\n  [[[]]]\n]',  # non-ASCII text beside brackets
    ],
)
def test_brackets_after_escapes_are_counted_where_they_are(text: str) -> None:
    assert jsonload.loads(text, "t.json", max_depth=4) is not None
    with pytest.raises(UsageError, match="nested deeper than 3 levels"):
        jsonload.loads(text, "t.json", max_depth=3)


def test_a_report_starting_later_in_the_text_is_checked_from_its_start() -> None:
    text = "[[[[[[ banner\n" + json.dumps({"runs": [[{"a": "[[[["}]]})
    start = text.index("\n") + 1
    value, _ = jsonload.parse(text, start, max_depth=4)
    assert value == {"runs": [[{"a": "[[[["}]]}
    with pytest.raises(jsonload.JsonProblem, match="nested deeper than 3 levels at line 2 column 12"):
        jsonload.parse(text, start, max_depth=3)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('[{"message": "', "Unterminated string starting at line 1 column 14"),  # not "at at line"
        ('["a\tb"]', "Invalid control character at line 1 column 4"),
        ("[1,", "Expecting value at line 1 column 4"),
    ],
)
def test_the_error_detail_names_the_place_once(text: str, detail: str) -> None:
    """A truncated hadolint report read "Unterminated string starting at at line 16": Python's message
    already ends in "at"."""
    with pytest.raises(jsonload.JsonProblem) as problem:
        jsonload.parse(text)
    assert problem.value.detail == detail


@pytest.mark.parametrize("depth", [3, jsonload.MAX_DEPTH, jsonload.MAX_DEPTH + 1])
def test_a_text_too_long_to_count_its_brackets_first_is_still_checked(depth: int) -> None:
    """Past `_COUNTED` characters the pre-scan goes straight to the brackets: a few levels read, one
    level too many is refused all the same."""
    padding = json.dumps("x" * jsonload._COUNTED)  # one string longer than the quick count
    text = "[" * depth + padding + "]" * depth
    if depth <= jsonload.MAX_DEPTH:
        assert _depth(jsonload.parse_whole(text)) == depth
        return
    with pytest.raises(jsonload.JsonProblem, match="nested deeper than"):
        jsonload.parse_whole(text)
