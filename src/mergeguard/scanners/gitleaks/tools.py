"""Gitleaks' declaration: its scanner and reader, its `.gitleaks.toml` filter and its `.gitleaksignore`."""

from __future__ import annotations

import re
import tomllib

from mergeguard.core.model import Kind
from mergeguard.scanners.gitleaks.report import TOOL
from mergeguard.scanners.gitleaks.scanner import GitleaksScanner
from mergeguard.scanners.ignorefiles import line_ignores
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import Unusable

_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_EXTEND_KEY = re.compile(r"""^\s*(?:extend\s*\.\s*)?["']?(path|url)["']?\s*=""")


def _config(data: bytes, notes: list[str]) -> bytes:
    """Regex rules kept; `[extend] path` (another config anywhere on disk) removed, `useDefault` kept."""
    config = tomllib.loads(data.decode("utf-8"))
    extend = config.get("extend")
    if not isinstance(extend, dict) or not ({"path", "url"} & extend.keys()):
        return data
    text = _drop_extend_path(data.decode("utf-8"))
    again = tomllib.loads(text).get("extend")
    if isinstance(again, dict) and {"path", "url"} & again.keys():
        raise Unusable("[extend] path could not be removed")
    notes.append("ignored key 'extend.path'")
    return text.encode("utf-8")


def _drop_extend_path(text: str) -> str:
    lines, table = [], ""
    for line in text.splitlines(keepends=True):
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace(" ", "")
        key = _EXTEND_KEY.match(line)
        in_extend = table == "extend" or (table == "" and line.lstrip().startswith("extend"))
        if not (key and in_extend):
            lines.append(line)
    return "".join(lines)


_IGNORE_FILE = ".gitleaksignore"
TOOLS = (
    Tool(
        TOOL,
        homepage="https://github.com/gitleaks/gitleaks",
        scanner=GitleaksScanner(),
        reader=GitleaksScanner(),
        start_order=70,
        shard_weight=2,
        reads_commits=True,
        config_files=(ConfigFile(".gitleaks.toml", _config), ConfigFile(_IGNORE_FILE)),
        policy_effects={_IGNORE_FILE: line_ignores},
        inline_suppressions=(r"gitleaks:allow",),
        # Gitleaks 8's keyword-and-entropy catch-all; Gitleaks 7 named its counterpart by description.
        secret_heuristics=frozenset({"generic-api-key", "Generic Credential"}),
        sarif_kind=Kind.SECRET,
        precommit=True,
    ),
)
