"""The packages a manifest or lock file pins at one exact version, each read where its format puts it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from mergeguard.core import jsonload
from mergeguard.core.filekinds import PYLOCK, TOML_LOCKS
from mergeguard.core.packagenames import normalise

Pin = tuple[str, str]  # (normalised package name, version)

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"[A-Za-z0-9][A-Za-z0-9.+!_-]*"
# Not part of a longer name, a path, a URL or an extra (`not-flask==`, `/flask==`, `x[flask]==`).
_ALONE = r"(?<![\w.\-/@:\[=#])"
# `flask==2.0`, `flask[async] === 2.0`, Poetry 2's `flask (==2.0)` (requirements, PEP 508 strings)
# and `flask = "==2.0"`, `flask = {version = "==2.0", …}` (Pipfile); a range (`>=2.0`, `==2.*`) is no pin.
_PINS = (
    re.compile(rf"{_ALONE}({_NAME})\s*(?:\[[^\]]*\])?\s*\(?\s*===?\s*({_VERSION})(?![\w.+!*-])"),
    re.compile(rf"{_ALONE}({_NAME})\s*=\s*(?:\{{[^}}]*?\bversion\s*=\s*)?[\"']===?\s*({_VERSION})[\"']"),
)
_COMMENT = re.compile(r"(?:^|\s)#.*")
# A Poetry constraint that names one version: `1.0`, `=1.0`, `==1.0`; not `^1.0`, `~1.0`, `1.*`, `>=1,<2`.
_POETRY_EXACT = re.compile(rf"(?:={{1,3}}\s*)?({_VERSION})")
_YARN_VERSION = re.compile(r'^  version:? "?([^"\s]+)"?\s*$')
_GEM_SPEC = re.compile(rf"^    ({_NAME}) \(({_VERSION})\)$")
_PNPM_KEY = re.compile(r"^  ['\"]?/?((?:@[^@/\s'\"]+/)?[^@/\s'\"(]+)[@/](\d[^(_:'\"\s]*)")


def exact_pins(path: str, text: str) -> frozenset[Pin]:
    """(normalised name, version) of every package `text`, the manifest at `path`, pins exactly.

    Only the package's own entry counts: a lock file's record of it, or an `==` pin; a range, a
    comment, another package's requirement of it or a version elsewhere nearby never does.
    """
    name = path.rsplit("/", 1)[-1].lower()
    if name in TOML_LOCKS:
        pins = _toml_packages(text)
    elif PYLOCK.fullmatch(name):
        pins = _toml_packages(text, "packages")  # PEP 751's `[[packages]]`
    elif name in _JSON_LOCKS:
        pins = _json_entries(name, text)
    elif name == "yarn.lock":
        pins = _yarn(text)
    elif name == "pnpm-lock.yaml":
        pins = _matches(_PNPM_KEY, text.splitlines())
    elif name == "gemfile.lock":
        pins = _matches(_GEM_SPEC, text.splitlines())
    elif name == "go.mod":
        pins = _go_requires(text)
    else:  # requirements and constraints files, Pipfile, pyproject.toml, a Dockerfile's `pip install`
        lines = [_COMMENT.sub("", line) for line in text.splitlines()]
        pins = (pin for pattern in _PINS for pin in _matches(pattern, lines))
        if name == "pyproject.toml":
            pins = chain(pins, _poetry(text))
    return frozenset((normalise(package), version) for package, version in pins)


def _matches(pattern: re.Pattern[str], lines: list[str]) -> Iterator[Pin]:
    return ((m[1], m[2]) for line in lines for m in pattern.finditer(line))


def _toml_packages(text: str, key: str = "package") -> Iterator[Pin]:
    try:
        packages = tomllib.loads(text).get(key, [])
    except tomllib.TOMLDecodeError:
        return  # unreadable: nothing pinned, every advisory new
    for entry in packages if isinstance(packages, list) else []:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("version"), str)
        ):
            yield entry["name"], entry["version"]


def _poetry(text: str) -> Iterator[Pin]:
    try:
        yield from poetry_pins(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return  # unreadable: nothing pinned, every advisory new


def poetry_pins(document: dict[str, Any]) -> Iterator[Pin]:
    """(name as written, version) of each dependency `[tool.poetry]` pins exactly (`werkzeug = "0.14.1"`,
    `"==0.14.1"`, `{version = "0.14.1"}`): to Poetry a bare version means that version, not a floor."""
    poetry = _mapping(_mapping(document.get("tool")).get("poetry"))
    groups = _mapping(poetry.get("group")).values()
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables += [_mapping(group).get("dependencies") for group in groups]
    for table in tables:
        for package, spec in _mapping(table).items():
            for item in spec if isinstance(spec, list) else [spec]:  # one entry per Python or platform
                version = _mapping(item).get("version") if isinstance(item, dict) else item
                exact = _POETRY_EXACT.fullmatch(version.strip()) if isinstance(version, str) else None
                if exact and package.lower() != "python":
                    yield package, exact[1]


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json_entries(name: str, text: str) -> Iterator[Pin]:
    try:
        data = jsonload.parse_whole(text)
    except jsonload.JsonProblem:
        return  # unreadable: nothing pinned, every advisory new
    if isinstance(data, dict):
        yield from _JSON_LOCKS[name](data)


def _pipfile_lock(data: dict[str, Any]) -> Iterator[Pin]:
    """Each section's `"NAME": {"version": "==V", …}` (its hashes come first, far from the name)."""
    for section, entries in data.items():
        if section != "_meta":
            yield from ((n, v.removeprefix("===").removeprefix("==")) for n, v in _keyed(entries, "version"))


