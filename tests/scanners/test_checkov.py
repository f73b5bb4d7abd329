"""Tests for the Checkov adapter: golden cases, offline command, severity table, report shapes, bad input."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Kind, Severity
from mergeguard.scan.imported import parse_file
from mergeguard.scanners.base import Command, IncompleteReport, Target, ToolOutput
from mergeguard.scanners.checkov import renamed
from mergeguard.scanners.checkov.report import (
    CHECK_SEVERITIES,
    DEFAULT_SEVERITY,
    SECRET_SEVERITY,
    parse_report,
    severity,
)
from mergeguard.scanners.checkov.scanner import FRAMEWORKS, CheckovScanner
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.reading import load_all
from tests.golden import FIXTURES, ROOT_MARK, check_golden, check_live

SCANNER = CheckovScanner()
CASES = ["microservice", "suppressed", "no-iac", "build-args", "rechecks", "rereads", "unparseable"]
CASES += ["renamed", "cfn-foreach"]
ROOT = Path("/scan/view")
TARGET = Target(root=ROOT, files=("Dockerfile",), repo=ROOT, workdir=Path("/scratch"))
CLEAR_SECRETS = ["AKIAQZ7ONXJ3KPL4MWRT", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"]
SECRET_SHA1 = "ab" * 20
# What checkov prints when no framework found anything to check (measured on a README-only tree).
EMPTY_SUMMARY = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}


def rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((r["path"], r["rule_id"], r["start_line"]) for r in rows)


def check(**fields: Any) -> dict[str, Any]:
    """A failed check as checkov 3.3.30 writes it offline (the fields the adapter reads)."""
    base = {
        "check_id": "CKV_DOCKER_3",
        "check_name": "Ensure that a user for the container has been created",
        "file_path": "/Dockerfile",
        "file_line_range": [1, 9],
        "resource": "/Dockerfile.",
        "severity": None,
        "guideline": None,
    }
    return {**base, **fields}


def framework(check_type: str, *checks: dict[str, Any]) -> dict[str, Any]:
    summary = {**EMPTY_SUMMARY, "failed": len(checks), "checkov_version": "3.3.30"}
    return {"check_type": check_type, "results": {"failed_checks": list(checks)}, "summary": summary}


def parse(report: Any, target: Target = TARGET) -> list[Any]:
    return parse_report(json.dumps(report), target)


def checkov_or_skip() -> str:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("checkov is not installed (make install)")
    return exe


# --- golden files: recorded real output in, normalised findings out -------------------------------


_OPEN_SSH = [("plain-sg.yaml", rule, 3) for rule in ("CKV_AWS_23", "CKV_AWS_24")]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # Three frameworks report, so checkov prints a list. The secret access key is skipped by the
        # `checkov:skip` comment on the line above it.
        (
            "microservice",
            [
                ("Dockerfile", "CKV_DOCKER_2", 1),
                ("Dockerfile", "CKV_DOCKER_3", 1),
                ("Dockerfile", "CKV_DOCKER_4", 3),
                ("app/settings.py", "CKV_SECRET_2", 9),
                ("deploy/k8s/deployment.yaml", "CKV2_K8S_6", 1),
                ("deploy/k8s/deployment.yaml", "CKV_K8S_16", 1),
                ("deploy/k8s/deployment.yaml", "CKV_K8S_20", 1),
            ],
        ),
        # One framework, so a single object: CKV_DOCKER_3 skipped by a comment in the Dockerfile,
        # CKV_DOCKER_2 by the .checkov.yaml at the root of the scanned directory.
        ("suppressed", [("Dockerfile", "CKV_DOCKER_4", 4)]),
        ("no-iac", []),  # nothing checkov knows: it prints a bare summary
        # Checkov fails CKV_DOCKER_7 on `FROM ${BASE}` in both files, blind to the ARG defaults: in
        # one every FROM is pinned once they are read (no finding), in the other the finding moves
        # to `FROM ${TOOLS}`, an arg without a default (line 7).
        ("build-args", [("tools/Dockerfile", "CKV_DOCKER_7", 7)]),
        # Checkov fails "sudo isn't used" on the RUN that installs sudo (line 3) as on the one that
        # runs it (4), and "absolute WORKDIR" on `C:/app` (4) as on `app` (6): the first of each is
        # left out.
        ("rechecks", [("Dockerfile", "CKV2_DOCKER_1", 4), ("windows/Dockerfile", "CKV_DOCKER_10", 6)]),
        # Checkov fails every ADD: the checksummed download (line 6) is left out, `ADD ./src` kept.
        ("rereads", [("Dockerfile", "CKV_DOCKER_4", 7)]),
        # Valid Terraform its parser rejects (0.5e-3, an empty heredoc, a non-ASCII name) and a
        # templated CloudFormation template: checked for nothing, each a finding. Also listed, and
        # left out: a Packer file (the Terraform runner reads any .hcl), a Helm template and a JSON
        # file with comments (the CloudFormation runner tries any YAML or JSON saying "Resources").
        (
            "unparseable",
            [
                ("cfn/bucket.yaml", "skipped-file", 1),
                ("heredoc/main.tf", "skipped-file", 1),
                ("main.tf", "skipped-file", 1),
                ("names/main.tf", "skipped-file", 1),
            ],
        ),
        # Found in a trial: SSH open to the world inside `Fn::ForEach::Groups` passed (Checkov does not
        # expand it and reports nothing there), the same group written out fails; the first is a
        # `skipped-file` on the whole template.
        ("cfn-foreach", [("foreach-sg.yaml", "skipped-file", 1), *_OPEN_SSH]),
        # Dockerfiles under names Checkov does not read (Containerfile, Dockerfile-prod, api-Dockerfile,
        # prod_Dockerfile): checked through copies named so, found on the real files' lines, with
        # a `checkov:skip` comment still honoured; the plain Dockerfile as before.
        (
            "renamed",
            [
                ("Containerfile", "CKV2_DOCKER_3", 3),
                ("Dockerfile", "CKV2_DOCKER_3", 2),
                ("api/api-Dockerfile", "CKV2_DOCKER_2", 2),
                ("deploy/Dockerfile-prod", "CKV2_DOCKER_4", 2),
                ("prod_Dockerfile", "CKV2_DOCKER_2", 4),
            ],
        ),
    ],
)
def test_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(SCANNER, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    assert all(r["tool"] == "checkov" for r in rows)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def test_report_shapes_are_the_ones_checkov_prints() -> None:
    shapes = {
        case: [type(r) for r in load_all((FIXTURES / "checkov" / f"{case}.report").read_text(), "checkov")]
        for case in CASES
    }
    assert shapes == {
        "microservice": [list],
        "suppressed": [dict],
        "no-iac": [dict],
        "build-args": [dict],
        "rechecks": [dict],
        "rereads": [dict],
        "unparseable": [list, list],  # the run's report, then the parse-only run's
        "renamed": [dict, dict],  # the run's report, then the run on the renamed copies'
        "cfn-foreach": [dict, dict],  # the run's report (CloudFormation only), then the parse-only run's
    }


def test_checkov_itself_lists_files_not_its_own_among_those_it_could_not_parse() -> None:
    """The recorded parse-only report holds what the adapter leaves out (else the case tests nothing)."""
    text = (FIXTURES / "checkov" / "unparseable.report").read_text(encoding="utf-8")
    run, listing = load_all(text, "checkov")
    assert {f["check_type"]: f["summary"]["parsing_errors"] for f in run} == {
        "cloudformation": 3,
        "terraform": 4,
    }
    assert all("parsing_errors" not in f["results"] for f in run)  # --quiet: counted, not named
    listed = {
        f["check_type"]: sorted(p.removeprefix(ROOT_MARK) for p in f["results"]["parsing_errors"])
        for f in listing
    }
    assert listed == {
        "cloudformation": ["/cfn/bucket.yaml", "/chart/templates/configmap.yaml", "/settings.json"],
        "terraform": ["/heredoc/main.tf", "/main.tf", "/names/main.tf", "/packer/build.pkr.hcl"],
    }


def test_checkov_itself_fails_the_latest_check_on_build_args() -> None:
    """The recorded report holds the false alarms the adapter reads away (else the case tests nothing)."""
    report = json.loads((FIXTURES / "checkov" / "build-args.report").read_text(encoding="utf-8"))
    latest = [c for c in report["results"]["failed_checks"] if c["check_id"] == "CKV_DOCKER_7"]
    assert sorted((c["file_path"], c["file_line_range"][0]) for c in latest) == [
        ("/Dockerfile", 5),
        ("/tools/Dockerfile", 5),
    ]


def test_latest_check_left_as_reported_when_the_dockerfile_cannot_be_read(tmp_path: Path) -> None:
    target = Target(root=tmp_path, files=("Dockerfile",), repo=tmp_path, workdir=tmp_path)
    latest = check(check_id="CKV_DOCKER_7", file_line_range=[3, 3])
    assert [f.location.start_line for f in parse(framework("dockerfile", latest), target)] == [3]
    (tmp_path / "real").write_text("ARG B=alpine:3.20\nFROM ${B}\nFROM ${B}\n", encoding="utf-8")
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "real")  # not followed: read as unreadable
    assert [f.location.start_line for f in parse(framework("dockerfile", latest), target)] == [3]
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "real").rename(tmp_path / "Dockerfile")
    assert parse(framework("dockerfile", latest), target) == []


def test_microservice_findings_in_detail(tmp_path: Path) -> None:
    rows = {r["rule_id"]: r for r in check_golden(SCANNER, "microservice", tmp_path, regen=False)}
    assert {rule: r["severity"] for rule, r in rows.items()} == {
        "CKV_DOCKER_2": "low",
        "CKV_DOCKER_3": "high",
        "CKV_DOCKER_4": "medium",
        "CKV_SECRET_2": "high",
        "CKV2_K8S_6": "medium",
        "CKV_K8S_16": "high",
        "CKV_K8S_20": "medium",
    }
    assert {rule: r["kind"] for rule, r in rows.items() if r["kind"] != "misconfiguration"} == {
        "CKV_SECRET_2": "secret"
    }
    assert (rows["CKV_DOCKER_4"]["start_line"], rows["CKV_DOCKER_4"]["end_line"]) == (3, 3)
    assert (rows["CKV_DOCKER_3"]["start_line"], rows["CKV_DOCKER_3"]["end_line"]) == (1, 9)
    assert (rows["CKV_SECRET_2"]["start_line"], rows["CKV_SECRET_2"]["end_line"]) == (9, 9)
    assert (
        rows["CKV_K8S_16"]["message"]
        == "Container should not be privileged (resource Deployment.shop.orders)"
    )
    assert rows["CKV_DOCKER_4"]["message"] == rows["CKV_DOCKER_4"]["title"]


def test_secret_evidence_is_its_sha1_and_no_clear_secret_is_kept(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "microservice", tmp_path, regen=False)
    (secret,) = [r for r in rows if r["kind"] == "secret"]
    assert secret["evidence"] == hashlib.sha1(CLEAR_SECRETS[0].encode()).hexdigest()  # noqa: S324 - checkov's hash
    assert secret["cwe_ids"] == ["CWE-798"]
    recorded = (FIXTURES / "checkov" / "microservice.report").read_text(encoding="utf-8")
    for text in (json.dumps(rows), recorded):  # --compact keeps even the masked prefix out
        assert [s for s in CLEAR_SECRETS if s in text or s[:5] in text] == []


# --- the command line ------------------------------------------------------------------------------


def test_command_is_offline_and_scans_the_view() -> None:
    command = SCANNER.command("/bin/checkov", TARGET)
    argv = command.argv
    assert argv[:3] == ("/bin/checkov", "--directory", "/scan/view")
    assert argv[argv.index("--framework") + 1 : argv.index("--framework") + 1 + len(FRAMEWORKS)] == FRAMEWORKS
    for flag in ("--skip-download", "--soft-fail", "--quiet", "--compact", "--enable-secret-scan-all-files"):
        assert flag in argv
    assert argv[argv.index("--download-external-modules") + 1] == "false"
    assert argv[argv.index("--output") + 1] == "json"
    assert dict(command.env) == {
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True",
        "BC_API_KEY": "",
        "CKV_VALIDATE_SECRETS": "",
        "HOME": "/scratch",
    }
    assert command.ok_exit_codes == frozenset({0, 1})
    assert not {"helm", "kustomize", "all"} & set(argv)  # they shell out to helm/kubectl, which fetch


@pytest.mark.scanner
@pytest.mark.parametrize(
    ("config", "exit_code", "found"),
    [
        ("skip-check:\n  - CKV_DOCKER_2\n", 0, ["CKV_DOCKER_4"]),  # --soft-fail: findings, exit 0
        ("hard-fail-on:\n  - CKV_DOCKER_4\n", 1, ["CKV_DOCKER_2", "CKV_DOCKER_4"]),  # outranks it
    ],
)
def test_exit_status_with_findings(config: str, exit_code: int, found: list[str], tmp_path: Path) -> None:
    root = tmp_path / "view"
    shutil.copytree(FIXTURES / "checkov" / "suppressed", root)
    (root / ".checkov.yaml").write_text(config, encoding="utf-8")
    target = Target(root=root, files=("Dockerfile",), repo=root, workdir=tmp_path)
    output = run_command(SCANNER.command(checkov_or_skip(), target), root, timeout_s=600)
    assert output.exit_code == exit_code
    assert rules_of(SCANNER.parse(output, target)) == [("Dockerfile", rule) for rule in found]


def rules_of(findings: list[Any]) -> list[tuple[str, str]]:
    return sorted((f.location.path, f.rule_id) for f in findings)


# --- severity --------------------------------------------------------------------------------------


@pytest.mark.scanner
def test_every_dockerfile_check_of_the_installed_checkov_is_rated(tmp_path: Path) -> None:
    command = SCANNER.command(checkov_or_skip(), TARGET)
    argv = (command.argv[0], "--list", "--framework", "dockerfile")
    listing = run_command(Command(argv, env={**command.env, "HOME": str(tmp_path)}), tmp_path, 600)
    ids = set(re.findall(r"\bCKV2?_DOCKER_\d+\b", listing.report))
    assert len(ids) == 28
    assert sorted(ids - set(CHECK_SEVERITIES)) == []


@pytest.mark.parametrize(
    ("rule_id", "reported", "secret", "expected"),
    [
        ("CKV_DOCKER_3", None, False, Severity.HIGH),
        ("CKV_DOCKER_2", None, False, Severity.LOW),
        ("CKV_DOCKER_4", None, False, Severity.MEDIUM),
        ("CKV_DOCKER_6", None, False, Severity.INFO),
        ("CKV2_DOCKER_2", None, False, Severity.HIGH),
        ("CKV_AWS_20", None, False, DEFAULT_SEVERITY),
        ("CKV_SECRET_6", None, True, SECRET_SEVERITY),
        ("CKV_DOCKER_2", "CRITICAL", False, Severity.CRITICAL),  # online, the report's severity wins
        ("CKV_SECRET_2", "low", True, Severity.LOW),
        ("CKV_K8S_1", "NONE", False, Severity.INFO),
        ("CKV_K8S_1", "SEVERE", False, Severity.UNKNOWN),
        ("CKV_K8S_1", "", False, DEFAULT_SEVERITY),
    ],
)
def test_severity(rule_id: str, reported: str | None, secret: bool, expected: Severity) -> None:
    assert severity(rule_id, reported, secret) == expected


# --- report shapes ---------------------------------------------------------------------------------


def test_dict_and_list_forms_give_the_same_findings() -> None:
    docker = framework("dockerfile", check())
    single, listed = parse(docker), parse([docker, framework("kubernetes")])
    assert single == listed
    assert [(f.rule_id, f.kind, f.location.path) for f in single] == [
        ("CKV_DOCKER_3", Kind.MISCONFIGURATION, "Dockerfile")
    ]


@pytest.mark.parametrize(
    "report",
    [
        {**EMPTY_SUMMARY, "checkov_version": "3.3.30"},
        framework("dockerfile"),
        [framework("dockerfile"), framework("secrets")],
        [],
    ],
    ids=["bare-summary", "no-failed-checks", "list-without-failures", "empty-list"],
)
def test_reports_without_failures_give_no_findings(report: Any) -> None:
    assert parse(report) == []


def test_online_fields_are_used_when_present() -> None:
    guideline = (
        "https://docs.prismacloud.io/en/policy-reference/docker-policies/docker-policy-index/ensure-user"
    )
    (finding,) = parse(framework("dockerfile", check(severity="LOW", guideline=guideline)))
    assert (finding.severity, finding.help_uri) == (Severity.LOW, guideline)


def test_secret_finding_uses_the_hash_and_the_reported_line_only() -> None:
    secret = check(check_id="CKV_SECRET_2", check_name="AWS Access Key", file_path="/a.py")
    (finding,) = parse(framework("secrets", {**secret, "resource": SECRET_SHA1, "file_line_range": [4, 5]}))
    assert (finding.kind, finding.evidence, finding.severity) == (Kind.SECRET, SECRET_SHA1, Severity.HIGH)
    assert (finding.location.start_line, finding.location.end_line) == (4, 4)
    assert SECRET_SHA1 not in finding.message


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("/Dockerfile", "Dockerfile"),
        ("/svc/api/Dockerfile", "svc/api/Dockerfile"),
        ("./k8s/deploy.yaml", "k8s/deploy.yaml"),
        ("/scan/view/k8s/deploy.yaml", "k8s/deploy.yaml"),
        ("/-rf dir/ünï.tf", "-rf dir/ünï.tf"),
    ],
)
def test_paths_are_repo_relative(reported: str, expected: str) -> None:
    (finding,) = parse(framework("terraform", check(file_path=reported, resource="aws_s3_bucket.b")))
    assert finding.location.path == expected


# --- broken output ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n",
        '[\n    {\n        "check_type": "dockerfile",\n        "results": {\n',
        '"just a string"',
        json.dumps({"passed": 0, "failed": 2, "checkov_version": "3.3.30"}),
        json.dumps({"failed": 0}),
        json.dumps([{"results": {"failed_checks": []}}]),
        json.dumps(["dockerfile"]),
        json.dumps({"check_type": "dockerfile", "summary": {}}),
        json.dumps({"check_type": "dockerfile", "results": {"passed_checks": []}}),
        json.dumps({"check_type": "dockerfile", "results": {"failed_checks": {}}}),
        json.dumps({"check_type": "dockerfile", "results": {"failed_checks": ["CKV_DOCKER_3"]}}),
        json.dumps(framework("dockerfile", {k: v for k, v in check().items() if k != "check_id"})),
        json.dumps(framework("dockerfile", check(check_name=7))),
        json.dumps(framework("dockerfile", check(file_path=""))),
        json.dumps(framework("dockerfile", check(file_line_range=[3]))),
        json.dumps(framework("dockerfile", check(file_line_range=["1", "2"]))),
        json.dumps(framework("dockerfile", check(file_line_range=[True, 2]))),
        json.dumps(framework("dockerfile", check(file_path="/../etc/passwd"))),
        json.dumps(framework("secrets", check(resource="AKIAQZ7ONXJ3KPL4MWRT"))),
    ],
    ids=[
        "traceback",
        "truncated",
        "json-string",
        "summary-with-failures",
        "summary-without-version",
        "no-check-type",
        "list-of-strings",
        "no-results",
        "no-failed-checks-key",
        "failed-checks-not-list",
        "failed-check-not-object",
        "no-check-id",
        "check-name-not-string",
        "empty-path",
        "short-line-range",
        "string-lines",
        "bool-line",
        "path-outside",
        "secret-without-hash",
    ],
)
def test_broken_reports_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"^checkov"):
        parse_report(text, TARGET)


def test_empty_output_is_a_parse_error_naming_the_cause() -> None:
    output = ToolOutput(
        report="\n", stderr="Traceback ...\nModuleNotFoundError: No module named 'x'\n", exit_code=1
    )
    with pytest.raises(ParseError, match=r"checkov printed no report \(exit 1\): ModuleNotFoundError"):
        SCANNER.parse(output, TARGET)


def test_a_secret_is_never_echoed_in_a_parse_error() -> None:
    text = json.dumps(framework("secrets", check(resource=CLEAR_SECRETS[0])))
    with pytest.raises(ParseError) as info:
        parse_report(text, TARGET)
    assert CLEAR_SECRETS[0] not in str(info.value)


# --- files Checkov could not parse ---------------------------------------------------------------


def unparsed(check_type: str, *paths: str, count: int | None = None) -> dict[str, Any]:
    """A framework's report without --quiet: the files it could not parse named (or only counted)."""
    report = framework(check_type)
    report["summary"]["parsing_errors"] = len(paths) if count is None else count
    if count is None:
        report["results"]["parsing_errors"] = list(paths)
    return report


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("/scan/view/main.tf", "main.tf"),  # terraform, terraform_json, bicep: absolute
        ("./cfn/bucket.yaml", "cfn/bucket.yaml"),  # cloudformation: under --directory as given
        ("/scan/view/infra/ünï.tf", "infra/ünï.tf"),
    ],
)
def test_each_file_not_parsed_is_a_high_finding_on_the_whole_file(reported: str, expected: str) -> None:
    check_type = "cloudformation" if reported.endswith(".yaml") else "terraform"
    (finding,) = parse(unparsed(check_type, reported))
    assert (finding.rule_id, finding.severity, finding.location.path) == (
        "skipped-file",
        Severity.HIGH,
        expected,
    )
    assert (finding.kind, finding.evidence) == (Kind.MISCONFIGURATION, check_type)
    assert "could not parse" in finding.message and "checked nothing" in finding.message


