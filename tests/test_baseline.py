"""The baseline: strict reading, stable writing, and matching that survives moved lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mergeguard.core import baseline
from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.errors import BaselineError

FP = "0123456789abcdef0123456789abcdef"
ENTRY = BaselineEntry(FP, "bandit", "B602", "api/app.py", "tracked in SEC-12", "ada", dt.date(2027, 1, 31))


def test_dump_and_load_round_trip_in_a_stable_order(tmp_path: Path) -> None:
    other = BaselineEntry(
        "f" * 32, "checkov", "CKV_DOCKER_3", "Dockerfile", "GitHub runs Docker actions as root"
    )
    path = tmp_path / "b.yml"
    baseline.save(path, [ENTRY, other])
    first = path.read_text()
    baseline.save(path, [other, ENTRY])
    assert path.read_text() == first  # no timestamps, sorted: only changes when entries do
    assert baseline.load(path) == (other, ENTRY)
    assert "expires: 2027-01-31" in first and "accepted_by" not in first.split("Dockerfile")[1].split("- ")[0]
    assert not list(tmp_path.glob(".b.yml.*"))  # the temporary file was renamed into place


def test_entries_sharing_one_expiry_date_are_written_without_anchors_and_read_back(tmp_path: Path) -> None:
    # `baseline create --expires` gives every entry the same date object: YAML would write it once as
    # `&id001` and alias it, which the reader refuses (anchors are not accepted in a baseline).
    expires = dt.date(2027, 1, 31)
    entries = [
        BaselineEntry(f"{n:032x}", "hadolint", f"DL300{n}", "Dockerfile", "legacy", "", expires)
        for n in range(3)
    ]
    path = tmp_path / "b.yml"
    baseline.save(path, entries)
    text = path.read_text()
    assert "&" not in text and "*" not in text and text.count("expires: 2027-01-31") == 3
    assert baseline.load(path) == tuple(entries)


def test_an_all_digit_fingerprint_written_by_hand_stays_a_string(tmp_path: Path) -> None:
    path = tmp_path / "b.yml"
    path.write_text(
        "version: 1\nentries:\n- fingerprint: "
        + "1" * 32
        + "\n  tool: t\n  rule: r\n  path: p\n  reason: ok\n"
    )
    assert baseline.load(path)[0].fingerprint == "1" * 32


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        ("", None, "(file)", "is empty"),
        ("entries: []\n", 1, "version", "is missing"),
        ("version: 2\nentries: []\n", 1, "version", "2 is not supported"),
        ("version: 1\nentries: {}\n", 2, "entries", "must be a list"),
        ("version: 1\nentries:\n- tool: t\n", 3, "entries[0].fingerprint", "is missing"),
        (
            "version: 1\nentries:\n- {fingerprint: abc, tool: t, rule: r, path: p, reason: x}\n",
            3,
            "entries[0].fingerprint",
            "32 hex digits",
        ),
        (
            f"version: 1\nentries:\n- {{fingerprint: {FP}, tool: t, rule: r, path: p, reason: ' '}}\n",
            3,
            "entries[0].reason",
            "must say why",
        ),
        (
            f"version: 1\nentries:\n- {{fingerprint: {FP}, tool: t, rule: r, path: p, reason: x,"
            " expires: soon}\n",
            3,
            "entries[0].expires",
            "must be a date",
        ),
        (
            f"version: 1\nentries:\n- {{fingerprint: {FP}, tool: t, rule: r, path: p, reason: x,"
            " owner: me}\n",
            3,
            "entries[0].owner",
            "unknown key",
        ),
        (
            f"version: 1\nentries:\n- {{fingerprint: {FP}, tool: t, rule: r, path: p, reason: x}}\n"
            f"- {{fingerprint: {FP}, tool: t, rule: r, path: q, reason: y}}\n",
            4,
            "entries[1].fingerprint",
            "appears twice",
        ),
        ("version: 1\nentries: [\n", 3, "(file)", "not valid YAML"),
        (  # found by a trial: "must be a date (YYYY-MM-DD)", though it is written so
            f"version: 1\nentries:\n- {{fingerprint: {FP}, tool: t, rule: r, path: p, reason: x,"
            " expires: 2027-02-30}\n",
            3,
            "entries[0].expires",
            "'2027-02-30': no such day",
        ),
    ],
)
def test_a_malformed_baseline_is_an_error_never_empty(
    tmp_path: Path, text: str, line: int | None, key: str, problem: str
) -> None:
    path = tmp_path / "b.yml"
    path.write_text(text)
    with pytest.raises(BaselineError) as caught:
        baseline.load(path)
    where = f"{path}:{line}" if line else str(path)
    assert str(caught.value).startswith(f"{where}: {key}: ")
    assert problem in str(caught.value)
    assert caught.value.exit_code == 2


def test_expiry_ends_on_the_day() -> None:
    assert not ENTRY.expired(dt.date(2027, 1, 30))
    assert ENTRY.expired(dt.date(2027, 1, 31))
    assert not BaselineEntry(FP, "t", "r", "p", "why").expired(dt.date(2999, 1, 1))


@pytest.mark.parametrize(
    "written",
    [
        "2027-01-31",
        "'2027-01-31'",
        "2027-01-31T00:00:00Z",
        "2027-01-31 23:30:00",
        "2027-01-31T10:00:00-05:00",
        "'2027-01-31T12:00:00Z'",  # quoted, as some editors and generators write it
        '"2027-01-31 23:30:00"',
        "20270131",  # an int to YAML, read as its quoted form is (found by a trial: refused)
        "'20270131'",
    ],
)
def test_an_expiry_written_as_a_timestamp_is_its_day(written: str, tmp_path: Path) -> None:
    path = tmp_path / "b.yml"
    path.write_text(
        f"version: 1\nentries:\n- fingerprint: {FP}\n  tool: bandit\n  rule: B602\n  path: api/app.py\n"
        f"  reason: tracked\n  expires: {written}\n"
    )
    [entry] = baseline.load(path)
    assert entry.expires == dt.date(2027, 1, 31)
    assert not entry.expired(dt.date(2027, 1, 30)) and entry.expired(dt.date(2027, 1, 31))


def test_update_keeps_reasons_and_prune_drops_stale() -> None:
    edited = BaselineEntry(FP, "bandit", "B602", "api/app.py", "reason edited by hand")
    fresh = [
        BaselineEntry(FP, "bandit", "B602", "api/app.py", "new reason"),
        BaselineEntry("a" * 32, "t", "r", "p", "new reason"),
    ]
    updated = baseline.update([edited], fresh)
    assert [e.reason for e in updated] == ["reason edited by hand", "new reason"]
    assert baseline.prune(updated, [edited]) == [fresh[1]]


def test_what_hand_written_baselines_say_in_other_words_reads_the_same(tmp_path: Path) -> None:
    """Found by a real-input round: a quoted version, a fingerprint in capitals, `expires: null` and
    an `entries:` whose only line is a comment were refused."""
    path = tmp_path / "b.yml"
    path.write_text(
        f"version: '1'\nentries:\n- fingerprint: {FP.upper()}\n  tool: bandit\n  rule: B602\n"
        "  path: api/app.py\n  reason: tracked\n  expires: null\n"
    )
    assert baseline.load(path) == (BaselineEntry(FP, "bandit", "B602", "api/app.py", "tracked"),)
    path.write_text("version: 1\nentries:\n  # none accepted yet\n")
    assert baseline.load(path) == ()
    path.write_text(  # found by a trial: an empty `accepted_by` was refused, an empty `expires` not
        f"version: 1\nentries:\n- fingerprint: {FP}\n  tool: bandit\n  rule: B602\n"
        "  path: api/app.py\n  reason: tracked\n  accepted_by:\n  expires:\n"
    )
    assert baseline.load(path) == (BaselineEntry(FP, "bandit", "B602", "api/app.py", "tracked"),)