def _npm_lock(data: dict[str, Any]) -> Iterator[Pin]:
    """`packages` keyed `node_modules/NAME` (lock versions 2 and 3), and `dependencies` keyed by
    name, nested under the packages that use them (npm 6)."""
    yield from ((n.rsplit("node_modules/", 1)[-1], v) for n, v in _keyed(data.get("packages"), "version"))
    nested = [data.get("dependencies")]
    while nested:
        entries = nested.pop()
        if isinstance(entries, dict):
            yield from _keyed(entries, "version")
            nested += [e.get("dependencies") for e in entries.values() if isinstance(e, dict)]


def _composer_lock(data: dict[str, Any]) -> Iterator[Pin]:
    """The `{"name": …, "version": …}` records of `packages` and `packages-dev`."""
    listed = [e for key in ("packages", "packages-dev") if isinstance(data.get(key), list) for e in data[key]]
    yield from _keyed({e.get("name"): e for e in listed if isinstance(e, dict)}, "version")


def _nuget_lock(data: dict[str, Any]) -> Iterator[Pin]:
    """`dependencies` per target framework, each package's `resolved` version."""
    frameworks = data.get("dependencies")
    for entries in frameworks.values() if isinstance(frameworks, dict) else []:
        yield from _keyed(entries, "resolved")


def _keyed(entries: object, field: str) -> Iterator[Pin]:
    """(key, entry[field]) of a mapping of package names to records."""
    for key, entry in entries.items() if isinstance(entries, dict) else []:
        if isinstance(key, str) and key and isinstance(entry, dict) and isinstance(entry.get(field), str):
            yield key, entry[field]


def _yarn(text: str) -> Iterator[Pin]:
    """Each entry's header names its package (`"a@^1", a@~1.2:`, yarn berry's `a@npm:^1`); its
    `version` line follows before the next header."""
    names: list[str] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            specs = (spec.strip().strip("\"'") for spec in line.rstrip()[:-1].split(","))
            names = [spec[: spec.index("@", 1)] for spec in specs if "@" in spec[1:]]
        elif (version := _YARN_VERSION.match(line)) is not None:
            yield from ((name, version[1]) for name in names)
            names = []


def _go_requires(text: str) -> Iterator[Pin]:
    """`require M vV` and the lines of a `require (…)` block (Trivy reads go.mod's versions without
    the `v`); a module a `replace` directive swaps is left out: its version is not the one built."""
    lines = [line.split("//", 1)[0].split() for line in text.splitlines()]
    replaced = {words[1] for words in lines if len(words) > 1 and words[0] == "replace"}
    replaced |= {words[0] for words in _block(lines, "replace") if words}
    pins = [words[1:] for words in lines if words[:1] == ["require"] and len(words) == 3]
    pins += [words for words in _block(lines, "require") if len(words) == 2]
    for module, version in pins:
        if module not in replaced:
            yield module, version.removeprefix("v")


def _block(lines: list[list[str]], keyword: str) -> Iterator[list[str]]:
    inside = False
    for words in lines:
        if words == [keyword, "("]:
            inside = True
        elif words == [")"]:
            inside = False
        elif inside:
            yield words


_JSON_LOCKS: dict[str, Callable[[dict[str, Any]], Iterator[Pin]]] = {
    "pipfile.lock": _pipfile_lock,
    "package-lock.json": _npm_lock,
    "npm-shrinkwrap.json": _npm_lock,
    "composer.lock": _composer_lock,
    "packages.lock.json": _nuget_lock,
}
