"""Classifies a repository path into the kinds of file the scanners care about."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from pathlib import PurePosixPath


class FileKind(enum.StrEnum):
    """What a file is, as far as choosing scanners goes. Every file is ANY (secrets apply to all)."""

    ANY = "any"
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    PYTHON = "python"
    PY_REQUIREMENTS = "python-requirements"
    PIP_REQUIREMENTS = "pip-requirements"  # pip's own format (pinned lists pip-audit can read)
    LOCKFILE = "lockfile"  # another ecosystem's manifest or lock file that Trivy reads
    IAC = "iac"


# pip requirements files by the names projects give them: requirements-dev.txt, dev-requirements.txt,
# test_requirements.txt, and any .txt at any depth under a requirements/, reqs/ or constraints/ folder
# (edx's requirements/edx/base.txt, constraints/py38.txt); pip-tools' .in inputs too.
_REQUIREMENTS_NAME = r"(requirements.*|[^/]*[-_.]requirements)\.(txt|in)"
# Rye's locks (requirements.lock, requirements-dev.lock) are pip requirements files by another name.
_RYE_LOCK = r"requirements.*\.lock"
# PEP 751 lock files: pylock.toml and pylock.NAME.toml (Trivy reads them where they are).
PYLOCK = re.compile(r"pylock(\.[^/]+)?\.toml")
# Lock files in TOML whose `[[package]]` entries hold each package's name and version.
TOML_LOCKS = frozenset({"poetry.lock", "uv.lock", "pdm.lock", "cargo.lock"})


def toml_lock(path: str) -> bool:
    """Whether `path` is a lock file in TOML: one of `TOML_LOCKS`, or PEP 751's (`[[packages]]`)."""
    name = PurePosixPath(path).name.lower()
    return name in TOML_LOCKS or PYLOCK.fullmatch(name) is not None


_REQUIREMENTS = re.compile(
    rf"^({_REQUIREMENTS_NAME}|{_RYE_LOCK}|constraints.*\.txt|pipfile(\.lock)?|poetry\.lock|pdm\.lock"
    rf"|uv\.lock|{PYLOCK.pattern}|pyproject\.toml|setup\.cfg)$"
)
_PIP_FORMAT = re.compile(rf"^((requirements.*|[^/]*[-_.]requirements|constraints.*)\.txt|{_RYE_LOCK})$")
_REQUIREMENTS_DIRS = frozenset({"requirements", "reqs", "constraints"})
# The manifests and lock files of other ecosystems whose dependency versions Trivy reads (`trivy fs`).
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "go.mod",
        "cargo.lock",
        "composer.lock",
        "gemfile.lock",
        "pom.xml",
        "gradle.lockfile",
        "packages.lock.json",
        "packages.config",
        "package.resolved",
        "podfile.lock",
        "pubspec.lock",
        "mix.lock",
        "conan.lock",
    }
)
# Compose files, and swarm stack files (`docker stack deploy -c docker-stack.yml`: the same format).
_COMPOSE = re.compile(r"^(docker-)?compose([.-].*)?\.ya?ml$|^docker-stack([.-].*)?\.ya?ml$")
_IAC_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".bicep")
# Anywhere in a YAML or JSON file: a Kubernetes manifest's `apiVersion` (YAML or JSON) or a
# CloudFormation template's keys. Scanned to the end: comments before the manifest hide nothing.
IAC_MARKERS = re.compile(rb"apiVersion['\"]?\s*:|AWSTemplateFormatVersion|Resources['\"]?\s*:")
SNIFFED_SUFFIXES = (".yaml", ".yml", ".json")


