"""Secrets that are not: a placeholder, a URL's sample password, a private key's header with no key,
a vendor's published example credential.

Read again from the finding's line (the tools match a shape, not a value): each is lowered to low,
with the reason, never dropped. Measured on public files the tests never saw: Slack's documented
`T00000000/B00000000/XXXX…` webhook, `ghp_` + 36 `x`, Twilio's `ACxxxx…` in READMEs; the
`postgres://postgres:postgres@127.0.0.1` of CI service containers; CyberChef's
`"-----BEGIN RSA PRIVATE KEY-----"` string constant (detect-secrets rated it critical); the Azure
Storage emulator's key in dotnet/aspire (three tools, critical).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from urllib.parse import unquote

from mergeguard.core.model import Finding, Kind, Severity, SeverityNote
from mergeguard.core.sources import SourceLines
from mergeguard.scan import agreement, defaults

LOWERED_TO = Severity.LOW
# A run of one character standing for the value: `xxxxxxxx`, `00000000`, `XXXXXXXX`, `********`.
_FILLER = re.compile(r"([xX0*])\1{7,}")
# What could be a credential: a run of the characters keys are written in (base64 with `/`, `_`,
# `-`: an AWS secret key, a UUID, `ghp_…` stay one token; `.` and `:` split a URL's parts).
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_RANDOM_BITS = 3.0  # Shannon entropy per character above which a token looks random (a real key: 4+)
# User and password as detect-secrets reads them (quotes included): a URL whose password holds a `"`
# is judged too, not skipped while a sample URL beside it is.
_URL_CREDENTIAL = re.compile(r"\b[a-z][a-z0-9+.-]*://([^:@/\s]+):([^@/\s]+)@", re.IGNORECASE)
_SAMPLE_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "secret", "changeme", "changethis", "changeit", "replaceme", "example",
     "test", "postgres", "mysql", "root", "admin", "user", "guest", "redis", "rabbitmq", "pwd", "xxx",
     "***", "..."}
)  # fmt: skip
# A password written as an instruction to the reader, as READMEs and .env.example files do:
# `your_password`, `YOUR-DB-PASSWORD`, `mypassword`, `<db password here>`, and the word "password"
# in the languages such READMEs are written in (`contraseña`, `passwort`, `senha`, `пароль`, …).
_CREDENTIAL_WORD = (
    r"(password|passwd|passphrase|pass|pwd|secret|contrase[ñn]a|passwort|kennwort|motdepasse|senha"
    r"|parola|wachtwoord|has[łl]o|пароль|密码|パスワード|비밀번호)"
)
_PASSWORD_PHRASE = re.compile(
    rf"((your|my|the|some|a|db|database|app|user|admin|root|redis|postgres|mysql)_?){{0,2}}"
    rf"{_CREDENTIAL_WORD}(_?(here|goes_?here))?",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[-_. ]+")
_MAX_PHRASE = 80
_VARIABLE = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|<[^<>]*>|%\([A-Za-z_]+\)s)$")
# A field filled in at run time: `%s`, `%(name)s`, `%-8d`, `{}`, `{0}`, `{name!r:>8}`, `${NAME}`.
_FORMAT_FIELD = re.compile(
    r"%(\([A-Za-z_]\w*\))?[-#0 +]*\d*(\.\d+)?[sdifrx]|\{[A-Za-z0-9_.\[\]]*(![rsa])?(:[^{}]*)?\}"
    r"|\$\{[A-Za-z_]\w*\}"
)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # `#password` (URL-encoded `%23password`), `_secret_`
_URL_HOST = re.compile(r"@\[?([^/:?#\s\]\"'`]*)")
# A host on the machine itself, or a service name on its network (compose, CI containers): no dot.
_LOCAL_HOST = re.compile(r"^(localhost|127(\.\d+){3}|0\.0\.0\.0|::1|[A-Za-z0-9_-]+)$")
_PEM_HEADER = re.compile(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END[ A-Z0-9_-]{0,100}-----")
_BASE64 = re.compile(r"[A-Za-z0-9+/=]{8,}")  # a body may be cut in short string literals
_KEY_BODY_CHARS = 64  # a real key's body: hundreds of base64 characters
_KEY_LINES = 100  # how far below its header a key's body is looked for
# sha256 of credentials their vendors publish for everyone to use, with what the rules that find
# them are named after: Azurite's (the Azure Storage emulator's) `devstoreaccount1` key, in every
# project tested against it; Stripe's sample test-mode key from its API reference; Google's reCAPTCHA
# test keys (every check passes with them: for automated tests); jwt.io's example token (its header,
# payload and signature: each part of a line's token must be one of them, or its signature jwt.io's).
_AZURITE = ("the Azure Storage emulator's key", "azure")
_JWT_IO = ("jwt.io's example token", "jwt", "json web token")
_SUPABASE = ("Supabase's self-hosting demo key", "jwt", "json web token")
_RECAPTCHA = ("Google's reCAPTCHA test key", "recaptcha")
_PUBLISHED = {
    "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059": _AZURITE,
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326": (
        "Stripe's sample test key",
        "stripe",
    ),
    "f5e95c9954635b65acab57e6d5ea663eb900f06dc8794a90358f5abb1c77d4e0": _RECAPTCHA,  # the secret key
    "d22e60f13eb1f0c8c81db1b2dff00dbbf0d275b82087578dcd1c9e0c0dc792c5": _RECAPTCHA,  # the site key
    "d328d517e09060d1aad34f3fb12d82ab8e9a15d81032638698758add385a9454": _JWT_IO,
    "3373cfa8cfd3d25622125d01af103fd4727b8d44648999185b68346ab5f4d59d": _JWT_IO,
    "051d093c4bdedbf23f905ad01d9c6111414d54e2170e1d7f76657c4e76e3e65b": _JWT_IO,
}
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")
# A JSON Web Token and its signature. One signed as a published example is (its HMAC key is published
# too) is that token with another payload: it verifies nowhere, or anyone could have signed it. By
# the sha256 of the signature, never by what the payload says (`"iss": "supabase-demo"` is anyone's to
# write): jwt.io's example, and the ANON_KEY and SERVICE_ROLE_KEY of Supabase's self-hosting
# `docker/.env.example` (HS256 with the JWT_SECRET written above them,
# `your-super-secret-jwt-token-with-at-least-32-characters-long`).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.([A-Za-z0-9_-]+)")
_JWT_SIGNATURES = {
    "051d093c4bdedbf23f905ad01d9c6111414d54e2170e1d7f76657c4e76e3e65b": _JWT_IO,
    "8e08bc796c3cb7aa1539831e5463509d01afa52a6ea14f6e4d076bdc7ca0cba3": _SUPABASE,  # anon
    "a117f8f68d271635cdc463dae4fa3e0db7984649efc17637bd092bd33485c27a": _SUPABASE,  # service_role
}
_MAPBOX_PUBLIC = re.compile(r"\bpk\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def apply(findings: Sequence[Finding], sources: SourceLines) -> list[Finding]:
    """The findings with each secret that is one of the three lowered to `LOWERED_TO`."""
    return [_judged(f, sources) for f in findings]


def _judged(finding: Finding, sources: SourceLines) -> Finding:
    if finding.kind is not Kind.SECRET or finding.severity <= LOWERED_TO:
        return finding
    loc = finding.location
    line = sources.line(loc.path, loc.start_line)
    if defaults.applies(loc.path):  # judged as the scanners read it: `${DB_PASSWORD:-changeme}` is `changeme`
        line = defaults.written_out(line) or line
    rule = f"{finding.rule_id} {finding.title}".lower()
    if (published := _published(line)) and _about_published(finding, published[1:]):
        reason: str | None = f"a documented example credential ({published[0]})"
    elif _public_token(line) and _about_published(finding, ("mapbox",)):
        reason = "a public token (Mapbox's `pk.`, made to be used in client code)"
    elif "private" in rule and (header := _PEM_HEADER.search(line)):
        below = sources.lines(loc.path)[loc.start_line : loc.start_line + _KEY_LINES]
        reason = (
            None
            if _has_key_body([line[header.end() :], *below])
            else "a private key's header with no key after it"
        )
    elif "basic auth" in rule:
        reason = _sample_url_password(line)
    else:
        reason = _placeholder(line) or _encoded_placeholder(line)
    if reason is None:
        return finding
    return replace(finding, severity=LOWERED_TO, severity_note=SeverityNote(finding.severity, reason))


def _published(line: str) -> tuple[str, ...] | None:
    """What published credential the line holds (every long token on it one of the same), and the
    names of the rules that find it; None if not."""
    rest = _JWT.sub(_unless_published_jwt, line)
    found = {_PUBLISHED.get(_sha256(token)) for token in _LONG_TOKEN.findall(rest)}
    found |= {signed for jwt in _JWT.finditer(line) if (signed := _JWT_SIGNATURES.get(_sha256(jwt.group(1))))}
    if agreement.holds_more(_LONG_TOKEN.sub("", rest)):  # a password beside it is no example
        return None
    return found.pop() if len(found) == 1 and None not in found else None


# A YAML value in base64, as a Kubernetes Secret's `data` holds it: `password: Y2hhbmdlbWU=`.
_BASE64_VALUE = re.compile(r"^\s*[\w.-]+:\s*[\"']?([A-Za-z0-9+/]{4,}={0,2})[\"']?\s*$")


def _encoded_placeholder(line: str) -> str | None:
    """Why a base64 value is a placeholder: it is one of the words a sample password is (`changeme`,
    `password`, `your_password`), encoded as a Kubernetes Secret's `data` must be."""
    value = _BASE64_VALUE.match(line)
    try:
        word = base64.b64decode(value.group(1), validate=True).decode("ascii") if value else ""
    except (ValueError, UnicodeDecodeError):
        return None
    sample = word.lower() in _SAMPLE_PASSWORDS or _PASSWORD_PHRASE.fullmatch(word) is not None
    return f"a placeholder ({word!r} in base64), no random-looking value on its line" if sample else None


