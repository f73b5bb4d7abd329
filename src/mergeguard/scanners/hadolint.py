"""Adapter for hadolint, the Dockerfile linter (which runs ShellCheck on `RUN` instructions)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from mergeguard.core import dockerfile, jsonload
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import fits
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners import reread
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.reading import load_all
from mergeguard.scanners.sarif.places import unplaced_path
from mergeguard.scanners.tool import ConfigFile, InlineIgnore, Tool
from mergeguard.scanners.toolconfig import yaml_allow

TOOL = "hadolint"

# hadolint's levels rate how wrong a line is, not how exploitable: "error" is a broken or
# forbidden construct (sudo, ADD for local files, untrusted registry, a file it cannot parse),
# "warning" the supply-chain and root-user advice (unpinned apt/apk/pip, last USER root), "info"
# hygiene (apt lists left behind), "style" cosmetics. A repository re-levels a rule it rates
# differently in its .hadolint.yaml (`override:`), which this adapter honours.
SEVERITY: dict[str, Severity] = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.LOW,
    "style": Severity.INFO,
}
PARSE_ERROR_RULE = "DL1000"  # not a lint: the file did not parse, so no other rule ran on it

_HELP = {"DL": "https://github.com/hadolint/hadolint/wiki/", "SC": "https://www.shellcheck.net/wiki/"}
_DOCUMENTED_RULE = re.compile(r"(DL|SC)\d{4}")
_CONFIG_ERROR = re.compile(r"Error parsing your config file in\s+'([^']*)'")
_FIELDS = {"code": str, "level": str, "file": str, "line": int, "column": int, "message": str}
_DECODER = json.JSONDecoder()
# Its config: `format`/`no-fail`/`failure-threshold` would change the report mergeguard reads.
_CONFIG_FILES = (".hadolint.yaml", ".hadolint.yml")  # read from the directory it runs in
_MAX_REWRITTEN_BYTES = 1_000_000  # a Dockerfile is a few KB; a bigger one is linted as it is
_CONFIG_KEYS = frozenset(
    {"ignored", "override", "trustedRegistries", "label-schema", "strict-labels", "disable-ignore-pragma"}
)


class HadolintScanner:
    """hadolint on the Dockerfiles in scope, configured only by the repository's .hadolint.yaml."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = TOOL
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        """`hadolint -f json --no-fail -- FILES`, run in the view so its .hadolint.yaml applies."""
        # hadolint reads ./.hadolint.y(a)ml first, then falls back to $XDG_CONFIG_HOME and $HOME:
        # point those at a directory that does not exist, so a personal config cannot change
        # what the gate finds. Inline `# hadolint ignore=` pragmas stay on (no flag disables them).
        nowhere = str(target.workdir / "hadolint-no-user-config")
        env = {"HOME": nowhere, "XDG_CONFIG_HOME": nowhere}
        argv = (exe, "-f", "json", "--no-fail", "--", *target.files)
        return Command(argv=argv, env=env, cwd=_parseable_view(target))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings from hadolint's JSON array, or several appended to one file by repeated runs
        (`[][][{…}]`); ScannerError if it ran without the repo's config."""
        _check_config(output.stderr)
        findings = [_finding(_record(item), target) for item in _results(output.report)]
        return reread.recheck(findings, target.root, _recheck)


def _recheck(finding: Finding) -> reread.Recheck | None:
    """ShellCheck's checks (SC…) are asked again (a Windows stage's RUN lines are no POSIX shell), and
    "COPY instead of ADD" (an ADD of a URL a build arg names, or checksummed, is what ADD is for)."""
    if finding.rule_id == "DL3020":
        return reread.remote_add
    if finding.rule_id == "DL3025":  # on a HEALTHCHECK line: not CMD's exec-form advice
        return reread.exec_form
    return reread.posix_shell if finding.rule_id.startswith("SC") else None


