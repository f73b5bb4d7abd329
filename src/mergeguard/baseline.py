"""The committed baseline of accepted findings: read strictly, matched by fingerprint, written atomically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BASELINE_FILE = ".mergeguard-baseline.yml"


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: its fingerprint, what it was, why it is accepted, by whom, until when."""

    fingerprint: str
    tool: str
    rule: str
    path: str
    reason: str
    accepted_by: str = ""
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """True from the expiry date on: an acceptance "until 2027-01-31" ends on that day."""
        return self.expires is not None and today >= self.expires
