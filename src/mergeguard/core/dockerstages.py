"""A Dockerfile's stages: the image each FROM names, with the build args' defaults read, and what
ARG, ENV and ADD hold (read as a build without `--build-arg` reads them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from mergeguard.core.dockerfile import Instruction

# A build arg in a FROM line: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}`.
_ARG_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::([-+])([^}]*))?\}|([A-Za-z_]\w*))")
_DIGEST = re.compile(r"@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_WINDOWS_IMAGE = re.compile(r"windows|nanoserver|servercore|ltsc\d{4}")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def unpinned_from(instructions: Sequence[Instruction], line: int) -> int | None:
    """The line of the first FROM, from the one on `line` on, whose image is not pinned to a tag or
    digest; None when every one is (or names an earlier stage, or `scratch`).

    Build args are read as a build without `--build-arg` reads them: the defaults of the ARGs
    declared before the first FROM (the only ones a FROM can use), `${NAME:-word}` and
    `${NAME:+word}` as Docker expands them. An arg without a default is not pinned: the build
    supplies it. `line` itself is returned when no FROM starts there.
    """
    froms = _froms(instructions)
    if not any(ins.line == line for ins, _, _ in froms):
        return line
    stages: set[str] = set()
    for ins, image, alias in froms:
        pinned = image is not None and (image.lower() in stages or image == "scratch" or _pinned(image))
        if ins.line >= line and not pinned:
            return ins.line
        if alias:
            stages.add(alias)
    return None


def _froms(instructions: Sequence[Instruction]) -> list[tuple[Instruction, str | None, str]]:
    """Each FROM with its image, the global build args' defaults read (None: an arg without one),
    and its stage name (`AS build`, lower-cased; "" for none)."""
    defaults = _global_args(instructions)
    found = []
    for ins in instructions:
        if ins.keyword == "FROM":
            words = ins.words
            alias = _stage_name(words)
            found.append((ins, _expanded(words[0], defaults) if words else None, alias))
    return found


def _expanded(text: str, defaults: Mapping[str, str | None]) -> str | None:
    """`text` with `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` replaced; None when a
    name has no known value (and no `:-` word) or a `$` is left that is not one of these."""
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(4)
        current, modifier, word = defaults.get(name), match.group(2), match.group(3) or ""
        if modifier == "-":
            return current or word
        if current is None:
            unknown = True
            return ""
        return (word if current else "") if modifier == "+" else current

    expanded = _ARG_REFERENCE.sub(value, text)
    return None if unknown or "$" in expanded else expanded


def _pinned(image: str) -> bool:
    """Whether an image reference names a digest, or a tag other than `latest`."""
    if _DIGEST.search(image):
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(tag) and tag != "latest"


def stage_base(instructions: Sequence[Instruction], line: int) -> str | None:
    """The image the stage holding `line` is built on, through earlier stages (`FROM build`) and
    the build args' defaults; None before any FROM or when an arg has no default."""
    bases: dict[str, str | None] = {}
    base: str | None = None
    for ins, image, alias in _froms(instructions):
        if ins.line > line:
            break
        base = bases.get(image.lower(), image) if image is not None else None
        if alias:
            bases[alias] = base
    return base


def _stage_name(words: list[str]) -> str:
    """A FROM's stage name (`AS build`), lower-cased; "" for none."""
    return words[2].lower() if len(words) == 3 and words[1].upper() == "AS" else ""


def stage_shell(instructions: Sequence[Instruction], line: int) -> str | None:
    """The program the RUN lines at `line` run under when their stage (or the stage it is built on)
    set one with SHELL: its file name, lower-cased, without `.exe` (`powershell`, `cmd`); None: the
    default `/bin/sh -c`, or a SHELL that is not a JSON list."""
    shells: dict[str, str | None] = {}  # by stage name: a stage built on another keeps its SHELL
    shell, alias = None, ""
    for ins in instructions:
        if ins.line > line:
            break
        if ins.keyword == "FROM":
            words = ins.words
            shell = shells.get(words[0].lower()) if words else None
            alias = _stage_name(words)
        elif ins.keyword == "SHELL":
            shell = _program(ins.args)
        if alias:
            shells[alias] = shell
    return shell


def _program(args: str) -> str | None:
    """The file name of the program a SHELL instruction's JSON list names (`["C:\\…\\pwsh.exe", …]`)."""
    try:
        words = json.loads(args)
    except ValueError:
        return None
    if not isinstance(words, list) or not words or not isinstance(words[0], str):
        return None
    return re.split(r"[\\/]", words[0])[-1].lower().removesuffix(".exe")


def is_windows_image(image: str) -> bool:
    """Whether an image reference names a Windows base (`windows/servercore`, `…-nanoserver-1809`)."""
    return _WINDOWS_IMAGE.search(image.lower()) is not None


def is_windows_absolute(path: str) -> bool:
    """Whether a path is absolute on Windows: a drive (`C:\\app`, `c:/app`) or a UNC share."""
    return _WINDOWS_DRIVE.match(path) is not None or path.startswith(("\\\\", "//"))


def assignments(ins: Instruction) -> list[tuple[str, str]]:
    """The (name, value) pairs an ENV or ARG sets: `NAME=value …`, or the old `ENV NAME value`."""
    words = ins.words
    if not words:
        return []
    if "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(name, value) for name, _, value in (word.partition("=") for word in words)]


def add_sources(instructions: Sequence[Instruction], line: int) -> list[str] | None:
    """The sources of the ADD on `line` with the build args' defaults read (the ARGs before the first
    FROM, then the stage's own before that line); None: no ADD there, or an arg without a default."""
    add = next((ins for ins in instructions if ins.keyword == "ADD" and ins.line == line), None)
    if add is None or len(add.words) < 2:
        return None
    global_args = _global_args(instructions)
    defaults = dict(global_args)
    for ins in instructions:
        if ins.line >= line:
            break
        if ins.keyword == "FROM":  # a stage starts with the global args only
            defaults = dict(global_args)
        elif ins.keyword == "ARG":  # before the first FROM: the global args again, the same values
            _declare(ins, defaults)
    sources = [_expanded(word, defaults) for word in add.words[:-1]]
    known = [source for source in sources if source is not None]
    return known if len(known) == len(sources) else None


def _global_args(instructions: Sequence[Instruction]) -> dict[str, str | None]:
    """The ARGs declared before the first FROM, the only ones a FROM can use: name → default."""
    defaults: dict[str, str | None] = {}
    for ins in instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword == "ARG":
            _declare(ins, defaults)
    return defaults


def _declare(arg: Instruction, defaults: dict[str, str | None]) -> None:
    """An ARG's names into `defaults`: its value (expanded), or, with none, the default a name
    already has (a stage re-declaring a global arg) else None (the build supplies it)."""
    for word in arg.words:
        name, has_value, value = word.partition("=")
        if has_value:
            defaults[name] = _expanded(value, defaults)
        else:
            defaults.setdefault(name, None)
