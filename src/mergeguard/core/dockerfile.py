"""Reads a Dockerfile's instructions with their line numbers, heredoc bodies kept apart.

What they mean is read elsewhere: the stages and build args in `dockerstages`, the commands a RUN
runs in `shellcommands`, the instruction that made an image layer in `imagehistory`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mergeguard.core import jsonload

_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^#\s*[A-Za-z][A-Za-z0-9_-]*\s*=\s*\S.*$")  # `# syntax=…`, `# check=…`
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)(?:\s+(.*))?$", re.DOTALL)
_FLAG = re.compile(r"^--[a-z-]+(=\S*)?$")
_RUN_FLAGS = re.compile(r"^(?:--[a-z-]+(?:=\S*)?\s+)+")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: its keyword (upper case), its arguments on one line, its first line, and the
    bodies of its heredocs (`RUN <<EOF` … `EOF`), closing lines included, as written."""

    keyword: str
    args: str
    line: int
    body: str = ""

    @property
    def text(self) -> str:
        """The arguments and the heredoc bodies: what a RUN runs."""
        return f"{self.args}\n{self.body}" if self.body else self.args

    @property
    def words(self) -> list[str]:
        """The arguments without leading `--flag=value` options (`--from=build`, `--mount=…`)."""
        try:
            tokens = shlex.split(self.args, posix=True)
        except ValueError:
            tokens = self.args.split()
        while tokens and _FLAG.match(tokens[0]):
            tokens.pop(0)
        return tokens


def parse(text: str) -> list[Instruction]:
    """Every instruction, continuation lines joined, heredoc bodies kept apart in `body` (a body line
    is never read as an instruction: `from x import y` in a heredoc starts no stage); comments and
    blank lines skipped."""
    lines = text.splitlines()
    escape = _escape(lines)
    heredoc = _in_heredocs(lines)
    found: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        if heredoc[number - 1] and found:
            found[-1] = replace(found[-1], body=f"{found[-1].body}{raw}\n")
            continue
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        start = start or number
        continued = stripped.endswith(escape)
        parts.append(stripped[:-1] if continued else stripped)
        if not continued:
            found += _instruction(" ".join(parts), start)
            parts, start = [], 0
    if parts:
        found += _instruction(" ".join(parts), start)
    return found


def commented(lines: Sequence[str], comment: re.Pattern[str]) -> list[tuple[int, int, int, re.Match[str]]]:
    """(the comment's line, the instruction's first and last line, the match) for each instruction
    right below a line `comment` matches whole (stripped): where a tool's ignore pragma applies."""
    starts = [ins.line for ins in parse("\n".join(lines))]
    ends = [*(start - 1 for start in starts[1:]), len(lines)]
    return [
        (start - 1, start, end, match)
        for start, end in zip(starts, ends, strict=True)
        if start > 1 and (match := comment.fullmatch(lines[start - 2].strip())) is not None
    ]


def _escape(lines: Sequence[str]) -> str:
    """The escape character: `\\`, or the one an `# escape=` parser directive names (directives
    head the file, in any order: `# syntax=` may come first; the first other line ends them)."""
    for line in lines:
        if directive := _ESCAPE_DIRECTIVE.match(line.strip()):
            return directive.group(1)
        if not _DIRECTIVE.match(line.strip()):
            break
    return "\\"


def final_stage(instructions: Sequence[Instruction]) -> list[Instruction]:
    """The instructions from the last FROM on: the stage that is the built image."""
    froms = [i for i, ins in enumerate(instructions) if ins.keyword == "FROM"]
    return list(instructions[froms[-1] :]) if froms else list(instructions)


def from_line(instructions: Sequence[Instruction]) -> int:
    """The line of the final stage's FROM (1 when there is none)."""
    stage = final_stage(instructions)
    return stage[0].line if stage and stage[0].keyword == "FROM" else 1


def run_command_lines(ins: Instruction) -> list[str]:
    """A RUN's shell lines: its command (exec form joined) and each line of its heredoc bodies."""
    return [run_command(ins), *ins.body.splitlines()]


def run_command(ins: Instruction) -> str:
    """A RUN's command as history records it: flags (`--mount=…`) dropped, exec form joined."""
    text = _RUN_FLAGS.sub("", ins.args)
    if text.startswith("["):
        try:
            return collapse(" ".join(str(word) for word in jsonload.parse_whole(text, max_depth=8)))
        except (ValueError, TypeError):  # JsonProblem is a ValueError
            pass
    return collapse(text)


def _instruction(line: str, number: int) -> list[Instruction]:
    match = _INSTRUCTION.match(line)
    if match is None:
        return []
    return [Instruction(match.group(1).upper(), (match.group(2) or "").strip(), number)]


def collapse(text: str) -> str:
    return " ".join(text.replace("\\\n", " ").split())


# A heredoc's opening marker: `<<EOF`, `<<-EOF` (closing line may be indented with tabs), quoted
# `<<"EOF"` / `<<'EOF'`; not a here-string `<<<`.
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD", "ONBUILD"})


