"""Any SARIF 2.1.0 log (CodeQL, Semgrep, Trivy, Checkov, Gitleaks, hadolint…) read into findings."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners.base import IncompleteReport, Target, ToolOutput
from mergeguard.scanners.reading import field, load_report, objects, repo_path
from mergeguard.scanners.sarif.images import image_of, image_place, package_evidence
from mergeguard.scanners.sarif.places import (
    REGION_KEYS,
    plain_location,
    region_number,
    unplaced_path,
    uri_bases,
)
from mergeguard.scanners.sarif.results import (
    _OTHER_TOOLS,
    NAME,
    _https,
    _kind,
    _scored,
    _secret_evidence,
    _severity,
    _tags,
    _text,
    advisory_of,
    described_advisories,
)
from mergeguard.vulns.records import cwe_ids

# Result kinds that report no problem (SARIF 2.1.0 §3.27.9): "informational" is "purely informational
# … does not indicate the presence of a problem"; "review" and "open" may be one, and are kept.
_NOT_FINDINGS = frozenset({"pass", "notApplicable", "informational"})
_PROBLEM_KEYS = frozenset({"kind", "baselineState", "suppressions"})  # what `_is_problem` reads
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_ADVISORY_KINDS = (Kind.VULNERABILITY, Kind.DEPENDENCY)  # whose rule id may be the advisory's (CVE-…)
_About = tuple[dict[str, Any], tuple[str, ...], str, str | None, Severity | None, tuple[str, ...]]


class SarifReport:
    """Every result of every run; the tool is each run's `tool.driver.name`, lower-cased."""

    name: ClassVar[str] = NAME

    def __init__(
        self,
        kinds: Mapping[str, Kind] = MappingProxyType({}),
        image_rules: Mapping[str, frozenset[str]] = MappingProxyType({}),
    ) -> None:
        """`kinds`: the kind of an untagged result of each tool (by driver name, lower-cased);
        `image_rules`: each tool's rule names of an image's vulnerabilities (`Tool.sarif_image_rules`)."""
        self.kinds: Mapping[str, Kind] = {**_OTHER_TOOLS, **kinds}
        self.image_rules = image_rules

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        log = load_report(output.report, NAME)
        if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
            raise ParseError(f"{NAME}: the log has no runs (not SARIF 2.1.0)")
        if not str(log.get("version", "2.1.0")).startswith("2.1.0"):  # and its drafts' "2.1.0-rtm.5"
            raise ParseError(f"{NAME}: SARIF version {log.get('version')!r} is not 2.1.0")
        findings: list[Finding] = []
        failures: list[str] = []
        for i, run in enumerate(objects(log["runs"], NAME, "runs")):
            read = _Run(run, target, f"runs[{i}]", self.kinds, self.image_rules)
            findings += read.findings()
            failures += [read.failure] if read.failure else []
        if failures:  # what the failed runs did report is kept, the scanner fails all the same
            raise IncompleteReport("; ".join(failures), findings)
        return findings


