"""A filler in a comment after code, or in another quoted value, says nothing of the password on its
line (found by a red team: `db_password = "Pr0d!Secret#42"  # 00000000` was lowered as a placeholder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.sources import SourceLines
from mergeguard.scan import placeholders

PASSWORD = "Pr0d!Secret" + "#42"  # split: no scanner reads this file as holding it


def judged(tmp_path: Path, line: str) -> Finding:
    (tmp_path / "settings.py").write_text(line + "\n", encoding="utf-8")
    finding = Finding(
        "detect-secrets", "Secret Keyword", Severity.HIGH, "Secret Keyword", "m", Location("settings.py", 1),
        Kind.SECRET,
    )  # fmt: skip
    return placeholders.apply([finding], SourceLines(tmp_path))[0]


@pytest.mark.parametrize(
    "line",
    [
        f'db_password = "{PASSWORD}"  # 00000000',
        f"DB_PASSWORD={PASSWORD} # xxxxxxxx",
        f'password: "{PASSWORD}"  // ********',
        f'db_password = "{PASSWORD}"; hint = "00000000"',  # the filler is another value's
        f'{{"X-Api-Key": "xxxxxxxxxxxxxxxx", "pw": "{PASSWORD}"}}',  # a key skipped, not misread
    ],
)
def test_a_filler_in_a_trailing_comment_keeps_the_severity(tmp_path: Path, line: str) -> None:
    assert judged(tmp_path, line).severity is Severity.HIGH


@pytest.mark.parametrize(
    "line",
    [
        'db_password = "00000000"  # set in production',
        "DB_PASSWORD=xxxxxxxxxxxx # replace me",
        "# DB_PASSWORD=xxxxxxxxxxxx",  # a commented-out setting: all comment, judged whole
        'token = "a # b xxxxxxxxxxxx"',  # a `#` inside quotes starts no comment
        '{"password": "xxxxxxxx", "user": "admin", "url": "https://db.example.com/x"}',  # none like one
        "creds = {'api_key': 'xxxxxxxxxxxx', 'region': 'us-east-1'}",
        'headers = {"X-Api-Key": "xxxxxxxxxxxxxxxx", "User-Agent2": "x"}',  # keys, not values
    ],
)
def test_a_filler_in_the_value_or_a_whole_comment_line_is_a_placeholder(tmp_path: Path, line: str) -> None:
    finding = judged(tmp_path, line)
    assert finding.severity is Severity.LOW and finding.severity_note is not None