def test_the_parse_only_report_after_the_run_names_the_files_the_run_counted() -> None:
    run = [framework("dockerfile", check()), unparsed("terraform", count=1)]
    text = json.dumps(run) + "\n" + json.dumps(unparsed("terraform", "/scan/view/a.tf"))
    assert sorted((f.rule_id, f.location.path) for f in parse_report(text, TARGET)) == [
        ("CKV_DOCKER_3", "Dockerfile"),
        ("skipped-file", "a.tf"),
    ]


def test_files_checkov_tried_that_are_not_its_own_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "cfn.yaml").write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n  x: {{ y }}\n")
    (tmp_path / "chart.yaml").write_text("# Resources\nname: {{ .Release.Name }}\n")
    target = Target(root=tmp_path, files=(), repo=tmp_path)
    listed = [
        unparsed("cloudformation", f"{tmp_path}/cfn.yaml", f"{tmp_path}/chart.yaml"),
        unparsed("terraform", f"{tmp_path}/build.pkr.hcl", f"{tmp_path}/main.tf"),
    ]
    assert sorted(f.location.path for f in parse(listed, target)) == ["cfn.yaml", "main.tf"]


def test_a_template_whose_type_is_written_with_escapes_is_still_checkovs(tmp_path: Path) -> None:
    """Found by a red team: `AWS\\x3A:S3::Bucket` and a duplicate key, which Checkov cannot parse and
    Trivy skips; without `AWS::` in its bytes the file was left out and the bucket passed unseen."""
    (tmp_path / "esc.yaml").write_text('Resources:\n  B:\n    Type: "AWS\\x3A:S3::Bucket"\n  B: {}\n')
    (tmp_path / "esc.json").write_text('{"Resour\\u0063es": {"B": {"Type": "AWS\\u003a:S3::Bucket"}}}\n')
    target = Target(root=tmp_path, files=(), repo=tmp_path)
    listed = [unparsed("cloudformation", f"{tmp_path}/esc.yaml", f"{tmp_path}/esc.json")]
    assert sorted(f.location.path for f in parse(listed, target)) == ["esc.json", "esc.yaml"]


