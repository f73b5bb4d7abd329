"""Tests for the Trivy config and secret adapters: golden cases, command lines, parser edge cases."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Kind, Severity
from mergeguard.scanners.base import Target
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.trivy.fs import DOCKERFILE_PATTERN, TrivyConfigScanner, TrivySecretScanner
from mergeguard.scanners.trivy.report import SEVERITIES, parse_report
from tests.golden import FIXTURES, case_target, check_golden, check_live

CONFIG = TrivyConfigScanner()
SECRET = TrivySecretScanner()
DS = [("Dockerfile", "DS-0002", 1), ("Dockerfile", "DS-0026", 1)]
CONFIG_CASES: dict[str, list[tuple[str, str, int]]] = {
    "missing-user-healthcheck": DS,
    "k8s-privileged": [("deploy/deployment.yaml", rule, 26) for rule in ("KSV-0001", "KSV-0017", "KSV-0125")],
    "clean-dockerfile": [],
    "trivyignore": DS[:1],  # DS-0026 is in its .trivyignore
    "lowercase-dockerfile": [("worker/dockerfile", rule, 1) for _, rule, _ in DS],
    # Trivy calls `WORKDIR C:/app` (line 4) relative as well as `WORKDIR app` (line 6); on Windows
    # only the second is.
    "windows-workdir": [("Dockerfile", "DS-0009", 6)],
    # Trivy's secret-in-ENV on `ENV GPG_KEY <fingerprint>` (line 4) is left out, on DB_PASSWORD kept.
    "rereads": [("Dockerfile", "DS-0005", 7), ("Dockerfile", "DS-0031", 8)],
    # KSV-0109 gives no line: on the ConfigMap it names (the namespace telling two of one name apart),
    # not on line 1, the Service's; in a file of one resource, line 1 as before.
    # Found in a trial: SSH open to the world inside `Fn::ForEach::Groups` passed (Trivy does not
    # expand it and reports nothing there), the same group written out is AWS-0107; the first is a
    # `skipped-file` on the whole template.
    "cfn-foreach": [
        ("foreach-sg.yaml", "skipped-file", 1),
        ("plain-sg.yaml", "AWS-0107", 11),
        ("plain-sg.yaml", "AWS-0124", 8),
    ],
    # Found in a trial: a Deployment made privileged and re-indented into YAML no parser reads gave no
    # finding from Trivy or Checkov; a `skipped-file` now. A valid manifest of several documents, an
    # anchor, an alias and a tag is read as before (nothing).
    "k8s-unreadable": [("deploy/broken.yml", "skipped-file", 1)],
    "k8s-documents": [
        ("deploy/app.yaml", "KSV-0109", 10),
        ("deploy/app.yaml", "KSV-0109", 18),
        ("deploy/single.yaml", "KSV-0109", 1),
    ],
}
AWS = [("app/settings.py", "aws-access-key-id", 8), ("app/settings.py", "aws-secret-access-key", 9)]
SECRET_CASES: dict[str, list[tuple[str, str, int]]] = {
    "aws-keys": AWS,
    "github-token": [("scripts/release.sh", "github-pat", 5)],
    "private-key": [("deploy/deploy_key.pem", "private-key", 1)],  # the BEGIN line, as the other tools say
    "trivyignore": AWS[1:],  # the key id is in its .trivyignore
    "clean": [],
}
ROOT = Path("/scan/view")
TARGET = Target(root=ROOT, files=("Dockerfile",), repo=ROOT, workdir=Path("/scratch"))


def rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((r["path"], r["rule_id"], r["start_line"]) for r in rows)


# --- golden files: recorded real output in, normalised findings out -------------------------------


@pytest.mark.parametrize(("case", "expected"), CONFIG_CASES.items())
def test_config_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(CONFIG, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    # A template not expanded is one finding per file and tool, whatever its lines (`foreach`).
    unexpanded = {"skipped-file": "YAML" if case == "k8s-unreadable" else "Fn::ForEach"}
    assert all(
        r["kind"] == "misconfiguration" and r["evidence"] == unexpanded.get(r["rule_id"], "") for r in rows
    )


def test_privileged_container_is_a_high_finding_with_its_help(tmp_path: Path) -> None:
    rows = check_golden(CONFIG, "k8s-privileged", tmp_path, regen=False)
    (privileged,) = [r for r in rows if r["rule_id"] == "KSV-0017"]
    assert (privileged["severity"], privileged["end_line"]) == ("high", 40)
    assert privileged["help_uri"] == "https://avd.aquasec.com/misconfig/ksv-0017"


@pytest.mark.parametrize(("case", "expected"), SECRET_CASES.items())
def test_secret_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(SECRET, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    secrets = _clear_secrets(FIXTURES / "trivy-secret" / case)
    assert secrets or not rows
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row["evidence"])
        assert row["kind"] == "secret"
        assert not any(secret in json.dumps(row) for secret in secrets)


def _clear_secrets(root: Path) -> list[str]:
    """The quoted key-like values and private key body lines of a case's files."""
    text = "\n".join(p.read_text() for p in root.rglob("*") if p.is_file())
    quoted = re.findall(r"\"([A-Za-z0-9_/+]{20,})\"", text)
    return quoted + [line for line in text.splitlines() if re.fullmatch(r"[A-Za-z0-9/+=]{16,}", line)]


