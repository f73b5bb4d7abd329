"""The PR comment and job summary: golden files, inert tool text, links, size bounds, user templates."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.changes import ChangedFile, ChangeSet, CommitRange, Mode
from mergeguard.core.config import Config
from mergeguard.core.errors import UsageError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.gitrepo import Repo
from mergeguard.core.model import Finding, Kind, Location, Severity, Sighting
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import decide
from mergeguard.report.markdown import (
    COMMENT_LIMIT,
    MARKER,
    SUMMARY_LIMIT,
    LinkContext,
    escape,
    render_comment,
    render_summary,
)
from mergeguard.scan import fingerprints
from mergeguard.scan.pipeline import ScanRequest, ScanResult, scan
from mergeguard.scan.registry import REGISTRY
from mergeguard.scanners.base import ToolOutput
from tests.golden import FIXTURES, case_target

GOLDEN = FIXTURES / "markdown"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEAD = "9b8e7d6c5b4a39281706f5e4d3c2b1a098765432"
BASE = "3f2a9c1e0d4b5a6978877665544332211000ffee"
LINKS = LinkContext("https://github.com", "acme/shop", HEAD)
ANY = frozenset({FileKind.ANY})
TODAY = dt.date(2026, 1, 15)
RENDERS: dict[str, Callable[[ScanResult], str]] = {
    "comment": lambda r: render_comment(r, links=LINKS),
    "comment-no-links": render_comment,
    "summary": lambda r: render_summary(r, links=LINKS),
}
OUR_TAGS = {"details", "summary", "code", "sub", "br", "b"}  # the only HTML the templates write
HOSTILE = [
    "%0A::error::pwned",
    "first line\nsecond line\r\n::error file=x::injected",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "@org/team please look",
    "cc @user",
    "`code` and ```fence```",
    "cell | split | here",
    "[x](javascript:alert(1))",
    "![pixel](https://evil.example/p.png)",
    MARKER,
    "https://evil.example/x and www.evil.example and mailto:a@b.example",
    "fixes #123 and org/repo#45",
    "**bold** _it_ ~~gone~~ $x^2$ $$y$$ \\* &amp; &lt;b&gt;",
    "<details open><summary>fake</summary>",
    "</details></td></tr></table>",
    "\u202eexe.txt\u202c \x1b[31mred\x1b[0m \x00nul",
    "- list item",
    "1. ordered",
    "# heading",
    "> quote",
    "=====",
]


def md_parser() -> MarkdownIt:
    """Like GitHub: tables, strikethrough, raw HTML, autolinks of URLs and `www.` (not of bare domains)."""
    md = MarkdownIt("gfm-like", {"html": True, "linkify": True})
    assert md.linkify is not None
    md.linkify.set({"fuzzy_link": False})
    return md


MD = md_parser()


def tokens(text: str) -> Iterator[Token]:
    def walk(items: list[Token]) -> Iterator[Token]:
        for token in items:
            yield token
            yield from walk(token.children or [])

    yield from walk(MD.parse(text))


def visible(text: str, zwsp: bool = False) -> str:
    """What a reader sees: the rendered text, entities decoded, zero-width spaces gone unless `zwsp`."""
    shown = html.unescape(re.sub(r"<[^>]+>", "", MD.render(text)))
    return shown if zwsp else shown.replace("\u200b", "")


def html_tags(text: str) -> set[str]:
    found: set[str] = set()
    for token in tokens(text):
        if token.type in ("html_inline", "html_block"):
            found.update(t.lower() for t in re.findall(r"</?\s*([A-Za-z][\w-]*)", token.content))
    return found


def assert_inert(text: str, result: ScanResult, links: LinkContext | None = LINKS) -> None:
    """No HTML but the templates' own, no link but to lines and rules' help pages, no mention, no
    workflow command, one marker at most."""
    assert html_tags(text) <= OUR_TAGS
    lines = f"{links.server_url}/{links.repository}/blob/" if links else None
    helps = {a.finding.help_uri for a in result.decision.assessed}
    for token in tokens(text):
        assert token.type != "image"
        if token.type == "link_open":
            href = str(token.attrs["href"])
            assert (lines and href.startswith(lines)) or (href in helps and href.startswith("https://")), href
    mentions = re.findall(r"(?<![\w`])[@#][A-Za-z0-9]", visible(text, zwsp=True))
    assert not mentions
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())
    assert "<script" not in text.lower()
    assert "\x1b" not in text
    assert text.count(MARKER) <= 1


# --- the one escape function ----------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "context", ["text {} text", "{}", "| a | b |\n| --- | --- |\n| x | {} |", "<b>{}</b>"]
)
def test_escaped_text_renders_as_exactly_its_characters(value: str, context: str) -> None:
    """In a paragraph, at a line's start, in a table cell, in an HTML block: same structure, same text."""
    markdown, placeholder = context.format(escape(value)), context.format("QQQ")
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", " ", value).split())
    assert [t.type for t in tokens(markdown) if t.type != "text"] == [
        t.type for t in tokens(placeholder) if t.type != "text"
    ]
    assert visible(markdown) == visible(placeholder).replace("QQQ", flat)
    assert "\n" not in escape(value)


