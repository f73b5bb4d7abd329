"""A rewrite of a YAML file is checked against what the file meant: what PyYAML reads in both, and
no line written to whose end lies inside a scalar."""

from __future__ import annotations

import pytest

from mergeguard.core import yamlcompare

_TEMPLATE = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Name: !Ref Name\n"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (_TEMPLATE, _TEMPLATE.replace("Bucket\n", "Bucket  # a note\n"), True),  # a comment: the same
        (_TEMPLATE, _TEMPLATE.replace("!Ref Name", "!Ref Other"), False),  # CloudFormation's tags read
        (_TEMPLATE, _TEMPLATE.replace("!Ref", "!Sub"), False),
        ("a: 'true'\n", "a: true\n", False),  # a string and a boolean
        ("a: &x {b: [1, 2]}\nc: *x\n", "a: &x {b: [1, 2]}  # x\nc: *x  # y\n", True),
        ("a: &x {b: [1, 2]}\nc: *x\n", "a: &x {b: [1, 2]}\nc: {b: [1, 2]}\n", False),  # as written
        ('a: "x\n  y"\n', 'a: "x  # z\n  y"\n', False),  # inside a quoted scalar: its text
        ("a: 1\n---\nb: 2\n", "a: 1\n", False),  # every document
        ("a: 1\n", "\ufeffa: 1\r\n", True),
    ],
)
def test_texts_read_the_same_when_their_documents_are(first: str, second: str, same: bool) -> None:
    one, other = yamlcompare.read(first), yamlcompare.read(second)
    assert one is not None and other is not None
    assert (one.digest == other.digest) is same


@pytest.mark.parametrize("text", ['a: "x\\: y"\n', "a: {{ if }}\n  b: 1\n", "a: \x1b\n"])
def test_text_yaml_does_not_read_has_no_reading(text: str) -> None:
    assert yamlcompare.read(text) is None


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('a: "x\n  y"\nb: c\n', {0}),  # the quote goes on below its first line
        ("a: x\n  y\n  z\nb: c\n", {0, 1}),  # so does a plain scalar
        ("a: &k !!str |\n  x\n  y\n\nb: c\n", {0, 1, 2, 3}),  # a block scalar's header and text
        ("a: 'x'\nb: c  # d\n", set()),
        ("\ufeffa: |\r\n  x\r\nb: c\r\n", {0, 1}),  # a BOM and CRLF: lines as split at LF
        ('a: "x\u2028y"\nb: |\n  z\n', {1, 2}),  # a line break YAML counts but the split does not
    ],
)
def test_lines_whose_end_lies_inside_a_scalar(text: str, inside: set[int]) -> None:
    reading = yamlcompare.read(text)
    assert reading is not None and reading.inside == inside


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ('a: "x"\nb: [1, {c: d}]\n', "a: x\nb:\n    - 1\n    - c: d  # e\n", True),  # style aside
        ("a: &x {b: 1}\nc: *x\n", "a: &id001 {b: 1}\nc: *id001\n", True),  # anchors by order, not name
        ('a: "5432"\n', "a: 5432\n", False),  # a string and an integer
        ("a: 1\n", "a: 1.0\n", False),  # values as written, nothing constructed
        ("a: &x {b: 1}\nc: *x\n", "a: {b: 1}\nc: {b: 1}\n", False),  # an alias stays one
        ("a: [b, c]\n", "a: [c, b]\n", False),  # items in their order
        ("a: 1\n---\nb: 2\n", "a: 1\nb: 2\n", False),  # every document
        (
            '{"a": {"b": [1, "x"]}}',
            '{\n    "a": {\n        "b": [\n            1,\n            "x"\n        ]\n    }\n}\n',
            True,
        ),
    ],
)
def test_entries_are_what_yaml_reads_however_written(first: str, second: str, same: bool) -> None:
    one, other = yamlcompare.entries(first), yamlcompare.entries(second)
    assert one is not None and other is not None
    assert (one == other) is same


def test_entries_of_a_file_yaml_does_not_read_are_none() -> None:
    assert yamlcompare.entries("a: {{ if }}\n  b: 1\n") is None
    assert yamlcompare.entries("a: !Ref b\nc: !!python/object:os.system x\n") is not None  # no tag run
