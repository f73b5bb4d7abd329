"""Tests for mergeguard's compose check: golden cases, each rule's table, bounded YAML, the process."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Severity
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.compose import document
from mergeguard.scanners.compose.__main__ import report
from mergeguard.scanners.compose.rules import RULES
from mergeguard.scanners.compose.scanner import ComposeScanner
from tests.golden import check_golden, check_live

SCANNER = ComposeScanner()
CASES = ["dangerous", "ordinary", "unreadable"]


def rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((r["path"], r["rule_id"], r["start_line"]) for r in rows)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # Each setting on its own line: merged from an `x-` anchor (pid, ipc, the socket: where the
        # anchor writes them), `${VAR:-default}` read as its default, long and short volume syntax,
        # `CAP_`-prefixed and lower-case capabilities, `=` and `:` in security_opt, the list form of
        # `environment`; a version 1 file (`net:` and `network_mode:`). Not: CHOWN, `/etc/localtime`,
        # a named volume.
        (
            "dangerous",
            [
                ("deploy/compose.prod.yaml", "COMPOSE-002", 4),
                ("deploy/compose.prod.yaml", "COMPOSE-002", 5),
                ("deploy/compose.prod.yaml", "COMPOSE-006", 6),
                ("docker-compose.yml", "COMPOSE-001", 16),
                ("docker-compose.yml", "COMPOSE-001", 55),
                ("docker-compose.yml", "COMPOSE-002", 17),
                ("docker-compose.yml", "COMPOSE-003", 3),
                ("docker-compose.yml", "COMPOSE-004", 4),
                ("docker-compose.yml", "COMPOSE-005", 18),
                ("docker-compose.yml", "COMPOSE-006", 20),
                ("docker-compose.yml", "COMPOSE-007", 21),
                ("docker-compose.yml", "COMPOSE-007", 22),
                ("docker-compose.yml", "COMPOSE-008", 25),
                ("docker-compose.yml", "COMPOSE-008", 26),
                ("docker-compose.yml", "COMPOSE-009", 27),
                ("docker-compose.yml", "COMPOSE-010", 6),
                ("docker-compose.yml", "COMPOSE-011", 33),
                ("docker-compose.yml", "COMPOSE-011", 37),
                ("docker-compose.yml", "COMPOSE-011", 40),
                ("docker-compose.yml", "COMPOSE-011", 41),
                ("docker-compose.yml", "COMPOSE-012", 49),
            ],
        ),
        # An ordinary app: anchors and merge keys, relative and named volumes, /etc/localtime,
        # `network_mode: service:…`, `${VAR}` without a default, `privileged: false`: nothing.
        ("ordinary", []),
        # Not YAML, not a mapping, `services` a list: each a high `skipped-file` on the whole file. The
        # billion laughs beside them is read in no time and has nothing to report.
        (
            "unreadable",
            [
                ("compose.yaml", "skipped-file", 1),
                ("deploy/docker-compose.override.yml", "skipped-file", 1),
                ("docker-compose.yml", "skipped-file", 1),
            ],
        ),
    ],
)
def test_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(SCANNER, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    assert all(r["tool"] == "compose-check" for r in rows)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def hits(text: str, tmp_path: Path) -> list[tuple[str, int]]:
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    found = report([str(tmp_path / "compose.yaml")])
    assert found["skipped"] == []
    return [(r["rule"], r["line"]) for r in found["results"]]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("privileged: yes", [("COMPOSE-001", 3)]),
        ("privileged: 'false'", []),
        ("privileged: ${P}", []),  # unknown until run: not guessed
        ("privileged: ${HOME:+true}", [("COMPOSE-001", 3)]),  # the word when set: HOME always is
        ("privileged: y", [("COMPOSE-001", 3)]),  # compose-go's toBoolean: y, yes, on, true
        ("privileged: ${HOME:+${P:-true}}", [("COMPOSE-001", 3)]),  # a word holding a default
        ("network_mode: ${A:-${B-${C:+host}}}", [("COMPOSE-002", 3)]),
        ("network_mode: ${A:-${B}host}", []),  # `${B}` unknown: not the word `host`
        ("network_mode: ${NET+host}", [("COMPOSE-002", 3)]),
        ("pid: host", [("COMPOSE-003", 3)]),
        ("ipc: shareable", []),
        ("cap_add: [SYS_ADMIN]", [("COMPOSE-006", 3)]),
        ("cap_add: [NET_BIND_SERVICE, CAP_CHOWN, net_raw]", []),  # Docker's defaults: nothing added
        ("cap_add: [SYS_MODULE, CAP_DAC_READ_SEARCH]", [("COMPOSE-007", 3), ("COMPOSE-007", 3)]),
        ("cap_add: ['${EXTRA_CAP}']", []),  # unknown until run: not guessed
        ("volumes: ['/var/run:/var/run', '/run/:/host/run']", [("COMPOSE-010", 3), ("COMPOSE-010", 3)]),
        ("volumes: ['/run/secrets/app:/app/secrets:ro', '/var/run/dbus:/var/run/dbus']", []),
        ("volumes: ['hostroot:/host', 'data:/data']", [("COMPOSE-011", 3)]),  # bound by driver_opts below
        ("volumes: [{type: volume, source: hostroot, target: /host}]", [("COMPOSE-011", 3)]),
        ("volumes: ['hostsock:/var/run/docker.sock']", [("COMPOSE-010", 3)]),
        ("security_opt: ['seccomp=unconfined']", [("COMPOSE-008", 3)]),
        ("security_opt: ['label:disable']", [("COMPOSE-008", 3)]),
        ("security_opt: ['seccomp:./profile.json']", []),
        ("security_opt: [systempaths=unconfined]", [("COMPOSE-013", 3)]),
        ("volumes: ['/var/run/docker.sock.raw:/var/run/docker.sock']", [("COMPOSE-010", 3)]),
        ("volumes: ['/run/docker.sock:/var/run/docker.sock']", [("COMPOSE-010", 3)]),
        ("volumes: ['/var/run//docker.sock:/x']", [("COMPOSE-010", 3)]),
        ("volumes: ['$${HOME}/x:/x', '/:/host:ro']", [("COMPOSE-011", 3)]),
        ("volumes: ['/etc/ssl/certs:/etc/ssl/certs:ro', './data:/data', '/data']", []),
        # No volume is named `/etc` (Docker refuses it): a later document's `{target: /x, type: bind}`
        # merged into it makes it the bind mount it reads as.
        ("volumes: [{type: volume, source: /etc, target: /x}]", [("COMPOSE-011", 3)]),
        ("volumes: [{source: /, target: /x}]", [("COMPOSE-011", 3)]),
        ("environment: {POSTGRES_HOST_AUTH_METHOD: TRUST}", [("COMPOSE-012", 3)]),
        ("environment: {POSTGRES_HOST_AUTH_METHOD: md5}", []),
        ("extends: {file: base.yml, service: web}", []),  # never reads another file
    ],
)
def test_each_setting(service: str, expected: list[tuple[str, int]], tmp_path: Path) -> None:
    assert hits(f"services:\n  web:\n    {service}\n" + _NAMED_VOLUMES, tmp_path) == expected


# Named volumes the settings above mount: two bind a host path through the local driver, one does not.
_NAMED_VOLUMES = """volumes:
  hostroot: {driver: local, driver_opts: {type: none, o: bind, device: /}}
  hostsock:
    driver_opts: {type: none, o: 'rbind,ro', device: /var/run/docker.sock}
  data: {driver_opts: {type: nfs, o: 'addr=10.0.0.1,rw', device: ':/exports/data'}}
