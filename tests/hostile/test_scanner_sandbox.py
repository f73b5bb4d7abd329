"""No code from the repository runs in a scan, and no scanner sees a secret of ours (issue 12, item 2)."""

from __future__ import annotations

import json
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mergeguard.cli.main import main
from mergeguard.core import procs
from mergeguard.scanners import commands, toolconfig
from mergeguard.scanners.base import Target
from mergeguard.scanners.checkov.scanner import CheckovScanner
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.trivy.fs import TrivyConfigScanner, TrivySecretScanner
from tests.gitutil import GitTree

TOKEN = "ghs_" + "Zq8xV2mK4pL7nR1tY5wB3cD6fG9hJ0kA2sE4"  # fake, shaped like an installation token
CLOUD_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "HOSTILEKEY"
# A Checkov "custom check" as a pull request would add it: its module body runs on import.
# The marker path is absolute: the scan runs on a copy of the tree (the view), not on the tree.
EVIL_CHECK = "import os, pathlib\npathlib.Path({marker!r}).write_text(repr(dict(os.environ)))\n"
HOSTILE_CHECKOV = "external-checks-dir:\n  - checks\nexternal-checks-git: [https://example.invalid/x.git]\n"


def checkov_or_skip() -> str:
    exe = find_executable("checkov")
    if exe is None:
        pytest.skip("checkov is not installed")
    return exe


def plant_external_check(root: Path) -> Path:
    """`root` with a Dockerfile, a hostile .checkov.yaml and its Python check; the check's marker path."""
    marker = root.parent / "check-ran.txt"
    (root / "checks").mkdir(parents=True)
    (root / "checks" / "__init__.py").write_text("")
    (root / "checks" / "evil.py").write_text(EVIL_CHECK.format(marker=str(marker)))
    (root / "Dockerfile").write_text("FROM python:3.12\nRUN pip install flask\n")
    (root / ".checkov.yaml").write_text("external-checks-dir:\n  - checks\nskip-check:\n  - CKV_DOCKER_2\n")
    return marker


@pytest.mark.scanner
def test_checkov_external_check_from_the_repository_does_not_run(tmp_path: Path) -> None:
    exe = checkov_or_skip()
    view = tmp_path / "view"
    marker = plant_external_check(view)
    config = view / ".checkov.yaml"
    config.write_bytes(toolconfig.sanitize(".checkov.yaml", config.read_bytes()))
    target = Target(root=view, files=("Dockerfile",), repo=view, workdir=tmp_path)
    output = run_command(CheckovScanner().command(exe, target), view, timeout_s=600)
    assert not marker.exists()
    # The suppression the file also holds is still honoured: only the code-loading keys went.
    rules = {f.rule_id for f in CheckovScanner().parse(output, target)}
    assert "CKV_DOCKER_3" in rules
    assert "CKV_DOCKER_2" not in rules


@pytest.mark.scanner
def test_the_same_check_without_sanitize_would_run(tmp_path: Path) -> None:
    """The canary: proves the test above would see the code run if the config were laid out as is."""
    exe = checkov_or_skip()
    view = tmp_path / "view"
    marker = plant_external_check(view)
    target = Target(root=view, files=("Dockerfile",), repo=view, workdir=tmp_path)
    run_command(CheckovScanner().command(exe, target), view, timeout_s=600)
    assert marker.exists()
    assert "GITHUB_TOKEN" not in marker.read_text()  # and even then it sees no token (minimal env)


@pytest.mark.scanner
def test_a_scan_of_a_repository_with_an_external_check_runs_no_code_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkov_or_skip()
    tree = GitTree(tmp_path / "repo")
    marker = plant_external_check(tree.root)
    tree.commit("hostile")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code = main(["scan", str(tree.root), "--all-files", "--scanners", "checkov"])
    out = capsys.readouterr()
    assert not marker.exists()
    assert code == 1  # CKV_DOCKER_3 (no USER) blocks; the scan itself ran
    assert TOKEN not in out.out + out.err


# --- the environment ------------------------------------------------------------------------------

