"""Paths become repo-relative POSIX; banners, stdin and the encodings Windows writes are read."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.scan.imported import parse_file, read_report
from mergeguard.vulns.records import image_path
from tests.parsers.cases import REPORTS


def paths(tool: str, name: str, root: Path | None = None) -> set[str]:
    path = REPORTS / tool / name
    return {
        f.location.path for f in parse_file(tool, path.read_text(encoding="utf-8"), root or path.parent, name)
    }


def test_windows_separators_become_posix() -> None:
    assert paths("grype", "db-v6-windows-go-mod.json") == {"go.mod"}  # Grype on Windows: "\\go.mod"
    assert "app.py" in paths("bandit", "v1.9.4-windows-paths.json")  # Bandit on Windows: ".\\app.py"
    assert ".venv/Lib/site-packages/stevedore/tests/test_extension.py" in paths(
        "bandit", "v1.9.4-windows-paths.json"
    )


def test_a_leading_slash_is_the_scan_root() -> None:
    assert paths("grype", "v0.114.0-file-leading-slash.json") == {
        "telemetry-service/build/libs/telemetry-service-1.0-SNAPSHOT.jar",
        "space-api/build/libs/space-api-1.0-SNAPSHOT.jar",
    }
    assert "Dockerfile" in paths("checkov", "v3.3.30-list-frameworks.json")  # Checkov writes "/Dockerfile"


def test_an_absolute_path_under_root_loses_the_root() -> None:
    # Safety writes the requirements file it read as an absolute path (`found`).
    assert paths("safety", "v3.7.0-check-json-banners.txt", Path("/home/tojo")) == {
        "projet-devsecops-flask/requirements.txt"
    }


def test_an_absolute_file_uri_loses_its_declared_base() -> None:
    # Trivy's SARIF names its root as an absolute file: URI (ROOTPATH); made absolute, results lose it.
    sarif = REPORTS / "sarif" / "trivy-0.76.0-config.sarif"
    log = json.loads(sarif.read_text(encoding="utf-8"))
    base = log["runs"][0]["originalUriBaseIds"]["ROOTPATH"]["uri"]
    for result in log["runs"][0]["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        artifact["uri"] = base + artifact.pop("uri")
        artifact.pop("uriBaseId")
    found = parse_file("sarif", json.dumps(log), Path("/elsewhere"), "x.sarif")
    assert {f.location.path for f in found} == {"deploy/deployment.yaml"}


def test_percent_encoded_and_root_prefixed_file_uris() -> None:
    log = json.loads((REPORTS / "sarif" / "codeql-2.12.6-js.sarif").read_text(encoding="utf-8"))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    location["uri"], location["uriBaseId"] = "file:///home/runner/work/app/app/routes/my%20products.js", "X"
    found = parse_file("sarif", json.dumps(log), Path("/home/runner/work/app/app"), "x.sarif")
    assert found[0].location.path == "routes/my products.js"


def _sarif(*results: dict[str, object], **tool: object) -> str:
    return json.dumps(
        {
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "Dockle"}, **tool}, "results": list(results)}],
        }
    )


def _at(uri: str, line: int = 3) -> dict[str, object]:
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}}


def test_a_sarif_result_is_placed_at_its_first_location_that_names_a_file() -> None:
    """SARIF allows a result without a place (Dockle's image checks): it is kept at `unplaced/TOOL`,
    as are web addresses (a DAST tool's); a logical location before a file's is passed over."""
    logical = {"logicalLocations": [{"name": "main"}]}
    text = _sarif(
        {"ruleId": "a", "message": {"text": "m"}},
        {"ruleId": "b", "message": {"text": "m"}, "locations": [logical, _at("src/app.py", 7)]},
        {"ruleId": "c", "message": {"text": "m"}, "locations": [_at("https://example.com/login")]},
        {"ruleId": "d", "message": {"text": "m"}, "locations": [_at("https://example.com/"), _at("a.py")]},
    )
    found = parse_file("sarif", text, Path("/repo"), "x.sarif")
    assert [(f.rule_id, f.location.path, f.location.start_line) for f in found] == [
        ("a", "unplaced/dockle", 1),
        ("b", "src/app.py", 7),
        ("c", "unplaced/dockle", 1),
        ("d", "a.py", 3),
    ]


def test_an_absolute_file_uri_loses_the_directory_the_tool_ran_in() -> None:
    """ShiftLeft's scan writes absolute URIs and says where it ran (`invocations[].workingDirectory`)."""
    result = {"ruleId": "r", "message": {"text": "m"}, "locations": [_at("file:///home/ci/app/dojo/x.py")]}
    run = {
        "tool": {"driver": {"name": "scan"}},
        "invocations": [{"executionSuccessful": True, "workingDirectory": {"uri": "file:///home/ci/app"}}],
        "results": [result],
    }
    found = parse_file("sarif", json.dumps({"version": "2.1.0", "runs": [run]}), Path("/elsewhere"), "x")
    assert [f.location.path for f in found] == ["dojo/x.py"]


def test_a_rule_reference_into_an_extension_finds_that_extensions_rule() -> None:
    """SARIF 3.52.7: `rule.toolComponent.index` names a `tool.extensions` entry, `rule.index` its rule."""
    scored = {"id": "py/code-injection", "properties": {"security-severity": "9.3"}}
    extensions = [{"name": "other", "rules": [{"id": "o"}]}, {"name": "pack", "rules": [{"id": "x"}, scored]}]
    driver = {"name": "CodeQL", "rules": [{"id": "drv/0"}, {"id": "drv/1"}]}
    by_index = {
        "rule": {"index": 1, "toolComponent": {"index": 1}},
        "message": {"text": "m"},
        "locations": [_at("a.py")],
    }
    by_name = {
        "rule": {"index": 1, "toolComponent": {"name": "pack"}},
        "message": {"text": "m"},
        "locations": [_at("a.py")],
    }
    plain = {"rule": {"index": 1}, "message": {"text": "m"}, "locations": [_at("a.py")]}
    text = json.dumps(
        {
            "version": "2.1.0",
            "runs": [
                {"tool": {"driver": driver, "extensions": extensions}, "results": [by_index, by_name, plain]}
            ],
        }
    )
    found = parse_file("sarif", text, Path("/repo"), "x.sarif")
    assert [(f.rule_id, f.severity.label) for f in found] == [
        ("py/code-injection", "critical"),
        ("py/code-injection", "critical"),
        ("drv/1", "medium"),
    ]


@pytest.mark.parametrize("root", ["C:/work/proj", "c:/Work/Proj/"])
def test_a_report_made_on_windows_is_placed_under_a_windows_root(root: str) -> None:
    sarif = _sarif(
        {"ruleId": "r", "message": {"text": "m"}, "locations": [_at("file:///C:/work/proj/one/x.js")]}
    )
    record: dict[str, object] = {
        "filename": "C:\\work\\proj\\one\\one.py",
        "test_id": "B101",
        "test_name": "assert_used",
    }
    record |= {"issue_severity": "LOW", "issue_confidence": "HIGH", "issue_text": "a", "line_number": 2}
    bandit = json.dumps({"results": [{**record, "line_range": [2]}], "errors": []})
    assert [f.location.path for f in parse_file("sarif", sarif, Path(root), "x.sarif")] == ["one/x.js"]
    assert [f.location.path for f in parse_file("bandit", bandit, Path(root), "b.json")] == ["one/one.py"]
    for tool, text in (("sarif", sarif), ("bandit", bandit)):  # elsewhere, or no --root: one clear line
        with pytest.raises(UsageError, match="is an absolute Windows path outside --root"):
            parse_file(tool, text, Path("/repo"), "x")
        with pytest.raises(UsageError, match="is an absolute Windows path outside --root"):
            parse_file(tool, text, Path("C:/work/other"), "x")


def test_a_windows_path_written_where_a_uri_belongs_keeps_its_drive() -> None:
    """tfsec (defsec) on Windows writes `C:\\Users\\…\\main.tf` as the URI: not a URI scheme `c:`."""
    name, report = (
        "tfsec-1.28.14-windows-paths.sarif",
        REPORTS / "sarif" / "tfsec-1.28.14-windows-paths.sarif",
    )
    root = Path("C:/Users/Synne Skreosen Dahl/OneDrive - NTNU/Infrastruktur som kode mappe/Oblig2")
    assert paths("sarif", name, root) == {"main.tf"}
    with pytest.raises(UsageError, match="is an absolute Windows path outside --root"):
        parse_file("sarif", report.read_text(encoding="utf-8"), Path("/repo"), name)


def test_a_relative_uri_that_climbs_above_the_root_is_read_from_where_it_stops(tmp_path: Path) -> None:
    """KICS writes `../../path/playbooks/x.yml` from its own directory: the whole report was refused.
    Placed at the longest ending that names a file under --root, else with the climb left out."""
    (tmp_path / "playbooks/infrastructure/.debug").mkdir(parents=True)
    (tmp_path / "playbooks/infrastructure/.debug/restart-and-check-pbs.yml").write_text("- hosts: all\n")
    found = paths("sarif", "kics-2.1.11-climbing-uris.sarif", tmp_path)
    assert "playbooks/infrastructure/.debug/restart-and-check-pbs.yml" in found
    assert "path/molecule/default/Dockerfile" in found  # no such file here: the climb left out
    assert not any(".." in path.split("/") for path in found)
    climbing = _sarif({"ruleId": "r", "message": {"text": "m"}, "locations": [_at("a/../../../x.py#L3")]})
    assert [f.location.path for f in parse_file("sarif", climbing, tmp_path, "x.sarif")] == ["x.py"]


def test_a_banner_before_and_after_the_json_is_skipped() -> None:
    # Safety 3 prints its deprecation notice before and after; pip-audit 1.x a summary line before.
    assert (
        len(
            parse_file(
                "safety", (REPORTS / "safety" / "v3.7.0-check-json-banners.txt").read_text(), Path("/r"), "s"
            )
        )
        == 2
    )
    assert (
        len(
            parse_file(
                "pip-audit",
                (REPORTS / "pip-audit" / "readme-list-with-banner.txt").read_text(),
                Path("/r"),
                "p",
            )
        )
        == 2
    )


def test_safety_places_findings_in_the_requirements_file_it_scanned() -> None:
    # `found` is /home/tojo/…/requirements.txt: outside --root, matched by name with `scanned`.
    assert paths("safety", "v3.7.0-check-json-banners.txt", Path("/work/repo")) == {"requirements.txt"}


def test_image_findings_sit_at_the_image_placeholder_without_tag_or_digest() -> None:
    assert paths("trivy", "list-form-pre-0.20-image-debian.json") == {"container-image/debian"}
    assert paths("grype", "v0.34.7-image-rhel7.json") == {
        "container-image/registry.access.redhat.com/ubi7/ubi"
    }
    assert (
        image_path("python:3.11-slim")
        == image_path("python:3.12@sha256:" + "a" * 64)
        == "container-image/python"
    )
    assert image_path("localhost:5000/team/app") == "container-image/localhost_5000/team/app"


def test_an_image_result_without_type_or_class_is_placed_by_the_os_its_target_names() -> None:
    """Trivy's oldest list reports have no `Type`: "benno001/problematic-project (debian 10.2)" is
    still an image's OS packages, not a file of that name."""
    path = REPORTS / "trivy" / "list-form-no-type-image-debian.json"
    findings = parse_file("trivy", path.read_text(encoding="utf-8"), path.parent, path.name)
    assert {(f.location.path, f.kind.value) for f in findings} == {
        ("container-image/benno001/problematic-project", "vulnerability")
    }
    assert {f.package.ecosystem for f in findings if f.package} == {"debian"}


@pytest.mark.parametrize(
    ("target", "placed"),
    [
        ("app (suse linux enterprise server 15.1)", "container-image/app"),
        ("app (Alpine 3.10.2)", "container-image/app"),
        ("requirements.txt", "requirements.txt"),
        ("app (myos 1.0)", "app (myos 1.0)"),  # not an OS Trivy knows: its Target, as before
        ("amazon (amazon 2 (Karoo))", "amazon (amazon 2 (Karoo))"),  # nested: not read
    ],
)
def test_only_a_known_os_in_an_untyped_target_makes_it_an_image(target: str, placed: str) -> None:
    report = json.dumps(
        [{"Target": target, "Vulnerabilities": [{"VulnerabilityID": "CVE-2020-1", "PkgName": "p",
                                                 "InstalledVersion": "1", "Severity": "HIGH"}]}]
    )  # fmt: skip
    assert [f.location.path for f in parse_file("trivy", report, Path("/r"), "t.json")] == [placed]


def test_image_evidence_holds_no_tag_or_digest() -> None:
    path = REPORTS / "grype" / "v0.34.7-image-rhel7.json"
    for finding in parse_file("grype", path.read_text(), path.parent, path.name):
        assert finding.evidence == f"{finding.package.name}@{finding.package.installed}#{finding.rule_id}"  # type: ignore[union-attr]
        assert "7.6-73" not in finding.evidence + finding.location.path and "sha256" not in finding.evidence


def test_stdin_is_read_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (REPORTS / "gitleaks" / "v7-git-one-aws-leak.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert read_report("-") == data.decode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le"])
def test_byte_order_marks_of_windows_shells_are_read(encoding: str, tmp_path: Path) -> None:
    text = (REPORTS / "grype" / "db-v6-windows-go-mod.json").read_text(encoding="utf-8")
    report = tmp_path / "grype.json"
    raw = text.encode(encoding)
    report.write_bytes(
        b"\xff\xfe" + raw if encoding == "utf-16-le" else raw
    )  # PowerShell's `>`: UTF-16 LE + BOM
    assert len(parse_file("grype", read_report(str(report)), tmp_path, "grype.json")) == 2


def test_an_unreadable_input_is_one_usage_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing\.json: cannot read: No such file or directory$"):
        read_report(str(tmp_path / "missing.json"))
    binary = tmp_path / "image.tar"
    binary.write_bytes(b"\xc3\x28\xa0\xa1")
    with pytest.raises(UsageError, match=r"image\.tar: not a text report"):
        read_report(str(binary))
