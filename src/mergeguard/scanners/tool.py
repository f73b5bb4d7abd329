"""Everything mergeguard knows about one tool, declared once in that tool's own module as `TOOLS`."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from mergeguard.core.changes import ChangeSet
from mergeguard.core.config import Config
from mergeguard.core.model import Finding, Kind
from mergeguard.core.outcome import ScanOutcome
from mergeguard.scanners.base import Job, Scanner, Target, ToolOutput
from mergeguard.vulns.database import VulnDb
from mergeguard.vulns.images import ImageSpec

# A config file's filter: its bytes cut to what the tool may take from the repository (b"": leave
# it out), with one note appended per thing dropped; may raise toolconfig.Unusable.
Sanitizer = Callable[[bytes, list[str]], bytes]
# A manifest that is also a tool's config (pyproject.toml): the change's copy with the base's
# settings for this tool put back, or None when the two cannot be combined exactly.
BaseSettings = Callable[[bytes, bytes | None], bytes | None]
# The tool's settings read from such a file (compared between change and base); None when absent.
SettingsOf = Callable[[bytes | None], object]
# What a change to a config file (before, after; None: absent) would do to the policy, one line each;
# None when the change does not touch the policy (a dependency edit in a pyproject.toml).
PolicyEffects = Callable[[bytes | None, bytes | None], list[str] | None]
# The outcomes once every scanner has run, with what the tool adds to its own (a database's age).
Annotate = Callable[[Sequence[ScanOutcome], VulnDb], list[ScanOutcome]]


class ImageJobs(Protocol):
    """The jobs that scan container images (`base`: the base branch's, for their advisories only)."""

    def __call__(
        self,
        specs: Sequence[ImageSpec],
        changes: ChangeSet,
        view: Path,
        config: Config,
        vuln_db: VulnDb,
        *,
        selected: bool,
        base: bool,
    ) -> list[Job]: ...


class ReportReader(Protocol):
    """Anything that turns one tool's report into findings (a live run's output or an imported file)."""

    name: ClassVar[str]

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings from the report; ParseError (or ScannerError) when it is not that tool's report."""
        ...


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A tool's own config or suppression file at the repository root (laid out for every scan).

    `sanitize` None: laid out as written. `settings`/`base_settings`: for a manifest that is also
    the tool's config, how the base's settings are kept when the change's copy is in scope.
    """

    name: str
    sanitize: Sanitizer | None = None
    settings: SettingsOf | None = None
    base_settings: BaseSettings | None = None


@dataclass(frozen=True, slots=True)
class InlineIgnore:
    """A comment that makes a tool skip `rules` on lines `first` to `last` (an instruction), on `line`."""

    line: int
    first: int
    last: int
    rules: frozenset[str]


# A tool's inline ignores in a file, from its lines: read as strictly as the tool reads them or more
# strictly, never skipping more than the tool does.
InlineIgnores = Callable[[Sequence[str]], list[InlineIgnore]]


def _same(rule: str) -> str:
    return rule


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool: its `name` (the `--scanners` / `--tool` name and the findings' `tool`) and the rest.

    `scanner` runs it (None: mergeguard only reads its reports); `reader` reads its report, the same
    for a live run and for `convert`/`scan --report` (None: not offered to `convert`).
    `start_order`: scanners start lowest first (slowest first). `shard_weight`: relative run time
    for `--shard` (None: the default weight). `line_concepts`/`file_concepts`/`resource_concepts`
    (one per Kubernetes resource): rule id -> the name of a concept in `scan.equivalence`;
    `checks_as`: the tool whose rule ids its findings carry (a converted or image report checked
    with the same checks); `rule_id` writes a rule id the way the concept tables do. `secrets_join`:
    its secrets may be one problem with other tools' at the same place. `precommit`: run by default
    before a commit (fast, no database, no network).
    `per_file`: looks at one file at a time, so a long file list may be split into chunks.
    """

    name: str
    homepage: str | None = None
    scanner: Scanner | None = None
    reader: ReportReader | None = None
    start_order: int = 1000
    shard_weight: int | None = None
    config_files: tuple[ConfigFile, ...] = ()
    line_concepts: Mapping[str, str] = field(default_factory=dict)
    file_concepts: Mapping[str, str] = field(default_factory=dict)
    resource_concepts: Mapping[str, str] = field(default_factory=dict)
    # Kubernetes checks that fire only on a value a manifest writes (`privileged: true`, a `hostPath`),
    # never on one it leaves out: in a kustomize patch, which leaves out what it does not change,
    # only these keep their severity (`scan.kustomize`).
    set_value_rules: frozenset[str] = frozenset()
    checks_as: str | None = None
    rule_id: Callable[[str], str] = _same
    secrets_join: bool = True
    precommit: bool = False
    per_file: bool = False
    # scan.agreement: rule ids that are generic secret heuristics (keywords, entropy), not a provider's
    # credential format; `engine`: the tool whose detection engine this one is a fork of (None: its
    # own), with `engine_note` saying so in the lowered severity's reason.
    secret_heuristics: frozenset[str] = frozenset()
    engine: str | None = None
    engine_note: str = ""
    # scanners.sarif: the kind of this tool's SARIF results that no tag classifies (None: tags decide).
    sarif_kind: Kind | None = None
    # scanners.sarif: the rule names (`rule.name`) of its SARIF's vulnerabilities of an image's OS
    # packages, whose artifact URI names the image, not a file; a run of this tool that names its image
    # (`properties.imageName`) has every advisory placed there.
    sarif_image_rules: frozenset[str] = frozenset()
    # core.policy: scans a built image whole, so its findings stay in scope in PR mode.
    scans_images: bool = False
    # scan.pipeline: in PR mode reads the range's commits, not the files, so it runs even when no
    # file is in scope (a secret committed and deleted again leaves none, but stays in history).
    reads_commits: bool = False
    # scan.basescan: in PR mode its findings in a changed Dockerfile or IaC file are compared with
    # its findings in the base's copy of that file (a misconfiguration scanner).
    rescans_base: bool = False
    # scan.basecompare: the rules of the finding it reports on a file it could not parse (it checked
    # nothing else there): such a file at the base is one it did not scan.
    unparsed_rules: frozenset[str] = frozenset()
    # scan.overlap: when the tool `covered_by` is selected and given every file, `lighter` runs instead.
    covered_by: str | None = None
    lighter: Scanner | None = None
    # scan.policydiff: what a change to one of its config files (by name) would do to the policy.
    policy_effects: Mapping[str, PolicyEffects] = field(default_factory=dict)
    # scan.policydiff: the comments that make the tool skip a finding on their line (regular
    # expressions, any case): one the change adds is reported with its policy edits and blanked
    # out of the scan view (only its group `blank`, when it has one).
    inline_suppressions: tuple[str, ...] = ()
    # scan.suppressions: the rules its inline comments skip and where; another tool's report of the
    # same line concept there is skipped too (`# hadolint ignore=DL3015` covers Trivy's DS-0029).
    inline_ignores: InlineIgnores | None = None
    # scan.reached: given a file and the lines a change added, the untouched lines whose inline
    # suppression the tool would apply to what the change wrote (Bandit: every line of a node).
    reached_suppressions: Callable[[bytes, Collection[int]], frozenset[int]] | None = None
    # scan.pipeline: the jobs for the images given (`--image`), and the outcomes' annotation.
    image_jobs: ImageJobs | None = None
    annotate: Annotate | None = None


@functools.cache
def declared() -> tuple[Tool, ...]:
    """Every `Tool` in the `TOOLS` of a module of the `mergeguard.scanners` package (any depth),
    slowest first (`start_order`, then name); the registry in `scan.registry` is built from it."""
    package = importlib.import_module(__name__.rpartition(".")[0])
    found: list[Tool] = []
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        tools = getattr(importlib.import_module(info.name), "TOOLS", ())
        found.extend(t for t in tools if isinstance(t, Tool))
    return tuple(sorted(found, key=lambda t: (t.start_order, t.name)))


def config_file(name: str) -> ConfigFile | None:
    """The declaration of the tool config file called `name` (the first tool's that has a filter)."""
    files = [f for tool in declared() for f in tool.config_files if f.name == name]
    return next((f for f in files if f.sanitize is not None), files[0] if files else None)
