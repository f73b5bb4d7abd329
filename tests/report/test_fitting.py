"""Fitting lists to a size limit: within it, nearly full, and in a few renderings however long the lists."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from mergeguard.report import fitting


class Rows:
    """A rendering of one list whose rows differ in length (as findings' rows do), counting renderings."""

    def __init__(self) -> None:
        self.rendered: list[int] = []

    def __call__(self, caps: Mapping[str, int]) -> str:
        self.rendered.append(caps["rows"])
        return "# header\n" + "".join(f"| row {n} | {'x' * (n % 97)} |\n" for n in range(caps["rows"]))


@pytest.mark.parametrize("rows", [1_000, 30_000, 100_000])
@pytest.mark.parametrize("limit", [65_536, 1_048_576])
def test_a_long_list_is_cut_nearly_full_in_a_few_renderings(rows: int, limit: int) -> None:
    render = Rows()
    text = fitting.fit(render, {"rows": rows}, limit, ["rows"])
    tries = render.rendered[1:]  # after the bare rendering
    whole = render({"rows": rows})
    if fitting.size(whole) <= limit:
        assert text == whole
        return
    assert fitting.size(text) <= limit
    assert fitting.size(text) >= 0.99 * limit  # the room is used: at most 1 % of it left
    assert len(tries) <= 4  # the probe, then two or three guesses
    assert sum(tries) <= 3.5 * max(tries)  # never many full renderings


def test_rows_that_all_fit_are_all_shown() -> None:
    render = Rows()
    text = fitting.fit(render, {"rows": 600}, 1_048_576, ["rows"])
    assert text == render({"rows": 600})