"""


def test_merge_keys_own_keys_win_and_the_first_merged_mapping_wins(tmp_path: Path) -> None:
    text = (
        "x-a: &a {privileged: true, pid: host}\n"
        "x-b: &b {privileged: false, ipc: host}\n"
        "services:\n"
        "  web:\n"
        "    <<: [*b, *a]\n"  # b's privileged: false wins over a's
        "    pid: container\n"  # own key wins over a's host
    )
    assert hits(text, tmp_path) == [("COMPOSE-004", 2)]


def test_an_anchor_written_again_names_the_new_node(tmp_path: Path) -> None:
    """Compose (go-yaml, YAML 1.2) reads `&name web:` on every service, each alias naming the latest
    anchor; PyYAML alone calls it a duplicate, which made the whole file a high `skipped-file`."""
    text = (
        "x-base: &base {privileged: true}\n"
        "services:\n"
        "  &name web:\n"
        "    <<: *base\n"
        "    container_name: *name\n"
        "  &name db:\n"
        "    container_name: *name\n"
        "x-later: &base {pid: host}\n"
        "x-user: {<<: *base}\n"
    )
    assert hits(text, tmp_path) == [("COMPOSE-001", 1)]


def test_every_document_of_a_stream_is_checked(tmp_path: Path) -> None:
    """Compose reads a file of several YAML documents as those files in order (compose-go #451);
    it was a high `skipped-file` ("expected a single document"). A `---` with nothing after holds no
    service; a document that is no mapping is still unreadable."""
    text = (
        "services:\n"
        "  web: {image: nginx}\n"
        "---\n"
        "services:\n"
        "  agent: {image: agent, volumes: ['hostsock:/sock']}\n"
        "volumes:\n"
        "  hostsock: {driver_opts: {type: none, o: bind, device: /var/run/docker.sock}}\n"
        "---\n"
    )
    assert hits(text, tmp_path) == [("COMPOSE-010", 5)]
    (tmp_path / "compose.yaml").write_text(text + "- a list\n", encoding="utf-8")
    skipped = report([str(tmp_path / "compose.yaml")])["skipped"]
    assert [(s["line"], s["reason"]) for s in skipped] == [(9, "is not a mapping (compose reads none)")]


def test_a_named_volume_s_driver_opts_are_merged_across_documents(tmp_path: Path) -> None:
    """Compose merges a later document's mapping into an earlier's key by key: labels added later
    keep the earlier `driver_opts`, and `o: bind` and `device` may come from two documents."""
    text = (
        "services:\n"
        "  web: {image: nginx, volumes: ['root:/host', 'run:/run']}\n"
        "volumes:\n"
        "  root: {driver_opts: {type: none, o: bind, device: /}}\n"
        "  run: {driver_opts: {o: bind}}\n"
        "---\n"
        "volumes:\n"
        "  root: {labels: {a: b}}\n"
        "  run: {driver_opts: {device: /var/run}}\n"
    )
    assert hits(text, tmp_path) == [("COMPOSE-011", 2), ("COMPOSE-010", 2)]


@pytest.mark.parametrize(
    "text",
    [
        # One mapping merged 100,000 times: each copy counts.
        "x-big: &b {" + ", ".join(f"k{n}: v" for n in range(20_000)) + "}\n"
        "services: {web: {<<: [" + ", ".join(["*b"] * 100_000) + "]}}\n",
        # 40,000 volumes mounted and 40,000 declared: the declarations are read once.
        "volumes: {" + ", ".join(f"v{n}: {{}}" for n in range(40_000)) + "}\n"
        "services: {web: {volumes: [" + ", ".join(f"'v{n}:/d{n}'" for n in range(40_000)) + "]}}\n",
        # 20,000 documents each mounting a named volume: the documents are read once.
        "".join(f"---\nservices: {{s{n}: {{volumes: ['v:/x']}}}}\n" for n in range(20_000)),
    ],
)
def test_merges_and_named_volumes_are_walked_in_linear_time(text: str, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    start = time.monotonic()
    report([str(tmp_path / "compose.yaml")])
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A:-${B:-host}}", "host"),
        ("${A:+${B}x}", "${B}x"),
        ("$${A:-x}$$", "${A:-x}$"),
        ("${A:-${B:-x}", "${A:-x"),  # never closed: as written
        ("${A:?${B:-x}}}", "${A:?x}}"),
    ],
)
def test_interpolation_reads_nested_words(text: str, expected: str) -> None:
    assert document.interpolated(text) == expected
    start = time.monotonic()
    document.interpolated("${A:-" * 100_000 + "x" + "}" * 100_000)
    assert time.monotonic() - start < 2


def test_an_alias_bomb_is_walked_in_linear_time(tmp_path: Path) -> None:
    lines = ["a0: &a0 {privileged: true, pid: host}"]
    lines += [f"a{n}: &a{n} {{<<: [{', '.join([f'*a{n - 1}'] * 9)}]}}" for n in range(1, 40)]
    lines += ["services:", "  web:", "    <<: *a39", "    volumes: [*a39, *a39]"]
    start = time.monotonic()
    assert hits("\n".join(lines) + "\n", tmp_path) == [("COMPOSE-001", 1), ("COMPOSE-003", 1)]
    assert time.monotonic() - start < 5


def test_a_merge_cycle_and_a_deep_merge_chain_end(tmp_path: Path) -> None:
    cycle = "x: &x\n  privileged: true\n  <<: *x\nservices:\n  web: *x\n"
    assert hits(cycle, tmp_path) == [("COMPOSE-001", 2)]
    chain = ["x0: &x0 {pid: host}"] + [f"x{n}: &x{n} {{<<: *x{n - 1}}}" for n in range(1, 100)]
    (tmp_path / "compose.yaml").write_text("\n".join([*chain, "services: {web: *x99}"]), encoding="utf-8")
    skipped = report([str(tmp_path / "compose.yaml")])["skipped"]
    assert [s["reason"] for s in skipped] == ["merges mappings more than 64 deep"]


def test_a_symlink_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("services: {web: {privileged: true}}\n", encoding="utf-8")
    (tmp_path / "compose.yaml").symlink_to(tmp_path / "real.yaml")
    found = report([str(tmp_path / "compose.yaml")])
    assert found["results"] == [] and found["skipped"][0]["reason"] == "is a symbolic link, not read"


def test_the_walk_budget_is_a_skipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "MAX_VISITS", 10)
    items = ", ".join(["CHOWN"] * 20)
    (tmp_path / "compose.yaml").write_text(f"services: {{web: {{cap_add: [{items}]}}}}\n", encoding="utf-8")
    skipped = report([str(tmp_path / "compose.yaml")])["skipped"]
    assert skipped[0]["reason"] == "takes more than 10 steps to walk"


def test_severities_match_the_kubernetes_equivalents() -> None:
    high = {"COMPOSE-001", "COMPOSE-002", "COMPOSE-003", "COMPOSE-004", "COMPOSE-006", "COMPOSE-010"}
    high |= {"COMPOSE-011", "COMPOSE-012"}  # host directories (KSV-0121), a database without password
    assert {rule for rule, r in RULES.items() if r.severity is Severity.HIGH} == high
    assert {rule for rule, r in RULES.items() if r.severity is Severity.MEDIUM} == {
        "COMPOSE-005",
        "COMPOSE-007",
        "COMPOSE-008",
        "COMPOSE-009",
        "COMPOSE-013",  # /proc masks off: KSV-0027, medium (Trivy 0.76 on a Pod with `procMount: Unmasked`)
    }


def test_the_process_does_not_import_from_the_view(tmp_path: Path) -> None:
    """The view is the change's: a `mergeguard/` folder in it must not replace the package."""
    view = tmp_path / "view"
    package = view / "mergeguard" / "scanners" / "compose"
    package.mkdir(parents=True)
    planted = f"open({str(tmp_path / 'ran')!r}, 'w')\n"
    for folder in (package.parent.parent, package.parent, package):
        (folder / "__init__.py").write_text(planted, encoding="utf-8")
    (package / "__main__.py").write_text(planted + "print('{}')\n", encoding="utf-8")
    (view / "compose.yaml").write_text("services: {web: {privileged: true}}\n", encoding="utf-8")
    exe = find_executable(SCANNER.executable)
    assert exe is not None and Path(exe).name == Path(sys.executable).name
    target = Target(root=view, files=("compose.yaml",), repo=view, workdir=tmp_path)
    output = run_command(SCANNER.command(exe, target), view, timeout_s=60)
    assert not (tmp_path / "ran").exists()
    assert [f.rule_id for f in SCANNER.parse(output, target)] == ["COMPOSE-001"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"format": 2, "results": [], "skipped": []}',
        '{"format": 1, "results": [{"file": "compose.yaml"}], "skipped": []}',
        '{"format": 1, "results": [], "skipped": {}}',
        json.dumps(
            {
                "format": 1,
                "results": [
                    {
                        "file": "c.yaml",
                        "rule": "COMPOSE-9",
                        "service": "w",
                        "line": 1,
                        "end_line": 1,
                        "detail": "",
                    }
                ],
                "skipped": [],
            }
        ),
    ],
)
def test_anything_but_its_report_is_a_parse_error(text: str) -> None:
    target = Target(root=Path("/view"), files=("c.yaml",), repo=Path("/view"))
    with pytest.raises(ParseError):
        SCANNER.parse(ToolOutput(text), target)