def test_escape_cuts_before_escaping_so_no_entity_is_split() -> None:
    cut = escape("<" * 50, limit=10)
    assert cut == "&#60;" * 9 + "…"
    assert visible(cut).strip() == "<" * 9 + "…"


def test_escape_leaves_plain_words_alone() -> None:
    assert escape("Pin versions in apt get install") == "Pin versions in apt get install"
    assert escape("trivy-config 1.5.0") == "trivy-config 1.5.0"


# --- golden files: a small PR result with every status, a failed scanner, duplicates, links ---------


def golden_result() -> ScanResult:
    changes = ChangeSet(
        Path("/work/shop"),
        Mode.CHANGED,
        (
            ChangedFile("api/Dockerfile", ANY, frozenset({1, 2, 3, 5})),
            ChangedFile("api/app.py", ANY, frozenset(range(10, 21))),
            ChangedFile("deploy/k8s app (prod).yaml", ANY, frozenset({4})),
        ),
        commit_range=CommitRange(BASE, HEAD, 3),
    )
    findings = [
        _f(
            "trivy-config",
            "DS-0002",
            Severity.HIGH,
            "api/Dockerfile",
            1,
            1,
            "Image user should not be 'root'",
            "Specify at least 1 USER command in Dockerfile",
            help_uri="https://avd.aquasec.com/misconfig/ds-0002",
            also=(Sighting("checkov", "CKV_DOCKER_3"), Sighting("hadolint", "DL3002")),
        ),
        _f(
            "bandit",
            "B602",
            Severity.HIGH,
            "api/app.py",
            33,
            2,
            "subprocess popen with shell equals true",
            "subprocess call with shell=True identified.",
        ),
        _f(
            "bandit",
            "B105",
            Severity.LOW,
            "api/app.py",
            11,
            3,
            "hardcoded password string",
            "Possible hardcoded password (value redacted)",
        ),
        _f(
            "gitleaks",
            "aws-access-token",
            Severity.HIGH,
            "config/old.env",
            2,
            4,
            "AWS access token",
            "Identified a pattern that may indicate AWS credentials",
            commit="c0ffee0123456789abcdef0123456789abcdef01",
        ),
        _f(
            "hadolint",
            "DL3008",
            Severity.MEDIUM,
            "api/Dockerfile",
            5,
            5,
            "Pin versions in apt get install",
            "Pin versions in apt get install. Instead of `apt-get install x`",
        ),
        _f("bandit", "B506", Severity.HIGH, "api/app.py", 14, 6, "yaml load", "Use of unsafe yaml load."),
        _f(
            "trivy-config",
            "KSV-0017",
            Severity.HIGH,
            "deploy/k8s app (prod).yaml",
            4,
            7,
            "Privileged container",
            "Container 'app' should set 'securityContext.privileged' to false",
        ),
        _f("bandit", "B101", Severity.LOW, "docs/conf.py", 3, 8, "assert used", "Use of assert detected."),
    ]
    baseline = (
        BaselineEntry(
            _fp(5),
            "hadolint",
            "DL3008",
            "api/Dockerfile",
            "apt pins come from the snapshot mirror",
            "alice",
            dt.date(2099, 12, 31),
        ),
        BaselineEntry(
            _fp(6), "bandit", "B506", "api/app.py", "only reads our own config", "bob", dt.date(2025, 12, 31)
        ),
        BaselineEntry(_fp(9), "bandit", "B303", "api/app.py", "md5 for cache keys only", "carol"),
    )

    def ok(name: str, version: str, seconds: float) -> ScanOutcome:
        own = tuple(f for f in findings if name in f.tools)
        return ScanOutcome(name, Status.OK, own, version=version, duration_s=seconds)

    outcomes = (
        ok("trivy-config", "0.76.0", 1.71),
        ok("checkov", "3.3.30", 4.2),
        ScanOutcome("detect-secrets", Status.FAILED, reason="timed out after 600s", version="1.5.0",
                    duration_s=600.0),
        ok("bandit", "1.9.4", 0.3),
        ok("gitleaks", "8.30.1", 0.8),
        ScanOutcome("trivy-secret", Status.SKIPPED, reason="not selected"),
        ok("hadolint", "2.15.1", 0.1),
    )  # fmt: skip
    config = Config()
    decision = decide(findings, outcomes, changes, config, baseline=baseline, today=TODAY)
    return ScanResult(changes, outcomes, decision, config, merged=2)


