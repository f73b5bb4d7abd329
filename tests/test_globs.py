"""Exclude globs sorted by shape match exactly what one regex per glob matches; too many are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mergeguard.core import config, globs
from mergeguard.core.errors import ConfigError
from mergeguard.scan.registry import REGISTRY

PARTS = ["a", "b", "gen", "x.py", ".lock", "c.tar.gz", "a.b", "", "."]
GLOB_PARTS = [*PARTS, "*", "**", "?", "*.py", "*.tar.gz", "*.gz", "a?", "[a]"]


def one_regex_per_glob(patterns: list[str], path: str) -> bool:
    """The definition: some glob's regex fully matches the path or one of its directories."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(re.fullmatch(globs.glob_regex(p), prefix) for p in patterns for prefix in prefixes)


patterns = st.lists(
    st.builds(
        lambda lead, parts, trail: lead + "/".join(parts) + trail,
        st.sampled_from(["", "/", " "]),
        st.lists(st.sampled_from(GLOB_PARTS), min_size=1, max_size=3),
        st.sampled_from(["", "/"]),
    ),
    max_size=5,
)
paths = st.lists(st.sampled_from([*PARTS, "[a]", "ab"]), min_size=1, max_size=4).map("/".join)


@settings(max_examples=600, deadline=None)
@given(patterns, st.lists(paths, min_size=1, max_size=10))
def test_the_sorted_matcher_matches_what_one_regex_per_glob_matches(
    patterns: list[str], paths: list[str]
) -> None:
    matcher = globs.compile_globs(tuple(patterns))
    for path in paths:
        assert matcher(path) is one_regex_per_glob(patterns, path), (patterns, path)


def test_each_simple_shape_lands_in_its_set() -> None:
    matcher = globs.compile_globs(("a/b.py", "gen/**", "x.lock", "**/y.lock", "*.min.js", "src/**/*.py"))
    assert matcher.paths == {"a/b.py"}
    assert matcher.dirs == {"gen"}
    assert matcher.names == {"x.lock", "y.lock"}
    assert matcher.suffixes == {".min.js"}
    assert matcher.rest is not None and matcher.rest.pattern.count("(?:") >= 1  # only src/**/*.py
    assert matcher("deep/er/app.min.js") and matcher("gen/a/b") and not matcher("gen")
    assert matcher("src/a/b.py") and not matcher("lib/a.js")


def test_no_globs_match_nothing() -> None:
    assert not globs.compile_globs(())("anything/at/all")


def test_more_globs_than_the_limit_are_refused_with_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / ".mergeguard.yml"
    path.write_text(
        "fail-on: high\nexclude:\n" + "".join(f"  - 'f{i}.txt'\n" for i in range(globs.MAX_GLOBS + 1))
    )
    with pytest.raises(ConfigError) as raised:
        config.load(path, REGISTRY.keys())
    message = str(raised.value)
    assert message == f"{path}:3: exclude: has 10,001 globs; at most 10,000 are read (use `dir/**`)"


def test_globs_up_to_the_limit_are_read(tmp_path: Path) -> None:
    path = tmp_path / ".mergeguard.yml"
    path.write_text("exclude:\n" + "".join(f"  - 'f{i}.txt'\n" for i in range(globs.MAX_GLOBS)))
    assert len(config.load(path, REGISTRY.keys()).exclude) == globs.MAX_GLOBS


def test_a_negated_glob_is_refused_with_one_line_naming_it(tmp_path: Path) -> None:
    """A .gitignore's `!keep.py` re-includes; read as a glob it matched nothing, silently."""
    path = tmp_path / ".mergeguard.yml"
    path.write_text("exclude:\n  - 'vendor/**'\n  - '!vendor/ours/**'\n")
    with pytest.raises(ConfigError) as raised:
        config.load(path, REGISTRY.keys())
    assert str(raised.value).startswith(f"{path}:3: exclude: '!vendor/ours/**': a `!` pattern re-includes")


@pytest.mark.parametrize("pattern", ["[z-a]*.py", "logs/[9-0]"])
def test_a_character_class_out_of_order_is_one_config_error(tmp_path: Path, pattern: str) -> None:
    """Found by a red team: it was a traceback."""
    path = tmp_path / ".mergeguard.yml"
    path.write_text(f"exclude:\n  - '{pattern}'\n")
    with pytest.raises(ConfigError) as raised:
        config.load(path, REGISTRY.keys())
    assert str(raised.value).startswith(f"{path}:2: exclude: '{pattern}': not a glob (bad character range")
