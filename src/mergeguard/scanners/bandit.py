"""Adapter for Bandit, the security linter for Python source."""

from __future__ import annotations

import configparser
import fnmatch
import re
from dataclasses import replace
from typing import Any, ClassVar

import yaml

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import dig, need
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location, Severity, SeverityNote
from mergeguard.scanners import nosec, pyproject
from mergeguard.scanners.base import (
    Command,
    IncompleteReport,
    Target,
    ToolOutput,
    load_json,
    relative_path,
    settings_copy,
)
from mergeguard.scanners.reading import load_report
from mergeguard.scanners.tool import ConfigFile, Tool

TOOL = "bandit"

# Bandit's issue_severity, one to one. Confidence (how sure the test is that this is a real
# issue) stays out of the severity and goes into the message: a policy fails on impact, and a
# low-confidence HIGH is still worth a human look. UNDEFINED is a plugin that gave no rating.
SEVERITY: dict[str, Severity] = {
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "UNDEFINED": Severity.UNKNOWN,
}
# A file Bandit could not check (Python it cannot parse, or a crash on that file) is reported as
# a finding of its own, not dropped: it exits 0 and every issue in that file goes unseen.
SKIPPED_RULE = "skipped-file"
SKIPPED_SEVERITY = Severity.HIGH
# The `errors` reasons that are about the file itself; any other reason is the strerror of a file
# Bandit could not open, which means the scan was set up wrong, not that the file is odd.
_FILE_REASONS = frozenset({"syntax error while parsing AST from file", "exception while scanning file"})
# Tests whose issue_text quotes the hard-coded password in clear.
_SECRET_RULES = frozenset({"B105", "B106", "B107"})
_REDACTED = "Possible hardcoded password (value redacted)"
_PROJECT_CONFIG = "pyproject.toml"
# `.bandit` (INI): `output`, `baseline`, `format`, `targets` would redirect or filter the report.
_INI_KEYS = frozenset({"skips", "tests", "exclude", "exclude_dirs"})