def _fp(n: int) -> str:
    return f"{n:032x}"


def _f(
    tool: str,
    rule: str,
    severity: Severity,
    path: str,
    line: int,
    n: int,
    title: str,
    message: str,
    *,
    help_uri: str | None = None,
    also: tuple[Sighting, ...] = (),
    commit: str | None = None,
) -> Finding:
    location = Location(path, line)
    fingerprint = _fp(n)
    return Finding(
        tool, rule, severity, title, message, location, Kind.CODE, help_uri=help_uri, commit=commit,
        fingerprint=fingerprint, also=also,
    )  # fmt: skip


@pytest.mark.parametrize("kind", RENDERS)
def test_golden(kind: str, regen_golden: bool) -> None:
    result = golden_result()
    text = RENDERS[kind](result)
    golden = GOLDEN / f"{kind}.md"
    if regen_golden:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert_inert(text, result)


# --- tool text that tries to be Markdown, HTML, a mention, a link or a workflow command --------------


def hostile_result() -> ScanResult:
    findings = [
        Finding(
            "bandit" if i % 2 else "trivy-config",
            value,
            Severity.HIGH if i % 3 else Severity.LOW,
            value,
            f"{value} (message)",
            Location(f"src/{value.replace(chr(92), '/')}/f{i}.py".replace("//", "/").lstrip("/"), i + 1),
            Kind.CODE,
            help_uri=["javascript:alert(1)", "https://evil.example/x)[y](z", "http://plain.example/"][i % 3],
            commit=value[:12] if i == 5 else None,
            fingerprint=_fp(i),
            also=(Sighting(value, value),),
        )
        for i, value in enumerate(HOSTILE)
    ]
    accepted = [  # the first four findings: two still accepted, two expired
        BaselineEntry(_fp(i), "bandit", value, f"x/{i}.py", value, value, dt.date(2025 + i % 2, 6, 1))
        for i, value in enumerate(HOSTILE[:4])
    ]
    stale = BaselineEntry(_fp(99), "bandit", HOSTILE[4], HOSTILE[8], HOSTILE[9], HOSTILE[10])
    baseline = (*accepted, stale)
    outcomes = (
        ScanOutcome("bandit", Status.OK),
        ScanOutcome("trivy-config", Status.OK, version=HOSTILE[2]),
        ScanOutcome("checkov", Status.FAILED, reason=" ".join(HOSTILE)),
        ScanOutcome("hadolint", Status.SKIPPED, reason=HOSTILE[8]),
    )
    changes = ChangeSet(Path("/r"), Mode.ALL, (), submodules=(HOSTILE[2], HOSTILE[4]))
    decision = decide(findings, outcomes, changes, Config(), baseline=baseline, today=TODAY)
    return ScanResult(changes, outcomes, decision, Config(), merged=3)


@pytest.mark.parametrize("kind", RENDERS)
def test_hostile_tool_text_comes_out_inert_but_readable(kind: str) -> None:
    result = hostile_result()
    text = RENDERS[kind](result)
    assert_inert(text, result)
    seen = visible(text)
    for value in (
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        MARKER,
    ):
        assert value in seen  # shown as text, not dropped
    assert "@org/team" in seen
    assert "@\u200borg/team" in visible(text, zwsp=True)


