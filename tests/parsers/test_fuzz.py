"""Every parser, fed real reports mutated as real variants differ, gives findings or one error line."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mergeguard.core.errors import ScannerError, UsageError
from mergeguard.scan.imported import parse_file
from mergeguard.scan.registry import READERS, REGISTRY
from mergeguard.scanners.base import IncompleteReport, ToolOutput
from tests.golden import FIXTURES, ROOT_MARK, case_target
from tests.parsers.cases import REPORTS, cases, json_span

ROOT = Path("/repo")
# Reproducible in CI: the same examples every run, no example database, no deadline on a slow box.
# A longer, random hunt: FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 pytest tests/parsers/test_fuzz.py
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "50")),
    deadline=None,
    derandomize="FUZZ_RANDOM" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_LARGEST = 20_000  # bytes: the one larger fixture (a 52 kB SARIF log) adds time, not shapes


@functools.cache
def _seeds(tool: str) -> list[tuple[str, str, str]]:
    """(name, text before the JSON, JSON value) of the tool's real fixtures, the text after dropped."""
    seeds = []
    for path in sorted(c.path for c in cases() if c.tool == tool and c.path.stat().st_size <= _LARGEST):
        text = path.read_text(encoding="utf-8")
        start, end = json_span(text)
        seeds.append((path.name, text[:start], text[start:end]))
    return seeds


# What a field holds in a real variant instead of what the parser expects.
_ODD_VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        ["", "0", "-1", "==0.1.0", "CVE-2022-23833", "../../etc/passwd", "C:\\x\\y", "/abs/path"]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["d\u00e9j\u00e0 vu \u202e", "bad\udcff.py", "x\ud800y", "new\nline::error::x"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**63, 1e308, -0.0, True, False]),
    st.floats(allow_nan=False),
    st.sampled_from([[], {}, [None], [{}], {"name": None}, {"text": 1}, [[[]]]]),
)


# Deep nesting is put into the text after `json.dumps` (which, like Hypothesis' printer, recurses).
_DEEP = "@@deep-{}@@"
_DEPTHS = (20, 127, 129, 3000)


def _deepened(text: str) -> str:
    for depth in _DEPTHS:
        text = text.replace(json.dumps(_DEEP.format(depth)), '{"k": [' * depth + "1" + "]}" * depth)
    return text