def _parseable_view(target: Target) -> Path | None:
    """Where hadolint runs when a Dockerfile has valid syntax its parser trips on (a heredoc followed
    right away by a line, a mount without a target): a copy of the files it lints, laid out as in the
    view, each with `_parseable` applied (the same lines, so the same line numbers and paths), and
    the view's config file. None: no file needs it."""
    texts = {name: read_regular(target.root / name) for name in target.files}
    rewritten = {name: _parseable(data) for name, data in texts.items() if data is not None}
    if not any(rewritten.values()) or None in texts.values():  # one it cannot copy: linted where it is
        return None
    view = target.workdir / "hadolint-view"
    for name, data in texts.items():
        copy = view / name  # repo-relative paths the view already holds: they stay inside
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(rewritten.get(name) or data or b"")
    for config in _CONFIG_FILES:
        if (data := read_regular(target.root / config)) is not None:
            (view / config).write_bytes(data)
    return view


def _parseable(data: bytes) -> bytes | None:
    """`data` as hadolint can parse it (`dockerfile.spaced_after_heredocs`, then
    `dockerfile.targeted_mounts`), or None when it needs neither."""
    if len(data) > _MAX_REWRITTEN_BYTES or (b"<<" not in data and b"--mount" not in data):
        return None
    text = original = data.decode("utf-8", "surrogateescape")
    for rewrite in (dockerfile.spaced_after_heredocs, dockerfile.targeted_mounts):
        text = rewrite(text) or text
    return None if text == original else text.encode("utf-8", "surrogateescape")


# Its pragmas as hadolint 2.15.1 honours them (measured): right above an instruction, or `global`
# for the whole file; read no more loosely (words after the rules make it skip nothing, so here too).
_RULES = r"(?P<rules>[A-Z]{2}\d{4}(?:\s*,\s*[A-Z]{2}\d{4})*)"
_IGNORE = re.compile(rf"#\s*hadolint\s+ignore\s*=\s*{_RULES}")
_GLOBAL_IGNORE = re.compile(rf"#\s*hadolint\s+global\s+ignore\s*=\s*{_RULES}")


def inline_ignores(lines: Sequence[str]) -> list[InlineIgnore]:
    """`# hadolint ignore=DL3008,DL3015` on the instruction below it; `# hadolint global ignore=…`
    (counted only above an instruction, not inside one) on the whole file."""
    local = dockerfile.commented(lines, _IGNORE)
    whole = dockerfile.commented(lines, _GLOBAL_IGNORE)
    return [
        *(InlineIgnore(line, first, last, _codes(match)) for line, first, last, match in local),
        *(InlineIgnore(line, 1, len(lines), _codes(match)) for line, _, _, match in whole),
    ]


def _codes(match: re.Match[str]) -> frozenset[str]:
    return frozenset(re.split(r"\s*,\s*", match.group("rules")))


def help_uri(code: str) -> str | None:
    """The rule's documentation page: hadolint's wiki for DL rules, ShellCheck's for SC rules."""
    if not _DOCUMENTED_RULE.fullmatch(code) or code == PARSE_ERROR_RULE:
        return None  # DL1000 has no page; anything else is not a code worth linking
    return _HELP[code[:2]] + code


def _check_config(stderr: str) -> None:
    # A .hadolint.yaml that does not parse is reported on stderr and then ignored (exit 0): the
    # run would silently drop the repository's ignores and overrides.
    match = _CONFIG_ERROR.search(stderr)
    if match:
        name = PurePosixPath(match.group(1)).name or ".hadolint.yaml"
        raise ScannerError(f"hadolint could not parse {name} and would lint without it; fix that file")


