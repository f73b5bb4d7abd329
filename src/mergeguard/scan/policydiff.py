"""What a pull request's edits to the policy's files would turn off or accept once merged."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mergeguard.core import baseline, config
from mergeguard.core.basepolicy import PolicyFiles, parse_bytes, read_regular
from mergeguard.core.blocks import BlockRule
from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.policy import Decision
from mergeguard.core.sources import SourceLines
from mergeguard.scan import reached, registry, suppressions
from mergeguard.scan.scope_dir import TOOL_CONFIG_FILES
from mergeguard.scanners.tool import PolicyEffects

_MAX_EFFECTS = 20
_HEAD = "HEAD"


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A policy file the change edits: added, modified or deleted, and what that would do."""

    path: str  # repository-relative
    status: str
    effects: tuple[str, ...]  # plain text (escaped by each reporter)


Describe = Callable[[bytes | None, bytes | None, str], list[str] | None]  # None: no policy change


def compare(files: PolicyFiles | None, known: Collection[str]) -> tuple[PolicyChange, ...]:
    """The policy files the change edits: different at HEAD than at the merge-base (none outside PR mode).

    The change's own config and baseline must still validate: an error in them is a ConfigError
    or BaselineError naming the file, as it would be once merged.
    """
    if files is None or not files.from_base:
        return ()
    found: dict[str, PolicyChange] = {}
    for path, describe in _watched(files, known):
        rel = files.repo_path(path)
        if rel is None or rel in found:
            continue
        before, after = files.blob(str(files.merge_base or files.base), rel), files.blob(_HEAD, rel)
        effects = describe(before, after, rel) if before != after else None
        if effects is not None:
            status = "added" if before is None else "deleted" if after is None else "modified"
            found[rel] = PolicyChange(rel, status, _bounded(effects))
    return tuple(found.values())


def inline_suppressions(changes: ChangeSet, sources: SourceLines) -> tuple[PolicyChange, ...]:
    """The changed files whose added lines hold a tool's inline suppression (`# nosec`,
    `gitleaks:allow`, `checkov:skip=`…): like an edit to a config file, not honoured in this scan
    (`scan.suppressions`) and listed for a reviewer (none outside PR mode)."""
    if changes.mode is not Mode.CHANGED:
        return ()
    found = []
    for changed in changes.files:
        effects = [
            f"line {number} adds {tool}'s inline suppression ({marker}), not honoured until merged"
            for number in sorted(changed.lines or ())
            for tool, marker in suppressions.found(sources.line(changed.path, number))
        ]
        effects += reached.effects(changed, read_regular(changes.root / changed.path), sources)
        if effects:
            found.append(PolicyChange(changed.path, "suppresses", _bounded(effects)))
    return tuple(found)


def gate(decision: Decision, changes: Sequence[PolicyChange], settings: config.Config) -> Decision:
    """With `policy-changes: block` (the base's), a change to the policy fails the gate."""
    if not changes or settings.policy_changes != "block":
        return decision
    names = ", ".join(c.path for c in changes)
    why = f"the change edits the gate's policy ({names}) and policy-changes is block: a reviewer decides"
    return decision.blocked_by(BlockRule.POLICY_CHANGES, why)


def _bounded(effects: list[str]) -> tuple[str, ...]:
    if len(effects) <= _MAX_EFFECTS:
        return tuple(effects)
    return (*effects[:_MAX_EFFECTS], f"… and {len(effects) - _MAX_EFFECTS} more")


def _watched(files: PolicyFiles, known: Collection[str]) -> list[tuple[Path, Describe]]:
    watched: list[tuple[Path, Describe]] = [(files.config, _config_describer(known))]
    watched.append((files.baseline, _baseline))
    effects = _declared_effects()
    for name in TOOL_CONFIG_FILES:
        declared = effects.get(name)
        watched.append((files.root / name, _scanner_config if declared is None else _describer(declared)))
    return watched


