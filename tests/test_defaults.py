"""Interpolation defaults in compose and `.env` files (`${DB_PASSWORD:-…}`) are read by the secret
scanners as the values they are (found by a real-repository round: all three tools missed them), and
so is a credential named on another line than its value: a Kubernetes `env` entry, a Terraform
variable's default (found by an IaC trial: no scanner reported either)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mergeguard.cli import main as cli
from mergeguard.scan import defaults, namedvalues
from tests.gitutil import GitTree

PASSWORD = "Qm7vR2xK" + "9pL4wT8zHk3m"  # split: this file holds no secret for the gate's own scan
AWS = "wJalrXUtnFEMIqK7MDEN" + "GbPxRfiCYqXq7ZaPLe9t"
RANDOM = "Zr4vK9qLw2" + "Xp7NbT3mHs"


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


def _env(name: str, value: str, indent: str = "        ") -> str:
    return f"{indent}- name: {name}\n{indent}  value: {value}\n"


@pytest.mark.parametrize(
    ("entry", "comment"),
    [
        (_env("DB_PASSWORD", f'"{RANDOM}"'), f'  # DB_PASSWORD: "{RANDOM}"'),
        (_env('"API_TOKEN"', f"'{RANDOM}'"), f"  # API_TOKEN: '{RANDOM}'"),  # quotes kept as written
        (_env("SECRET_KEY", f"{RANDOM}  # rotated"), f"  # SECRET_KEY: {RANDOM}"),  # its comment is none
        (_env("SECRET_KEY", "ab#cd ef"), "  # SECRET_KEY: ab#cd ef"),  # `#` inside a word is the value's
        (f"        - value: {RANDOM}\n          name: AUTH_KEY\n", f"  # AUTH_KEY: {RANDOM}"),  # either order
        (_env("LOG_LEVEL", RANDOM), None),  # no credential's name
        (_env("SECRET_NAME", RANDOM), None),  # the name of something about a credential
        (_env("KEYCLOAK_URL", "https://sso.example.com/realms/main"), None),
        (_env("AUTH_ENABLED", '"true"'), None),
        (_env("ssh-private-key-path", RANDOM), None),
        (_env("DB_PASSWORD", '""'), None),
        (_env("DB_PASSWORD", "changeme"), None),  # placeholders as `scan.placeholders` reads them
        (_env("DB_PASSWORD", "your_password"), None),
        (_env("DB_PASSWORD", "xxxxxxxxxxxx"), None),
        (_env("DB_PASSWORD", '"$(POSTGRES_PASSWORD)"'), None),  # references
        (_env("DB_PASSWORD", "${DB_PASSWORD}"), None),
        (_env("DB_PASSWORD", "{{ .Values.db.password | quote }}"), None),
        (_env("DB_PASSWORD", f'"{{{{ default \\"{RANDOM}\\" .Values.pw }}}}"'), None),  # a template: not read
        (_env("DB_PASSWORD", f"|\n            {RANDOM}"), None),  # a block scalar
        (_env("DB_PASSWORD", "*password"), None),  # an alias
        (
            "        - name: DB_PASSWORD\n          valueFrom:\n"
            "            secretKeyRef: {name: db, key: pw}\n",
            None,
        ),
        (f"        - name: DB_PASSWORD\n        - value: {RANDOM}\n", None),  # two items
        (f"        - name: DB_PASSWORD\n      value: {RANDOM}\n", None),  # the parent's key
        # A deeper comment below goes on nothing: the value ends on its line.
        (_env("DB_PASSWORD", f'"{RANDOM}"') + "            # deeper\n", f'  # DB_PASSWORD: "{RANDOM}"'),
        # An item written otherwise, as YAML reads it the same: its dash alone (or with an anchor or a
        # tag), an anchor before its first key, quoted keys, a space before a colon.
        (
            f"        -\n          name: DB_PASSWORD\n          value: {RANDOM}\n",
            f"  # DB_PASSWORD: {RANDOM}",
        ),
        (
            f"        - &pw\n          name: DB_PASSWORD\n          value: {RANDOM}\n",
            f"  # DB_PASSWORD: {RANDOM}",
        ),
        (
            f"        - !!map  # env\n\n          name: API_TOKEN\n          value: {RANDOM}\n",
            f"  # API_TOKEN: {RANDOM}",
        ),
        (f"        - &pw name: DB_PASSWORD\n          value: {RANDOM}\n", f"  # DB_PASSWORD: {RANDOM}"),
        (f'        - "name": DB_PASSWORD\n          "value": {RANDOM}\n', f"  # DB_PASSWORD: {RANDOM}"),
        (f"        - 'name' : DB_PASSWORD\n          value : {RANDOM}\n", f"  # DB_PASSWORD: {RANDOM}"),
        (f"        -\n        name: DB_PASSWORD\n        value: {RANDOM}\n", None),  # not the dash's keys
        # A quote or a backslash in the name or the value: inside a quoted scalar it would end it or
        # make an escape (a red team's `DB_PASSWORD\` did: no tool parsed the copy).
        (_env("DB_PASSWORD", f'"{RANDOM}\\\\x"'), None),
        (_env("DB_PASSWORD", f"'{RANDOM}''s'"), None),
        (_env("DB_PASSWORD", f'{RANDOM}"x'), None),
        (_env('"DB_PASSWORD\\\\"', RANDOM), None),
        # A value over two lines: a comment after the first would end the document's parse for
        # Checkov and Trivy (a red team hid `privileged: true` that way).
        (_env("DB_PASSWORD", f'"{RANDOM}\n            and more"'), None),
        (_env("DB_PASSWORD", f"{RANDOM}\n            and more"), None),
        (_env("DB_PASSWORD", f"{RANDOM}\rprivileged: false"), None),  # a lone CR: a line to YAML
    ],
)
def test_a_credential_env_value_gets_its_name_on_its_line(entry: str, comment: str | None) -> None:
    text = f"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: api\n    env:\n{entry}"
    written = namedvalues.written_out(text, "k8s/pod.yaml")
    if comment is None:
        assert written is None
        return
    assert written is not None
    lines, rewritten = text.split("\n"), written.split("\n")
    changed = [i for i, (a, b) in enumerate(zip(lines, rewritten, strict=True)) if a != b]
    assert len(changed) == 1 and "value" in lines[changed[0]]  # the value's own line, no other
    assert rewritten[changed[0]] == lines[changed[0]] + comment


def test_an_entry_inside_a_block_scalar_is_its_text_and_a_crlf_file_keeps_its_line_ends() -> None:
    """A Pod template kept in a ConfigMap's `|` text is not the manifest's: a comment there would change
    the ConfigMap's data (and Trivy's findings). In a CRLF file the comment goes before the CR."""
    held = (
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  agent.yaml: |\n    env:\n"
        + _env("DB_PASSWORD", f'"{RANDOM}"', "    ")
        + "  other: plain\n"
    )
    assert namedvalues.written_out(held, "k8s/agents.yaml") is None
    pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: api\n    env:\n" + _env(
        "DB_PASSWORD", RANDOM
    )
    crlf = pod.replace("\n", "\r\n")
    written = namedvalues.written_out(crlf, "k8s/pod.yaml")
    assert written == namedvalues.written_out(pod, "k8s/pod.yaml").replace("\n", "\r\n")  # type: ignore[union-attr]


# A red team's annotation: an `env` entry's look-alike inside a double-quoted scalar over several lines.
_NOTES = f"""apiVersion: v1
kind: Pod
metadata:
  name: tools
  annotations:
    notes: "runbook
      - name: DB_PASSWORD\\ #x
        value: {RANDOM}
      end"