def test_a_symlinked_scan_root_is_matched_by_its_real_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    target = Target(root=tmp_path / "link", files=("main.tf",), repo=tmp_path)
    (finding,) = parse(unparsed("terraform", f"{tmp_path}/real/main.tf"), target)
    assert finding.location.path == "main.tf"


def test_a_count_without_the_files_fails_unless_none_scanned_was_the_frameworks() -> None:
    quiet = unparsed("terraform", count=2)
    with pytest.raises(
        IncompleteReport, match=r"counts 2 files Checkov could not parse \(terraform\).*without --quiet"
    ):
        parse(quiet, Target(root=ROOT, files=(), repo=ROOT))  # convert: which files is unknown
    with pytest.raises(IncompleteReport, match="without --quiet"):
        parse(quiet, Target(root=ROOT, files=("main.tf",), repo=ROOT))
    assert parse(quiet, Target(root=ROOT, files=("build.pkr.hcl",), repo=ROOT)) == []


def test_a_quiet_report_that_counts_an_unparsed_file_keeps_what_it_found() -> None:
    """A real `--quiet` report (Checkov 3.2.447): the Terraform-plan runner could not parse one JSON
    file, unnamed; the Dockerfile and workflow checks it failed are kept, and the run is incomplete."""
    text = (FIXTURES / "incomplete" / "checkov-3.2.447-quiet-unnamed-parse-error.json").read_text()
    with pytest.raises(
        IncompleteReport, match=r"counts 1 file Checkov could not parse \(terraform_plan\)"
    ) as run:
        parse_file("checkov", text, ROOT, "checkov.json")
    assert sorted(f.rule_id for f in run.value.findings) == [
        "CKV2_GHA_1",
        "CKV2_GHA_1",
        "CKV_DOCKER_3",
        "CKV_DOCKER_3",
    ]


