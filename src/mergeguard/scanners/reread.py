"""Dockerfile checks some tools get wrong, decided again by reading the Dockerfile as a build does.

Checkov does not read build args (`FROM ${BASE}` with a pinned default fails its `latest` check) and
reads " sudo " anywhere in a RUN as running sudo (`apt-get install sudo`); Checkov and Trivy call a
Windows `WORKDIR C:\\app` relative; hadolint runs ShellCheck on a Windows stage's `cmd` lines; all
three call a checksummed download with ADD (`ADD --checksum=sha256:… URL`) a misuse of ADD. Each
such finding is checked against the Dockerfile in the scanned view: kept, moved to the line the
problem really is on, or left out. A Dockerfile that cannot be read again (a symlink, over 1 MB)
keeps its findings as reported. Trivy's secret-in-ENV on a PGP key id (`ENV GPG_KEY 7169…`) is judged
on the instruction Trivy quotes (`sets_public_key_ids`), which an image's configuration has too; on a
secret's file (`ENV POSTGRES_PASSWORD_FILE /run/secrets/db`), against the Dockerfile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from mergeguard.core import dockerfile, dockerstages, shellcommands
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.dockerfile import Instruction
from mergeguard.core.model import Finding

_MAX_BYTES = 1 << 20
_PGP_NAME = re.compile(r"gpg|pgp", re.IGNORECASE)
_NOT_KEY_NAME = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)  # GPG_PASSPHRASE is no key id
_KEY_IDS = re.compile(r"(?:(?:0x)?[0-9A-Fa-f]{8,40}\s*)+")
_FILE_PATH = re.compile(r"(?:/|[A-Za-z]:[\\/])[^\s:;|&$`]*")  # absolute, one path: no list, no command
_CHECKSUM = re.compile(r"(?:^|\s)--checksum=sha(?:256|384|512):[0-9a-fA-F]+(?:\s|$)")
_REMOTE = re.compile(r"(?:https?://|git@)", re.IGNORECASE)

# What a check says is wrong at a finding's line, asked again: the finding (moved) or None (wrong).
Recheck = Callable[[Finding, Sequence[Instruction]], Finding | None]
Choice = Callable[[Finding], Recheck | None]  # the recheck a finding gets, if any


def latest(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """A base image untagged or `latest`, with the ARG defaults read; the tool stopped at the first
    FROM it failed, so the finding moves to the first from there that is unpinned (none: wrong)."""
    loc = finding.location
    line = dockerstages.unpinned_from(instructions, loc.start_line)
    if line is None:
        return None
    return replace(finding, location=replace(loc, start_line=line, end_line=line))


def sudo(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """sudo run by a RUN, not named in it (`apt-get install sudo`)."""
    run = _at(instructions, finding, "RUN")
    return finding if run is None or shellcommands.runs(run, "sudo") else None


def relative_workdir(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """A WORKDIR that is relative, where a Windows path (`C:\\app`) is absolute."""
    workdir = _at(instructions, finding, "WORKDIR")
    words = workdir.words if workdir is not None else []
    return None if words and dockerstages.is_windows_absolute(words[0]) else finding


def posix_shell(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """A shell-script check (ShellCheck's SC…), meaningless in a stage built on a Windows image or
    whose SHELL is PowerShell or `cmd` (a Windows tag from a build arg without a default is unknown,
    its `SHELL ["powershell", …]` is not)."""
    line = finding.location.start_line
    if dockerstages.stage_shell(instructions, line) in _NOT_POSIX_SHELLS:
        return None
    base = dockerstages.stage_base(instructions, line)
    return None if base is not None and dockerstages.is_windows_image(base) else finding


_NOT_POSIX_SHELLS = frozenset({"powershell", "pwsh", "cmd"})


def sets_public_key_ids(ins: Instruction) -> bool:
    """Whether an ENV or ARG sets only PGP key ids or fingerprints, each under a GPG/PGP name that is
    not a password's or token's (`ENV GPG_KEY 7169605F…`, in every official Python image): public, as
    keyservers publish them."""
    pairs = dockerstages.assignments(ins) if ins.keyword in ("ENV", "ARG") else []
    return bool(pairs) and all(_key_ids(name, value) for name, value in pairs)


def secret_file_env(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """A secret in ENV on an ENV or ARG that sets only paths under `…_FILE` names (and key ids):
    `POSTGRES_PASSWORD_FILE=/run/secrets/db`, the official images' way to read a secret mounted at
    run time; kept when a RUN, COPY, ADD or WORKDIR of the Dockerfile names the path or a folder
    above it, which could bake the secret into a layer."""
    ins = _at(instructions, finding, "ENV") or _at(instructions, finding, "ARG")
    pairs = dockerstages.assignments(ins) if ins is not None else []
    files = [value.strip("\"'") for name, value in pairs if _secret_file(name, value)]
    if not files or not all(_secret_file(n, v) or _key_ids(n, v) for n, v in pairs):
        return finding
    named = {*files, *(str(folder) for path in files for folder in PurePosixPath(path).parents)} - {"/"}
    writes = [i.text for i in instructions if i.keyword in ("RUN", "COPY", "ADD", "WORKDIR")]
    return finding if any(name in text for name in named for text in writes) else None


def _key_ids(name: str, value: str) -> bool:
    return (
        _PGP_NAME.search(name) is not None
        and _NOT_KEY_NAME.search(name) is None
        and _KEY_IDS.fullmatch(value) is not None
    )


def _secret_file(name: str, value: str) -> bool:
    value = value.strip("\"'")
    return name.upper().endswith("_FILE") and _FILE_PATH.fullmatch(value) is not None


def verified_add(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """ADD where COPY would do, where the ADD downloads a URL and checks what it got against a
    checksum (`ADD --checksum=sha256:… https://…`): what ADD is for."""
    add = _at(instructions, finding, "ADD")
    return None if add is not None and _CHECKSUM.search(add.args) else finding


def remote_add(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """hadolint's "COPY instead of ADD for files and folders", where the source is a URL a build arg
    names (`ARG UV=https://…` then `ADD $UV …`: hadolint does not read the default)."""
    add = _at(instructions, finding, "ADD")
    sources = dockerstages.add_sources(instructions, add.line) if add is not None else None
    if sources and all(_REMOTE.match(source) for source in sources):
        return None
    return verified_add(finding, instructions)


def exec_form(finding: Finding, instructions: Sequence[Instruction]) -> Finding | None:
    """hadolint's "JSON notation for CMD and ENTRYPOINT", where the line is a HEALTHCHECK's `CMD`
    (`HEALTHCHECK CMD true`), which Docker runs through the shell either way."""
    return None if _at(instructions, finding, "HEALTHCHECK") is not None else finding


def recheck(findings: list[Finding], root: Path, rechecks: Choice) -> list[Finding]:
    """`findings` with those `rechecks` names a recheck for decided again against their Dockerfile."""
    parsed: dict[str, list[Instruction] | None] = {}
    kept = []
    for finding in findings:
        check = rechecks(finding)
        path = finding.location.path
        if check is not None and path not in parsed:
            parsed[path] = _instructions(root / path)
        instructions = parsed.get(path) if check is not None else None
        if check is None or not instructions:
            kept.append(finding)
        elif (again := check(finding, instructions)) is not None:
            kept.append(again)
    return kept


def _at(instructions: Sequence[Instruction], finding: Finding, keyword: str) -> Instruction | None:
    """The `keyword` instruction the finding points at (its first line within the finding's lines)."""
    loc = finding.location
    last = max(loc.start_line, loc.end_line)
    return next((i for i in instructions if i.keyword == keyword and loc.start_line <= i.line <= last), None)


def _instructions(path: Path) -> list[Instruction] | None:
    data = read_regular(path)
    if data is None or len(data) > _MAX_BYTES:
        return None
    return dockerfile.parse(data.decode("utf-8", "surrogateescape"))
