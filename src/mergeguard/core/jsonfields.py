"""Typed reads of decoded JSON: each getter checks one value's type and raises the caller's own error."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
# Given the value that does not fit, the exception to raise: each caller keeps its error type and words.
Fail = Callable[[Any], Exception]


# The getters below repeat `fits` inline: parsers call them for every field of every finding.


def fits(value: object, kind: type) -> bool:
    """`value` is a `kind`; a JSON true or false is a number only to Python, not here."""
    return isinstance(value, kind) and (kind is bool or value.__class__ is not bool)


def need(value: object, kind: type[T], fail: Fail, *, empty: bool = True) -> T:
    """`value` as a `kind`, else `fail(value)`; `empty=False` refuses "", 0, [] and {} too."""
    if isinstance(value, kind) and (kind is bool or value.__class__ is not bool) and (empty or value):
        return value
    raise fail(value)


def maybe(value: object, kind: type[T], fail: Fail) -> T | None:
    """`value` as a `kind`, None when it is null or absent, else `fail(value)`."""
    if value is None or (isinstance(value, kind) and (kind is bool or value.__class__ is not bool)):
        return value
    raise fail(value)


def or_empty(value: object, kind: type[T], fail: Fail) -> T:
    """`value` as a `kind`, the empty `kind()` ("", 0, [], {}) when null or absent, else `fail(value)`."""
    if value is None:
        return kind()
    if isinstance(value, kind) and (kind is bool or value.__class__ is not bool):
        return value
    raise fail(value)


def need_list(value: object, kind: type[T], fail: Fail, *, null: bool = False) -> list[T]:
    """`value` as a list whose every item is a `kind`, else `fail(value)`; `null=True` reads null as []."""
    if value is None and null:
        return []
    if isinstance(value, list) and all(
        isinstance(item, kind) and (kind is bool or item.__class__ is not bool) for item in value
    ):
        return value
    raise fail(value)


def or_default(value: object, kind: type[T], default: T) -> T:
    """`value` if it is a `kind`, else `default`: for fields a reader may do without."""
    return value if fits(value, kind) else default  # type: ignore[return-value]  # checked by fits()


def items(value: object, kind: type[T]) -> list[T]:
    """The `kind` items of `value` if it is a list (others skipped), else []."""
    return [item for item in value if fits(item, kind)] if isinstance(value, list) else []


def as_object(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: for objects a reader may do without."""
    return value if isinstance(value, dict) else {}


def objects_in(value: object) -> list[dict[str, Any]]:
    """The JSON objects in `value` if it is a list (other items skipped), else []."""
    return items(value, dict)


def dig(data: object, keys: Sequence[str]) -> Any:
    """`data[k1][k2]…` through nested objects; None where a key is absent or a level is not an object."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


class FieldError(ValueError):
    """A value that does not read: its JSON path (`.outcomes[3].kind`) and what was expected there."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def field(data: object, key: str, read: Callable[[Any], T]) -> T:
    """`read(data[key])`; FieldError naming the key (and the path below it) when it is absent or unfit.

    `read` says what it expected by raising TypeError or ValueError (or a FieldError of its own)."""
    if not isinstance(data, dict):
        raise FieldError("", f"expected an object, got {got(data)}")
    if key not in data:
        raise FieldError(f".{key}", "missing")
    return _within(f".{key}", read, data[key])


def each(values: object, read: Callable[[Any], T]) -> tuple[T, ...]:
    """`read` of every item of the list `values`; FieldError naming the item's index."""
    if not isinstance(values, list):
        raise FieldError("", f"expected a list, got {got(values)}")
    return tuple(_within(f"[{i}]", read, value) for i, value in enumerate(values))


def got(value: object) -> str:
    """A JSON value as an error names it: `null`, `"x"`, `[1, 2]` (cut short)."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:59] + "…"


def _within(step: str, read: Callable[[Any], T], value: object) -> T:
    try:
        return read(value)
    except FieldError as exc:
        raise FieldError(step + exc.path, exc.problem) from None
    except (TypeError, ValueError) as exc:
        raise FieldError(step, str(exc)) from None
