"""The one currency of mergeguard: the frozen `Finding` and the small types it is built from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from mergeguard.core.quickinit import quick_init


class Severity(enum.IntEnum):
    """Normalised severity, ordered so that `finding.severity >= policy.fail_on` reads naturally.

    UNKNOWN sits below INFO: a tool that gives no rating does not block a gate set to "info" or
    above unless its adapter maps it to a real level.
    """

    UNKNOWN = 0
    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return _LABELS[self]  # asked for by every reporter of every finding: looked up, not rebuilt

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity named by `text` (any case); ValueError for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None


_LABELS = {severity: severity.name.lower() for severity in Severity}


class Kind(enum.StrEnum):
    """What sort of problem a finding is."""

    VULNERABILITY = "vulnerability"
    MISCONFIGURATION = "misconfiguration"
    SECRET = "secret"  # noqa: S105  # pragma: allowlist secret - a category name
    CODE = "code"
    DEPENDENCY = "dependency"


@quick_init
@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: a repo-relative POSIX path and a 1-based line range (adapters turn a
    Windows report's backslashes into `/`; one left is part of a name, as Linux allows)."""

    path: str
    start_line: int = 1
    end_line: int = 0
    column: int | None = None

    def __post_init__(self) -> None:
        if not self.path or self.path.startswith("/"):
            raise ValueError(f"location path must be repo-relative POSIX, got {self.path!r}")
        if self.start_line < 1:
            object.__setattr__(self, "start_line", 1)
        if self.end_line < self.start_line:
            object.__setattr__(self, "end_line", self.start_line)


@quick_init
@dataclass(frozen=True, slots=True)
class Package:
    """A dependency a vulnerability was found in."""

    name: str
    installed: str
    fixed: str | None = None
    ecosystem: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Sighting:
    """Another tool's report of the same problem, kept on the finding it was merged into. Its
    `message` (which may name the resource) is kept for comparing with the base's reports only."""

    tool: str
    rule_id: str
    message: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SeverityNote:
    """Why a finding's severity is not the one its tool gave: the tool's severity and the reason."""

    original: Severity
    reason: str

    @property
    def text(self) -> str:
        return f"lowered from {self.original.label}: {self.reason}"


@quick_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One problem one tool reported, normalised.

    `evidence` is the non-secret content the fingerprint is built from when the source lines are
    not the right identity (a hashed secret, a package and advisory); empty means "the source
    lines at the location". `fingerprint` is filled in by `fingerprints.assign`; `also` lists the
    other tools that reported the same problem (filled in by `dedupe.merge`).
    """

    tool: str
    rule_id: str
    severity: Severity
    title: str
    message: str
    location: Location
    kind: Kind
    package: Package | None = None
    cve_ids: tuple[str, ...] = ()
    cwe_ids: tuple[str, ...] = ()
    help_uri: str | None = None
    commit: str | None = None
    evidence: str = field(default="", repr=False)
    fingerprint: str = ""
    also: tuple[Sighting, ...] = ()
    severity_note: SeverityNote | None = None  # set by `agreement.apply` when it lowered the severity

    @property
    def tools(self) -> tuple[str, ...]:
        """Every tool that reported this problem, the reporting one first."""
        if not self.also:  # the usual case, asked once per finding by every reporter
            return (self.tool,)
        return tuple(dict.fromkeys((self.tool, *(s.tool for s in self.also))))
