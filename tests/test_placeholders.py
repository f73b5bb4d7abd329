"""Secrets that are not (a placeholder, a URL's sample password, a key's header alone, a published
example) are lowered to low with the reason; the same shapes with real-looking values keep theirs."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.scan import placeholders
from tests.gitutil import GitTree

X = "x"
JWT_IO = (  # jwt.io's example token, in every JWT tutorial
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ijo"
    + "xNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
# Supabase's self-hosting demo keys, as supabase/supabase's docker/.env.example publishes them (HS256
# with the JWT_SECRET above them): header, payload (role anon or service_role, "iss": "supabase-demo")
# and signature.
SUPABASE_HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
SUPABASE_ANON = (
    SUPABASE_HEADER
    + ".eyAgCiAgICAicm9sZSI6ICJhbm9uIiwKICAgICJpc3MiOiAic3VwYWJhc2UtZGVtbyIsCiAgICAiaWF0IjogMTY0MTc2OTIw"
    + "MCwKICAgICJleHAiOiAxNzk5NTM1NjAwCn0.dc_X5iR_VP_qT0zsiyj_I_OZ2T9FtRU2BBNWN8Bu4GE"
)
SUPABASE_SERVICE_ROLE = (
    SUPABASE_HEADER
    + ".eyAgCiAgICAicm9sZSI6ICJzZXJ2aWNlX3JvbGUiLAogICAgImlzcyI6ICJzdXBhYmFzZS1kZW1vIiwKICAgICJpYXQiOiAx"
    + "NjQxNzY5MjAwLAogICAgImV4cCI6IDE3OTk1MzU2MDAKfQ.DaYlNEoUrrEn2Ig7tqibS-PHK5vgusbcbo7X36XVt4Q"
)
# Shapes of files measured on public repositories (see scan/placeholders.py), values split so that
# no scanner reads this file as holding them.
PLACEHOLDERS = {
    "README.md": (
        "## Setup\n\n"
        "SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24 + "\n\n"
        "GITHUB_TOKEN=ghp_" + X * 36 + "\n\n"
        "TWILIO_ACCOUNT_SID=AC" + X * 32 + "\n\n"
        "DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/dbname\n\n"
        "REDIS=redis://user:password@localhost:6379/0\n"
    ),
    # Found by a real-repository round: a password written as an instruction to the reader.
    "SETUP.md": (
        "DATABASE_URL=postgresql://postgres:your_password@localhost:5432/app\n"
        "DATABASE_URL=postgresql://postgres:YOUR-DB-PASSWORD@db.example.com:5432/app\n"
        "DATABASE_URL=postgresql://usuario:contraseña@host:5432/app\n"
    ),
    "rsa.mjs": 'export const args = [{\n    name: "Key",\n    value: "-----BEGIN RSA '
    + 'PRIVATE KEY-----"\n}];\n',
    # Found by a real-input round: a Kubernetes Secret whose `data` is a placeholder word in base64
    # ("changeme", "your_password"; Gitleaks' rule on the whole Secret, on its `kind:` line, stays).
    "secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n"
        "  username: YWRtaW4=\n  password: Y2hhbmdl" + "bWU=\n  api-password: eW91cl9wYXNz" + "d29yZA==\n"
    ),
    # Found on this project's own docs: prose below a header names `a/B2`-shaped words.
    "keys.md": (
        '| a header alone | `value: "-----BEGIN RSA ' + 'PRIVATE KEY-----"` | lowered |\n\n'
        "Trees rebuilt from we45/Vulnerable-Flask-App and madhuakula/kubernetes-goat (13 files).\n"
        "A pod with hostPID/IPC/Network set, or a patch with $setElementOrder/ and\n"
        "$deleteFromPrimitiveList/ directives, as kustomize writes them (apps/v1, batch/v1).\n"
    ),
    "Emulator.cs": (
        '    const string Azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey='
        + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        + ';BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";\n'
    ),
    # Found by a real-repository round: vendors' published samples, netbox-docker's documented
    # token, and URLs whose password is filled in at run time.
    "samples.py": (
        'stripe.api_key = "sk_test_' + "4eC39HqLyjWDarjtT1zdp7dc\"  # Stripe's public sample key\n\n"
        'TOKEN = "' + JWT_IO + '"\n\n'
        'SUPERUSER_API_TOKEN = "0123456789abcdef' + '0123456789abcdef01234567"\n\n'
        'DB = "postgresql://%s:%s' + '@%s/%s" % (user, password, host, name)\n\n'
        'DB2 = "mysql://user:%23' + 'password@127.0.0.1:3306/x"\n\n'
        'CACHE = "rediss://enigma:secret' + '{}@cache.example.com:6379".format(n)\n\n'
        'TOKEN = "'
        + JWT_IO.split(".", maxsplit=1)[0]
        + ".eyJzdWIiOiJqb2huZG9lIiwicm9sZSI6ImFkbWluIiwiaWF0Ijo"
        + "xNTE2MjM5MDIyfQ."
        + JWT_IO.rsplit(".", maxsplit=1)[1]
        + "\"  # jwt.io's signature, another payload\n\n"
        'RECAPTCHA_PRIVATE_KEY = "6LeIxAcTAAAAAGG-' + 'vFI1TnRWxMZNFuojJ4WifJWe"\n\n'
        "    apiKey: 'pk.eyJ1IjoibWp1bWJlLXRlc3QiLCJhIjoiY2luNW1pZTF5MDBxbHZ3bTM1NGx3NzVqdyJ9"
        + ".2ATDPobUwpa7Ou5jsJOGYA',\n"  # Mapbox's public token (its tests' own)
    ),
    # Found in a trial on supabase/supabase: its self-hosting demo keys, high from two tools each.
    "docker/.env.example": (
        "JWT_SECRET=your-super-secret-jwt-token-with-at-least-32-characters-long\n"
        f"ANON_KEY={SUPABASE_ANON}\nSERVICE_ROLE_KEY={SUPABASE_SERVICE_ROLE}\n"
    ),
}
REAL_LOOKING = {
    "prod.env": (
        "SLACK_WEBHOOK=https://hooks.slack.com/services/T0A1B2C3D/B0E4F5G6H/" + "aB3dE5fG7hJ9kL1mN3pQ5rS7\n"
        "DATABASE_URL=postgres://app:" + "Xk9vB2mQ7pLw4Rt8@db.prod.example.com:5432/app\n"
        "NOTE=xxxxxxxxxxxx GITHUB_TOKEN=ghp_"
        + "R4nd0mL00k1ngT0k3nV4lu3xyzABCD123456\n"  # a filler does not hide it
        "DB=postgres://svc_prod:" + "%TopSecretProdPass@db.internal.example.com/app\n"  # not %(name)s
        "DEPLOY=https://deployer:" + "deployer@git.example.com/app.git\n"  # the user again, not local
        "CACHE=redis://cache:" + "passwordK7q2Zr@cache.example.com:6379/0\n"  # a word, then a secret
        "DB=postgres://admin:" + "MyStrongSecureRootPassword@db.prod.corp.com/x\n"  # a red team's
    ),
    # A red team's: a published example on the line of a real password speaks only for itself.
    "beside.sh": "export TEST_JWT=" + JWT_IO + ' DB_PASSWORD="Vq7#zL2p' + 'X9wK4mN8"\n',
    "runtime.py": (  # a run-time field beside a real password; jwt.io's header on a real token
        'CACHE = "rediss://enigma:{}' + 'Xk9vB2mQ7pLw4Rt8@cache.example.com:6379".format(n)\n'
        'TOKEN = "'
        + JWT_IO.split(".", maxsplit=1)[0]
        + ".eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9"
        + '.Qm7vR2xK9pL4wT8zHk3mP9qLz2Wx7Rt_Yb5Nc8Vd1Fg"\n'
        'secret_key = "0123456789abcdef' + 'K7q2ZrX9vB2mQ7pLw4Rt8Yb5Nc8"\n'
    ),
    # Supabase's demo payload (`"iss": "supabase-demo"`, service_role) under a signature of one's own:
    # the payload is anyone's to write, so it says nothing.
    "demo.env": "SERVICE_ROLE_KEY="
    + SUPABASE_SERVICE_ROLE.rsplit(".", maxsplit=1)[0]
    + ".Qm7vR2xK9pL4wT8zHk3mP9qLz2Wx7Rt_Yb5Nc8Vd1Fg\n",
    # Found by a second red-team round: an AWS key id with no digit after AKIA beside a filler, a
    # real password holding a quote beside a sample URL.
    "ids.py": 'AWS_ACCESS_KEY_ID = "AKIAQWERTY' + 'UIOPASDFGH"  # format: xxxxxxxx\n',
    "broker.env": (
        'BROKER_URL=amqp://svc:kQ7"Zx2L'
        + "m9pWv4Tq@mq.prod.example.com/vhost  # dev: amqp://guest:guest@localhost\n"
    ),
    # Found by a red-team round: real-looking values next to a filler or a published key.
    "aws.py": 'aws_secret_access_key = "Hk3mP9qLz2Wx7Rt/Yb5Nc8' + 'Vd1Fg4Js6/Ua0Ke2Mh9"  # format xxxxxxxx\n',
    "heroku.py": 'HEROKU_API_KEY = "2f6e1c3a-9b7d-4e8f-' + 'a1c2-3d4e5f6a7b8c"  # xxxxxxxx\n',
    "both.cs": (
        '    const string S = "AccountKey='
        + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        + '"; const string AWS_ACCESS_KEY_ID = "AKIAQ3EGUJ'
        + 'WT5XKLM7QZ";\n'
    ),
}


def _pem() -> str:
    body = base64.encodebytes(os.urandom(600)).decode()  # a key's shape: hundreds of base64 characters
    return f"-----BEGIN RSA {'PRIVATE'} KEY-----\n{body}-----END RSA {'PRIVATE'} KEY-----\n"


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], dict[str, Any]]:
    tree = GitTree(tmp_path_factory.mktemp("placeholders") / "repo")
    generated = {
        "key.pem": _pem(),
        "split.py": _pem_in_short_literals(),
        "constants.py": _pem_after_constants(),
    }
    for name, text in {**PLACEHOLDERS, **REAL_LOOKING, **generated}.items():
        tree.write(name, text)
    tree.commit("secrets and not")
    out = tree.root.parent / "r.json"
    scanners = "detect-secrets,gitleaks,trivy-secret"
    assert cli.main(["scan", str(tree.root), "--all-files", "--scanners", scanners, "--json", str(out)]) == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    return {(f["path"], f["start_line"]): f for f in report["findings"]}


pytestmark = pytest.mark.scanner


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (("README.md", 3), "a placeholder ('0' repeated)"),  # Slack's documented webhook
        (("README.md", 5), "a placeholder ('x' repeated)"),
        (("README.md", 7), "a placeholder ('x' repeated)"),
        (("README.md", 9), "a sample password in a URL"),  # a CI service container's database
        (("README.md", 11), "a sample password in a URL"),
        *((("SETUP.md", line), "a sample password in a URL") for line in range(1, 4)),
        (("rsa.mjs", 3), "a private key's header with no key after it"),
        (("keys.md", 1), "a private key's header with no key after it"),
        (("Emulator.cs", 1), "a documented example credential (the Azure Storage emulator's key)"),
        (("samples.py", 1), "a documented example credential (Stripe's sample test key)"),
        (("samples.py", 3), "a documented example credential (jwt.io's example token)"),
        (("samples.py", 5), "a placeholder (consecutive characters)"),
        *((("samples.py", line), "a sample password in a URL") for line in (7, 9, 11)),
        (("samples.py", 13), "a documented example credential (jwt.io's example token)"),
        (("samples.py", 15), "a documented example credential (Google's reCAPTCHA test key)"),
        (("samples.py", 17), "a public token (Mapbox's `pk.`"),
        (("secret.yaml", 9), "a placeholder ('your_password' in base64)"),
        *(
            (
                ("docker/.env.example", line),
                "a documented example credential (Supabase's self-hosting demo key)",
            )
            for line in (2, 3)
        ),
    ],
)
def test_what_is_not_a_secret_is_low_and_says_why(
    findings: dict[tuple[str, int], dict[str, Any]], where: tuple[str, int], reason: str
) -> None:
    finding = findings[where]
    assert finding["severity"] == "low" and not finding["blocking"]
    assert finding["severity_note"]["original"] in ("high", "critical")
    assert finding["severity_note"]["reason"].startswith(reason)


@pytest.mark.parametrize(
    "where",
    [
        *(("prod.env", line) for line in range(1, 8)),
        ("key.pem", 1),
        ("split.py", 2),
        ("constants.py", 1),
        ("ids.py", 1),
        ("broker.env", 1),
        ("aws.py", 1),
        ("heroku.py", 1),
        ("both.cs", 1),
        ("beside.sh", 1),
        ("demo.env", 1),
        *(("runtime.py", line) for line in (1, 2, 3)),
    ],
)
def test_the_same_shapes_with_real_looking_values_keep_their_severity(
    findings: dict[tuple[str, int], dict[str, Any]], where: tuple[str, int]
) -> None:
    finding = findings[where]
    assert finding["severity"] in ("high", "critical") and finding["blocking"], finding
    assert finding.get("severity_note") is None


def test_a_private_key_is_one_finding_whichever_line_each_tool_names(
    findings: dict[tuple[str, int], dict[str, Any]],
) -> None:
    """Trivy starts a key at its body's first line, detect-secrets and Gitleaks at its BEGIN line:
    one key was two blocking findings."""
    keys = [finding for (path, _), finding in findings.items() if path == "key.pem"]
    assert len(keys) == 1 and {"detect-secrets", "gitleaks", "trivy-secret"} <= set(keys[0]["tools"])


def _pem_in_short_literals() -> str:
    """A key's body cut into 15-character string literals, one per line: still a key."""
    body = base64.b64encode(os.urandom(600)).decode()
    chunks = "".join('    "' + body[i : i + 15] + '" +\n' for i in range(0, len(body), 15))
    header, footer = "-----BEGIN " + "PRIVATE KEY-----", "-----END " + "PRIVATE KEY-----"
    return 'KEY = (\n    "' + header + '\\n" +\n' + chunks + '    "' + footer + '"\n)\n'


def _pem_after_constants() -> str:
    """The header and END line as two constants on one line, the body in a string below them."""
    body = base64.encodebytes(os.urandom(600)).decode()
    header, footer = "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END RSA " + "PRIVATE KEY-----"
    return f'HEAD, TAIL = "{header}", "{footer}"\nBODY = """{body}"""\nPEM = HEAD + "\\n" + BODY + TAIL\n'


@pytest.mark.parametrize(
    ("written", "sample"),
    [
        ('"changeme"', True),
        ("'your_password'", True),
        ("${DB_PASSWORD}", True),
        ('"' + X * 12 + '"', True),
        ("0123456789abcdef", True),
        ('"Zr4vK9qLw2' + 'Xp7NbT3mHs"', False),  # split: no secret in this file
        ("Pr0d!Secret#42", False),
    ],
)
def test_one_value_is_judged_a_sample_as_on_its_line(written: str, sample: bool) -> None:
    assert placeholders.sample_value(written) is sample