@pytest.mark.parametrize("kind", RENDERS)
def test_a_submodule_the_change_moved_is_said_not_to_be_scanned(kind: str) -> None:
    """A bump of a submodule changes no file: "0 changed files scanned" must not read as checked."""
    commits = CommitRange(BASE, HEAD, 1)
    changes = ChangeSet(Path("/r"), Mode.CHANGED, (), commit_range=commits, submodules=("vendor/lib",))
    outcomes = (ScanOutcome("bandit", Status.SKIPPED, reason="no files of kind python in scope"),)
    result = ScanResult(changes, outcomes, decide([], outcomes, changes, Config()), Config())
    text = RENDERS[kind](result)
    assert "**Not scanned: 1 submodule** (vendor/lib): another repository's code" in text


def test_the_comment_starts_with_the_marker_and_no_tool_can_add_another() -> None:
    text = render_comment(hostile_result())
    assert text.startswith(MARKER + "\n")
    assert text.count(MARKER) == 1
    assert text.count("<!--") == 1


# --- links to the lines --------------------------------------------------------------------------


def one_finding_result(finding: Finding, prefix: str = "") -> ScanResult:
    changes = ChangeSet(Path("/r"), Mode.ALL, (), repo=Repo(Path("/r"), prefix))
    outcomes = (ScanOutcome(finding.tool, Status.OK, (finding,)),)
    return ScanResult(changes, outcomes, decide([finding], outcomes, changes, Config()), Config())


@pytest.mark.parametrize(
    ("path", "start", "end", "commit", "prefix", "url"),
    [
        ("a.py", 3, 3, None, "", f"https://github.com/acme/shop/blob/{HEAD}/a.py#L3"),
        ("a.py", 3, 5, None, "", f"https://github.com/acme/shop/blob/{HEAD}/a.py#L3-L5"),
        (
            "d/k8s app (1)#x.yaml",
            1,
            1,
            None,
            "",
            f"https://github.com/acme/shop/blob/{HEAD}/d/k8s%20app%20%281%29%23x.yaml#L1",
        ),
        ("a.py", 2, 2, "ab" * 20, "", "https://github.com/acme/shop/blob/" + "ab" * 20 + "/a.py#L2"),
        ("a.py", 2, 2, "not-a-sha", "", f"https://github.com/acme/shop/blob/{HEAD}/a.py#L2"),
        ("a.py", 7, 7, None, "svc/api/", f"https://github.com/acme/shop/blob/{HEAD}/svc/api/a.py#L7"),
    ],
)
def test_line_links(path: str, start: int, end: int, commit: str | None, prefix: str, url: str) -> None:
    finding = replace(_f("bandit", "B1", Severity.HIGH, path, start, 1, "t", "m", commit=commit),
                      location=Location(path, start, end))  # fmt: skip
    text = render_comment(
        one_finding_result(finding, prefix), links=LinkContext("https://github.com/", "acme/shop", HEAD)
    )
    hrefs = {str(t.attrs["href"]) for t in tokens(text) if t.type == "link_open"}
    assert hrefs == {url}
    assert f"{path}:{start}" in visible(text)


def test_without_links_locations_are_plain_text() -> None:
    text = render_summary(one_finding_result(_f("bandit", "B1", Severity.HIGH, "a b.py", 4, 1, "t", "m")))
    assert not [t for t in tokens(text) if t.type == "link_open"]
    assert "a b.py:4" in visible(text)


@pytest.mark.parametrize(
    ("server", "repository", "sha", "field"),
    [
        ("javascript:alert(1)", "acme/shop", HEAD, "server_url"),
        ("https://github.com/x y", "acme/shop", HEAD, "server_url"),
        ("https://github.com)", "acme/shop", HEAD, "server_url"),
        ("https://github.com", "acme", HEAD, "repository"),
        ("https://github.com", "acme/shop/extra", HEAD, "repository"),
        ("https://github.com", "acme/sh)op", HEAD, "repository"),
        ("https://github.com", "acme/shop", "HEAD", "head_sha"),
        ("https://github.com", "acme/shop", "g" * 40, "head_sha"),
    ],
)
def test_a_bad_link_context_is_a_usage_error(server: str, repository: str, sha: str, field: str) -> None:
    with pytest.raises(UsageError, match=f"bad {field}"):
        LinkContext(server, repository, sha)


# --- size bounds ---------------------------------------------------------------------------------