class BanditScanner:
    """Bandit on the Python files in scope, `# nosec` honoured."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = TOOL
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        """`bandit -f json -q --exit-zero --exclude= [-c pyproject.toml] -- FILES`, from the view's root."""
        # Bandit's default --exclude entries (.git, .tox, CVS…) match as substrings even for files
        # named on the command line, so `.github/scripts/x.py` would be skipped without a word;
        # the pipeline already chose the files, so turn them off.
        argv = (exe, "-f", "json", "-q", "--exit-zero", "--exclude=")
        # [tool.bandit] (skips, per-test settings) is read only when named; a pyproject.toml
        # without that table changes nothing. A `.bandit` file is left alone: its `output` and
        # `baseline` keys would redirect or filter the report.
        settings = settings_copy(target, _PROJECT_CONFIG)
        named = _PROJECT_CONFIG if settings == target.root / _PROJECT_CONFIG else str(settings)
        config = ("-c", named) if settings.is_file() and settings.stat().st_size else ()
        files = target.files
        table = bandit_table(read_regular(settings)) if config else None
        if isinstance(table, dict) and isinstance(table.get("exclude_dirs"), list):
            files = tuple(f for f in files if not excluded_dir(f, table["exclude_dirs"]))
            written = target.workdir / "bandit.yaml"  # Bandit reads a YAML config by its extension
            written.write_text(yaml.safe_dump({k: v for k, v in table.items() if k != "exclude_dirs"}))
            config = ("-c", str(written))
        if not files:  # every file in scope excluded: Bandit reads an empty directory (no results)
            (target.workdir / "none").mkdir(exist_ok=True)
            return Command(argv=(*argv, *config, "-r", "--", str(target.workdir / "none")))
        return Command(argv=(*argv, *config, "--", *files))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings for Bandit's results and for each file it could not check, from any version's
        report: before 1.7.3 results had no `issue_cwe`, before 1.7.1 no `col_offset`. Such results
        get no CWE and no column, never an invented one."""
        data = _load(output.report)
        if not isinstance(data, dict):
            raise ParseError(f"bandit printed JSON that is not a report object ({type(data).__name__})")
        results = [item for item in _list(data, "results") if not _data_filter(item)]
        errors = _list(data, "errors")
        unread: list[Any] = []
        skipped = []
        for item in errors:  # a file it could not parse is a finding; one it could not open, no file's fault
            if _field(item, "reason", str) in _FILE_REASONS:
                skipped.append(_skipped(item, target))
            else:
                unread.append(item)
        # In file order (stable: a file's own order kept): Bandit lists every result before every
        # file it could not check, so without this a file list cut in chunks (cores, shards) would
        # put those in other places than one run does.
        issues = _maintained_crypto([_issue(item, target) for item in results], target)
        findings = sorted(issues + skipped, key=lambda f: f.location.path)
        if unread:  # not the file's fault: the scan was set up wrong, and the run is incomplete
            said = "; ".join(
                f"{relative_path(_field(i, 'filename', str), target)}: {i['reason']}" for i in unread
            )
            raise IncompleteReport(f"bandit could not read {said}", findings)
        return findings


def excluded_dir(path: str, entries: list[Any]) -> bool:
    """Whether `[tool.bandit] exclude_dirs` leaves `path` out, applied here and not by Bandit: Bandit
    leaves out a path that matches an entry as a glob or merely contains it, so the usual `tests`
    also left out `app/contests/views.py` (a name a pull request chooses). A plain entry is a whole
    name: that path, or a directory of that name (or path) at any depth; a glob is matched as Bandit
    matches it."""
    for entry in entries:
        name = entry.strip().removeprefix("./").strip("/") if isinstance(entry, str) else ""
        if not name:
            continue
        if any(char in name for char in "*?["):
            if fnmatch.fnmatch(path, entry) or fnmatch.fnmatch(f"./{path}", entry):
                return True
        elif path == name or path.startswith(f"{name}/") or f"/{name}/" in f"/{path}":
            return True
    return False


def _maintained_crypto(findings: list[Finding], target: Target) -> list[Finding]:
    """Bandit's B413 (pyCrypto is unmaintained), a blacklist of the `Crypto` namespace, lowered to low
    where the project's dependency files name pycryptodome, the maintained library that reuses that
    namespace, and none names pycrypto (a false alarm Bandit keeps: PyCQA/bandit#614)."""
    if not any(f.rule_id == "B413" for f in findings):
        return findings
    texts = [
        data.decode("utf-8", "replace")
        for pattern in _MANIFESTS
        for path in sorted(target.root.glob(pattern))
        if (data := read_regular(path)) is not None
    ]
    if not any(_PYCRYPTODOME.search(t) for t in texts) or any(_PYCRYPTO.search(t) for t in texts):
        return findings
    note = "the project's dependency files name pycryptodome (maintained, the same `Crypto` namespace)"
    return [
        replace(f, severity=Severity.LOW, severity_note=SeverityNote(f.severity, note))
        if f.rule_id == "B413" and f.severity > Severity.LOW
        else f
        for f in findings
    ]


# Dependency files at the top and one folder down, where a project names pycryptodome.
_MANIFESTS = tuple(
    f"{folder}{name}"
    for folder in ("", "*/")
    for name in ("requirements*.txt", "requirements/*.txt", "pyproject.toml", "setup.cfg", "setup.py",
                 "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock")
)  # fmt: skip
_PYCRYPTODOME = re.compile(r"\bpycryptodome\b", re.IGNORECASE)
_PYCRYPTO = re.compile(r"\bpycrypto\b", re.IGNORECASE)


def _data_filter(item: object) -> bool:
    """B202 (unsafe tar members) on an extraction given `filter=tarfile.data_filter`: the function
    `filter="data"` names, the documented safe filter, which Bandit accepts only as that string."""
    if dig(item, ("test_id",)) != "B202" or not isinstance(code := dig(item, ("code",)), str):
        return False
    span = dig(item, ("line_range",)) or []
    numbered = (line.strip().partition(" ") for line in code.splitlines())
    text = " ".join(rest for number, _, rest in numbered if number.isdigit() and int(number) in span)
    return _DATA_FILTER.search(text) is not None


# The whole argument, `tarfile.` included: not `filter=tarfile.data_filter if x else None`, not a
# `data_filter` of one's own.
_DATA_FILTER = re.compile(r"\bfilter\s*=\s*tarfile\.data_filter\s*(?:[,)]|$)")


def _load(text: str) -> Any:
    """The report: what Bandit prints, or the first JSON value of a file with text around it."""
    try:
        return load_json(text, TOOL)
    except ParseError as exc:
        try:
            return load_report(text, TOOL)
        except ParseError:
            raise exc from None


def _list(data: dict[str, Any], key: str) -> list[Any]:
    return need(data.get(key), list, lambda _: ParseError(f"bandit report has no {key!r} list"))


def _field(item: object, key: str, kind: type) -> Any:
    return need(dig(item, (key,)), kind, lambda _: _missing(key, kind, item))


def _missing(key: str, kind: type, item: object) -> ParseError:
    return ParseError(f"bandit {key!r} missing or not a {kind.__name__} in {item!r:.120}")


def _issue(item: object, target: Target) -> Finding:
    rule: str = _field(item, "test_id", str)
    text: str = _REDACTED if rule in _SECRET_RULES else _field(item, "issue_text", str)
    confidence: str = _field(item, "issue_confidence", str)
    return Finding(
        tool=TOOL,
        rule_id=rule,
        severity=SEVERITY.get(_field(item, "issue_severity", str).upper(), Severity.UNKNOWN),
        title=_title(_field(item, "test_name", str), text),
        message=f"{text} (confidence: {confidence.lower()})",
        location=_location(item, target),
        kind=Kind.CODE,
        cwe_ids=_cwe(_field(item, "issue_cwe", dict)) if _has(item, "issue_cwe") else (),
        help_uri=_help(item),
    )


def _title(test_name: str, text: str) -> str:
    # The blacklist tests (B3xx calls, B4xx imports) all share the name "blacklist".
    if test_name == "blacklist":
        return text.split(". ", maxsplit=1)[0].rstrip(".")
    return test_name.replace("_", " ")


def _location(item: object, target: Target) -> Location:
    line: int = _field(item, "line_number", int)
    span: list[Any] = _field(item, "line_range", list)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in span):
        raise ParseError(f"bandit 'line_range' is not a list of line numbers: {span!r:.80}")
    # Bandit's columns count from 0; a report older than 1.7.1 has none.
    column: int | None = _field(item, "col_offset", int) + 1 if _has(item, "col_offset") else None
    path = relative_path(_field(item, "filename", str), target)
    return Location(path, line, max([line, *span]), column)


