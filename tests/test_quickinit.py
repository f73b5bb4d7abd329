"""`quick_init` gives a frozen, slotted dataclass the same `__init__` it had, only faster."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.core.quickinit import quick_init


@dataclass(frozen=True, slots=True)
class Generated:
    name: str
    count: int = 0
    note: str | None = None

    def __post_init__(self) -> None:
        if self.count < 0:
            object.__setattr__(self, "count", 0)


@quick_init
@dataclass(frozen=True, slots=True)
class Quick:
    name: str
    count: int = 0
    note: str | None = None

    def __post_init__(self) -> None:
        if self.count < 0:
            object.__setattr__(self, "count", 0)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("a",), {}),
        (("a", 2), {}),
        (("a", -5, "n"), {}),
        ((), {"name": "a", "note": "x"}),
        (("a",), {"count": 3}),
    ],
)
def test_the_same_fields_defaults_and_post_init_as_the_generated_init(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    quick, generated = Quick(*args, **kwargs), Generated(*args, **kwargs)  # type: ignore[arg-type]
    assert dataclasses.astuple(quick) == dataclasses.astuple(generated)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", 1, "n", "extra"), {}), (("a",), {"name": "b"}), (("a",), {"other": 1})],
)
def test_wrong_arguments_are_refused_as_by_the_generated_init(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        Generated(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Quick(*args, **kwargs)  # type: ignore[arg-type]


def test_the_instance_stays_frozen_hashable_comparable_and_picklable() -> None:
    quick = Quick("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.name = "b"  # type: ignore[misc]
    assert quick == Quick("a", 1) and hash(quick) == hash(Quick("a", 1)) and quick != Quick("a", 2)
    assert pickle.loads(pickle.dumps(quick)) == quick  # noqa: S301 - its own bytes
    assert dataclasses.replace(quick, count=7) == Quick("a", 7)


def test_the_findings_model_uses_it_and_keeps_its_checks() -> None:
    finding = Finding("bandit", "B602", Severity.HIGH, "t", "m", Location("app.py", 0), Kind.CODE)
    assert finding.location.start_line == finding.location.end_line == 1  # Location.__post_init__ ran
    assert finding.package is None and finding.fingerprint == "" and finding.also == ()
    assert Package("flask", "0.12").fixed is None
    with pytest.raises(ValueError, match="repo-relative"):
        Location("/etc/passwd")
    assert Finding.__init__.__qualname__ == "Finding.__init__"


def test_what_it_cannot_reproduce_is_refused() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        name: str

    @dataclass(slots=True)
    class NotFrozen:
        name: str

    @dataclass(frozen=True, slots=True)
    class Factory:
        names: list[str] = field(default_factory=list)

    @dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        name: str

    for cls in (NoSlots, NotFrozen, Factory, KeywordOnly):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)
