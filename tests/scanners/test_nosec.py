"""Which untouched `# nosec` comments Bandit would apply to what a change wrote (`scanners.nosec`)."""

from __future__ import annotations

import pytest

from mergeguard.scanners import nosec

WRAPPED = b"""import subprocess


def listing(pattern):
    return subprocess.run("ls -l " + pattern,
    # nosec - the arguments are constant
        shell=True, check=True)
"""
FUNCTION = b"""import subprocess


def tool(cmd):
    subprocess.call(cmd, shell=True)  # nosec
    return 1
"""
HANDLER = b"""try:
    run()
except Exception:  # nosec
    pass
"""


@pytest.mark.parametrize(
    ("source", "added", "reached"),
    [
        (WRAPPED, {5, 7}, {6}),  # a call wrapped around a comment line of the base
        (FUNCTION, {6}, set()),  # another statement of the function: the call is untouched
        (FUNCTION.replace(b"(cmd)", b'(cmd, password="hunter2")'), {4}, {5}),  # B107 on the def
        (HANDLER, {4}, {3}),  # the handler's body became `pass` (B110 on the handler)
        (HANDLER, {2}, set()),  # the `try` body: not the handler
        (b"key: value  # nosec\nother: [\n", {2}, set()),  # not Python
    ],
)
def test_reached(source: bytes, added: set[int], reached: set[int]) -> None:
    assert nosec.reached(source, added) == reached
