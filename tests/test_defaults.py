"""Interpolation defaults in compose and `.env` files (`${DB_PASSWORD:-…}`) are read by the secret
scanners as the values they are (found by a real-repository round: all three tools missed them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli import main as cli
from mergeguard.scan import defaults
from tests.gitutil import GitTree

PASSWORD = "Qm7vR2xK" + "9pL4wT8zHk3m"  # split: this file holds no secret for the gate's own scan
AWS = "wJalrXUtnFEMIqK7MDEN" + "GbPxRfiCYqXq7ZaPLe9t"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A: ${X:-abc}\n", "A: abc\n"),
        ("A: ${X-abc}\n", "A: abc\n"),  # without the colon: a default too
        ("url: postgres://u:${P:-pw}@db/x\n", "url: postgres://u:pw@db/x\n"),
        ("A: ${X:-${Y:-inner}}\n", "A: inner\n"),  # innermost first
        ("A: ${X:-}\n", "A: \n"),
        ("A: ${HOME:+abc}\nB: ${X+abc}\n", "A: abc\nB: abc\n"),  # written when set: HOME always is
        ("A: ${X}\nB: ${Y:?set Y}\nC: $$HOME\n", None),  # no default: as written
        ("A: ${X:-a\nb}\n", None),  # a default never spans lines
        ("A: ${A:-${B:-${C:-${D:-${E:-deep}}}}}\n", "A: deep\n"),  # any depth, one pass
        ("A: ${X:?${Y:-y}}\nB: $${X:-x}\n", "A: ${X:?y}\nB: $${X:-x}\n"),  # `$$` escapes the `$`
    ],
)
def test_defaults_are_written_out_line_by_line(text: str, expected: str | None) -> None:
    assert defaults.written_out(text) == expected


@pytest.mark.parametrize(
    ("path", "applies"),
    [
        ("docker-compose.yml", True),
        ("deploy/compose.prod.yaml", True),
        (".env", True),
        ("env/netbox.env", True),
        (".env.example", True),
        ("app/settings.py", False),
        ("values.yaml", False),
        ("environment.md", False),
    ],
)
def test_defaults_are_written_out_in_compose_and_env_files_only(path: str, applies: bool) -> None:
    assert defaults.applies(path) is applies


@pytest.mark.scanner
def test_a_secret_written_as_a_default_is_found_and_a_sample_default_is_low(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write(
        "docker-compose.yml",
        "services:\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        f"      AWS_SECRET_ACCESS_KEY: ${{AWS_SECRET_ACCESS_KEY:-{AWS}}}\n"
        f"      SMTP_URL: smtp://mailer:${{SMTP_PASSWORD:-{PASSWORD}}}@smtp.example.com:587\n"
        "      DATABASE_URL: postgres://app:${DB_PASSWORD:-changeme}@db:5432/app\n"
        f"      SECRET_KEY: ${{HOME:+{PASSWORD}}}\n",  # written whenever HOME is set: always
    )
    tree.commit("compose with defaults")
    out = tmp_path / "r.json"
    scanners = "detect-secrets,gitleaks,trivy-secret"
    cli.main(["scan", str(tree.root), "--all-files", "--scanners", scanners, "--json", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    found = {f["start_line"]: f for f in report["findings"]}
    assert found[5]["severity"] == "critical" and found[5]["blocking"]  # the AWS key
    assert found[6]["severity"] == "high" and found[6]["blocking"]  # the URL's password
    assert found[7]["severity"] == "low", found[7]  # `changeme`: a sample, as written plainly
    assert found[7]["severity_note"]["reason"].startswith("a sample password in a URL")
    assert found[8]["severity"] != "low", found[8]  # `${HOME:+…}`: read, not hidden
    assert AWS not in out.read_text(encoding="utf-8") and PASSWORD not in out.read_text(encoding="utf-8")