class _Run:
    """One run: its tool, its rules by id, its base URIs, and its results."""

    def __init__(
        self,
        run: dict[str, Any],
        target: Target,
        where: str,
        kinds: Mapping[str, Kind],
        image_rules: Mapping[str, frozenset[str]],
    ) -> None:
        tool = field(run, "tool", dict, NAME, where)
        driver = field(tool, "driver", dict, NAME, f"{where}.tool")
        words = field(driver, "name", str, NAME, f"{where}.tool.driver").lower().split()
        self.tool = words[0] if words else NAME  # "Semgrep OSS" → semgrep, "CodeQL" → codeql
        self.declared = kinds.get(" ".join(words), kinds.get(self.tool))  # "snyk open source"
        self.image_rules = image_rules.get(self.tool)  # a tool whose SARIF may be of an image (Trivy)
        self.image = image_of(run) if self.image_rules else ""
        extensions = objects(tool.get("extensions"), NAME, f"{where}.tool.extensions")
        rules = [r for c in (driver, *extensions) for r in objects(c.get("rules"), NAME, f"{where} rules")]
        self.rules = {r["id"]: r for r in rules if isinstance(r.get("id"), str)}
        self.driver_rules = objects(driver.get("rules"), NAME, f"{where}.tool.driver.rules")
        self.extension_rules = [(e, objects(e.get("rules"), NAME, f"{where} rules")) for e in extensions]
        self.bases = uri_bases(field(run, "originalUriBaseIds", dict, NAME, where))
        # Absolute URIs lose the longest of these they start with: the declared bases, then the
        # directories the tool ran in (`invocations[].workingDirectory`, ShiftLeft's absolute URIs).
        invocations = objects(run.get("invocations"), NAME, f"{where}.invocations")
        self.failure = _failure(self.tool, invocations, f"{where}.invocations")
        ran_in = uri_bases({str(i): inv.get("workingDirectory") for i, inv in enumerate(invocations)})
        self.absolute_bases = sorted(
            {b for b in (*self.bases.values(), *ran_in.values()) if _SCHEME.match(b)}, key=len, reverse=True
        )
        self.artifacts = objects(run.get("artifacts"), NAME, f"{where}.artifacts")
        self.run, self.target, self.where = run, target, where
        # What each rule says, read once: (the rule, kept so its id is not reused; tags, title, help URI,
        # severity, the CVE ids its description names).
        self._about: dict[int, _About] = {}
        self._paths: dict[tuple[str, str], str] = {}  # (uri, base id): path; a log names few files

    def findings(self) -> list[Finding]:
        found = []
        for j, result in enumerate(objects(self.run.get("results"), NAME, f"{self.where}.results")):
            if _is_problem(result):
                found.append(self._finding(result, f"{self.where}.results[{j}]"))
        return found

    def _finding(self, result: dict[str, Any], where: str) -> Finding:
        rule_id = result.get("ruleId")  # the usual shape: a plain `ruleId` and no `rule` object
        if type(rule_id) is str and rule_id and "rule" not in result:
            rule = self.rules.get(rule_id) or self._indexed(result, rule_id)
        else:
            rule_id, rule = self._rule(result, where)
        about = self._about.get(id(rule))
        if about is None:
            named = _text(rule.get("shortDescription")) or field(rule, "name", str, NAME, where)
            described = described_advisories(rule)
            about = (rule, _tags(rule), named, _https(rule.get("helpUri")), _scored(rule), described)
            self._about[id(rule)] = about
        _, rule_tags, named, help_uri, rule_scored, described = about
        tags = rule_tags + _tags(result) if "properties" in result else rule_tags
        kind = _kind(self.declared, rule_id, tags)
        title = named or rule_id
        evidence = _secret_evidence(result) if kind is Kind.SECRET else ""
        image = (
            image_place(self.image, self.image_rules, rule, result, advisory=kind in _ADVISORY_KINDS)
            if self.image_rules
            else ""
        )
        if image:  # a package of an image, not a file: placed and identified as Trivy's JSON is
            kind, location, evidence = Kind.VULNERABILITY, Location(image), package_evidence(result)
        else:
            location = self._location(result, where)
        return Finding(
            tool=self.tool,
            rule_id=rule_id,
            severity=_severity(result, rule, kind, rule_scored),
            title=title,
            message=_text(result.get("message")) or title,
            location=location,
            kind=kind,
            cwe_ids=_cwe_ids(tags) or (("CWE-798",) if kind is Kind.SECRET else ()),
            cve_ids=(advisory_of(rule_id) or described) if kind in _ADVISORY_KINDS else (),
            help_uri=help_uri,
            evidence=evidence,
        )

    def _rule(self, result: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
        """The result's rule id and rule (SARIF 2.1.0 §3.27.5-7: `ruleId`, `rule.id`, `rule.index` or
        `ruleIndex` into the driver's rules, or none). Without one, the rule whose id or name starts
        the message (Gitleaks 7: "AWS Access Key secret detected"), else the message, else "unknown"."""
        reference = field(result, "rule", dict, NAME, where)
        rule_id = field(result, "ruleId", str, NAME, where) or field(reference, "id", str, NAME, where)
        if rule_id in self.rules:
            return rule_id, self.rules[rule_id]
        component = self._component_rules(field(reference, "toolComponent", dict, NAME, f"{where}.rule"))
        for index in (reference.get("index"), result.get("ruleIndex")):
            if isinstance(index, int) and 0 <= index < len(component):
                rule = component[index]
                named = rule.get("id") or rule.get("name")
                return rule_id or (named if isinstance(named, str) and named else f"rule-{index}"), rule
        if rule_id:
            return rule_id, self._ancestor(rule_id)
        message = _text(result.get("message"))
        for rule in self.driver_rules:
            for key in ("id", "name"):
                named = rule.get(key)
                if isinstance(named, str) and named and message.startswith(named):
                    return named, rule
        return (message[:80] or "unknown"), _NO_RULE

    def _indexed(self, result: dict[str, Any], rule_id: str) -> dict[str, Any]:
        """The rule of a `ruleId` no rule has as its id: the one `ruleIndex` points at (§3.27.6), else
        the one it descends from."""
        index = result.get("ruleIndex")
        if type(index) is int and 0 <= index < len(self.driver_rules):
            return self.driver_rules[index]
        return self._ancestor(rule_id)

    def _ancestor(self, rule_id: str) -> dict[str, Any]:
        """The rule a hierarchical id descends from (§3.27.5: "CWE-78/api-handler" is a case of
        CWE-78), the nearest first; none when no rule has one of its ancestors' ids."""
        while "/" in rule_id:
            rule_id = rule_id.rsplit("/", 1)[0]
            if rule_id in self.rules:
                return self.rules[rule_id]
        return _NO_RULE

    def _component_rules(self, component: dict[str, Any]) -> list[dict[str, Any]]:
        """The rules of the tool component a rule reference names (§3.52.7: `index` into
        `tool.extensions`, or its `name`); the driver's when it names none or none that exists."""
        index, name = component.get("index"), component.get("name")
        for i, (extension, rules) in enumerate(self.extension_rules):
            if (isinstance(index, int) and index == i) or (
                index is None and name and extension.get("name") == name
            ):
                return rules
        return self.driver_rules

    def _location(self, result: dict[str, Any], where: str) -> Location:
        if (plain := plain_location(result)) is not None:  # the usual shape, read at a third of the cost
            uri, base_id, start, end, column = plain
            path = self._paths.get((uri, base_id)) or self._path(uri, base_id)
            if path is not None:
                self._paths[uri, base_id] = path
                return Location(path, start, end, column or None)
        for i, location in enumerate(objects(result.get("locations"), NAME, f"{where}.locations")):
            at = f"{where}.locations[{i}]"
            physical = field(location, "physicalLocation", dict, NAME, at)
            artifact = field(physical, "artifactLocation", dict, NAME, f"{at}.physicalLocation")
            uri = field(artifact, "uri", str, NAME, at) or self._artifact_uri(artifact, at)
            path = self._path(uri, field(artifact, "uriBaseId", str, NAME, at)) if uri else None
            if path is None:
                continue  # no file: a logical location, a web address (DAST); the next may name one
            region = field(physical, "region", dict, NAME, at)
            start, end, column = (region_number(region, key, f"{at}.region") for key in REGION_KEYS)
            return Location(path, start, end, column or None)
        return Location(unplaced_path(self.tool))  # SARIF allows a result without one: kept

    def _artifact_uri(self, artifact: dict[str, Any], where: str) -> str:
        index = artifact.get("index")
        if isinstance(index, int) and 0 <= index < len(self.artifacts):
            return str(field(self.artifacts[index], "location", dict, NAME, where).get("uri") or "")
        return ""

    def _path(self, uri: str, base_id: str) -> str | None:
        """A relative URI is relative to its base (an undefined `%SRCROOT%` is the scan root); an
        absolute `file:` URI loses the base or working directory it starts with, else --root, else a
        leading `/`. A relative URI's `?query` and `#part` are not the path, unless the whole URI
        names a file (hadolint writes `Dockerfile#prod` unencoded: that file, not `Dockerfile`). None:
        the URI is not a file's (`https:`)."""
        base = self.bases.get(base_id, "")
        if _DRIVE.match(uri):  # `C:\\src\\main.tf`, a Windows path where a URI belongs (tfsec): not a scheme
            return repo_path(uri, self.target, NAME)
        if not _SCHEME.match(uri) and not uri.startswith("/"):
            prefix = base if base and not _SCHEME.match(base) else ""
            if "#" in uri or "?" in uri:
                raw = repo_path(self._within(prefix + uri), self.target, NAME)
                if raw in self.target.files or (self.target.root / raw).is_file():
                    return raw
            path = unquote(prefix + urlsplit(uri).path)  # no ?query, #part
            return repo_path(self._within(path), self.target, NAME)
        for known in self.absolute_bases:
            if uri.startswith(known):
                return repo_path(unquote(uri[len(known) :]), self.target, NAME)
        parts = urlsplit(uri)
        if parts.scheme not in ("", "file"):
            return None
        return repo_path(re.sub(r"^/([A-Za-z]:/)", r"\1", unquote(parts.path)), self.target, NAME)

    def _within(self, path: str) -> str:
        """A relative path that climbs above the root read from where it stops climbing, or from the
        longest of its endings that names a file there: KICS writes `../../path/app/x.yml` from its
        own directory, and no --root can hold that. Any other path as it is."""
        normal = posixpath.normpath(path.replace("\\", "/"))
        if not normal.startswith("../"):
            return path
        parts = [part for part in normal.split("/") if part != ".."]
        endings = ("/".join(parts[i:]) for i in range(len(parts)))
        found = (e for e in endings if e in self.target.files or (self.target.root / e).is_file())
        return next(found, "/".join(parts))


def _failure(tool: str, invocations: list[dict[str, Any]], where: str) -> str | None:
    """Why the run did not complete (an invocation's `executionSuccessful: false`, SARIF 2.1.0
    §3.20.14): its first error notification's message (§3.58; a notification's level defaults to
    warning), of the tool's run or of its configuration (ESLint: "Parsing error: …"), else any
    notification's; None when every invocation completed."""
    failed = [invocation for invocation in invocations if invocation.get("executionSuccessful") is False]
    notes = [
        note
        for invocation in failed
        for key in ("toolExecutionNotifications", "toolConfigurationNotifications")
        for note in objects(invocation.get(key), NAME, f"{where}.{key}")
    ]
    errors = [note for note in notes if note.get("level", "warning") == "error"]
    said = next((text for note in (*errors, *notes) if (text := _text(note.get("message")))), "")
    return f"{tool} did not complete: {said or 'executionSuccessful is false'}" if failed else None


def _is_problem(result: dict[str, Any]) -> bool:
    """Not a pass, not fixed since the baseline, not suppressed in source or by the tool."""
    if _PROBLEM_KEYS.isdisjoint(result):  # the usual result: a failure, neither absent nor suppressed
        return True
    if str(result.get("kind", "fail")) in _NOT_FINDINGS or result.get("baselineState") == "absent":
        return False
    suppressions = objects(result.get("suppressions"), NAME, "suppressions")
    return not any(s.get("status", "accepted") == "accepted" for s in suppressions)


_NO_RULE: dict[str, Any] = {}  # a result's rule when the log has none (never written to)
_cwe_ids = functools.lru_cache(maxsize=4096)(cwe_ids)  # results of a rule share its tags
