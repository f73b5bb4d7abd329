"""detect-secrets' declaration: its scanner and reader, and what a `.secrets.baseline` may hold and accept."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from mergeguard.core.model import Kind
from mergeguard.scanners.detect_secrets.scanner import (
    BASELINE_FILE,
    TOOL,
    DetectSecretsReport,
    DetectSecretsScanner,
)
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import keep, mapping


def baseline_effects(before: bytes | None, after: bytes | None) -> list[str]:
    """What a change to `.secrets.baseline` would accept once merged: each secret it adds."""
    old, new = _baseline_secrets(before), _baseline_secrets(after)
    if new is None:
        return [f"not readable as a {TOOL} baseline"]
    added = sorted(new - (old or set()))
    return [f"accepts a {kind} secret in {path}" for path, kind, _ in added] or ["accepts no more secrets"]


def _baseline_secrets(data: bytes | None) -> set[tuple[str, str, str]] | None:
    try:
        results = json.loads(data or b"{}").get("results", {})
        return {
            (str(path), str(item.get("type")), str(item.get("hashed_secret")))
            for path, items in results.items()
            for item in items
        }
    except (ValueError, AttributeError, TypeError, RecursionError):
        return None


# detect-secrets 1.5.0's `pragma: allowlist nextline secret` (filters/allowlist.py), a comment alone on its
# line; it covers the line after it, which a change may write under an untouched one.
_NEXTLINE = re.compile(rb"pragma: ?allowlist[ -]nextline[ -]secret")


def reached_nextline(data: bytes, added: Collection[int]) -> frozenset[int]:
    """The lines not in `added` whose `allowlist nextline` pragma covers an added line (the next one)."""
    lines = data.split(b"\n")
    return frozenset(
        n - 1 for n in added if 2 <= n <= len(lines) and n - 1 not in added and _NEXTLINE.search(lines[n - 2])
    )


_BASELINE_KEYS = frozenset({"version", "plugins_used", "filters_used", "results", "generated_at", "exclude"})


def _baseline_config(data: bytes, notes: list[str]) -> bytes:
    """The baseline without custom plugins or filters (`path` entries load Python files); as written
    when it has none, so the other scanners' findings on it keep their lines."""
    baseline = mapping(json.loads(data.decode("utf-8")), empty_ok=False)
    kept = keep(baseline, dict.fromkeys(_BASELINE_KEYS), notes)
    for key in ("plugins_used", "filters_used"):
        entries = kept.get(key)
        if isinstance(entries, list):
            safe = [entry for entry in entries if _builtin(entry)]
            if len(safe) != len(entries):
                notes.append(f"ignored {len(entries) - len(safe)} custom {key} entr(y/ies)")
            kept[key] = safe
    return data if kept == baseline else json.dumps(kept, indent=2).encode("utf-8")


def _builtin(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    path = entry.get("path")
    return path is None or (isinstance(path, str) and path.startswith("detect_secrets."))


TOOLS = (
    Tool(
        TOOL,
        homepage="https://github.com/Yelp/detect-secrets",  # pragma: allowlist secret - a tool name
        scanner=DetectSecretsScanner(),
        reader=DetectSecretsReport(),
        start_order=50,
        shard_weight=6,
        config_files=(ConfigFile(BASELINE_FILE, _baseline_config),),
        policy_effects={BASELINE_FILE: baseline_effects},
        # `allowlist secret`, `allowlist nextline secret`, and the older `whitelist secret` that 1.5.0
        # still honours (its filters/allowlist.py: `pragma: ?(allow|white)list`).
        inline_suppressions=(r"pragma:\s*(?:allow|white)list",),
        reached_suppressions=reached_nextline,
        # 1.5.0's keyword plugin and its two entropy plugins (the plugin `type`).
        secret_heuristics=frozenset(
            {"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"}
        ),
        sarif_kind=Kind.SECRET,
        precommit=True,
        per_file=True,
    ),
)