HOSTILE_ENV = {
    "GITHUB_TOKEN": TOKEN,
    "INPUT_GITHUB-TOKEN": TOKEN,
    "INPUT_GITHUB_TOKEN": TOKEN,
    "ACTIONS_RUNTIME_TOKEN": TOKEN,
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": TOKEN,
    "GH_TOKEN": TOKEN,
    "AWS_SECRET_ACCESS_KEY": CLOUD_SECRET,
    "AWS_SESSION_TOKEN": CLOUD_SECRET,
    "AZURE_CLIENT_SECRET": CLOUD_SECRET,
    "GOOGLE_APPLICATION_CREDENTIALS": "/secrets/gcp.json",
    "PYTHONPATH": "/attacker/controlled",
    "LD_PRELOAD": "/attacker/lib.so",
}


def fake_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    script = tmp_path / f"fake-{name}"
    script.write_text(
        f'#!/bin/sh\ncase "$1" in --version|version) echo "{name} 9.9.9"; exit 0;; esac\n{body}'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    real: Callable[[str], str | None] = commands.find_executable
    monkeypatch.setattr(commands, "find_executable", lambda tool: str(script) if tool == name else real(tool))


def test_a_scanner_sees_only_the_allow_listed_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "env.txt"
    fake_scanner(
        tmp_path, monkeypatch, "bandit", f"env > '{dump}'\necho '{{\"results\": [], \"errors\": []}}'\n"
    )
    for key, value in {**HOSTILE_ENV, "HTTPS_PROXY": "http://proxy:3128", "LC_ALL": "C.UTF-8"}.items():
        monkeypatch.setenv(key, value)
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", "print(1)\n")
    tree.commit("base")
    assert main(["scan", str(tree.root), "--all-files", "--scanners", "bandit"]) == 0, capsys.readouterr()
    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert sorted(set(HOSTILE_ENV) & set(seen)) == []
    assert TOKEN not in dump.read_text()
    assert CLOUD_SECRET not in dump.read_text()
    assert seen["HTTPS_PROXY"] == "http://proxy:3128"  # the vulnerability databases may need it
    assert seen["LC_ALL"] == "C.UTF-8"
    assert "PATH" in seen


def test_minimal_env_keeps_the_adapter_switches_over_the_allow_list() -> None:
    source = {
        "PATH": "/bin",
        "HOME": "/home/u",
        "GITHUB_TOKEN": TOKEN,
        "LC_CTYPE": "C",
        "TRIVY_PASSWORD": "x",
    }
    env = procs.minimal_env({"HOME": "/scratch", "CKV_X": "1"}, source)
    assert env == {"PATH": "/bin", "HOME": "/scratch", "LC_CTYPE": "C", "CKV_X": "1"}


# --- sanitize: the keys that survive --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "kept", "dropped"),
    [
        (
            ".checkov.yaml",
            HOSTILE_CHECKOV + "skip-check: [CKV_DOCKER_2]\nskip-path: [tests]\nbc-api-key: k\n"
            "repo-id: a/b\nprisma-api-url: https://x\nca-certificate: /etc/x\n"
            "download-external-modules: true\nexternal-modules-download-path: /tmp\n"
            "policy-metadata-filter: x\noutput: cli\nsoft-fail: false\n",
            {"skip-check", "skip-path"},
            {"external-checks-dir", "external-checks-git", "bc-api-key", "repo-id", "output", "soft-fail"},
        ),
        (
            "sub/.checkov.yml",
            "check: [CKV_DOCKER_3]\nframework: [terraform]\nexternal-checks-dir: [x]\n",
            {"check"},
            {"framework", "external-checks-dir"},
        ),
        (
            "trivy.yaml",
            "severity: [HIGH]\nscan: {skip-dirs: [a], scanners: [secret]}\nrego: {policy: [p], data: [d]}\n"
            "misconfiguration: {config-policy: [p]}\nserver: {addr: http://x, token: t}\n"
            "db: {repository: evil.io/db}\nregistry: {username: u, password: p}\ncache: {dir: /}\n",
            {"severity", "scan"},
            {"rego", "misconfiguration", "server", "db", "registry", "cache"},
        ),
        (
            ".hadolint.yaml",
            "ignored: [DL3008]\nformat: sarif\nno-fail: true\nfailure-threshold: none\n",
            {"ignored"},
            {"format", "no-fail", "failure-threshold"},
        ),
    ],
)
def test_yaml_configs_keep_only_suppressing_and_tuning_keys(
    path: str, text: str, kept: set[str], dropped: set[str]
) -> None:
    result = toolconfig.inspect(path, text.encode())
    assert result.data is not None
    laid_out = yaml.safe_load(result.data)
    assert set(laid_out) == kept
    assert all(any(f"'{key}" in note for note in result.notes) for key in dropped)


