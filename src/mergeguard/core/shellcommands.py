"""Whether a RUN's shell lines run a command: the word in a command's place, not an argument."""

from __future__ import annotations

import re
import shlex

from mergeguard.core.dockerfile import Instruction, run_command_lines

_OPERATOR_CHARS = frozenset("&|;()!{}")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SCRIPT_FLAG = re.compile(r"^-[a-z]*c$")  # `sh -c`, `bash -lc`, `su -c`: the next word is a script

# Words after which the next word is still a command: wrappers that run their arguments, and the
# shell's own keywords before a command.
_WRAPPERS = frozenset(
    {"env", "exec", "nohup", "time", "command", "xargs", "nice", "timeout", "stdbuf", "chroot",
     "if", "then", "else", "elif", "do", "while", "until", "!"}
)  # fmt: skip


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
