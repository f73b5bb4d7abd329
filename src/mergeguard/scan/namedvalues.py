"""A credential whose name and value sit on different lines (a Kubernetes `env` entry's `value:` under
its `name: DB_PASSWORD`, a Terraform `variable "password"`'s `default`), written as `NAME: value` on
the value's line of the copy the secret scanners read.

Measured: detect-secrets and Gitleaks match a credential's name and its value on one line only, so a
random password in a Deployment's `env` or a variable's default passed every scanner (Checkov too),
while the same value written `DB_PASSWORD: "…"` in a compose file blocked. The name and value go in a
comment after the value (`value: "…"  # DB_PASSWORD: "…"`): Checkov and Trivy read the same copy and
must read the same document, and the line stays, so a finding points at the real file's value line.
Only a literal is written: not a reference (`valueFrom`, `$(VAR)`, `${var.x}`, `{{ .Values.x }}`, a
block scalar) nor an empty value or a placeholder (`changeme`, `your_password`, `xxxxxxxx`), judged as
`scan.placeholders` judges them; the name is a credential's by `agreement.credential_name`, but for
one that names something about a credential (`SECRET_NAME`, `key_name`, `KEYCLOAK_URL`, `AUTH_ENABLED`:
a trial found only medium noise under such names).

A YAML file is rewritten only when PyYAML reads it, never on a line whose end lies inside a scalar
(an entry's look-alike in a multi-line annotation or a block scalar), and only when the rewritten
text composes to the same documents: a red team's name ending in a backslash, written again inside
a quoted annotation, made an invalid escape, no tool parsed the copy, and a privileged Pod passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from mergeguard.core import yamlcompare
from mergeguard.scan import agreement, placeholders

_SUFFIXES = (".yaml", ".yml", ".tf")
# A YAML key, plain or quoted (`name:`, `"name" :`), after any anchor or tag (`&pw name:`):
# `- name: DB_PASSWORD` opens a list item (the dash and the spaces after it give its keys' column),
# `value: "…"` is a later key of the same item. A dash alone (or with an anchor or a tag: `- &pw`)
# opens an item whose keys start on the next line.
_KEY_TEXT = r"(?:[&!]\S*\s+)*([\"']?)([\w.-]+)\2[ \t]*:(?:\s+(.*))?$"
_ITEM = re.compile(r"^(\s*-\s+)" + _KEY_TEXT)
_KEY = re.compile(r"^(\s*)" + _KEY_TEXT)
_DASH = re.compile(r"^(\s*)-(?:\s+[&!]\S*)*(?:\s+#.*)?\s*$")
# A scalar as written after its key: quoted (escapes and `''` kept inside), or plain up to a comment
# (` #`: a `#` inside a word is the value's).
_SCALAR = re.compile(
    r"^(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s#&*!|>{\[\"'](?:\S|\s+(?=[^\s#]))*)\s*(?:#.*)?$"
)
# Terraform: `variable "password" {` (or `variable password {`), and a `default = "…"` in its block.
_VARIABLE = re.compile(r"^\s*variable\s+\"?([\w-]+)\"?\s*\{(.*)$")
_DEFAULT = re.compile(r"^\s*default\s*=\s*(\"(?:[^\"\\]|\\.)*\")\s*(\})?\s*(?:(?:#|//).*)?$")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"")
_ENTRY_KEYS = ("name", "value")
_PARTS = re.compile(r"[_.\-]+")
# A name's last part saying the value is about a credential, not one: `SECRET_NAME`, `key_id`, `KEY_PATH`.
_ABOUT = frozenset(
    {"name", "names", "id", "ids", "arn", "path", "file", "dir", "url", "uri", "endpoint", "host", "port",
     "enabled", "disabled", "type", "mode", "length", "size", "version", "ttl", "timeout", "region", "issuer",
     "iss", "aud", "audience", "algorithm", "alg", "header", "ref", "secretref"}
)  # fmt: skip
_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks to YAML 1.1 (PyYAML, Checkov) besides \n
# What would end or escape a quoted scalar the comment landed in: the check of the rewritten text
# stands behind it, but a file failing that check keeps none of its comments.
_QUOTING = ("\\", '"', "'")
_REFERENCE = ("$(", "${", "%{", "{{")  # Kubernetes' `$(VAR)`, a shell's or Terraform's, Helm's
_BLOCK_LINES = 40  # how far into a variable's block its `default` is looked for
# How far below an item's first key its other key is looked for: an `env` entry's keys are adjacent,
# and a file of items nested ever deeper is not read to its end once per item.
_ITEM_LINES = 40


def applies(path: str) -> bool:
    """A YAML file (Kubernetes manifests, Helm templates) or a Terraform file."""
    return PurePosixPath(path).name.lower().endswith(_SUFFIXES)


def written_out(text: str, path: str) -> str | None:
    """`text` with `NAME: value` (Terraform: `NAME = "value"`) in a comment after each credential's
    literal value named on another line; None when it has none, or when YAML would read it otherwise."""
    lines = text.split("\n")
    if path.lower().endswith(".tf"):
        return _commented(lines, dict(_variable_defaults(lines)), " = ")
    found = dict(_env_values(lines))
    before = yamlcompare.read(text) if found else None
    if before is None:  # nothing to write, or no YAML to PyYAML: no rewrite shown to keep its meaning
        return None
    written = _commented(lines, {n: named for n, named in found.items() if n not in before.inside}, ": ")
    after = yamlcompare.read(written) if written is not None else None
    return written if after is not None and after.digest == before.digest else None


def _commented(lines: list[str], found: dict[int, tuple[str, str]], separator: str) -> str | None:
    """The lines joined again, with `# NAME<separator>value` after each value found; None for none."""
    if not found:
        return None
    lines = list(lines)
    for number, (name, scalar) in found.items():
        line = lines[number]
        end = "\r" if line.endswith("\r") else ""  # a CRLF file: the comment before its CR
        lines[number] = f"{line.removesuffix(end)}  # {name}{separator}{scalar}{end}"
    return "\n".join(lines)


def _env_values(lines: list[str]) -> Iterator[tuple[int, tuple[str, str]]]:
    """(line index of the value, (name, value as written)) of each list item with a credential's
    `name` and a literal `value`, in either order."""
    for start in range(len(lines)):
        opened = _item_start(lines, start)
        if opened is None or opened[2] not in _ENTRY_KEYS:
            continue
        number, column, key, written = opened
        if key == "name" and not _credential(_unquoted(_scalar(written))):
            continue  # a container's `- name: api`: not read any further
        keys = dict([(key, (number, written)), *_item_keys(lines, number + 1, column)])
        name, value = _unquoted(_scalar(keys.get("name", (0, ""))[1])), keys.get("value")
        if value is None or not _credential(name) or any(mark in name for mark in _QUOTING):
            continue
        if (scalar := _literal(value[1])) and not any(mark in _unquoted(scalar) for mark in _QUOTING):
            yield value[0], (name, scalar)


def _item_start(lines: list[str], number: int) -> tuple[int, int, str, str] | None:
    """Where the list item opened on line `number` has its first key: (that line's index, the keys'
    column, the key, what follows it); None when the line opens no item of keys."""
    line = lines[number]
    if item := _ITEM.match(line):
        return number, len(item.group(1)), item.group(3), item.group(4) or ""
    dash = _DASH.match(line)
    if dash is None:
        return None
    below = range(number + 1, min(number + 1 + _ITEM_LINES, len(lines)))
    first = next((n for n in below if lines[n].strip() and not lines[n].lstrip().startswith("#")), None)
    key = _KEY.match(lines[first]) if first is not None else None
    if first is None or key is None or len(key.group(1)) <= len(dash.group(1)):
        return None  # the item's keys go deeper than its dash
    return first, len(key.group(1)), key.group(3), key.group(4) or ""


def _item_keys(lines: list[str], start: int, column: int) -> Iterator[tuple[str, tuple[int, str]]]:
    """The `name` and `value` keys of the list item whose keys start at `column`, from `start` on."""
    for number in range(start, min(start + _ITEM_LINES, len(lines))):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, indent = _KEY.match(line), len(line) - len(line.lstrip())
        if indent < column or (indent == column and key is None):
            return  # the item ended: a new item, a key of its parent, or another document
        if indent == column and key is not None and key.group(3) in _ENTRY_KEYS:
            yield key.group(3), (number, key.group(4) or "")


def _variable_defaults(lines: list[str]) -> Iterator[tuple[int, tuple[str, str]]]:
    """(line index of the default, (name, default as written)) of each credential's variable with a
    literal string default, on the `variable` line itself or in its block."""
    for start, line in enumerate(lines):
        variable = _VARIABLE.match(line)
        if variable is None or not _credential(variable.group(1)):
            continue
        if (inline := _DEFAULT.match(variable.group(2))) and inline.group(2):
            candidates: Iterator[tuple[int, re.Match[str]]] = iter([(start, inline)])
        else:
            candidates = _block_defaults(lines, start + 1)
        for number, default in candidates:
            if scalar := _literal(default.group(1)):
                yield number, (variable.group(1), scalar)


def _block_defaults(lines: list[str], start: int) -> Iterator[tuple[int, re.Match[str]]]:
    """The `default = "…"` at the top level of the block opened on the line before `start`."""
    depth = 1
    for number in range(start, min(start + _BLOCK_LINES, len(lines))):
        line = lines[number]
        if depth == 1 and (default := _DEFAULT.match(line)) and not default.group(2):
            yield number, default
            return
        bare = _STRING.sub("", line)
        depth += bare.count("{") - bare.count("}")
        if depth <= 0 or "<<" in bare:  # the block ended, or a heredoc: not read further
            return


def _credential(name: str) -> bool:
    """A credential's name, not the name of something about one (its name, id, path, address, switch)."""
    last = _PARTS.split(name.strip().lower())[-1]
    return agreement.credential_name(name) and last not in _ABOUT


def _scalar(text: str) -> str:
    """The scalar written at the start of `text` ("" for none, a block scalar, an anchor, a flow)."""
    found = _SCALAR.match(text.strip())
    return found.group(1) if found else ""


def _unquoted(scalar: str) -> str:
    if len(scalar) >= 2 and scalar[0] == scalar[-1] and scalar[0] in "\"'":
        return scalar[1:-1]
    return scalar


def _literal(text: str) -> str | None:
    """The value as written when it is a literal that is no placeholder; None otherwise (and for one
    holding a character YAML breaks lines at: written again in the comment, it would add a line)."""
    scalar = _scalar(text)
    value = _unquoted(scalar)
    if not value.strip() or any(mark in value for mark in _REFERENCE) or any(c in scalar for c in _BREAKS):
        return None
    return None if placeholders.sample_value(scalar) else scalar  # its judgement, not a second list