def test_trivy_keeps_only_the_allowed_nested_keys() -> None:
    laid_out = yaml.safe_load(toolconfig.sanitize("trivy.yaml", b"scan: {skip-dirs: [a], scanners: [x]}\n"))
    assert laid_out == {"scan": {"skip-dirs": ["a"]}}


def test_gitleaks_extend_path_is_dropped_and_use_default_and_rules_kept() -> None:
    text = (
        b'title = "x"\n[extend]\npath = "/etc/passwd"\nuseDefault = true\n[[rules]]\nid = "r"\nregex = "k"\n'
    )
    config = tomllib.loads(toolconfig.sanitize(".gitleaks.toml", text).decode())
    assert config["extend"] == {"useDefault": True}
    assert config["rules"] == [{"id": "r", "regex": "k"}]


@pytest.mark.parametrize(
    "text",
    [b'extend = { path = "/etc/x" }\n', b'[extend]\n"path" = "/etc/x"\n', b"[extend]\nurl = 'https://x'\n"],
)
def test_gitleaks_extend_in_any_spelling_never_survives(text: bytes) -> None:
    data = toolconfig.sanitize(".gitleaks.toml", text)
    extend = tomllib.loads(data.decode()).get("extend", {}) if data else {}
    assert "path" not in extend
    assert "url" not in extend


def test_secrets_baseline_loses_custom_plugins_and_filters_but_keeps_results() -> None:
    baseline = {
        "version": "1.5.0",
        "plugins_used": [{"name": "AWSKeyDetector"}, {"name": "Evil", "path": "file://evil.py"}],
        "filters_used": [
            {"path": "detect_secrets.filters.allowlist.is_line_allowlisted"},
            {"path": "file://evil.py::run"},
            {"path": "os.system"},
        ],
        "results": {"a.py": [{"type": "Secret Keyword", "hashed_secret": "0" * 40, "line_number": 1}]},
        "word_list": {"file": "/proc/self/environ"},
    }
    laid_out = json.loads(toolconfig.sanitize(".secrets.baseline", json.dumps(baseline).encode()))
    assert laid_out["plugins_used"] == [{"name": "AWSKeyDetector"}]
    assert laid_out["filters_used"] == [{"path": "detect_secrets.filters.allowlist.is_line_allowlisted"}]
    assert laid_out["results"] == baseline["results"]
    assert "word_list" not in laid_out


def test_a_secrets_baseline_with_nothing_to_drop_is_copied_as_written() -> None:
    """Other scanners report on the copy (a hash Gitleaks matches): its lines must be the file's."""
    text = b'{"version": "1.5.0", "plugins_used": [{"name": "AWSKeyDetector"}],\n "results": {}}\n'
    assert toolconfig.sanitize(".secrets.baseline", text) == text


