"""detect-secrets: its offline command line, and its findings less those `.secrets.baseline` accepts."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from mergeguard.core import jsonload
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import Fail, maybe, need
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.sources import SourceLines
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.detect_secrets import blocks

_T = TypeVar("_T")
TOOL = "detect-secrets"
BASELINE_FILE = ".secrets.baseline"
# The baseline at the root holds sha1 hashes that the entropy plugins flag; detect-secrets skips
# it only when given `--baseline`, which would rewrite it, so it is excluded by name instead.
# Baselines hold hashes, which detect-secrets takes for high-entropy strings: its own, and mergeguard's.
_BASELINE_PATTERN = r"(^|/)(\.secrets\.baseline|\.mergeguard-baseline\.yml)$"
# detect-secrets reads a file line by line through every plugin, in Python: about 4 s for 1 MB of
# text, 8 s for 2 MB, 28 s for 4 MB on this two-core machine, so one 50 MB file outlasts any timeout.
# Files over this size are left out of its run and listed in its outcome (see `sizelimit`).
MAX_FILE_BYTES = 2 * 1024 * 1024

# Keyed by detect-secrets' plugin `type` (1.5.0's 27 plugins). Anything that can be a credential is
# HIGH: detect-secrets says nothing about how much a secret opens. A clear-text private key is a
# whole credential on its own, so CRITICAL; a public IP address is information, not a credential.
# A type not listed (a custom plugin's) is still a secret: HIGH, not UNKNOWN, so it blocks a gate.
SEVERITIES: dict[str, Severity] = {
    "Private Key": Severity.CRITICAL,
    **dict.fromkeys(
        (
            "AWS Access Key",
            "Artifactory Credentials",
            "Azure Storage Account access key",
            "Base64 High Entropy String",
            "Basic Auth Credentials",
            "Cloudant Credentials",
            "Discord Bot Token",
            "GitHub Token",
            "GitLab Token",
            "Hex High Entropy String",
            "IBM COS HMAC Credentials",
            "IBM Cloud IAM Key",
            "JSON Web Token",
            "Mailchimp Access Key",
            "NPM tokens",
            "OpenAI Token",
            "PyPI Token",
            "Secret Keyword",
            "SendGrid API Key",
            "Slack Token",
            "SoftLayer Credentials",
            "Square OAuth Secret",
            "Stripe Access Key",
            "Telegram Bot Token",
            "Twilio API Key",
        ),
        Severity.HIGH,
    ),
    "Public IP (ipv4)": Severity.LOW,
}
DEFAULT_SEVERITY = Severity.HIGH
_NOT_CREDENTIALS = frozenset({"Public IP (ipv4)"})

# A secret's identity in a detect-secrets baseline: (path, plugin type, sha1 of the secret).
Identity = tuple[str, str, str]


class DetectSecretsScanner:
    """`detect-secrets scan` of the files in scope, never verifying what it finds over the network."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = "detect-secrets"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    max_file_bytes: ClassVar[int] = MAX_FILE_BYTES  # larger files are not given to it, and listed

    def command(self, exe: str, target: Target) -> Command:
        # --no-verify: by default found AWS keys (and others) are sent to their provider to check.
        # Named files are scanned whether or not git tracks them, so no --all-files is needed.
        return Command(
            (exe, "scan", "--no-verify", "--exclude-files", _BASELINE_PATTERN, "--", *target.files)
        )

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        accepted = read_baseline(target)
        found = [f for f in parse_report(output.report, target) if identity(f) not in accepted]
        return blocks.placed(found, SourceLines(target.root))  # the view's files, as the tool read them


def parse_report(text: str, target: Target, *, drop_audited: bool = False) -> list[Finding]:
    """Every secret in a `detect-secrets scan` report or baseline (0.x and 1.x write the same `results`).

    With `drop_audited`, entries a person audited as not secret (`"is_secret": false`) are left out:
    that is how a baseline read as a report keeps detect-secrets' own suppression.
    """
    report = load_json(text, TOOL)
    if not isinstance(report, dict):
        raise ParseError(f"{TOOL}: the report is not a JSON object")
    findings = []
    for name, entries in _results(report, "report").items():
        path = relative_path(name, target)
        for i, entry in enumerate(entries):
            where = f"results[{name!r}][{i}]"
            if drop_audited and _optional_bool(entry, "is_secret", where) is False:
                continue
            finding = _finding(entry, path, where)
            if finding.evidence not in DOCUMENTED_EXAMPLES:
                findings.append(finding)
    return findings