@st.composite
def _mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one node (reached by a random walk) replaced, deleted, wrapped or unwrapped."""
    if isinstance(value, dict | list) and value and draw(st.integers(0, 3)) > 0:
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        key = draw(st.sampled_from(keys))
        copy: Any = dict(value) if isinstance(value, dict) else list(value)
        if isinstance(copy, dict) and draw(st.integers(0, 5)) == 0:
            del copy[key]  # a key the format has, missing
        else:
            copy[key] = draw(_mutated(value[key]))
        return copy
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return [value]  # a list where one object is
    if choice == 1:
        return {"value": value}  # an object where a string is
    if choice == 2:
        return str(value)[:40]  # a string where an object is
    if choice == 3:
        return _DEEP.format(draw(st.sampled_from(_DEPTHS)))
    return draw(_ODD_VALUES)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    return set().union(*(_keys(v) for v in value)) if isinstance(value, list) else set()


def _replaced(value: Any, key: str, new: Any) -> Any:
    """`value` with every `key` (at any depth) holding `new`, or dropped when `new` is `_DROP`."""
    if isinstance(value, list):
        return [_replaced(v, key, new) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _replaced(v, key, new) for k, v in value.items() if k != key or new is not _DROP}
    return out | ({key: new} if key in value and new is not _DROP else {})


_DROP = object()


@st.composite
def _everywhere(draw: st.DrawFn, value: Any) -> Any:
    """One field of the format changed in every record: how real variants of a format differ."""
    keys = sorted(_keys(value))
    if not keys:
        return value
    key = draw(st.sampled_from(keys))
    return _replaced(value, key, draw(st.one_of(st.just(_DROP), _ODD_VALUES)))


@st.composite
def _reports(draw: st.DrawFn, tool: str) -> str:
    _, before, body = draw(st.sampled_from(_seeds(tool)))
    value = json.loads(body)
    for _ in range(draw(st.integers(1, 3))):
        value = draw(st.one_of(_mutated(value), _everywhere(value)))
    text = _deepened(json.dumps(value, indent=draw(st.sampled_from([None, 2]))))
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # cut off
    return before + text


@pytest.mark.parametrize("tool", sorted(READERS))
def test_a_mutated_real_report_gives_findings_or_one_error_line(tool: str) -> None:
    @FUZZ
    @given(_reports(tool))
    def check(text: str) -> None:
        try:
            findings = parse_file(tool, text, ROOT, "fuzzed.json")
        except UsageError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(f"fuzzed.json: not a {tool} report: ")
            return
        for finding in findings:  # what was read is usable downstream: a path inside --root
            assert not finding.location.path.startswith(("/", "../")), finding.location.path

    check()


# One value of each odd kind, for the exhaustive sweep below.
_SWEEP: tuple[Any, ...] = (
    _DROP,
    None,
    "",
    "bad\udcff.py",
    "x\ud800y",
    -1,
    10**400,
    1e308,
    True,
    [],
    {},
    [{}],
    {"name": None},
)


@pytest.mark.parametrize("tool", sorted(READERS))
def test_every_field_of_a_format_with_every_odd_value(tool: str) -> None:
    """Each field the tool's real reports have, replaced everywhere by each odd value in turn (in the
    first report that has the field: the sweep stays within seconds)."""
    swept: set[str] = set()
    for name, before, body in _seeds(tool):
        value = json.loads(body)
        for key in sorted(_keys(value) - swept):
            swept.add(key)
            for odd in _SWEEP:
                text = before + json.dumps(_replaced(value, key, odd))
                try:
                    parse_file(tool, text, ROOT, "swept.json")
                except (UsageError, IncompleteReport) as exc:  # refused, or a run that did not complete
                    assert "\n" not in str(exc)
                except Exception as exc:  # the point: name the case that crashed
                    pytest.fail(f"{name}: {key} = {odd!r:.40}: {type(exc).__name__}: {exc}")


def _recorded(name: str) -> list[tuple[str, Any]]:
    """(case, JSON value) of each recorded real output of the gate's scanner `name`; each value of an
    output of several runs (Checkov's parse-only run after its run) on its own."""
    recorded = []
    for path in sorted((FIXTURES / name).glob("*.report")):
        text = path.read_text(encoding="utf-8").replace(ROOT_MARK, str(path.with_suffix("")))
        position = len(text) - len(text.lstrip())
        while text[position : position + 1] in ("[", "{"):
            value, position = json.JSONDecoder().raw_decode(text, position)
            recorded.append((path.stem, value))
            position += len(text[position:]) - len(text[position:].lstrip())
    return recorded


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_gate_adapters_take_every_odd_value_too(name: str, tmp_path: Path) -> None:
    """The live adapters (the gate's own runs): findings, or a ScannerError the runner reports."""
    scanner, swept = REGISTRY[name], set[str]()
    for case, value in _recorded(name):
        target = case_target(scanner, case, tmp_path)
        for key in sorted(_keys(value) - swept):
            swept.add(key)
            for odd in _SWEEP:
                try:
                    scanner.parse(ToolOutput(json.dumps(_replaced(value, key, odd))), target)
                except ScannerError as exc:
                    assert "\n" not in str(exc).strip()
                except Exception as exc:  # the point: name the case that crashed
                    pytest.fail(f"{case}: {key} = {odd!r:.40}: {type(exc).__name__}: {exc}")


def test_every_parser_has_real_seeds() -> None:
    for tool in READERS:
        assert _seeds(tool), f"no real fixture for {tool} under {REPORTS}"
