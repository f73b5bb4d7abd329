"""Why the gate blocks: the policy rule behind each blocking finding, and behind a failed verdict."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mergeguard.core.config import Config
from mergeguard.core.model import Kind, Severity
from mergeguard.core.quickinit import quick_init


class BlockRule(enum.StrEnum):
    """A rule of the policy that can fail the gate; the value names it in the JSON report."""

    FAIL_ON = "fail-on"  # a finding at or above `fail-on`
    FAIL_ON_KIND = "fail-on-kind"  # a finding at or above its kind's own threshold (`fail-on-kind`)
    EXPIRED_ACCEPTANCE = "expired-acceptance"  # its baseline acceptance expired, and it meets its threshold
    FAIL_ON_PRE_EXISTING = "fail-on-pre-existing"  # pre-existing, meets its threshold, and the key is true
    SCANNER_ERROR = "fail-on-scanner-error"  # the gate: a scanner failed, and failures fail the gate
    POLICY_CHANGES = "policy-changes"  # the gate: the change edits the policy, and `policy-changes: block`

    @property
    def of_finding(self) -> bool:
        """A rule a single finding blocks by (the others are about the whole run)."""
        return self not in (BlockRule.SCANNER_ERROR, BlockRule.POLICY_CHANGES)


@quick_init
@dataclass(frozen=True, slots=True)
class Block:
    """Why one finding blocks: the rule, and the severity threshold it met (`kind`: the kind's own)."""

    rule: BlockRule
    threshold: Severity
    kind: Kind | None = None  # set when the threshold is `fail-on-kind`'s, not `fail-on`'s

    def __post_init__(self) -> None:
        if not self.rule.of_finding:
            raise ValueError(f"{self.rule.value} is a rule of the whole run, not of a finding")

    @property
    def setting(self) -> str:
        """The config key that set the threshold: `fail-on`, or `fail-on-kind.vulnerability`."""
        return f"fail-on-kind.{self.kind.value}" if self.kind is not None else "fail-on"

    def describe(self) -> str:
        """One line a reader acts on: "at or above high (fail-on)", "baseline acceptance expired; …"."""
        meets = f"at or above {self.threshold.label} ({self.setting})"
        if self.rule is BlockRule.EXPIRED_ACCEPTANCE:
            return f"baseline acceptance expired; {meets}"
        if self.rule is BlockRule.FAIL_ON_PRE_EXISTING:
            return f"pre-existing, {meets}, and fail-on-pre-existing is true"
        return meets


def thresholds(config: Config) -> str:
    """ "high", or "high (vulnerability: critical)" when some kinds have their own threshold."""
    own = ", ".join(f"{kind.value}: {level.label}" for kind, level in config.fail_on_kind.items())
    return f"{config.fail_on.label} ({own})" if own else config.fail_on.label
