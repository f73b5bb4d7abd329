"""Fits a rendering of lists to a size limit, rendering only about as many items as are shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

Render = Callable[[Mapping[str, int]], str]

CUT_NOTE = "\n\n… cut to GitHub's size limit (see the JSON/SARIF report)\n"
_AT_ONCE = 400  # items: a result this small is rendered whole first (one rendering when it fits)
_PROBE = 32  # items of a big list rendered first, to learn how many bytes one takes
_TRIES = 12  # renderings per list at most while searching how many fit
_FULL = 0.99  # a rendering that fills this share of the room is full enough
_AIM = 0.995  # each guess aims at this share of the room: most first guesses fit and are full enough


def size(text: str) -> int:
    """Bytes, never fewer than characters (or UTF-16 units), so a limit GitHub counts either way holds."""
    return len(text.encode("utf-8"))


def fit(render: Render, full: Mapping[str, int], limit: int, sections: Sequence[str]) -> str:
    """The fullest rendering within `limit` bytes of `render(caps)`, `caps` counting each list's items.

    Lists are filled in `sections` order (most important first): each is shown whole while that
    fits; the first that does not is cut to as many items as fit, and the lists after it stay empty.
    The search renders about as many items as end up shown, never every item of a huge list.
    """
    if sum(full.values()) <= _AT_ONCE:
        text = render(full)
        if size(text) <= limit:
            return text
    caps = dict.fromkeys(full, 0)
    text = render(caps)
    for name in sections:
        if full[name] and size(text) <= limit:
            text = _most(render, caps, name, whole=full[name], limit=limit, bare=text)
            if caps[name] < full[name]:
                break
    if size(text) <= limit:
        return text
    room = limit - size(CUT_NOTE)  # only a user's own template gets here: it is too big bare
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + CUT_NOTE


def _most(render: Render, caps: dict[str, int], name: str, *, whole: int, limit: int, bare: str) -> str:
    """The rendering with about the most items of list `name` that fit (`caps[name]` set to that count).

    `lo` items are known to fit and `hi` not to. Each try aims a little under the room left: from
    the bytes per item seen until a rendering is too big, then between the sizes of `lo` and `hi`
    (items differ in length). A rendering that fills `_FULL` of the room is kept: the last few items'
    worth are not worth another rendering of thousands (each costs a tenth of a second).
    """
    lo, hi, best, base = 0, whole + 1, bare, size(bare)
    sizes = {lo: base}
    aim = base + _AIM * (limit - base)
    guess = min(whole, _PROBE)
    for _ in range(_TRIES):
        caps[name] = guess
        text = render(caps)
        sizes[guess] = used = size(text)
        if used <= limit:
            lo, best = guess, text
            if used - base >= _FULL * (limit - base):
                break
        else:
            hi = guess
        if lo + 1 >= hi:
            break
        if hi in sizes:  # bracketed: interpolate between the two sizes
            estimate = lo + (aim - sizes[lo]) * (hi - lo) / max(1, sizes[hi] - sizes[lo])
        else:
            estimate = (aim - base) * guess / (used - base) if used > base else hi
        guess = min(hi - 1, max(lo + 1, int(estimate)))
    caps[name] = lo
    return best