def many_findings(count: int, blocking_every: int) -> ScanResult:
    findings = [
        _f(
            "bandit" if i % 3 else "hadolint",
            f"B{i % 700}",
            Severity.HIGH if i % blocking_every == 0 else Severity.LOW,
            f"src/m{i:05d}.py",
            i % 400 + 1,
            i,
            f"problem number {i}",
            f"finding {i}: " + " ".join(f"word{(i * j) % 997}" for j in range(400)),
        )
        for i in range(count)
    ]
    outcomes = (ScanOutcome("bandit", Status.OK), ScanOutcome("hadolint", Status.OK))
    changes = ChangeSet(Path("/r"), Mode.ALL, ())
    return ScanResult(changes, outcomes, decide(findings, outcomes, changes, Config()), Config())


def shown_paths(text: str) -> set[str]:
    return set(re.findall(r"src/m(\d{5})\.py", text))


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


@pytest.mark.parametrize(("kind", "limit"), [("comment", COMMENT_LIMIT), ("summary", SUMMARY_LIMIT)])
def test_ten_thousand_findings_stay_within_githubs_limit(kind: str, limit: int) -> None:
    result = many_findings(10_000, blocking_every=2)
    started = time.perf_counter()
    text = RENDERS[kind](result)
    elapsed = time.perf_counter() - started
    assert limit * 0.8 < utf8_size(text) <= limit  # cut to fit, not to nothing
    match = re.search(r"… and (\d+) more findings \(see the JSON/SARIF report\)\n$", text)
    assert match is not None
    assert int(match.group(1)) + len(shown_paths(text)) == 10_000
    assert text.startswith((MARKER + "\n### ❌ mergeguard: failed", "### ❌ mergeguard: failed"))
    assert "| **total** | | **10000** |" in text
    assert elapsed < 30, f"rendering took {elapsed:.1f}s"
    assert_inert(text, result)


def test_the_findings_that_decide_the_verdict_are_kept_before_the_per_tool_detail() -> None:
    result = many_findings(2_000, blocking_every=100)  # 20 blocking, 1,980 below the threshold
    text = render_comment(result, links=LINKS)
    blocking = {f"{a.finding.location.path[5:10]}" for a in result.decision.blocking}
    assert len(text) <= COMMENT_LIMIT
    assert blocking <= shown_paths(text.split("#### All findings by tool")[0])
    assert "more findings (see the JSON/SARIF report)" in text
    assert "… and " in text.split("#### All findings by tool")[1]


def test_a_small_result_is_not_cut() -> None:
    text = render_summary(many_findings(50, blocking_every=2))
    assert len(shown_paths(text)) == 50
    assert "more findings" not in text


# --- a template of the user's own ---------------------------------------------------------------


def test_a_user_template_gets_the_same_context_already_escaped() -> None:
    title = "<img src=x onerror=alert(1)> @user [x](javascript:alert(1))"
    result = one_finding_result(_f("bandit", "B1", Severity.HIGH, "a b.py", 4, 1, title, "m"))
    template = (
        "{{ verdict }}|{{ blocking.items[0].title }}|{{ blocking.items[0].where }}|{{ counts[0].tool }}"
        '|{{ "<b>@you</b>"|md }}'
    )
    text = render_comment(result, template=template)
    assert text == f"{MARKER}\nfail|{escape(title)}|a b.py:4|bandit|&#60;b&#62;&#64;&#8203;you&#60;/b&#62;"
    assert_inert(text, result)