def _public_token(line: str) -> bool:
    """Whether the line's only secret-looking value is a token public by design: Mapbox's `pk.`
    tokens are for maps in browsers (its secret tokens are `sk.`)."""
    return bool(_MAPBOX_PUBLIC.search(line)) and not agreement.holds_more(_MAPBOX_PUBLIC.sub("", line))


def _unless_published_jwt(jwt: re.Match[str]) -> str:
    """A token signed as a published example is taken out of the line; any other kept as it is."""
    return "" if _sha256(jwt.group(1)) in _JWT_SIGNATURES else jwt.group(0)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _about_published(finding: Finding, providers: Sequence[str]) -> bool:
    """Whether every report of the finding is the provider's rule or a generic heuristic: an AWS key
    on the line of a published Azure key is still a secret."""
    reports = [(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)]
    return all(
        any(name in rule.lower() for name in providers) or agreement.heuristic(tool, rule)
        for tool, rule in reports
    )


def _placeholder(line: str) -> str | None:
    """Why the line holds only a placeholder: a filler run or a run of consecutive characters
    (`0123456789abcdef…`, netbox-docker's documented token), and nothing else random-looking nor
    quoted as a password is (`Pr0d!Secret#42`). A filler in a comment after code is no placeholder of
    the value: `pw = "Pr0d!Secret#42"  # 00000000`."""
    filler, tokens = _FILLER.search(_code(line)), _TOKEN.findall(line)
    counting = [token for token in tokens if _consecutive(token)]
    if (filler is None and not counting) or any(
        _looks_random(token) for token in tokens if token not in counting
    ):
        return None
    quoted = [
        found.group(found.lastindex or 0)
        for found in _QUOTED.finditer(line)
        if not line.startswith(":", found.end())
    ]
    if any(_password_like(value) for value in quoted if not _FILLER.search(value)):
        return None  # `pw = "Pr0d!Secret#42"; hint = "00000000"`: the filler is another value's
    if filler is None:
        return "a placeholder (consecutive characters), no random-looking value on its line"
    return f"a placeholder ({filler.group(1)!r} repeated), no random-looking value on its line"


