"""Shared test set-up: the golden-file flag, and no test reaches the network by accident."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="re-run the real scanners on tests/fixtures and rewrite the recorded outputs and golden files",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Any request through `requests` that a test did not register fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        yield