@pytest.mark.parametrize(
    "report",
    [
        {**unparsed("terraform", "/scan/view/a.tf"), "summary": {**EMPTY_SUMMARY, "parsing_errors": "1"}},
        {**unparsed("terraform"), "results": {"failed_checks": [], "parsing_errors": ["/a.tf", 3]}},
        {**unparsed("terraform"), "results": {"failed_checks": [], "parsing_errors": "/a.tf"}},
        unparsed("terraform", "/../elsewhere/a.tf"),
    ],
    ids=["count-not-number", "path-not-string", "list-not-list", "path-outside"],
)
def test_broken_parsing_errors_raise_parse_error(report: Any) -> None:
    with pytest.raises(ParseError, match=r"^checkov"):
        parse(report)


def test_the_parse_only_run_comes_only_with_files_checkov_may_fail_to_parse(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\n# Resources\n", encoding="utf-8")
    only = Target(root=tmp_path, files=("Dockerfile", "k8s.yaml", "build.pkr.hcl"), repo=tmp_path)
    assert SCANNER.command("/bin/checkov", only).then == ()
    files = ("a.tf", "main.bicep", "Dockerfile")
    (listing,) = SCANNER.command("/bin/checkov", Target(root=ROOT, files=files, repo=ROOT)).then
    frameworks = listing[listing.index("--framework") + 1 : listing.index("--check")]
    assert frameworks == ("terraform", "bicep")  # only the frameworks whose files are there
    assert listing[listing.index("--check") + 1] == "MERGEGUARD_PARSE_ONLY"
    assert "--quiet" not in listing and "--skip-download" in listing


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Names Checkov reads itself (its DOCKERFILE_MASK): no copy.
        (("Dockerfile", "a/Dockerfile.prod", "api.Dockerfile", "b/dockerfile"), {}),
        # Dockerfiles by mergeguard's classification whose names Checkov skips: copied.
        (
            ("Containerfile", "a/Dockerfile-prod", "api-Dockerfile", "prod_Dockerfile", "x/Containerfile.x"),
            {
                "Containerfile.Dockerfile": "Containerfile",
                "a/Dockerfile-prod.Dockerfile": "a/Dockerfile-prod",
                "api-Dockerfile.Dockerfile": "api-Dockerfile",
                "prod_Dockerfile.Dockerfile": "prod_Dockerfile",
                "x/Containerfile.x.Dockerfile": "x/Containerfile.x",
            },
        ),
        # Not Dockerfiles: never copied.
        (("dockerfile.py", "Dockerfile.template", "compose.yaml", ".dockerignore"), {}),
    ],
)
def test_dockerfiles_checkov_skips_by_name_are_copied_under_names_it_reads(
    files: tuple[str, ...], expected: dict[str, str]
) -> None:
    assert renamed.copies(files) == expected
    assert all(renamed.CHECKOV_READS.match(copy.rsplit("/", 1)[-1]) for copy in expected)