def spaced_after_heredocs(text: str) -> str | None:
    """`text` with one space before each line that starts right after a heredoc's closing line, or
    None when no line needs one.

    hadolint 2.x cannot parse an instruction or comment that follows a heredoc without a blank line
    between (hadolint#960, language-docker#99): it reports the whole file as unparseable (DL1000).
    Docker reads an instruction with a leading space as the same instruction, and lines and line
    numbers stay as they are.
    """
    lines = text.split("\n")
    inside = _in_heredocs(lines)
    changed = False
    for number in range(len(lines) - 1):
        if inside[number] and not inside[number + 1] and lines[number + 1][:1] not in ("", " ", "\t", "\r"):
            lines[number + 1] = " " + lines[number + 1]
            changed = True
    return "\n".join(lines) if changed else None


def _in_heredocs(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is a heredoc's body or closing line (what follows a RUN, COPY or ADD,
    or an ONBUILD of one, naming `<<WORD`, up to a line that is WORD; `<<-WORD`: tabs before it
    allowed). A heredoc that is never closed runs to the end."""
    escape = _escape(lines)
    inside = [False] * len(lines)
    opened: list[tuple[bool, str]] = []  # (closing line may start with tabs, delimiter), in order
    keyword, continued = "", False
    for number, line in enumerate(lines):
        body = line.rstrip("\r")
        if opened and not continued:
            inside[number] = True
            tabs, word = opened[0]
            if (body.lstrip("\t") if tabs else body) == word:
                opened.pop(0)
            continue
        stripped = body.strip()
        if stripped.startswith("#") or (not continued and not stripped):
            continue  # a comment, also inside a continued instruction (as `parse` reads it)
        if not continued:
            keyword = stripped.split(maxsplit=1)[0].upper()
        if keyword in _HEREDOC_KEYWORDS:
            opened += [(m.group(1) == "-", m.group(3)) for m in _HEREDOC.finditer(body)]
        continued = stripped.endswith(escape)
    return inside


# A RUN's (or an ONBUILD RUN's) first line up to its flags; a flag; a `--mount=` flag's unquoted value.
_RUN_START = re.compile(r"^\s*(?:ONBUILD\s+)?RUN(?=\s)", re.IGNORECASE)
_FLAG_AT = re.compile(r"\s*(--[A-Za-z-]+(?:=\S*)?)(?=\s|$)")
_MOUNT_VALUE = re.compile(r"--mount=([^\s\"']+)")
_TARGET_KEYS = frozenset({"target", "dst", "destination"})
_UNTARGETED_TYPES = frozenset({"bind", "cache"})  # BuildKit's only mounts whose target is optional
# The target hadolint's copy gives a mount that names none: a path no rule looks at (hadolint skips
# DL3042 for a cache mount on pip's cache: a real cache directory would hide findings).
NO_TARGET = "/mergeguard-mount-without-target"


def targeted_mounts(text: str) -> str | None:
    """`text` with `,target=NO_TARGET` after each RUN's bind or cache `--mount=` that names no target,
    or None when none lacks one.

    BuildKit reads a bind or cache mount's target as optional (moby/buildkit#1960: `--mount=from=stage`,
    `--mount=type=cache,id=x`); hadolint 2.15.1 requires it and reports the whole file as unparseable
    (DL1000). Only the flags before a RUN's command are read (never its shell, nor a heredoc's body),
    and every line keeps its number.
    """
    lines = text.split("\n")
    inside, escape = _in_heredocs(lines), _escape(lines)
    changed = continued = flags = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        if inside[number] or stripped.startswith("#") or (not continued and not stripped):
            continue
        start = 0
        if not continued:
            run = _RUN_START.match(line)
            flags, start = run is not None, run.end() if run else 0
        continued = stripped.endswith(escape)
        if flags:
            targeted, flags = _targeted(line, start, escape if continued else "")
            changed, lines[number] = changed or targeted != line, targeted
    return "\n".join(lines) if changed else None


def _targeted(line: str, start: int, escape: str) -> tuple[str, bool]:
    """`line` with a target given to each untargeted mount among the flags from `start`, and whether
    the flags go on (every word of it a flag, continued on the next line)."""
    end = len(line.rstrip().removesuffix(escape)) if escape else len(line)
    position, out = start, [line[:start]]
    while (flag := _FLAG_AT.match(line, position, end)) is not None:
        out += [line[position : flag.start(1)], _with_target(flag.group(1))]
        position = flag.end()
    out.append(line[position:])
    return "".join(out), bool(escape) and not line[position:end].strip()


def _with_target(flag: str) -> str:
    mount = _MOUNT_VALUE.fullmatch(flag)
    if mount is None:
        return flag
    options = [option.partition("=") for option in mount.group(1).split(",")]
    keys = {key.strip().lower() for key, _, _ in options}
    types = [value.strip().lower() for key, _, value in options if key.strip().lower() == "type"]
    if keys & _TARGET_KEYS or (types and types[-1] not in _UNTARGETED_TYPES):
        return flag
    return f"{flag},target={NO_TARGET}"
