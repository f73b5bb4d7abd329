"""The fast baseline reader: the same entries as the YAML reader for every text it accepts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mergeguard.core import baseline, baseline_text, yamlfile
from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.errors import BaselineError


def by_yaml(text: str, tmp: Path) -> tuple[BaselineEntry, ...] | str:
    """What `baseline.load` gives when the fast reader steps aside: entries, or the error."""
    path = tmp / "by-yaml.yml"
    path.write_text(text, encoding="utf-8")
    original = baseline_text.parse
    baseline_text.parse = lambda *_: None
    try:
        return baseline.load(path)
    except BaselineError as exc:
        return str(exc)
    finally:
        baseline_text.parse = original


ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=140)
# Text like real reasons and paths: long (folded over lines by `dump`), with quotes, colons, accents.
REAL_TEXT = st.one_of(
    st.text(" abcXYZéß019_./:'\"#-(),~", min_size=1, max_size=240),
    st.text(" abcdefghXYZé01:'", min_size=1, max_size=240),
)


def entries(texts: st.SearchStrategy[str]) -> st.SearchStrategy[list[BaselineEntry]]:
    entry = st.builds(
        BaselineEntry,
        fingerprint=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
        tool=st.sampled_from(["bandit", "gitleaks", "trivy-config", "0123", "yes", "null", "a b"]),
        rule=texts,
        path=texts,
        reason=texts,
        accepted_by=st.one_of(st.just(""), texts),
        expires=st.one_of(st.none(), st.dates(dt.date(1999, 1, 1), dt.date(2999, 12, 31))),
    )
    return st.lists(entry, max_size=4, unique_by=lambda e: e.fingerprint)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.one_of(entries(ANY_TEXT), entries(REAL_TEXT)))
def test_what_dump_writes_reads_the_same_both_ways(tmp_path: Path, written: list[BaselineEntry]) -> None:
    text = baseline.dump(written)
    fast = baseline_text.parse(text, BaselineEntry)
    slow = by_yaml(text, tmp_path)
    if fast is not None:
        assert fast == slow
        event(
            "read fast"
        )  # most generated baselines are: hypothesis shows how many with --hypothesis-show-statistics


# Texts near the subset's edges: each is read the same both ways, or left to YAML (None).
EDGES = [
    "version: 1\nentries: []\n",
    "version: 1\nentries:\n- fingerprint: "
    + "a" * 32
    + "\n  tool: t\n  rule: r\n  path: p\n  reason: 'x''y'\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: a\n"
    "     b c\n  expires: 2030-02-01\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: 'a\n"
    "    b  '\n",
    # Left to YAML: an error there, or a form outside the subset.
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: ~\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: ' '\n",
    "version: 1\nentries:\n- fingerprint: " + "A" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\n"
    "  expires: 2030-02-30\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\n"
    "  colour: red\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  tool: u\n  rule: r\n  path: p\n"
    "  reason: x\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\n"
    "- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\n",
    "version: 1\nentries:\n- fingerprint: "
    + "a" * 32
    + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\x00\n",
    "version: 1\nentries:\n- fingerprint: "
    + "a" * 32
    + "\n  tool: t\n  rule: r\n  path: p\n  reason: x\u2028y\n",
    "version: 1\nentries:\n- fingerprint: "
    + "a" * 32
    + "\n  tool: t\n  rule: r\n  path: p\n  reason: a: b\n",
    "version: 1\nentries:\n- fingerprint: " + "a" * 32 + "\n  tool: t\n  rule: r\n  path: p\n  reason: a\n"
    "    - b\n",
    "version: 2\nentries: []\n",
]


@pytest.mark.parametrize("text", EDGES)
def test_edges_read_the_same_or_are_left_to_yaml(text: str, tmp_path: Path) -> None:
    fast = baseline_text.parse(text, BaselineEntry)
    slow = by_yaml(text, tmp_path)
    if fast is not None:
        assert fast == slow
    else:
        capitals = (
            "fingerprint: A" in text
        )  # the YAML reader takes a fingerprint in capitals as its lowercase
        assert isinstance(slow, str) or text.startswith("version: 2") or "\n    - b" in text or capitals, slow


def test_the_first_four_edges_take_the_fast_path() -> None:
    assert all(baseline_text.parse(text, BaselineEntry) is not None for text in EDGES[:4])
    assert baseline_text.parse(EDGES[3], BaselineEntry)[0].reason == "a b  "  # type: ignore[index]


def test_a_file_yaml_refuses_gets_yamls_message_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.yml"
    path.write_text(EDGES[10])  # the same fingerprint twice
    with pytest.raises(BaselineError, match=r"b.yml:8: entries\[1\].fingerprint: appears twice"):
        baseline.load(path)


def test_a_big_baseline_reads_the_same_both_ways(tmp_path: Path) -> None:
    written = [
        BaselineEntry(f"{n:032x}", "bandit", f"B{n % 40}", f"src/m{n}.py", "accepted: " + "long " * (n % 40))
        for n in range(2_000)
    ]
    text = baseline.dump(written)
    assert baseline_text.parse(text, BaselineEntry) == by_yaml(text, tmp_path)
    assert yaml.safe_load(text)["version"] == 1 and yamlfile  # the file is YAML as well