# --- the real tool now ----------------------------------------------------------------------------


@pytest.mark.scanner
@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_live(case: str, tmp_path: Path) -> None:
    check_live(CONFIG, case, tmp_path)


@pytest.mark.scanner
@pytest.mark.parametrize("case", list(SECRET_CASES))
def test_secret_live(case: str, tmp_path: Path) -> None:
    check_live(SECRET, case, tmp_path)


@pytest.mark.scanner
def test_a_credential_a_check_quotes_from_the_instruction_is_masked_in_every_report(tmp_path: Path) -> None:
    """DS-0013 and DS-0029 quote the whole RUN line in their message (found by a red-team round)."""
    pat = "ghp_4Jk8sLq2Zx9mWv7Tq3Rn" + "6Yp1Bc5Dh0Fg2Ka8"
    aws = "wJalrXUtnFEMIqK7MDEN" + "GbPxRfiCYqXq7ZaPLe9t"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Dockerfile").write_text(
        "FROM alpine:3.19\n"
        f'RUN cd /tmp && curl -H "Authorization: token {pat}" https://api.github.com/x -o a.tgz\n'
        f"RUN apt-get install -y curl && echo 'aws_secret_access_key={aws}' > /root/.aws/credentials\n"
        "USER nobody\nHEALTHCHECK CMD true\n"
    )
    reports = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "sarif", "markdown")}
    flags = [arg for fmt, path in reports.items() for arg in (f"--{fmt}", str(path))]
    cli.main(["scan", str(tmp_path / "src"), "--all-files", "--scanners", "trivy-config", *flags])
    found = json.loads(reports["json"].read_text(encoding="utf-8"))["findings"]
    assert {"DS-0013", "DS-0029"} <= {f["rule_id"] for f in found}
    assert any("[redacted]" in f["message"] for f in found if f["rule_id"] == "DS-0029")
    for path in reports.values():
        text = path.read_text(encoding="utf-8")
        assert pat not in text and aws not in text, path.name


@pytest.mark.scanner
@pytest.mark.parametrize(("scanner", "case"), [(CONFIG, "missing-user-healthcheck"), (SECRET, "aws-keys")])
def test_live_run_downloads_nothing_and_exits_zero(
    scanner: TrivyConfigScanner | TrivySecretScanner, case: str, tmp_path: Path
) -> None:
    exe = find_executable("trivy") or pytest.skip("trivy is not installed")
    target = case_target(scanner, case, tmp_path)
    output = run_command(scanner.command(exe, target), target.root, timeout_s=600)
    assert output.exit_code == 0
    assert "Downloading" not in output.stderr
    assert "vulnerability DB" not in output.stderr
    assert not (tmp_path / "trivy-cache").exists()  # a fresh cache stays untouched
    if scanner is CONFIG:  # the expected, harmless ERROR line of --skip-check-update
        assert "Falling back to embedded checks" in output.stderr


