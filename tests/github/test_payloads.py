"""The request bodies the client builds: GitHub's limits, markers, and the SARIF encoding."""

from __future__ import annotations

import base64
import gzip

import pytest

from mergeguard.github import Annotation, AnnotationLevel
from mergeguard.github.payloads import (
    ANNOTATION_MESSAGE_LIMIT,
    annotation_json,
    clip_bytes,
    comment_body,
    encode_sarif,
    poll_waits,
)


def test_a_file_level_annotation_points_at_line_one_and_long_texts_are_cut() -> None:
    annotation = Annotation("Dockerfile", 0, 0, AnnotationLevel.FAILURE, "T" * 300, "é" * 40_000)

    sent = annotation_json(annotation)

    assert (sent["start_line"], sent["end_line"], sent["annotation_level"]) == (1, 1, "failure")
    assert len(sent["title"]) == 255
    assert len(sent["message"].encode()) <= ANNOTATION_MESSAGE_LIMIT
    assert sent["message"].endswith("é…")  # cut between characters, never inside one


def test_clip_bytes_leaves_short_text_alone() -> None:
    assert clip_bytes("ünïcode", 100) == "ünïcode"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## PASS", "<!-- m -->\n## PASS"),  # the marker goes first when the template left it out
        ("## PASS\n<!-- m -->", "## PASS\n<!-- m -->"),  # where the template put it, it stays
    ],
)
def test_the_comment_always_carries_its_marker(body: str, expected: str) -> None:
    assert comment_body(body, "<!-- m -->") == expected


def test_a_marker_at_the_end_of_an_overlong_body_is_moved_to_the_front() -> None:
    text = comment_body("x" * 70_000 + "<!-- m -->", "<!-- m -->")

    assert text.startswith("<!-- m -->\nxxx")
    assert len(text) == 65_536


def test_sarif_is_gzip_then_base64_and_its_size_is_the_gzipped_one() -> None:
    encoded, size = encode_sarif('{"version": "2.1.0", "runs": []}')

    assert gzip.decompress(base64.b64decode(encoded)) == b'{"version": "2.1.0", "runs": []}'
    assert size == len(base64.b64decode(encoded))


@pytest.mark.parametrize(
    ("wait_s", "expected"),
    [(0, []), (3, [1.0, 2.0]), (12, [1.0, 2.0, 4.0, 5.0]), (120, [1.0, 2.0, 4.0] + [5.0] * 22)],
)
def test_status_checks_back_off_to_every_five_seconds(wait_s: float, expected: list[float]) -> None:
    assert poll_waits(wait_s) == expected
