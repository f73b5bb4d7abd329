"""The config file is validated strictly: each bad input is one ConfigError naming file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core import config
from mergeguard.core.errors import ConfigError
from mergeguard.core.model import Kind, Severity

KNOWN = ("hadolint", "checkov", "bandit")


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / ".mergeguard.yml"
    path.write_text(text, encoding="utf-8")
    return config.load(path, KNOWN)


def test_full_config(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        "fail-on: medium\nfail-on-scanner-error: false\nfail-on-pre-existing: true\ntimeout: 120\n"
        "exclude: [examples/**, 'tests/fixtures/**']\n"
        "scanners:\n  checkov: false\n  bandit: {timeout: 30}\n  hadolint:\n    enabled: true\n",
    )
    assert loaded.fail_on is Severity.MEDIUM
    assert loaded.fail_on_scanner_error is False
    assert loaded.fail_on_pre_existing is True
    assert loaded.exclude == ("examples/**", "tests/fixtures/**")
    assert not loaded.enabled("checkov")
    assert loaded.enabled("bandit") and loaded.enabled("hadolint")
    assert loaded.timeout_for("bandit") == 30
    assert loaded.timeout_for("hadolint") == 120


def test_enumerated_values_are_read_in_any_letter_case(tmp_path: Path) -> None:
    loaded = load(tmp_path, "fail-on: CRITICAL\npolicy-changes: Block\nfail-on-kind:\n  Secret: Medium\n")
    assert loaded.fail_on is Severity.CRITICAL
    assert loaded.policy_changes == "block"
    assert loaded.threshold(Kind.SECRET) is Severity.MEDIUM
    with pytest.raises(ConfigError, match=r":3: fail-on-kind.SECRET: appears twice"):
        load(tmp_path, "fail-on-kind:\n  secret: high\n  SECRET: low\n")


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path, "# nothing yet\n")
    assert loaded.fail_on is Severity.HIGH
    assert loaded.fail_on_scanner_error is True
    assert loaded.timeout_s == config.DEFAULT_TIMEOUT_S


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        ("fail-on: high\nfail_on: low\n", 2, "fail_on", "unknown key"),
        ("fail-on: severe\n", 1, "fail-on", "unknown severity 'severe'"),
        ("fail-on: [high]\n", 1, "fail-on", "must be a severity, got a list"),
        ("timeout: [1]\n", 1, "timeout", "whole number of seconds, got a list"),
        ("fail-on: !env HIGH\n", 1, "fail-on", "got 'HIGH' tagged !env (a tag mergeguard does not read)"),
        (
            "timeout: !!python/name:os.system 5\n",
            1,
            "timeout",
            "tagged tag:yaml.org,2002:python/name:os.system",
        ),
        ("? [a, b]\n: 1\n", 1, "(top level)", "has a key that is a list, not a name"),
        ("timeout: soon\n", 1, "timeout", "whole number of seconds"),
        ("timeout: -5\n", 1, "timeout", "from 1 to 86400"),
        ("timeout: 0\n", 1, "timeout", "from 1 to 86400, got 0"),  # 0 would kill every scanner at once
        ("scanners:\n  bandit: {timeout: 0}\n", 2, "scanners.bandit.timeout", "from 1 to 86400, got 0"),
        ("timeout: true\n", 1, "timeout", "whole number of seconds"),
        ("fail-on-scanner-error: maybe\n", 1, "fail-on-scanner-error", "true or false"),
        ("exclude: examples/**\n", 1, "exclude", "list of glob patterns"),
        ("exclude:\n  - ok\n  - {a: 1}\n", 3, "exclude", "glob pattern string"),
        ("scanners:\n  trivvy: false\n", 2, "scanners.trivvy", "unknown scanner"),
        ("scanners:\n  bandit: false\n  Bandit: true\n", 3, "scanners.Bandit", "appears twice"),
        ("scanners:\n  bandit: {enabled: yes please}\n", 2, "scanners.bandit.enabled", "true or false"),
        ("scanners:\n  bandit:\n    timout: 3\n", 3, "scanners.bandit.timout", "unknown key"),
        ("scanners: [bandit]\n", 1, "scanners", "must be a mapping"),
        ("fail-on: high\nfail-on: low\n", 2, "fail-on", "appears twice"),
        ("- just\n- a list\n", 1, "(top level)", "must be a mapping"),
        ("fail-on: high\n  bad: indent\n", 2, "(file)", "not valid YAML"),
        # Found by a trial: a zero-width space or a Cyrillic letter in a key was printed as it is.
        ("fail-on\u200b: medium\n", 1, "'fail-on\\u200b'", "unknown key"),
        ("scanners:\n  b\u0430ndit: false\n", 2, "scanners.'b\\u0430ndit'", "unknown scanner"),
        ("fail-on-kind:\n  s\u0435cret: low\n", 2, "fail-on-kind.'s\\u0435cret'", "unknown kind"),
    ],
)
def test_bad_config_names_file_key_and_line(
    tmp_path: Path, text: str, line: int, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / '.mergeguard.yml'}:{line}: {key}: ")
    assert problem in message
    assert "\n" not in message


def test_scanner_names_are_read_in_any_letter_case(tmp_path: Path) -> None:
    """As `--scanners` reads them: `Bandit: false` was an unknown scanner."""
    path = tmp_path / ".mergeguard.yml"
    path.write_text("scanners:\n  Bandit: false\n  HADOLINT: {timeout: 30}\n")
    loaded = config.load(path, KNOWN)
    assert not loaded.enabled("bandit") and loaded.enabled("hadolint")
    assert loaded.scanners["hadolint"].timeout_s == 30


def test_unreadable_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot be read"):
        config.load(path, KNOWN)


@pytest.mark.parametrize(
    "text",
    [
        "---\n# defaults for now\n",
        "exclude:\n  # - examples/**\nscanners:\n  # checkov: false\nfail-on-kind:\n",
    ],
)
def test_a_config_with_nothing_under_its_keys_is_the_defaults(tmp_path: Path, text: str) -> None:
    """Found by a real-input round: every item commented out, or a `---` alone, was refused."""
    path = tmp_path / ".mergeguard.yml"
    path.write_text(text)
    assert config.load(path, KNOWN) == config.Config(source=str(path))


@pytest.mark.parametrize(
    "text",
    [
        "scanners:\n  bandit:\n    # timeout: 120\n",
        "scanners:\n  bandit: {enabled: , timeout: ~}\n",
        "fail-on:\ntimeout: null\ncomment-template: ~\nignore-unfixed:\npolicy-changes:\n",
        "fail-on-kind:\n  secret:\n",
        "comment-template: ''\n",
    ],
)
def test_a_key_with_nothing_after_it_is_not_set(tmp_path: Path, text: str) -> None:
    """Found by a trial: `fail-on:`, `timeout: null`, `bandit:` with only comments under it were refused
    (and `comment-template: ''` passed here, then broke the Action); each means the default."""
    assert _effective(load(tmp_path, text)) == _effective(config.Config())


def _effective(c: config.Config) -> tuple[object, ...]:
    """What a config decides (not how it was written: `bandit: {}` and no `bandit` are the same)."""
    scanners = {name: (c.enabled(name), c.timeout_for(name)) for name in KNOWN}
    thresholds = {kind: c.threshold(kind) for kind in Kind}
    return (
        c.fail_on,
        thresholds,
        scanners,
        c.ignore_unfixed,
        c.timeout_s,
        c.comment_template,
        c.policy_changes,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timeout: '600'\n", ("timeout_s", 600.0)),
        ('timeout: "120"\n', ("timeout_s", 120.0)),
        ("ignore-unfixed: 'true'\n", ("ignore_unfixed", True)),
        ('fail-on-scanner-error: "False"\n', ("fail_on_scanner_error", False)),
        ("scanners:\n  checkov: 'false'\n", ("scanners", {"checkov": config.ScannerSettings(False)})),
    ],
)
def test_a_quoted_number_or_boolean_reads_as_written_plain(
    tmp_path: Path, text: str, expected: tuple[str, object]
) -> None:
    name, value = expected
    assert getattr(load(tmp_path, text), name) == value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("timeout: '6x'\n", "whole number of seconds, got '6x'"),
        ("timeout: '0'\n", "from 1 to 86400, got 0"),
        ("ignore-unfixed: 'maybe'\n", "true or false, got 'maybe'"),
    ],
)
def test_a_quoted_value_is_still_checked(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f":1: .*{problem}"):
        load(tmp_path, text)