def _has(item: object, key: str) -> bool:
    return isinstance(item, dict) and key in item


def _cwe(cwe: dict[str, Any]) -> tuple[str, ...]:
    ident = cwe.get("id")  # {} when the test names no CWE
    if ident is None:
        return ()
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ParseError(f"bandit 'issue_cwe' id is not a number: {ident!r:.40}")
    return (f"CWE-{ident}",) if ident > 0 else ()


def _help(item: object) -> str | None:
    uri = item.get("more_info") if isinstance(item, dict) else None
    return uri if isinstance(uri, str) and uri.startswith("https://") else None


def _skipped(item: object, target: Target) -> Finding:
    path = relative_path(_field(item, "filename", str), target)
    reason: str = _field(item, "reason", str)
    return Finding(
        tool=TOOL,
        rule_id=SKIPPED_RULE,
        severity=SKIPPED_SEVERITY,
        title="File not checked by Bandit",
        message=f"Bandit checked nothing in this file, so any issue in it went unseen: {reason}"
        + _why(reason),
        location=Location(
            path, 1, line_count(target.root / path) or 1
        ),  # 1: a report converted elsewhere  # the whole file: new if it changed
        kind=Kind.CODE,
        evidence=reason,  # whole-file finding: identified by why, not by whatever line 1 says
    )


def _why(reason: str) -> str:
    if "syntax error" not in reason:
        return ""
    return (
        " (Bandit parses with the Python it runs on: syntax newer than that Python, such as 3.12's"
        " `type` statements and `class C[T]`, reads as an error; the Action's image runs Python 3.11:"
        " run mergeguard from `pip install` on the project's Python, or accept the file in the baseline)"
    )


def _ini(data: bytes, notes: list[str]) -> bytes:
    """`.bandit`'s `[bandit]` section with only the keys that skip or select tests and files."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(data.decode("utf-8"))
    if not parser.has_section(TOOL):
        return b""
    out = [f"[{TOOL}]\n"]
    for key, value in parser.items(TOOL):
        if key in _INI_KEYS and "\n" not in value:
            out.append(f"{key} = {value}\n")
        else:
            notes.append(f"ignored key {key[:60]!r}")
    return "".join(out).encode("utf-8")


def bandit_table(data: bytes | None) -> Any:
    """The `[tool.bandit]` table of a pyproject.toml (None when absent); a marker when unreadable."""
    return pyproject.tool_table(data, TOOL)


def with_base_bandit(change: bytes, base: bytes | None) -> bytes | None:
    """`change` with its `[tool.bandit]` tables swapped for `base`'s; None if that cannot be exact."""
    return pyproject.with_base_table(change, base, TOOL)


def pyproject_effects(before: bytes | None, after: bytes | None) -> list[str] | None:
    """A change to pyproject.toml's `[tool.bandit]`; None for any other edit (a dependency's)."""
    if bandit_table(before) == bandit_table(after):
        return None  # a dependency change only: not the policy
    return ["changes Bandit's settings ([tool.bandit])"]


def setup_cfg_effects(before: bytes | None, after: bytes | None) -> list[str] | None:
    """A change to setup.cfg's Bandit sections; None for any other edit."""

    def sections(data: bytes | None) -> object:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string((data or b"").decode("utf-8"))
        except (ValueError, configparser.Error):
            return "(unreadable)"
        return {s: dict(parser.items(s)) for s in parser.sections() if TOOL in s}

    return None if sections(before) == sections(after) else ["changes Bandit's settings"]


TOOLS = (
    Tool(
        TOOL,
        homepage="https://bandit.readthedocs.io/",
        scanner=BanditScanner(),
        reader=BanditScanner(),
        start_order=60,
        shard_weight=2,
        # pyproject.toml is also a dependency manifest, kept as written ([tool.bandit] has no
        # plugin or output keys); the base's table is put back when the change's copy is in scope.
        config_files=(
            ConfigFile(".bandit", _ini),
            ConfigFile(_PROJECT_CONFIG, settings=bandit_table, base_settings=with_base_bandit),
        ),
        policy_effects={_PROJECT_CONFIG: pyproject_effects, "setup.cfg": setup_cfg_effects},
        inline_suppressions=(nosec.NOSEC,),
        reached_suppressions=nosec.reached,
        precommit=True,
        per_file=True,
    ),
)