@pytest.mark.scanner
def test_live_trivy_yaml_in_the_scanned_tree_is_not_loaded(tmp_path: Path) -> None:
    exe = find_executable("trivy") or pytest.skip("trivy is not installed")
    root = tmp_path / "view"
    shutil.copytree(FIXTURES / "trivy-config" / "missing-user-healthcheck", root)
    (root / "trivy.yaml").write_text("severity:\n  - CRITICAL\nformat: table\n")
    target = Target(root=root, files=("Dockerfile",), repo=root, workdir=tmp_path)
    output = run_command(CONFIG.command(exe, target), root, timeout_s=600)
    assert {f.rule_id for f in CONFIG.parse(output, target)} == {"DS-0002", "DS-0026"}


# --- command lines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scanner", [CONFIG, SECRET])
def test_command_is_offline_json_and_scans_the_root_after_dashes(
    scanner: TrivyConfigScanner | TrivySecretScanner,
) -> None:
    target = Target(root=Path("/tmp/-odd dir/ü"), files=("-x.py",), repo=Path("/tmp"), workdir=Path("/w"))
    argv = scanner.command("/bin/trivy", target).argv
    for flag in ("--skip-version-check", "--disable-telemetry"):
        assert flag in argv
    pairs = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    assert pairs["--format"] == "json"
    assert pairs["--exit-code"] == "0"
    assert pairs["--config"] == ""  # no trivy.yaml from the scanned tree
    assert pairs["--cache-dir"] == "/w/trivy-cache"
    assert argv[-2:] == ("--", "/tmp/-odd dir/ü")
    assert "-x.py" not in argv  # Trivy takes the directory, not the files
    assert scanner.command("/bin/trivy", target).ok_exit_codes == frozenset({0})


def test_config_command_skips_the_checks_update_and_knows_lowercase_dockerfiles() -> None:
    argv = CONFIG.command("trivy", TARGET).argv
    assert argv[:2] == ("trivy", "config")
    assert "--skip-check-update" in argv
    assert argv[argv.index("--file-patterns") + 1] == DOCKERFILE_PATTERN
    pattern = re.compile(DOCKERFILE_PATTERN.split(":", 1)[1])
    assert all(pattern.search(p) for p in ("dockerfile", "a/dockerfile.dev", "Containerfile", "x/Dockerfile"))
    assert not pattern.search("docs/dockerfile/README.md")


def test_secret_command_scans_secrets_only_and_never_fetches_a_database() -> None:
    argv = SECRET.command("trivy", TARGET).argv
    assert argv[:4] == ("trivy", "fs", "--scanners", "secret")
    assert {"--skip-db-update", "--skip-java-db-update"} <= set(argv)


def test_metadata() -> None:
    assert (CONFIG.name, SECRET.name) == ("trivy-config", "trivy-secret")
    assert CONFIG.applies_to == {FileKind.DOCKERFILE, FileKind.IAC}
    assert SECRET.applies_to == {FileKind.ANY}
    assert CONFIG.executable == SECRET.executable == "trivy"
    assert CONFIG.version_args == SECRET.version_args == ("--version",)


# --- the parser ------------------------------------------------------------------------------------

MISCONF = {
    "ID": "DS-0002",
    "Title": "Image user should not be 'root'",
    "Message": "Add USER",
    "Status": "FAIL",
}
SECRET_RECORD = {
    "RuleID": "github-pat",
    "Title": "GitHub PAT",
    "StartLine": 5,
    "EndLine": 5,
    "Match": 'T="**"',
}


def report(*results: dict[str, Any]) -> str:
    """A Trivy JSON report holding `results`; a key whose value is `...` is left out."""
    kept = [{k: v for k, v in result.items() if v is not ...} for result in results]
    return json.dumps({"SchemaVersion": 2, "ArtifactName": ".", "Results": kept})


def cfg(target: Any = "D", **fields: Any) -> str:
    """A report with one misconfiguration of `fields` over MISCONF (`...` removes a key)."""
    record = {k: v for k, v in {**MISCONF, "Severity": "HIGH", **fields}.items() if v is not ...}
    return report({"Target": target, "Class": "config", "Misconfigurations": [record]})


def sec(target: Any = "a.py", **fields: Any) -> str:
    record = {k: v for k, v in {**SECRET_RECORD, "Severity": "CRITICAL", **fields}.items() if v is not ...}
    return report({"Target": target, "Class": "secret", "Secrets": [record]})


