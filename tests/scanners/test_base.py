"""The helpers every adapter shares: JSON with banners, and path normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core.errors import ParseError
from mergeguard.scanners.base import Target, load_json, relative_path

TARGET = Target(root=Path("/tmp/view/src"), files=("a",), repo=Path("/repo"))


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("app/x.py", "app/x.py"),
        ("./app/x.py", "app/x.py"),
        ("././app/x.py", "app/x.py"),
        (".//app/x.py", "app/x.py"),
        ("/app/x.py", "app/x.py"),
        ("/tmp/view/src/app/x.py", "app/x.py"),
        ("app\\win\\x.py", "app/win/x.py"),
        ("app//x.py", "app/x.py"),
        ("-dash/na me/é.py", "-dash/na me/é.py"),
    ],
)
def test_relative_path(reported: str, expected: str) -> None:
    assert relative_path(reported, TARGET) == expected


def test_a_backslash_is_part_of_a_scanned_files_name() -> None:
    """On Linux `back\\slash.py` is one file: read as `back/slash.py` it fell out of the change."""
    target = Target(root=Path("/tmp/view/src"), files=("back\\slash.py", "x\\..\\y.py"), repo=Path("/repo"))
    assert relative_path("./back\\slash.py", target) == "back\\slash.py"
    assert relative_path("/tmp/view/src/x\\..\\y.py", target) == "x\\..\\y.py"  # not ../y.py
    assert relative_path("app\\win\\x.py", target) == "app/win/x.py"  # a Windows report's separators


def test_a_symlinked_root_is_taken_off_either_spelling(tmp_path: Path) -> None:
    """A tool given the link writes the link's path; one given the link's target, or run from
    `pwd -P`, the resolved one (the CLI names the root through the link when the shell does)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    target = Target(root=tmp_path / "link", files=(), repo=tmp_path / "link")
    assert relative_path(f"{tmp_path}/link/app/x.py", target) == "app/x.py"
    assert relative_path(f"{tmp_path}/real/app/x.py", target) == "app/x.py"


@pytest.mark.parametrize("reported", ["../etc/passwd", "app/../../x", "", "/", "./"])
def test_paths_outside_the_root_are_parse_errors(reported: str) -> None:
    with pytest.raises(ParseError):
        relative_path(reported, TARGET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("[]", []),
        ("Checkov 3.3 banner [beta]\n  some line\n[1, 2]", [1, 2]),
        ('\n\n  {"x": [1]}\n', {"x": [1]}),
    ],
)
def test_load_json_skips_banners(text: str, expected: object) -> None:
    assert load_json(text, "tool") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "tool printed no JSON report (empty output)"),
        ("Segmentation fault", "tool printed no JSON report (1 line of other text)"),
        ('{"a": ', "tool printed unparseable JSON"),
        ('{"a": 1} trailing', "tool printed unparseable JSON"),
    ],
)
def test_load_json_failures(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_json(text, "tool")
