"""Which Dockerfile instruction made an image layer, from what the image's history says made it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mergeguard.core.dockerfile import Instruction, collapse, run_command

# What an image's history says made a layer, in the classic builder's words ("/bin/sh -c #(nop) COPY
# file:ab12… in /app ", "|1 ARG=v /bin/sh -c pip install …") and BuildKit's ("RUN /bin/sh -c pip
# install … # buildkit", "COPY requirements.txt . # buildkit").
_BUILD_ARGS = re.compile(r"^\|\d+\s+(?:\S+=\S*\s+)*")
_SHELL = re.compile(r"^(?:/bin/(?:ba)?sh\s+-c\s+)")
_NOP = re.compile(r"^#\(nop\)\s*")
_BUILDKIT = re.compile(r"\s*#\s*buildkit\s*$")
_CLASSIC_COPY = re.compile(r"^(COPY|ADD)\s+(?:file|dir|multi):\S*\s+in\s+(\S+)\s*$", re.IGNORECASE)


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
    return "RUN", collapse(text)


def _same(ins: Instruction, keyword: str, content: str) -> bool:
    if keyword == "RUN":
        return run_command(ins) == content
    words = ins.words
    return bool(words) and _dest(words[-1]) == content


def _dest(path: str) -> str:
    return path.rstrip("/") or "/"