def _results(report: str) -> list[Any]:
    """hadolint's JSON array: the last value on stdout.

    A `format:` in .hadolint.yaml (or HADOLINT_FORMAT) adds that format to ours instead of
    replacing it, printed first and not always followed by a newline, e.g. `{sarif…}[{…}]`.
    """
    try:
        jsonload.check_bounds(report)  # before any decoding: a deep or huge text is refused whole
    except jsonload.JsonProblem as exc:
        raise ParseError(f"{TOOL}: the JSON report cannot be read: {exc.detail}") from None
    runs = _appended_runs(report)
    if runs is not None:
        return runs
    end = len(report.rstrip())
    start = report.rfind("[", 0, end)
    while start >= 0:
        value, stop = _decode_at(report, start)
        if stop == end and isinstance(value, list):
            return value
        start = report.rfind("[", 0, start)
    data = load_json(report, TOOL)  # raises the ParseError that says what is wrong
    raise ParseError(f"hadolint printed JSON that is not a list of results ({type(data).__name__})")


def _appended_runs(report: str) -> list[Any] | None:
    """The results of several runs' arrays written back to back; None for anything else.

    An array equal to the one before it is one run printed twice (`format: json` in .hadolint.yaml
    prints its JSON, then ours): it counts once.
    """
    try:
        values = load_all(report, TOOL)
    except ParseError:
        return None
    if len(values) > 1 and all(isinstance(v, list) for v in values):
        runs = [value for i, value in enumerate(values) if i == 0 or value != values[i - 1]]
        return [item for value in runs for item in value]
    return None


def _decode_at(text: str, start: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        return None, -1


def _record(item: object) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ParseError(f"hadolint result is not an object: {item!r:.80}")
    for key, kind in _FIELDS.items():
        if not fits(item.get(key), kind):
            raise ParseError(f"hadolint result has no valid {key!r}: {item!r:.120}")
    return item


def _finding(item: dict[str, Any], target: Target) -> Finding:
    code: str = item["code"]
    message = " ".join(item["message"].split())  # DL1000 messages span lines
    title = message.split(". ", maxsplit=1)[0].rstrip(".")
    if code == PARSE_ERROR_RULE:
        title = "Dockerfile could not be parsed"
        message = f"hadolint could not parse this file, so no rule was checked in it: {message}"
    return Finding(
        tool=TOOL,
        rule_id=code,
        severity=SEVERITY.get(item["level"], Severity.UNKNOWN),
        title=title,
        message=message,
        location=Location(_path(item["file"], target), item["line"], column=item["column"]),
        kind=Kind.MISCONFIGURATION,
        help_uri=help_uri(code),
    )


def _path(reported: str, target: Target) -> str:
    """The file, repo-relative; `-` (what `hadolint - < Dockerfile` names standard input) is no file of
    the repository: such findings are kept at `unplaced/hadolint`, unless a file named `-` was scanned."""
    if reported == "-" and reported not in target.files:
        return unplaced_path(TOOL)
    return relative_path(reported, target)


_CONFIG = yaml_allow(dict.fromkeys(_CONFIG_KEYS))
TOOLS = (
    Tool(
        TOOL,
        homepage="https://github.com/hadolint/hadolint",
        scanner=HadolintScanner(),
        reader=HadolintScanner(),
        start_order=90,
        shard_weight=1,
        rescans_base=True,
        unparsed_rules=frozenset({PARSE_ERROR_RULE}),
        config_files=tuple(ConfigFile(name, _CONFIG) for name in _CONFIG_FILES),
        line_concepts={
            "DL3007": "image-tag-latest",
            "DL3006": "image-tag-latest",
            "DL4000": "maintainer-deprecated",
            "DL3000": "workdir-relative",
            "DL3004": "sudo",
            "DL3020": "add-instead-of-copy",
            "DL3021": "copy-sources-to-non-directory",
            "DL3019": "apk-no-cache",
            "DL3015": "apt-get-no-install-recommends",
            "DL3027": "apt-instead-of-apt-get",
        },
        file_concepts={"DL3002": "runs-as-root"},
        inline_suppressions=(r"hadolint\s+(?:global\s+ignore|ignore|shell)\s*=",),  # shell=: no ShellCheck
        inline_ignores=inline_ignores,
        sarif_kind=Kind.MISCONFIGURATION,
        precommit=True,
    ),
)