def parse(text: str) -> list[tuple[Any, ...]]:
    found = parse_report(text, "trivy-config", TARGET)
    return [
        (f.rule_id, f.severity.label, f.location.path, f.location.start_line, f.location.end_line)
        for f in found
    ]


DS2 = ("DS-0002", "high", "D", 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"SchemaVersion": 2, "ArtifactName": "."}', []),  # no Results at all: nothing found
        ('{"SchemaVersion": 2, "Results": null}', []),
        (report({"Target": "D", "Class": "config", "MisconfSummary": {"Successes": 27, "Failures": 0}}), []),
        (report({"Target": "D", "Misconfigurations": None, "Secrets": None}), []),
        (cfg(Status="PASS"), []),
        (cfg(Status="EXCEPTION"), []),
        (cfg(), [DS2]),
        (cfg(Status=...), [DS2]),  # no status: read as a failure
        (cfg(CauseMetadata={"StartLine": 0, "EndLine": 0}), [DS2]),
        (cfg(CauseMetadata={"StartLine": 19, "EndLine": 27, "Code": {"Lines": None}}), [(*DS2[:3], 19, 27)]),
        (cfg(ID="DS002", AVDID="AVD-DS-0002"), [("DS002", "high", "D", 1, 1)]),  # older Trivy: keep the ID
        (cfg(ID=..., AVDID="AVD-DS-0002"), [("AVD-DS-0002", "high", "D", 1, 1)]),
        (cfg(Title=..., Message=..., PrimaryURL=...), [DS2]),
        (sec(StartLine=..., EndLine=..., Code={"Lines": None}), [("github-pat", "critical", "a.py", 1, 1)]),
        ("[]", []),  # a Trivy report before 0.20: a bare list of results, here none
        ("INFO\tbanner\n" + cfg(target="./x/D"), [("DS-0002", "high", "x/D", 1, 1)]),
    ],
)
def test_parser_reads_what_real_reports_hold(text: str, expected: list[tuple[Any, ...]]) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FATAL\tFatal error\tflag error: ignore file not found",
        '{"Results": [{"Target": "D", "Misconf',
        report({"Target": "r.txt", "Class": "lang-pkgs", "Vulnerabilities": [{"VulnerabilityID": 1}]}),
        '{"Results": {}}',
        '{"Results": ["D"]}',
        cfg(target=...),
        cfg(target=3),
        cfg(target="../outside"),
        report({"Target": "D", "Misconfigurations": {"ID": "DS-0002"}}),
        cfg(ID=..., AVDID=...),
        cfg(Severity=4),
        cfg(Status="SKIPPED"),
        cfg(CauseMetadata=[]),
        cfg(CauseMetadata={"StartLine": "3"}),
        cfg(CauseMetadata={"StartLine": True}),
        sec(RuleID=...),
        sec(Match=["T"]),
    ],
)
def test_parser_rejects_what_trivy_does_not_write(text: str) -> None:
    with pytest.raises(ParseError, match=r"^trivy-config"):
        parse(text)


SEVERITY_CASES = [
    *SEVERITIES.items(),
    ("critical", Severity.CRITICAL),
    ("NEW", Severity.UNKNOWN),
    (..., Severity.UNKNOWN),
]


@pytest.mark.parametrize(("word", "severity"), SEVERITY_CASES)
def test_severity_table(word: Any, severity: Severity) -> None:
    assert parse(cfg(Severity=word))[0][1] == severity.label
    assert parse(sec(Severity=word))[0][1] == severity.label


@pytest.mark.parametrize("reported", ["/scan/view/app/x.py", "./app/x.py", "/app/x.py", "app/x.py"])
def test_paths_are_made_repo_relative(reported: str) -> None:
    assert parse(sec(target=reported))[0][2] == "app/x.py"


def test_misconfiguration_fields() -> None:
    (found,) = parse_report(
        cfg(PrimaryURL="https://avd.aquasec.com/misconfig/ds-0002"), "trivy-config", TARGET
    )
    got = (found.tool, found.kind, found.title, found.message)
    assert got == ("trivy-config", Kind.MISCONFIGURATION, MISCONF["Title"], "Add USER")
    assert (found.help_uri, found.evidence) == ("https://avd.aquasec.com/misconfig/ds-0002", "")
    (bare,) = parse_report(cfg(Title=..., Message=...), "trivy-config", TARGET)
    assert (bare.title, bare.message, bare.help_uri) == ("DS-0002", "DS-0002", None)


