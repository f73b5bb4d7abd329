"""Request bodies for the GitHub API, built by pure functions that keep inside GitHub's documented limits."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from typing import Any

from mergeguard.github.outcomes import Annotation

COMMENT_LIMIT = 65_536  # characters in an issue or PR comment ("body is too long")
OUTPUT_LIMIT = 65_535  # characters in a check run's output.summary and output.text
ANNOTATIONS_PER_REQUEST = 50  # the Checks API takes 50 per request; further PATCH calls append
ANNOTATION_TITLE_LIMIT = 255  # characters
ANNOTATION_MESSAGE_LIMIT = 64 * 1024  # bytes ("64 KB")
SARIF_GZIP_LIMIT = 10 * 1024 * 1024  # code scanning takes at most 10 MB of gzipped SARIF per upload
POLL_WAIT_MAX = 5.0  # seconds between two status checks at most, as GitHub's own upload action waits
CLIPPED = "\n\n… (cut here: GitHub's size limit; the full report is in the job summary and the artifacts)"


def clip(text: str, limit: int, note: str = CLIPPED) -> str:
    """`text` if it fits in `limit` characters, else its start and `note`, together `limit` long."""
    if len(text) <= limit:
        return text
    return text[: limit - len(note)] + note


def clip_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, never inside a character."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


def comment_body(body: str, marker: str) -> str:
    """The comment to post: the body with its hidden marker (put first if absent), within the size limit."""
    text = clip(body if marker in body else f"{marker}\n{body}", COMMENT_LIMIT)
    return text if marker in text else clip(f"{marker}\n{body}", COMMENT_LIMIT)


def same_body(posted: str | None, wanted: str) -> bool:
    """Whether a comment already says `wanted`, up to CRLF line ends and blanks at either end."""
    return (posted or "").replace("\r\n", "\n").strip() == wanted.replace("\r\n", "\n").strip()


def annotation_json(annotation: Annotation) -> dict[str, Any]:
    """One annotation as the Checks API takes it."""
    start = max(annotation.start_line, 1)
    return {
        "path": annotation.path,
        "start_line": start,
        "end_line": max(annotation.end_line, start),
        "annotation_level": annotation.level.value,
        "title": clip(annotation.title, ANNOTATION_TITLE_LIMIT, "…"),
        "message": clip_bytes(annotation.message, ANNOTATION_MESSAGE_LIMIT),
    }


def batches(annotations: Sequence[Annotation]) -> list[list[dict[str, Any]]]:
    """The annotations in request-sized batches; one empty batch when there are none."""
    items = [annotation_json(a) for a in annotations]
    size = ANNOTATIONS_PER_REQUEST
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def check_output(title: str, summary: str, text: str | None, batch: list[dict[str, Any]]) -> dict[str, Any]:
    """A check run's `output` carrying one batch of annotations (title and summary are required each time)."""
    output: dict[str, Any] = {"title": title, "summary": clip(summary, OUTPUT_LIMIT)}
    if text is not None:
        output["text"] = clip(text, OUTPUT_LIMIT)
    if batch:
        output["annotations"] = batch
    return output


def encode_sarif(sarif_text: str) -> tuple[str, int]:
    """The SARIF gzipped then base64-encoded, as the upload endpoint takes it, and its gzipped size."""
    zipped = gzip.compress(sarif_text.encode(), mtime=0)
    return base64.b64encode(zipped).decode("ascii"), len(zipped)


def poll_waits(wait_s: float) -> list[float]:
    """Pauses between status checks: 1, 2, 4, then every 5 seconds, adding up to at most `wait_s`."""
    waits: list[float] = []
    step = 1.0
    while sum(waits) + step <= wait_s:
        waits.append(step)
        step = min(step * 2, POLL_WAIT_MAX)
    return waits
