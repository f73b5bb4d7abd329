"""Reads the dependencies a pyproject.toml, Pipfile, setup.cfg or pdm.lock names, as pip requirement lines.

Trivy reads none of these files (pyproject.toml only beside a poetry.lock), nor a Pipfile.lock's
`develop` section, so their pins would pass unaudited. Each requirement comes back with the line
that names it, for the findings to land there. Only reading: nothing is built, resolved or run.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from mergeguard.core import jsonload
from mergeguard.core.errors import ScannerError
from mergeguard.core.exactpins import poetry_pins

Declared = list[tuple[int, str]]  # (line in the file, a requirement in pip's format)
_DECLARING = frozenset({"pyproject.toml", "pipfile", "setup.cfg", "pdm.lock", "pipfile.lock"})
_PIPFILE_NOT_PACKAGES = frozenset({"source", "requires", "scripts", "pipenv", "pipfile"})
_SETUP_CFG_KEYS = ("install_requires", "setup_requires", "tests_require")  # in [options]


def declares(path: str) -> bool:
    """Whether `path` is a manifest this module reads."""
    return PurePosixPath(path).name.lower() in _DECLARING


def declared(path: str, text: str) -> Declared:
    """The requirements `text` (the file at `path`) names; ScannerError when it does not parse (no
    installer could read it either, and its dependencies must not pass as none)."""
    name = PurePosixPath(path).name.lower()
    if name == "pipfile.lock":
        return _pipfile_lock_develop(path, text)
    try:
        if name == "setup.cfg":
            return _setup_cfg(text)
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, configparser.Error, UnicodeError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScannerError(f"{path}: its dependencies could not be read: {why}") from None
    except RecursionError:  # tomllib parses nested arrays recursively: `a = [[[[…` from a hostile file
        raise ScannerError(f"{path}: its dependencies could not be read: nested too deeply") from None
    if name == "pipfile":
        return _placed(text, _pipfile(document), _key)
    if name == "pdm.lock":
        packages = [(p.get("name"), p.get("version")) for p in _tables(document.get("package"))]
        locked = [(n, f"{n}=={v}") for n, v in packages if isinstance(n, str) and isinstance(v, str)]
        return _placed(text, locked, _name)
    pep621 = _placed(text, [(r, _pep508(r)) for r in _pyproject(document)], _strings)
    return pep621 + _placed(text, [(n, f"{n}=={v}") for n, v in poetry_pins(document)], _key)


def _pyproject(document: dict[str, Any]) -> list[str]:
    """PEP 621's dependencies and optional dependencies, and PEP 735's dependency groups."""
    project = _table(document.get("project"))
    lists = [project.get("dependencies"), *_table(project.get("optional-dependencies")).values()]
    lists += _table(document.get("dependency-groups")).values()
    return [item for value in lists if isinstance(value, list) for item in value if isinstance(item, str)]


def _pipfile(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(package, requirement) of every package table ([packages], [dev-packages], pipenv's categories)."""
    found = []
    for section, table in document.items():
        if section.lower() in _PIPFILE_NOT_PACKAGES or not isinstance(table, dict):
            continue
        for package, spec in table.items():
            version = spec.get("version") if isinstance(spec, dict) else spec
            if isinstance(version, str) and isinstance(package, str):  # git or path checkouts: no version
                found.append((package, package if version.strip() in ("", "*") else f"{package}{version}"))
    return found


def _pipfile_lock_develop(path: str, text: str) -> Declared:
    """The `develop` section's pins of packages `default` does not hold: Trivy reads only `default`."""
    try:
        document = jsonload.parse_whole(text)
    except jsonload.JsonProblem as exc:
        raise ScannerError(f"{path}: its dependencies could not be read: {exc.detail}") from None
    default, develop = (_table(_table(document).get(section)) for section in ("default", "develop"))
    versions = [
        (name, _table(entry).get("version")) for name, entry in develop.items() if name not in default
    ]
    pins = [(name, f"{name}{version}") for name, version in versions if isinstance(version, str)]
    return _placed(text, pins, _json_key)


def _setup_cfg(text: str) -> Declared:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    values = [parser.get("options", key, fallback="") for key in _SETUP_CFG_KEYS]
    if parser.has_section("options.extras_require"):
        values += [value for _, value in parser.items("options.extras_require")]
    requirements = [line.strip() for value in values for line in value.splitlines() if line.strip()]
    return _placed(text, [(r, _pep508(r)) for r in requirements], _setup_cfg_value)


def _pep508(requirement: str) -> str:
    """The requirement as pip's format writes it: Poetry 2's `fastapi (==0.104.1)` is `fastapi==0.104.1`
    (Trivy's pip parser reads no parentheses, and would list no package for it)."""
    try:
        return str(Requirement(requirement))
    except InvalidRequirement:
        return requirement  # as written: no installer reads it either


def _placed(text: str, items: Iterable[tuple[str, str]], named: Callable[[str], Iterable[str]]) -> Declared:
    """Each (what to look for, requirement) on the first line naming it that no earlier one of the
    same took (one line may name several: `dependencies = ["a==1", "b==2"]`). Lines are indexed
    once: a hostile file of 100,000 requirements is not searched 100,000 times."""
    lines: dict[str, deque[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for needle in named(line):
            lines.setdefault(needle, deque()).append(number)
    placed = []
    for needle, requirement in items:
        free = lines.get(needle)
        placed.append((free.popleft() if free else 1, requirement))  # not found (TOML escapes): line 1
    return placed


def _strings(line: str) -> list[str]:
    return [double or single for double, single in _QUOTED.findall(line)]


def _key(line: str) -> list[str]:
    return [match[1]] if (match := _KEY.match(line)) else []


def _setup_cfg_value(line: str) -> list[str]:
    """The line as configparser gives a value's line: stripped, after `key =` on the key's line."""
    return [line.strip(), line.partition("=")[2].strip()]


def _json_key(line: str) -> list[str]:
    return [match[1]] if (match := _JSON_KEY.match(line)) else []


def _name(line: str) -> list[str]:
    return [match["value"]] if (match := _ENTRY_KEY.match(line)) and match["key"] == "name" else []


_QUOTED = re.compile(r'"([^"\\]*)"|\'([^\']*)\'')
_KEY = re.compile(r"\s*[\"']?([^\"'=\s]+)[\"']?\s*=")
_JSON_KEY = re.compile(r'\s*"([^"\\]+)"\s*:\s*\{')  # a Pipfile.lock entry: `"pyyaml": {`


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tables(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def package_lines(text: str) -> dict[tuple[str, str], int]:
    """(name, version) → the `name = "…"` line of each `[[package]]` entry of a TOML lock file
    (uv.lock, poetry.lock; PEP 751's `[[packages]]`), read line by line: a lock file too broken for
    TOML still has its lines."""
    found: dict[tuple[str, str], int] = {}
    name, version, line = "", "", 0
    for number, text_line in enumerate([*text.splitlines(), "[[package]]"], start=1):
        if text_line.strip() in ("[[package]]", "[[packages]]"):
            if name and line:
                found.setdefault((name, version), line)
            name, version, line = "", "", 0
        elif (match := _ENTRY_KEY.match(text_line)) and not (line if match["key"] == "name" else version):
            if match["key"] == "name":
                name, line = match["value"], number
            else:
                version = match["value"]
    return found


_ENTRY_KEY = re.compile(r"(?P<key>name|version)\s*=\s*[\"'](?P<value>[^\"']*)[\"']\s*(#.*)?$")