# A quoted value, and one written as passwords are: 8 to 64 characters, no space or `/` (not prose, not
# a URL or path), lower case, capitals, and digits or punctuation (`Pr0d!Secret#42`; not `admin`, not
# a region such as `us-east-1`). A quoted key, `:` right after it, is no value (`{"X-Api-Key": "xxxx…"}`).
_QUOTED = re.compile(r"\"([^\"\n]*)\"|'([^'\n]*)'")


def _password_like(value: str) -> bool:
    if not 8 <= len(value) <= 64 or any(c.isspace() or c == "/" for c in value):
        return False
    lower, upper = any(c.islower() for c in value), any(c.isupper() for c in value)
    return lower and upper and any(not c.isalpha() for c in value)


def _code(line: str) -> str:
    """`line` without a comment that follows code on it (` # …`, ` // …` outside quotes); a line that
    is all comment (a commented-out setting in an example file) is kept whole."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif line.startswith(("#", "//"), i) and i > 0 and line[i - 1] in " \t" and line[:i].strip():
            return line[:i]
    return line


def _consecutive(token: str) -> bool:
    """Each character the one after the one before (`9` to `a` or `0`, `f` or `z` back to `0` or
    `a`), but for at most one step: a key written out as `0123…` or `abcd…`, never a real one."""
    return sum(not (ord(b) - ord(a) == 1 or a + b in _WRAPS) for a, b in pairwise(token)) <= 1


_WRAPS = frozenset({"9a", "9A", "90", "f0", "F0", "z0", "Z0", "za", "ZA", "fa", "FA"})


def _sample_url_password(line: str) -> str | None:
    """Why every credential in a URL on the line is a sample (the user name again, a word such as
    `password`, a variable); None when one is not."""
    found = [(m.group(1), m.group(2), _host(line, m.end() - 1)) for m in _URL_CREDENTIAL.finditer(line)]
    if not found or not all(_sample(user, password, host) for user, password, host in found):
        return None
    return "a sample password in a URL (the user name again, a placeholder word or a variable)"


def _sample(user: str, password: str, host: str) -> bool:
    """A placeholder word or a variable anywhere; the user name again only on a local host (a CI
    service container's `postgres:postgres@127.0.0.1`, not `deployer:deployer@db.example.com`)."""
    if password.lower() in _SAMPLE_PASSWORDS or _VARIABLE.match(password):
        return True
    bare = _FORMAT_FIELD.sub("", password)  # `%s`, `secret{}`: the literal around run-time fields
    if not bare and bare != password:
        return True
    word = _EDGES.sub("", _SEPARATORS.sub("_", unquote(bare)))
    if word and (
        word.lower() in _SAMPLE_PASSWORDS or (len(word) <= _MAX_PHRASE and _PASSWORD_PHRASE.fullmatch(word))
    ):
        return True
    return password == user and _LOCAL_HOST.match(host) is not None


def sample_value(written: str) -> bool:
    """Whether one value as written, quoted or not (`"changeme"`, `your_password`, `${DB_PASSWORD}`,
    `'xxxxxxxx'`), is a placeholder or a sample password, as it is judged on a line or in a URL."""
    quoted = len(written) >= 2 and written[0] == written[-1] and written[0] in "\"'"
    return _sample("", written[1:-1] if quoted else written, "") or _placeholder(written) is not None


def _host(line: str, at: int) -> str:
    """The host of the URL whose `@` is at `at`."""
    found = _URL_HOST.match(line, at)
    return found.group(1) if found else ""


def _has_key_body(lines: Sequence[str]) -> bool:
    """Whether base64 follows a key's header (on its line, then below it), END lines or not: code
    can write the header and END line as two constants and the body below them."""
    count = 0
    for line in lines:
        text = _PEM_END.sub(" ", line)
        body = sum(len(run) for run in _BASE64.findall(text) if _key_like(run))
        if body * 2 >= len("".join(text.split())):  # a line mostly of base64: not prose naming `a/B2`
            count += body
        if count >= _KEY_BODY_CHARS:
            return True
    return False


def _key_like(run: str) -> bool:
    """A run of base64 as a key's body is written: upper and lower case, and a digit, `+` or `/`
    (prose around a header, `constant` or `critical`, is not)."""
    return (
        any(c.isdigit() or c in "+/" for c in run)
        and any(c.isupper() for c in run)
        and any(c.islower() for c in run)
    )


def _looks_random(token: str) -> bool:
    """Letters and digits mixed (or capitals alone), above `_RANDOM_BITS` per character: a key, a
    token, a UUID; not a name such as `TWILIO_ACCOUNT_SID` nor a filler such as `ghp_xxxx…`."""
    has_digit, has_letter = any(c.isdigit() for c in token), any(c.isalpha() for c in token)
    if token.isalpha() and token.isupper():  # an AWS key id with no digit after `AKIA` (1 in 28)
        return _entropy(token) > _RANDOM_BITS
    return has_digit and has_letter and _entropy(token) > _RANDOM_BITS


def _entropy(token: str) -> float:
    counts = Counter(token)
    return -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