def test_bandit_ini_keeps_skips_and_drops_output_and_baseline() -> None:
    text = b"[bandit]\nskips = B101,B603\ntests = B102\noutput = /tmp/x\nbaseline = b.json\nformat = txt\n"
    laid_out = toolconfig.sanitize(".bandit", text).decode()
    assert laid_out == "[bandit]\nskips = B101,B603\ntests = B102\n"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (".checkov.yaml", b"a: &a [1, 2]\nb: [*a, *a]\n"),  # aliases: the start of every YAML bomb
        (".checkov.yaml", b"- just\n- a list\n"),
        (".checkov.yaml", b"key: [unclosed\n"),
        (".checkov.yaml", b"\xff\xfe not utf-8"),
        (".checkov.yaml", b"x: 1\x00\n"),
        ("trivy.yaml", b"[" * 5000),
        (".gitleaks.toml", b"[extend\npath=1"),
        (".secrets.baseline", b"{not json"),
        (".secrets.baseline", b"[" * 100_000),
        (".bandit", b"no section header\n"),
        (".hadolint.yaml", b"x: " + b"a" * 2_000_000),
    ],
)
def test_an_unusable_config_is_left_out_with_a_note_not_a_crash(path: str, data: bytes) -> None:
    result = toolconfig.inspect(path, data)
    assert result.data is None
    assert toolconfig.sanitize(path, data) == b""
    assert len(result.notes) == 1
    assert result.notes[0].startswith(f"{path}: left out, scanner runs with defaults (")
    assert "\n" not in result.notes[0]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (".trivyignore", b"CVE-2023-0001\n# reason\n"),
        (".gitleaksignore", b"a.py:generic-api-key:3\n"),
        (
            "pyproject.toml",
            b"[project]\nname = 'x'\ndependencies = ['flask==2.0']\n[tool.bandit]\nskips=['B101']\n",
        ),
        ("setup.cfg", b"[metadata]\nname = x\n"),
        (".trivyignore.yaml", b"vulnerabilities:\n  - id: CVE-2023-0001\n    statement: not reachable\n"),
        (".gitleaks.toml", b'[extend]\nuseDefault = true\n[allowlist]\npaths = ["^tests/"]\n'),
    ],
)
def test_data_only_files_are_laid_out_unchanged(path: str, data: bytes) -> None:
    assert toolconfig.inspect(path, data) == toolconfig.Sanitized(data)


def test_sanitized_checkov_config_is_plain_yaml() -> None:
    """The rewritten YAML is plain block YAML a scanner reads like the original (no Python tags)."""
    data = toolconfig.sanitize(".checkov.yaml", b"skip-check: [CKV_DOCKER_2, 'CKV_DOCKER_3']\n")
    assert b"!!" not in data
    assert yaml.safe_load(data) == {"skip-check": ["CKV_DOCKER_2", "CKV_DOCKER_3"]}


# --- command lines: no config from the tree that bypasses the view --------------------------------

AWS_KEY_LINE = 'aws_access_key_id = "AKIA' + 'QYLPMN5HFIUJXZ2K"\n'


@pytest.mark.scanner
def test_a_trivy_secret_yaml_in_the_tree_cannot_disable_trivys_secret_rules(tmp_path: Path) -> None:
    exe = find_executable("trivy")
    if exe is None:
        pytest.skip("trivy is not installed")
    view = tmp_path / "view"
    view.mkdir()
    (view / "creds.py").write_text(AWS_KEY_LINE)
    (view / "trivy-secret.yaml").write_text(
        "disable-rules:\n  - aws-access-key-id\nallow-rules:\n  - id: all\n    path: .*\n"
    )
    target = Target(root=view, files=("creds.py",), repo=view, workdir=tmp_path / "work")
    output = run_command(TrivySecretScanner().command(exe, target), view, timeout_s=600)
    rules = {f.rule_id for f in TrivySecretScanner().parse(output, target)}
    assert "aws-access-key-id" in rules


def test_no_adapter_names_a_config_or_checks_directory_from_the_tree(tmp_path: Path) -> None:
    target = Target(root=tmp_path / "view", files=("Dockerfile",), repo=tmp_path, workdir=tmp_path / "work")
    checkov = CheckovScanner().command("checkov", target).argv
    assert not {"--config-file", "--external-checks-dir", "--external-checks-git"} & set(checkov)
    for command in (
        TrivySecretScanner().command("trivy", target),
        TrivyConfigScanner().command("trivy", target),
    ):
        argv = list(command.argv)
        assert argv[argv.index("--config") + 1] == ""  # trivy.yaml disabled
        assert not {"--config-check", "--config-data", "--ignore-policy"} & set(argv)
    secret = list(TrivySecretScanner().command("trivy", target).argv)
    assert not Path(secret[secret.index("--secret-config") + 1]).is_relative_to(target.root)