def test_command_runs_checkov_again_on_the_copies(tmp_path: Path) -> None:
    view, work = tmp_path / "view", tmp_path / "work"
    (view / "deploy").mkdir(parents=True)
    work.mkdir()
    (view / "deploy" / "Containerfile").write_bytes(b"FROM alpine:3.20\nRUN curl -k https://x\n")
    target = Target(root=view, files=("deploy/Containerfile",), repo=view, workdir=work)
    command = SCANNER.command("checkov", target)
    copies = work / renamed.COPIES
    original = (view / "deploy" / "Containerfile").read_bytes()
    assert (copies / "deploy" / "Containerfile.Dockerfile").read_bytes() == original
    assert command.then == (
        (
            "checkov",
            *("--directory", str(copies), "--framework", "dockerfile"),
            *("--quiet", "--compact", "--output", "json", "--soft-fail"),
            *("--skip-download", "--download-external-modules", "false"),
        ),
    )
    assert command.cwd is None  # in the view: its .checkov.yaml applies to the copies too


def test_a_report_without_the_copies_run_is_refused() -> None:
    target = Target(root=ROOT, files=("Containerfile",), repo=ROOT, workdir=Path("/scratch"))
    with pytest.raises(ParseError, match="copied to names it reads"):
        parse(framework("dockerfile"), target)
    stray = check(check_id="CKV2_DOCKER_2", file_path="/Other.Dockerfile", resource="/Other.Dockerfile.RUN")
    with pytest.raises(ParseError, match="not one of them"):
        parse_report(json.dumps(framework("dockerfile")) + json.dumps(framework("dockerfile", stray)), target)