# sha1 of the credentials AWS's documentation uses as examples (the two access key ids ending in
# "EXAMPLE" and their secret keys ending in "EXAMPLEKEY"): in READMEs, docs and tests everywhere,
# valid for no account. Gitleaks and Trivy leave them out; detect-secrets reports them as AWS keys.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "25910f981e85ca04baf359199dd0bd4a3ae738b6",
        "d70eab08607a4d05faa2d0d6647206599e9abc65",
        "1baa9968f9c6d470bb9957fd12fea784b7979650",
        "4bfc31b4fc45580cf54de00b69a1831aa44affb5",
    }
)


class DetectSecretsReport:
    """A `detect-secrets scan` report or a `.secrets.baseline` of any version, read by `convert`."""

    name: ClassVar[str] = TOOL

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        found = parse_report(output.report, target, drop_audited=True)
        return blocks.placed(found, SourceLines(target.root))  # where the files are at hand (--root)


def _finding(entry: dict[str, Any], path: str, where: str) -> Finding:
    kind = _required(entry, "type", str, where)
    return Finding(
        tool=TOOL,
        rule_id=kind,
        severity=SEVERITIES.get(kind, DEFAULT_SEVERITY),
        title=kind,
        message=f"Potential secret found by detect-secrets' {kind} check (value withheld)",
        location=Location(path, start_line=_required(entry, "line_number", int, where)),
        kind=Kind.SECRET,
        cwe_ids=() if kind in _NOT_CREDENTIALS else ("CWE-798",),
        evidence=_required(entry, "hashed_secret", str, where),  # sha1 of the secret, never the secret
    )


def identity(finding: Finding) -> Identity:
    """The baseline identity of a finding made by `parse_report` (line numbers left out)."""
    return (finding.location.path, finding.rule_id, finding.evidence)


def read_baseline(target: Target) -> frozenset[Identity]:
    """The secrets `.secrets.baseline` in the scanned directory accepts: read in parse, isolated.

    The runner hands parse only the tool's output, and `scan --baseline` would rewrite the user's
    file, so the baseline is read here; everything past the read is `accepted_in_baseline`.
    """
    path = target.root / BASELINE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{TOOL}: cannot read {BASELINE_FILE}: {exc}") from None
    return accepted_in_baseline(text, target)


def accepted_in_baseline(text: str, target: Target) -> frozenset[Identity]:
    """Identities of the baseline's secrets, except those audited as real (`"is_secret": true`)."""
    try:
        baseline = jsonload.parse_whole(text)
    except jsonload.JsonProblem as exc:
        raise ParseError(f"{TOOL}: {BASELINE_FILE} is not valid JSON ({exc.detail})") from None
    if not isinstance(baseline, dict):
        raise ParseError(f"{TOOL}: {BASELINE_FILE} is not a JSON object")
    accepted = set()
    for name, entries in _results(baseline, BASELINE_FILE).items():
        for i, entry in enumerate(entries):
            where = f"{BASELINE_FILE} results[{name!r}][{i}]"
            kind, hashed = _required(entry, "type", str, where), _required(entry, "hashed_secret", str, where)
            if _optional_bool(entry, "is_secret", where) is not True:
                accepted.add((_baseline_path(name, target), kind, hashed))
    return frozenset(accepted)


def _baseline_path(name: str, target: Target) -> str:
    """A baseline path made comparable; one outside the scanned directory can match nothing."""
    try:
        return relative_path(name, target)
    except ParseError:
        return name


def _results(holder: dict[str, Any], source: str) -> dict[str, list[dict[str, Any]]]:
    results = holder.get("results")
    if not isinstance(results, dict):
        raise ParseError(f"{TOOL}: {source} has no `results` object")
    for name, entries in results.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ParseError(f"{TOOL}: {source} results[{name!r}] is not a list of objects")
    return results


def _required(entry: dict[str, Any], key: str, kind: type[_T], where: str) -> _T:
    return need(entry.get(key), kind, _not(where, key, "missing or not a non-empty", kind), empty=False)


def _optional_bool(entry: dict[str, Any], key: str, where: str) -> bool | None:
    return maybe(entry.get(key), bool, _not(where, key, "not true, false or null"))


def _not(where: str, key: str, expected: str, kind: type | None = None) -> Fail:
    """The error for `where.key`, worded only when it is raised."""
    return lambda _: ParseError(f"{TOOL}: {where}.{key} is {expected}{f' {kind.__name__}' if kind else ''}")
