"""The reports' JSON writer gives the text `json.dumps` would, escapes and fallbacks included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mergeguard.core.text import shown_tree
from mergeguard.report.jsontext import dumps_compact, dumps_indented, encode_shown

_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()


def _documents(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_documents(_SCALARS))
def test_the_text_is_what_json_dumps_writes(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)
    assert dumps_compact(value) == json.dumps(value, separators=(",", ":"))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_documents(_SCALARS | st.just("\x7f DEL")), st.booleans(), st.booleans())
def test_the_bytes_of_a_report_file_are_its_text_as_shown(value: Any, indent: bool, newline: bool) -> None:
    """What a report file holds: the shown document's text as ASCII bytes, ending as asked."""
    shown, data = encode_shown(value, indent=indent, newline=newline)
    text = (
        json.dumps(shown_tree(value), indent=2)
        if indent
        else json.dumps(shown_tree(value), separators=(",", ":"))
    )
    assert data == (text + "\n" if newline else text).encode("ascii")
    assert shown == shown_tree(value)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_documents(_SCALARS | st.floats(allow_nan=False, allow_infinity=False)))
def test_floats_read_back_the_same_though_spelt_as_orjson_spells_them(value: Any) -> None:
    """orjson writes 6.103515625e-05 as 0.00006103515625: the same number, another spelling."""
    for text in (dumps_indented(value), dumps_compact(value)):
        assert text.isascii()
        assert json.loads(text) == value


@pytest.mark.parametrize(
    "value",
    [
        {"path": "bad\udcff.py"},  # a lone surrogate: orjson refuses it, `json` writes it escaped
        {"count": 10**30},  # past 64 bits
        {"name": "\u202egnp.exe \x1b[31m \u009b \U0001f600"},  # bidi override, ESC, C1 control, astral
    ],
)
def test_what_orjson_refuses_or_writes_raw_comes_out_as_json_dumps_would(value: Any) -> None:
    text = dumps_indented(value)
    assert text == json.dumps(value, indent=2)
    assert text.isascii()
