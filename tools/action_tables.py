#!/usr/bin/env python3
"""Writes the Action's inputs and outputs tables into README.md from action.yml (`make docs`).

Usage: action_tables.py [--check] [README]   (default README.md at the repository root)

Each table sits between marker comments, `<!-- inputs:start -->` … `<!-- inputs:end -->` and
`<!-- outputs:start -->` … `<!-- outputs:end -->`; the text between them is replaced. `--check`
writes nothing and exits 1 when the README's tables differ from action.yml (tests/design/test_readme.py
asserts the same).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
README = ROOT / "README.md"


def cell(text: object) -> str:
    """One Markdown table cell: whitespace folded to single spaces, `|` escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: object) -> str:
    """A value as inline code, or nothing for an empty value."""
    value = str(text)
    return f"`{value}`" if value else ""


def render(action: dict[str, object]) -> dict[str, str]:
    """The Markdown tables ("inputs", "outputs") for a parsed action.yml."""
    inputs = action.get("inputs") or {}
    outputs = action.get("outputs") or {}
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        raise SystemExit("action.yml: `inputs` and `outputs` must be mappings")
    rows = ["| input | default | description |", "|---|---|---|"]
    for name, spec in inputs.items():
        rows.append(f"| `{name}` | {code(spec.get('default', ''))} | {cell(spec.get('description', ''))} |")
    out_rows = ["| output | description |", "|---|---|"]
    for name, spec in outputs.items():
        out_rows.append(f"| `{name}` | {cell(spec.get('description', ''))} |")
    return {"inputs": "\n".join(rows), "outputs": "\n".join(out_rows)}


def action_tables(path: Path = ACTION) -> dict[str, str]:
    """The tables for the action.yml at `path`."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise SystemExit(f"{path}: not a YAML mapping")
    return render(loaded)


def marked(name: str) -> re.Pattern[str]:
    """The region between one table's marker comments (markers excluded)."""
    return re.compile(rf"(<!-- {name}:start -->)(.*?)(<!-- {name}:end -->)", re.DOTALL)


def rewrite(text: str, tables: dict[str, str]) -> str:
    """The README text with every marked table replaced by its generated form."""
    for name, table in tables.items():
        found = marked(name).search(text)
        if found is None:
            raise SystemExit(f"README: markers <!-- {name}:start --> / <!-- {name}:end --> not found")
        text = f"{text[: found.start(2)]}\n{table}\n{text[found.end(2) :]}"
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    readme = Path(paths[0]) if paths else README
    text = readme.read_text(encoding="utf-8")
    wanted = rewrite(text, action_tables())
    if wanted == text:
        return 0
    if check:
        print(f"{readme}: the inputs/outputs tables differ from action.yml; run `make docs`", file=sys.stderr)
        return 1
    readme.write_text(wanted, encoding="utf-8")
    print(f"{readme}: tables rewritten from action.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
