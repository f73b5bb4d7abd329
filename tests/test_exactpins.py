"""Which exact pins a base's manifest holds: the package's own entry, never a range or a version nearby."""

from __future__ import annotations

import pytest

from mergeguard.core.exactpins import exact_pins

UV_APP = (
    '[[package]]\nname = "app"\nversion = "1.0"\nsource = { editable = "." }\n'
    'dependencies = [\n    { name = "werkzeug" },\n]\n\n'
    '[package.metadata]\nrequires-dist = [{ name = "werkzeug", specifier = ">=0.14,<1" }]\n\n'
)
HASHES = ",\n".join(f'                "sha256:{i:064x}"' for i in range(8))
PIPFILE_LOCK = (
    '{\n    "_meta": {"requires": {"python_version": "3.11"}},\n    "default": {\n'
    '        "werkzeug": {\n            "hashes": [\n' + HASHES + "\n            ],\n"
    '            "index": "pypi",\n            "version": "==0.14"\n        }\n    },\n    "develop": {}\n}\n'
)
UV_WERKZEUG = (
    '[[package]]\nname = "werkzeug"\nversion = "0.16.1"\nsource = { registry = "https://pypi.org/simple" }\n'
)


@pytest.mark.parametrize(
    ("path", "text", "pinned"),
    [
        ("requirements.txt", "werkzeug==0.14\n", True),
        ("requirements.txt", "Werkzeug == 0.14 --hash=sha256:ab\n", True),
        ("requirements.txt", "werkzeug[watchdog]===0.14 ; python_version < '3.8'\n", True),
        ("requirements.txt", "werkzeug==0.14,<1\n", True),  # the range holds one version
        ("requirements.txt", "werkzeug>=0.14\n", False),  # the floor of a range is no pin
        ("requirements.txt", "werkzeug>=0.14,<1\n", False),
        ("requirements.txt", "werkzeug~=0.14\n", False),
        ("requirements.txt", "werkzeug==0.14.*\n", False),
        ("requirements.txt", "werkzeug==0.14.1\n", False),
        ("requirements.txt", "werkzeug==0.14rc1\n", False),
        ("requirements.txt", "werkzeug\n0.14\n", False),
        ("requirements.txt", "werkzeug>=0.1\n# werkzeug==0.14\n", False),  # a comment
        ("requirements.txt", "werkzeug>=0.1  # was werkzeug==0.14\n", False),
        ("requirements.txt", "not-werkzeug==0.14\nwerkzeug>=0.1\n", False),  # another package
        ("requirements.txt", "werkzeug-extras==0.14\n", False),
        ("requirements.txt", "flask[werkzeug]==0.14\n", False),  # an extra's name
        ("requirements.txt", "-e git+https://example.com/werkzeug==0.14#egg=x\n", False),
        ("requirements.txt", "https://example.com/a.zip#egg=werkzeug==0.14\n", False),
        ("Pipfile", '[packages]\nwerkzeug = "==0.14"\n', True),
        ("Pipfile", '[packages]\nwerkzeug = {version = "==0.14", extras = ["watchdog"]}\n', True),
        ("Pipfile", '[packages]\nwerkzeug = ">=0.14"\n', False),
        ("pyproject.toml", '[project]\ndependencies = [\n  "werkzeug==0.14",\n]\n', True),
        ("pyproject.toml", '[project]\ndependencies = ["werkzeug>=0.14"]\n', False),
        ("pyproject.toml", '[project]\ndependencies = ["werkzeug (==0.14)"]\n', True),  # Poetry 2
        ("pyproject.toml", '[project]\ndependencies = ["werkzeug[watchdog] (==0.14,<1)"]\n', True),
        ("pyproject.toml", '[project]\ndependencies = ["werkzeug (>=0.14)"]\n', False),
        ("pyproject.toml", '[tool.poetry.dependencies]\nWerkzeug = "0.14"\n', True),  # Poetry: exact
        ("pyproject.toml", '[tool.poetry.group.dev.dependencies]\nwerkzeug = {version = "==0.14"}\n', True),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\nwerkzeug = "=0.14"\n',
            True,
        ),  # Poetry's `=` (a red team's)
        ("pyproject.toml", '[tool.poetry.dependencies]\nwerkzeug = "^0.14"\n', False),
        ("pyproject.toml", '[tool.poetry.dependencies]\nwerkzeug = "0.14.*"\n', False),
        ("pyproject.toml", '[tool.black]\nwerkzeug = "0.14"\n', False),  # not a dependency table
        ("uv.lock", "version = 1\n\n" + UV_APP + UV_WERKZEUG.replace("0.16.1", "0.14"), True),
        ("uv.lock", "version = 1\n\n" + UV_APP + UV_WERKZEUG, False),  # only the metadata's range says 0.14
        ("poetry.lock", '[[package]]\nname = "Werkzeug"\nversion = "0.14"\n', True),
        (
            "poetry.lock",
            '[[package]]\nname = "werkzeug"\nversion = "0.15"\n\n[package.dependencies]\nx = "0.14"\n',
            False,
        ),
        (
            "poetry.lock",
            '[[package]]\nname = "flask"\nversion = "1.0"\n\n[package.dependencies]\nwerkzeug = "0.14"\n',
            False,
        ),
        ("poetry.lock", "[[package]\nname = 'werkzeug'\nversion = '0.14'\n", False),  # unreadable
        ("requirements.lock", "-e file:.\nwerkzeug==0.14\n", True),  # Rye's lock: pip's format
        ("pylock.toml", 'lock-version = "1.0"\n\n[[packages]]\nname = "Werkzeug"\nversion = "0.14"\n', True),
        ("pylock.dev.toml", '[[packages]]\nname = "werkzeug"\nversion = "0.14"\n', True),
        (
            "pylock.toml",
            '[[packages]]\nname = "flask"\nversion = "1.0"\n\n[[packages.wheels]]\nname = "werkzeug"\n',
            False,
        ),
        ("Pipfile.lock", PIPFILE_LOCK, True),  # its hashes between the name and the version
        (
            "Pipfile.lock",
            PIPFILE_LOCK.replace('"develop": {}', '"develop": {"werkzeug": {"version": "==0.14"}}'),
            True,
        ),
        ("Pipfile.lock", PIPFILE_LOCK.replace("==0.14", "==0.15"), False),
        ("Pipfile.lock", PIPFILE_LOCK.replace("==0.14", ">=0.14"), False),
        ("Pipfile.lock", '{"default": {"flask": {"version": "==0.14", "markers": "werkzeug"}}}', False),
        ("Pipfile.lock", '{"default": {"werkzeug": {"version": "==0.14",}}}', False),  # unreadable
        ("package-lock.json", '{"packages": {"": {"dependencies": {"werkzeug": "0.14"}}}}', False),
        ("package-lock.json", '{"packages": {"node_modules/werkzeug": {"version": "0.14"}}}', True),
        (
            "package-lock.json",
            '{"packages": {"node_modules/a/node_modules/werkzeug": {"version": "0.14"}}}',
            True,
        ),
        ("package-lock.json", '{"packages": {"node_modules/not-werkzeug": {"version": "0.14"}}}', False),
        (
            "package-lock.json",
            '{"dependencies": {"a": {"version": "1", "requires": {"werkzeug": "0.14"}}}}',
            False,
        ),
        (
            "package-lock.json",
            '{"dependencies": {"a": {"version": "1", "dependencies": {"werkzeug": {"version": "0.14"}}}}}',
            True,
        ),
        ("composer.lock", '{"packages": [{"name": "werkzeug", "version": "0.14"}]}', True),
        (
            "composer.lock",
            '{"packages": [{"name": "flask", "version": "0.14", "require": {"werkzeug": "0.14"}}]}',
            False,
        ),
        ("packages.lock.json", '{"dependencies": {"net8.0": {"Werkzeug": {"resolved": "0.14"}}}}', True),
        (
            "packages.lock.json",
            '{"dependencies": {"net8.0": {"Werkzeug": {"requested": "[0.14, )"}}}}',
            False,
        ),
        ("yarn.lock", '"werkzeug@^0.14", werkzeug@~0.14:\n  version "0.14"\n  resolved "x"\n', True),
        ("yarn.lock", '"werkzeug@npm:^0.14":\n  version: 0.14\n', True),
        ("yarn.lock", 'flask@^1:\n  version "1.0"\n  dependencies:\n    werkzeug "0.14"\n', False),
        ("pnpm-lock.yaml", "packages:\n\n  /werkzeug@0.14:\n    resolution: {integrity: x}\n", True),
        ("pnpm-lock.yaml", "packages:\n\n  /werkzeug/0.14:\n    resolution: {integrity: x}\n", True),
        (
            "pnpm-lock.yaml",
            "importers:\n  .:\n    dependencies:\n      werkzeug:\n        specifier: 0.14\n",
            False,
        ),
        ("Gemfile.lock", "GEM\n  specs:\n    werkzeug (0.14)\n", True),
        ("Gemfile.lock", "GEM\n  specs:\n    flask (1.0)\n      werkzeug (= 0.14)\n", False),
        ("go.mod", "module m\n\nrequire werkzeug v0.14\n", True),
        ("go.mod", "module m\n\nrequire (\n\twerkzeug v0.14 // indirect\n)\n", True),
        ("go.mod", "module m\n\nrequire werkzeug v0.14\n\nreplace werkzeug => werkzeug v0.15\n", False),
        ("go.mod", "module m\n\n// require werkzeug v0.14\n", False),
    ],
)
def test_only_the_packages_own_exact_pin_counts(path: str, text: str, pinned: bool) -> None:
    assert (("werkzeug", "0.14") in exact_pins(path, text)) is pinned