def test_secret_fields_and_evidence_follow_the_masked_match_not_the_line() -> None:
    def evidence(**fields: Any) -> str:
        return parse_report(sec(**fields), "trivy-secret", TARGET)[0].evidence

    assert evidence() == evidence(StartLine=50, EndLine=50) == evidence(Offset=999)
    assert len({evidence(), evidence(Match='OTHER="**"'), evidence(RuleID="generic")}) == 3
    (found,) = parse_report(sec(), "trivy-secret", TARGET)
    got = (found.tool, found.kind, found.title, found.message, found.help_uri)
    assert got == ("trivy-secret", Kind.SECRET, "GitHub PAT", "GitHub PAT", None)


def _env_secret(cause: str, line: int) -> dict[str, Any]:
    """A DS-0031 as Trivy 0.76 writes it, its cause quoted (as for an image's configuration)."""
    code = {"Lines": [{"Number": line, "Content": cause, "IsCause": True}]}
    return {
        "ID": "DS-0031", "Title": "Secrets passed via `build-args` or envs", "Severity": "CRITICAL",
        "Message": "Possible exposure of secret env", "Status": "FAIL",
        "CauseMetadata": {"StartLine": line, "EndLine": line, "Code": code},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cause", "kept"),
    [
        ("ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305", False),  # every official Python image
        ('ENV GPG_KEYS="A35CE5B7 0x4ED778F539E3634C779C87C6D7062848A1AB005C"', False),
        ("ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305 DB_PASSWORD=changeme", True),
        ("ENV GPG_TOKEN=not-a-key-id", True),
        ("ENV API_KEY 7169605F62C751356D054A26A821E680E5FA6305", True),  # hex, but no GPG/PGP name
        ("ENV GPG_PASSWORD=7169605F62C751356D054A26A821E680E5FA6305", True),  # a red team's: a password
        # An image's ENV naming a secret's file: whether one of its layers wrote the file is unknown.
        ("ENV POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password", True),
    ],
)
def test_a_pgp_key_id_in_env_is_no_secret_wherever_trivy_quotes_it(cause: str, kept: bool) -> None:
    """Read from the cause Trivy quotes, so an image's configuration (no Dockerfile to read) too."""
    result = {
        "Target": "app:1 (alpine 3.18)",
        "Class": "config",
        "Misconfigurations": [_env_secret(cause, 4)],
    }
    report = {"ArtifactName": "app:1", "ArtifactType": "container_image", "Results": [result]}
    found = parse_report(json.dumps(report), "trivy-image", TARGET)
    assert [f.rule_id for f in found] == (["DS-0031"] if kept else [])


@pytest.mark.parametrize(
    ("dockerfile", "kept"),
    [
        ("FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\n", False),  # mounted at run time
        # A red team's: the Dockerfile writes the file itself, baking the secret into a layer.
        (
            "FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\nRUN echo pw > /run/secrets/db\n",
            True,
        ),
        ("FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\nCOPY db.conf /run/secrets/\n", True),
        ("FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\nCOPY etc/ /run/\n", True),
        (
            "FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\nWORKDIR /run/secrets\nCOPY db .\n",
            True,
        ),
        ("FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db POSTGRES_PASSWORD=hunter22\n", True),
        ("FROM app:1\nENV API_KEY_FILE=s3cr3t-value\n", True),  # not a path
    ],
)
def test_a_secrets_file_in_env_is_no_secret_unless_the_dockerfile_writes_it(
    tmp_path: Path, dockerfile: str, kept: bool
) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    record = _env_secret(dockerfile.splitlines()[1], 2)
    result = {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile", "Misconfigurations": [record]}
    report = {"ArtifactName": str(tmp_path), "ArtifactType": "filesystem", "Results": [result]}
    found = parse_report(json.dumps(report), "trivy-config", Target(tmp_path, ("Dockerfile",), tmp_path))
    assert [f.rule_id for f in found] == (["DS-0031"] if kept else [])