def test_a_user_template_can_extend_the_default_one() -> None:
    template = '{% extends "comment.md.j2" %}{% block footer %}\n\nAsk the security team.\n{% endblock %}'
    text = render_comment(golden_result(), links=LINKS, template=template)
    default = render_comment(golden_result(), links=LINKS)
    assert text == default + "\nAsk the security team.\n"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ok\n{% for x in %}", r"^comment template line 2: Expected an expression"),
        ("a\nb\n{{ nope }}", r"^comment template line 3: 'nope' is undefined$"),
        ("{{ verdict.__class__ }}", r"^comment template line 1: access to attribute '__class__'"),
        ("{{ 1 / 0 }}", r"^comment template line 1: division by zero$"),
        ("{% set x = counts.append(1) %}", r"^comment template line 1: .*unsafe"),
        ('{% include "missing.j2" %}', r"^comment template line 1: missing.j2$"),
    ],
)
def test_a_broken_user_template_is_a_one_line_usage_error(template: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        render_comment(golden_result(), template=template)
    assert "\n" not in str(caught.value)


def test_a_user_template_that_writes_too_much_is_cut_to_the_limit() -> None:
    text = render_comment(golden_result(), template="{% for i in range(99999) %}xy{% endfor %}")
    assert len(text) <= COMMENT_LIMIT
    assert text.endswith("(see the JSON/SARIF report)\n")


# --- real tools' outputs: the recorded reports of tests/fixtures, parsed by the adapters -------------

SECRET_SHAPES = [
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$", re.MULTILINE),  # the body of a PEM key
    re.compile(r"(?i)(?:password|secret|token|key)\w*[\"']?\s*[:=]\s*[\"']?([^\s\"']{12,})"),
]


def planted_secrets(root: Path) -> set[str]:
    """The credential-shaped values in the files under `root` (fake, planted for the scanners)."""
    found: set[str] = set()
    for path in (p for p in root.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for shape in SECRET_SHAPES:
            found.update(m.group(m.lastindex or 0) for m in shape.finditer(text))
    return found


def assert_no_secret(text: str, secrets: set[str]) -> None:
    shown = visible(text)
    leaked = {s for s in secrets if s in shown or s in text}
    assert not leaked


RECORDED = sorted(
    (d.name, r.name.removesuffix(".report"))
    for d in FIXTURES.iterdir()
    if d.name in REGISTRY
    for r in d.glob("*.report")
)


def recorded_result(name: str, case: str, workdir: Path) -> ScanResult:
    scanner = REGISTRY[name]
    report = (FIXTURES / name / f"{case}.report").read_text(encoding="utf-8")
    target = case_target(scanner, case, workdir)
    findings = fingerprints.assign(scanner.parse(ToolOutput(report), target), target.root)
    changes = ChangeSet(target.root, Mode.ALL, tuple(ChangedFile(f, ANY) for f in target.files))
    outcomes = (ScanOutcome(name, Status.OK, tuple(findings), version="recorded"),)
    return ScanResult(changes, outcomes, decide(findings, outcomes, changes, Config()), Config())


@pytest.mark.parametrize(("name", "case"), RECORDED)
def test_real_reports_render_every_finding_and_no_secret(name: str, case: str, tmp_path: Path) -> None:
    result = recorded_result(name, case, tmp_path)
    secrets = planted_secrets(FIXTURES / name / case)
    for text in (
        render_comment(result, links=LINKS),
        render_summary(result, links=LINKS),
        render_summary(result),
    ):
        assert_inert(text, result)
        assert_no_secret(text, secrets)
        shown = visible(text)
        for a in result.decision.assessed:
            assert f"{a.finding.location.path}:{a.finding.location.start_line}" in shown


def test_the_secret_check_has_secrets_to_find() -> None:
    """The fixture trees of the secret cases hold values the check above would catch."""
    for name, case in [("gitleaks", "secrets"), ("trivy-secret", "aws-keys"), ("trivy-secret", "private-key"),
                       ("detect-secrets", "microservice"), ("checkov", "microservice")]:  # fmt: skip
        assert planted_secrets(FIXTURES / name / case), (name, case)
    assert "Zq8vR2mW9tLx4Kp7" in planted_secrets(FIXTURES / "gitleaks" / "secrets")
    assert len(RECORDED) >= 20


@pytest.mark.scanner
def test_the_demo_app_renders_with_every_blocking_finding_and_no_secret() -> None:
    result = scan(ScanRequest(EXAMPLES / "demo-app"), Config())
    secrets = planted_secrets(EXAMPLES / "demo-app")
    assert {"Wq7!vR2pXz9#kT4m", "f3b1c9e0a7d24e5f9c8b6a1d0e2f4c7b"} <= secrets
    comment, summary = render_comment(result, links=LINKS), render_summary(result, links=LINKS)
    for text in (comment, summary):
        assert_inert(text, result)
        assert_no_secret(text, secrets)
    assert comment.splitlines()[1] == "### ❌ mergeguard: failed"
    decisive = visible(comment.split("#### All findings by tool")[0])
    for a in result.decision.blocking:
        assert f"{a.finding.location.path}:{a.finding.location.start_line}" in decisive
    assert "more findings" not in comment