def _declared_effects() -> Mapping[str, PolicyEffects]:
    """What each tool declares a change to one of its config files would do, by file name."""
    declared = registry.TOOLS.values()
    return {name: effects for tool in declared for name, effects in tool.policy_effects.items()}


def _describer(effects: PolicyEffects) -> Describe:
    return lambda before, after, _rel: effects(before, after)


def _config_describer(known: Collection[str]) -> Describe:
    def describe(before: bytes | None, after: bytes | None, rel: str) -> list[str]:
        def read(data: bytes | None, label: str) -> config.Config:
            loaded = (
                parse_bytes(data, Path(rel).name, label, lambda p: config.load(p, known)) if data else None
            )
            return loaded or config.Config()

        effects = _config_effects(read(before, f"{rel} (merge-base)"), read(after, rel), known)
        return effects or ["no setting changes (comments or layout only)"]

    return describe


def _config_effects(old: config.Config, new: config.Config, known: Collection[str]) -> list[str]:
    out = []
    if new.fail_on != old.fail_on:
        out.append(f"fail-on {old.fail_on.label} → {new.fail_on.label}{_fewer(new.fail_on > old.fail_on)}")
    for kind in sorted({*old.fail_on_kind, *new.fail_on_kind}):
        was, now = old.threshold(kind), new.threshold(kind)
        if was != now:
            out.append(f"fail-on-kind {kind.value}: {was.label} → {now.label}{_fewer(now > was)}")
    for name in sorted(known):
        if old.enabled(name) != new.enabled(name):
            out.append(f"turns scanner {name} {'on' if new.enabled(name) else 'off'}")
        if old.timeout_for(name) != new.timeout_for(name):
            out.append(f"timeout of {name}: {old.timeout_for(name):g} s → {new.timeout_for(name):g} s")
    out.extend(
        f"excludes {glob} (its files are no longer scanned)"
        for glob in new.exclude
        if glob not in old.exclude
    )
    out.extend(f"no longer excludes {glob}" for glob in old.exclude if glob not in new.exclude)
    handled = {"fail_on", "fail_on_kind", "scanners", "timeout_s", "exclude", "source", "lines"}
    for field in fields(config.Config):
        was, now = getattr(old, field.name), getattr(new, field.name)
        if field.name not in handled and was != now:
            note = _NOTES.get((field.name, now), "")
            out.append(f"{field.name.replace('_', '-')}: {_show(was)} → {_show(now)}{note}")
    return out


_NOTES: dict[tuple[str, object], str] = {
    ("ignore_unfixed", True): ": advisories with no fixed version no longer block",
    ("fail_on_scanner_error", False): ": a scanner that fails no longer fails the gate",
    ("fail_on_pre_existing", False): ": findings the base already had no longer block",
    ("policy_changes", "warn"): ": edits to the policy no longer fail the gate",
}


def _fewer(raised: bool) -> str:
    return ": fewer findings block" if raised else ": more findings block"


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _baseline(before: bytes | None, after: bytes | None, rel: str) -> list[str]:
    def read(data: bytes | None, label: str) -> dict[str, baseline.BaselineEntry]:
        entries = parse_bytes(data, Path(rel).name, label, baseline.load) if data else ()
        return {e.fingerprint: e for e in entries}

    old, new = read(before, f"{rel} (merge-base)"), read(after, rel)
    out = []
    for fingerprint, entry in new.items():
        what = f"{entry.tool} {entry.rule} in {entry.path}"
        was = old.get(fingerprint)
        if was is None:
            out.append(f"accepts {what}: {entry.reason}")
        elif was.expires is not None and (entry.expires is None or entry.expires > was.expires):
            out.append(f"extends the acceptance of {what} to {entry.expires or 'no expiry'}")
    gone = len(old.keys() - new.keys())
    if gone:
        out.append(f"no longer accepts {gone} finding{'s' if gone != 1 else ''}")
    return out or ["no entry accepts more (reasons or layout only)"]


def _scanner_config(before: bytes | None, after: bytes | None, rel: str) -> list[str]:
    return ["changes a scanner's own settings or suppressions (see the diff)"]