# Dockerfile, Containerfile and their variants: Dockerfile.prod, api.Dockerfile, api-Dockerfile,
# prod_Dockerfile, Dockerfile-windows (names `docker build -f` is given); what the Trivy scans are
# told is a Dockerfile (scanners.trivy.fs) is the same pattern.
DOCKERFILE_NAME = r"(?i:([^/]*[._-])?(docker|container)file([._-][^/]*)?)"
_DOCKERFILE_NAME = re.compile(DOCKERFILE_NAME)
_NOT_DOCKERFILE = (
    ".py",
    ".md",
    ".txt",
    ".json",
    ".yml",
    ".yaml",
    ".toml",
    ".sh",
    ".go",
    ".js",
    ".ts",
    ".rs",
    ".dockerignore",
)
# Templates a Dockerfile is generated from (docker-library's `Dockerfile-linux.template`): not
# buildable as they stand, and not read as Dockerfiles (hadolint reports them unparseable).
_TEMPLATE = (".template", ".tmpl", ".tpl", ".j2", ".jinja", ".jinja2", ".in", ".erb", ".mustache", ".gotmpl")
# A script run by Python (`bin/deploy`, `cgi-bin/ping.cgi`, PEP 723's `uv run --script`, PyPy): Python
# code Bandit reads; `.wsgi` is Python for mod_wsgi. Its `#!` line decides for a name without an
# extension, one of `SHEBANG_SUFFIXES` (whose language only that line says), and an executable file
# (`core.changes` reads the first bytes of those alone: a big repository's files are not all opened).
SHEBANG_SUFFIXES = (".cgi", ".fcgi")
_PYTHON_SHEBANG = re.compile(rb"#![^\n]*(\b(python|pypy)[0-9.]*(\s|$)|\buv run\b)")


def by_first_line(name: str, executable: Callable[[], bool]) -> bool:
    """Whether a file named `name` is a script only its `#!` line says the language of: no extension,
    one of `SHEBANG_SUFFIXES`, or executable (asked last: a stat) without a `SNIFFED_SUFFIXES` name."""
    lower = name.lower()
    return (
        "." not in lower
        or lower.endswith(SHEBANG_SUFFIXES)
        or (not lower.endswith(SNIFFED_SUFFIXES) and executable())
    )


def is_dockerfile(name: str) -> bool:
    """Whether a file name is a Dockerfile's (see DOCKERFILE_NAME); not dockerfile.py, not a template."""
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE + _TEMPLATE):
        return False
    return _DOCKERFILE_NAME.fullmatch(name) is not None


def classify(path: str, head: bytes = b"") -> frozenset[FileKind]:
    """The kinds of `path`; `head` is what `core.changes` read of its content: to recognise YAML and
    JSON IaC (names ending in `SNIFFED_SUFFIXES`) and Python scripts by their `#!` line."""
    posix = PurePosixPath(path)
    name = posix.name.lower()
    kinds = {FileKind.ANY}
    if is_dockerfile(name):
        kinds.add(FileKind.DOCKERFILE)
    elif _COMPOSE.match(name):
        kinds.add(FileKind.COMPOSE)
    elif name.endswith((".py", ".pyw", ".wsgi")) or (
        not name.endswith(SNIFFED_SUFFIXES) and _PYTHON_SHEBANG.match(head)
    ):
        kinds.add(FileKind.PYTHON)
    in_requirements_dir = any(part.lower() in _REQUIREMENTS_DIRS for part in posix.parts[:-1])
    if _REQUIREMENTS.match(name) or (in_requirements_dir and name.endswith((".txt", ".in"))):
        kinds.add(FileKind.PY_REQUIREMENTS)
    if _PIP_FORMAT.match(name) or (in_requirements_dir and name.endswith(".txt")):
        kinds.add(FileKind.PIP_REQUIREMENTS)
    if name in _LOCKFILES:
        kinds.add(FileKind.LOCKFILE)
    if _is_iac(posix, name, head):
        kinds.add(FileKind.IAC)
    return frozenset(kinds)


def is_constraints(path: str) -> bool:
    """Whether a pip file only bounds versions (`constraints*.txt`, a file under `constraints/`)."""
    posix = PurePosixPath(path.lower())
    return posix.name.startswith("constraints") or "constraints" in posix.parts[:-1]


def _is_iac(posix: PurePosixPath, name: str, head: bytes) -> bool:
    if name.endswith(_IAC_SUFFIXES):
        return True
    parts = posix.parts
    if ".github" in parts and "workflows" in parts:
        return True
    if name.endswith(SNIFFED_SUFFIXES) and not _COMPOSE.match(name):
        return IAC_MARKERS.search(head) is not None
    return False
