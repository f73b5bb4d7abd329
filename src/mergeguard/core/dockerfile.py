"""Reads a Dockerfile's instructions with their line numbers, and finds the one that made an image layer."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from mergeguard.core import jsonload

_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^#\s*[A-Za-z][A-Za-z0-9_-]*\s*=\s*\S.*$")  # `# syntax=…`, `# check=…`
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)(?:\s+(.*))?$", re.DOTALL)
_FLAG = re.compile(r"^--[a-z-]+(=\S*)?$")
_RUN_FLAGS = re.compile(r"^(?:--[a-z-]+(?:=\S*)?\s+)+")
# What an image's history says made a layer, in the classic builder's words ("/bin/sh -c #(nop) COPY
# file:ab12… in /app ", "|1 ARG=v /bin/sh -c pip install …") and BuildKit's ("RUN /bin/sh -c pip
# install … # buildkit", "COPY requirements.txt . # buildkit").
_BUILD_ARGS = re.compile(r"^\|\d+\s+(?:\S+=\S*\s+)*")
_SHELL = re.compile(r"^(?:/bin/(?:ba)?sh\s+-c\s+)")
_NOP = re.compile(r"^#\(nop\)\s*")
_BUILDKIT = re.compile(r"\s*#\s*buildkit\s*$")
# A build arg in a FROM line: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}`.
_ARG_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::([-+])([^}]*))?\}|([A-Za-z_]\w*))")
_DIGEST = re.compile(r"@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_WINDOWS_IMAGE = re.compile(r"windows|nanoserver|servercore|ltsc\d{4}")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_OPERATOR_CHARS = frozenset("&|;()!{}")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SCRIPT_FLAG = re.compile(r"^-[a-z]*c$")  # `sh -c`, `bash -lc`, `su -c`: the next word is a script
# Words after which the next word is still a command: wrappers that run their arguments, and the
# shell's own keywords before a command.
_WRAPPERS = frozenset(
    {"env", "exec", "nohup", "time", "command", "xargs", "nice", "timeout", "stdbuf", "chroot",
     "if", "then", "else", "elif", "do", "while", "until", "!"}
)  # fmt: skip
_CLASSIC_COPY = re.compile(r"^(COPY|ADD)\s+(?:file|dir|multi):\S*\s+in\s+(\S+)\s*$", re.IGNORECASE)


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
            alias = words[2].lower() if len(words) == 3 and words[1].upper() == "AS" else ""
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


def is_windows_image(image: str) -> bool:
    """Whether an image reference names a Windows base (`windows/servercore`, `…-nanoserver-1809`)."""
    return _WINDOWS_IMAGE.search(image.lower()) is not None


def is_windows_absolute(path: str) -> bool:
    """Whether a path is absolute on Windows: a drive (`C:\\app`, `c:/app`) or a UNC share."""
    return _WINDOWS_DRIVE.match(path) is not None or path.startswith(("\\\\", "//"))


def runs(ins: Instruction, command: str) -> bool:
    """Whether a RUN may run `command`: the word in a command's place (first, or after `&&`, `;`,
    a pipe, a newline, variable assignments or a wrapper such as `env`, `xargs`, `exec`), also in
    a script a shell is handed (`sh -c "sudo …"`, `eval`); True when the shell cannot be read. As
    an argument (`apt-get install sudo`, `echo "add a sudo user"`) it is not run."""
    return any(_line_runs(line, command) for line in run_command_lines(ins))


def _line_runs(line: str, command: str, depth: int = 0) -> bool:
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return True
    in_place, previous = True, ""
    for token in tokens:
        if token and set(token) <= _OPERATOR_CHARS:
            in_place = True
        elif _SCRIPT_FLAG.match(previous) or previous == "eval":  # a script: read as one
            if depth > 3 or _line_runs(token, command, depth + 1):
                return True
            in_place = False
        elif in_place and token.rsplit("/", 1)[-1] == command:
            return True
        elif in_place and not (token in _WRAPPERS or _ASSIGNMENT.match(token) or token.startswith("-")):
            in_place = token.isdigit()  # `timeout 5 sudo …`: a wrapper's number
        previous = token
    return False


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


def run_command_lines(ins: Instruction) -> list[str]:
    """A RUN's shell lines: its command (exec form joined) and each line of its heredoc bodies."""
    return [run_command(ins), *ins.body.splitlines()]


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


def layer_instruction(created_by: str, stage: Sequence[Instruction], occurrence: int = 0) -> int | None:
    """The line of the final-stage instruction whose layer history says `created_by` made; None: none.

    `occurrence` counts from the last layer that reads the same (two `COPY . .`): the final stage
    made the image's last layers, so the last such layer is its last such instruction, and a layer
    counted past the stage's instructions came from the base image.
    """
    keyword, content = normalise_history(created_by)
    matches = [ins.line for ins in stage if ins.keyword == keyword and _same(ins, keyword, content)]
    return matches[-1 - occurrence] if occurrence < len(matches) else None


def normalise_history(created_by: str) -> tuple[str, str]:
    """(keyword, content) of a history entry: content is a RUN's command or a COPY/ADD's destination."""
    text = _BUILDKIT.sub("", created_by.strip())
    text = _BUILD_ARGS.sub("", text)
    if text.upper().startswith("RUN "):
        text = text[4:].lstrip()
    text = _NOP.sub("", _SHELL.sub("", text))
    if classic := _CLASSIC_COPY.match(text):
        return classic.group(1).upper(), _dest(classic.group(2))
    head, _, rest = text.partition(" ")
    if head.upper() in ("COPY", "ADD"):
        words = Instruction(head.upper(), rest, 0).words
        return head.upper(), _dest(words[-1]) if words else ""
    return "RUN", _collapse(text)


def _same(ins: Instruction, keyword: str, content: str) -> bool:
    if keyword == "RUN":
        return run_command(ins) == content
    words = ins.words
    return bool(words) and _dest(words[-1]) == content


def run_command(ins: Instruction) -> str:
    """A RUN's command as history records it: flags (`--mount=…`) dropped, exec form joined."""
    text = _RUN_FLAGS.sub("", ins.args)
    if text.startswith("["):
        try:
            return _collapse(" ".join(str(word) for word in jsonload.parse_whole(text, max_depth=8)))
        except (ValueError, TypeError):  # JsonProblem is a ValueError
            pass
    return _collapse(text)


def _instruction(line: str, number: int) -> list[Instruction]:
    match = _INSTRUCTION.match(line)
    if match is None:
        return []
    return [Instruction(match.group(1).upper(), (match.group(2) or "").strip(), number)]


def _dest(path: str) -> str:
    return path.rstrip("/") or "/"


def _collapse(text: str) -> str:
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