spec:
  containers:
  - name: tools
    image: busybox:1.36
    securityContext:
      privileged: true
"""


@pytest.mark.parametrize(
    "held",
    [
        _NOTES,
        _NOTES.replace("DB_PASSWORD\\ #x", "DB_PASSWORD"),  # no escape: the comment would be its text
        _NOTES.replace('"runbook', "'runbook").replace('end"', "end'"),
        _NOTES.replace('notes: "runbook', "notes: runbook").replace('end"', "end").replace("\\ #x", ""),
        # Block scalars after an anchor or a tag: their text too.
        f"data:\n  agent.yaml: &agent |\n    env:\n{_env('DB_PASSWORD', RANDOM, '    ')}",
        f"data:\n  agent.yaml: !!str >-\n    env:\n{_env('DB_PASSWORD', RANDOM, '    ')}",
        f"data:\n  - &a !!str |2\n    env:\n{_env('DB_PASSWORD', RANDOM, '    ')}",
    ],
)
def test_an_entry_inside_a_scalar_over_several_lines_is_its_text(held: str) -> None:
    """Written there, the comment would be the scalar's text, or end its parse for Checkov and Trivy
    (a red team's privileged Pod passed the gate so)."""
    assert namedvalues.written_out(held, "k8s/pod.yaml") is None


def test_an_entry_beside_a_look_alike_in_a_scalar_is_written_and_the_documents_stay() -> None:
    entry = "    env:\n" + _env("API_TOKEN", RANDOM, "    ")
    text = _NOTES.replace("    image: busybox:1.36\n", "    image: busybox:1.36\n" + entry)
    written = namedvalues.written_out(text, "k8s/pod.yaml")
    assert written is not None
    assert [line for line in written.split("\n") if "  # " in line] == [
        f"      value: {RANDOM}  # API_TOKEN: {RANDOM}"
    ]
    assert list(yaml.safe_load_all(written)) == list(yaml.safe_load_all(text))


@pytest.mark.scanner
def test_a_privileged_pod_beside_a_look_alike_in_an_annotation_blocks(tmp_path: Path) -> None:
    """Checkov and Trivy read the view's copy: it still parses, and both report the privileged Pod."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.commit("base")
    tree.git("checkout", "-q", "-b", "add-pod")
    tree.write("pod.yaml", _NOTES)
    tree.commit("a pod")
    out = tmp_path / "r.json"
    args = ["scan", str(tree.root), "--base", "main", "--scanners", "checkov,trivy-config,detect-secrets"]
    assert cli.main([*args, "--json", str(out)]) == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    blocking = [f for f in report["findings"] if f["blocking"]]
    rules = {(found["tool"], found["rule_id"]) for f in blocking for found in [f, *f["also"]]}
    assert {("checkov", "CKV_K8S_16"), ("trivy-config", "KSV-0017")} <= rules, blocking


@pytest.mark.parametrize(
    "text",
    [
        'apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\n'
        f"spec:\n  containers:\n  - name: api\n    env:\n{_env('DB_PASSWORD', RANDOM, '    ')}",  # Helm's
        f"env:\n{_env('DB_PASSWORD', RANDOM, '')}\tbroken: [\n",
    ],
)
def test_a_file_yaml_does_not_read_is_not_rewritten(text: str) -> None:
    """No rewrite of it can be shown to keep what it means to the tools (Trivy renders a chart's
    templates, where a comment could land inside a scalar)."""
    assert namedvalues.written_out(text, "chart/templates/deployment.yaml") is None


def test_env_values_in_every_document_and_init_container_are_written() -> None:
    text = (
        "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n"
        "      initContainers:\n      - name: init\n        env:\n"
        + _env("MINIO_SECRET_KEY", RANDOM)
        + "---\n"
        "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n          containers:\n          - name: job\n            env:\n"
        + _env("REDIS_PASSWORD", RANDOM, indent="              ")
    )
    written = namedvalues.written_out(text, "deploy/all.yml")
    assert written is not None
    assert [n for n, line in enumerate(written.split("\n"), 1) if "  # " in line] == [10, 23]


@pytest.mark.parametrize(
    ("text", "line", "comment"),
    [
        (f'variable "password" {{\n  type    = string\n  default = "{RANDOM}"\n}}\n', 3, "password"),
        (f'variable db_password {{ default = "{RANDOM}" }}\n', 1, "db_password"),
        (
            f'variable "api_key" {{\n  validation {{\n    condition = length(var.api_key) > 8\n  }}\n'
            f'  default = "{RANDOM}" // rotated\n}}\n',
            5,
            "api_key",
        ),
        (f'variable "region" {{\n  default = "{RANDOM}"\n}}\n', None, None),  # no credential's name
        ('variable "password" {\n  default = "changeme"\n}\n', None, None),
        ('variable "password" {\n  default = "${var.other}"\n}\n', None, None),
        ('variable "password" {\n  default = ""\n}\n', None, None),
        (f'variable "password" {{\n  type = string\n}}\nlocals {{\n  default = "{RANDOM}"\n}}\n', None, None),
    ],
)
def test_a_credential_variable_default_gets_its_name_on_its_line(
    text: str, line: int | None, comment: str | None
) -> None:
    written = namedvalues.written_out(text, "infra/variables.tf")
    if line is None:
        assert written is None
        return
    assert written is not None
    rewritten = written.split("\n")
    assert rewritten[line - 1] == text.split("\n")[line - 1] + f'  # {comment} = "{RANDOM}"'
    assert len(rewritten) == len(text.split("\n"))


@pytest.mark.parametrize(
    ("path", "applies"),
    [("k8s/deploy.yaml", True), ("chart/templates/deployment.yml", True), ("main.tf", True),
     ("values.json", False), ("app/settings.py", False), ("terraform.tfvars", False)],
)  # fmt: skip
def test_names_are_written_beside_values_in_yaml_and_terraform_files(path: str, applies: bool) -> None:
    assert namedvalues.applies(path) is applies


_MANIFEST = (
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: api\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: api\n"
    "        image: example/api:1.4.2\n"
    "        env:\n"
    "        - name: LOG_LEVEL\n"
    f'          value: "{RANDOM[::-1]}"\n'  # 13: no credential's name
    "        - name: DB_PASSWORD\n"
    f'          value: "{RANDOM}"\n'  # 15
    "        - name: API_TOKEN\n"
    '          value: "changeme"\n'  # 17: a placeholder
    "        - name: REDIS_PASSWORD\n"
    "          valueFrom:\n"
    "            secretKeyRef: {name: redis, key: password}\n"
    "        - name: SECRET_KEY\n"
    '          value: "$(DJANGO_SECRET)"\n'  # 22: a reference
)


@pytest.mark.scanner
def test_a_password_in_a_deployments_env_or_a_variables_default_blocks(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("deploy.yaml", _MANIFEST)
    tree.write(
        "variables.tf", f'variable "db_password" {{\n  type    = string\n  default = "{AWS[:20]}"\n}}\n'
    )
    tree.commit("manifests")
    out = tmp_path / "r.json"
    scanners = "detect-secrets,gitleaks,trivy-secret"
    cli.main(["scan", str(tree.root), "--all-files", "--scanners", scanners, "--json", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    found = {(f["path"], f["start_line"]): f for f in report["findings"]}
    assert set(found) == {("deploy.yaml", 15), ("variables.tf", 3)}, found
    for finding in found.values():  # two tools agree, as on `DB_PASSWORD: "…"` in a compose file
        assert finding["severity"] == "high" and finding["blocking"], finding
        assert {finding["tool"], *(a["tool"] for a in finding["also"])} == {"detect-secrets", "gitleaks"}
    assert RANDOM not in out.read_text(encoding="utf-8") and AWS[:20] not in out.read_text(encoding="utf-8")


@pytest.mark.scanner
def test_a_pull_request_adding_a_password_to_an_env_gets_a_finding_on_its_value_line(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("deploy.yaml", _MANIFEST.split("        env:\n", maxsplit=1)[0])
    tree.commit("base")
    tree.git("checkout", "-q", "-b", "add-env")
    tree.write("deploy.yaml", _MANIFEST)
    tree.commit("env")
    report, text = _pr_scan(tree, tmp_path, status=1)
    assert [(f["path"], f["start_line"], f["status"]) for f in report["findings"]] == [
        ("deploy.yaml", 15, "new")
    ]
    # High and blocking, as with --all-files: Gitleaks reads the commits, and the rewritten copy too.
    (finding,) = report["findings"]
    assert finding["severity"] == "high" and finding["blocking"], finding
    assert {finding["tool"], *(a["tool"] for a in finding["also"])} == {"detect-secrets", "gitleaks"}
    assert RANDOM not in text


def _pr_scan(tree: GitTree, tmp_path: Path, status: int) -> tuple[dict[str, Any], str]:
    """The JSON report of a PR-mode scan of `tree` against `main` (and its text), which exits `status`."""
    out = tmp_path / "r.json"
    args = ["scan", str(tree.root), "--base", "main", "--scanners", "detect-secrets,gitleaks,trivy-secret"]
    assert cli.main([*args, "--json", str(out)]) == status
    text = out.read_text(encoding="utf-8")
    return json.loads(text), text


@pytest.mark.scanner
def test_a_rewritten_value_line_the_pull_request_did_not_touch_stays_pre_existing(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("deploy.yaml", _MANIFEST)
    tree.commit("base")
    tree.git("checkout", "-q", "-b", "bump")
    tree.write("deploy.yaml", _MANIFEST.replace("api:1.4.2", "api:1.4.3"))
    tree.commit("bump the image")
    report, text = _pr_scan(tree, tmp_path, status=0)
    assert [(f["path"], f["start_line"], f["status"], f["blocking"]) for f in report["findings"]] == [
        ("deploy.yaml", 15, "pre-existing", False)
    ]
    assert RANDOM not in text


@pytest.mark.scanner
def test_a_pull_request_adding_a_password_as_a_compose_default_blocks(tmp_path: Path) -> None:
    """In PR mode too: Gitleaks reads the rewritten copy beside the commits. A secret both its runs
    report is one finding, with the commit that added it; an old default on an untouched line stays
    pre-existing."""
    compose = "services:\n  api:\n    image: example/api:1.4.2\n    environment:\n"
    old = f"      OLD_SECRET: ${{OLD_SECRET:-{RANDOM[::-1]}}}\n"  # 5
    tree = GitTree(tmp_path / "repo")
    tree.write("docker-compose.yml", compose + old)
    tree.commit("base")
    tree.git("checkout", "-q", "-b", "add-secret")
    added = f"      API_SECRET: ${{API_SECRET:-{RANDOM}}}\n" + f'      DB_PASSWORD: "{PASSWORD}"\n'  # 6, 7
    tree.write("docker-compose.yml", compose + old + added)
    head = tree.commit("add secrets")
    report, text = _pr_scan(tree, tmp_path, status=1)
    found = {f["start_line"]: f for f in report["findings"]}
    assert sorted(found) == [5, 6, 7], found
    assert (found[5]["status"], found[5]["blocking"]) == ("pre-existing", False)
    for line in (6, 7):
        finding = found[line]
        assert (finding["status"], finding["severity"], finding["blocking"]) == ("new", "high", True), finding
        tools = [finding["tool"], *(a["tool"] for a in finding["also"])]
        assert sorted(tools) == ["detect-secrets", "gitleaks"], finding  # Gitleaks once
    assert found[7]["commit"] == head  # read in the commits and in the copy: one report, its commit kept
    assert RANDOM not in text and RANDOM[::-1] not in text and PASSWORD not in text
