"""Makes tool-supplied text safe to print: no control characters, no terminal escapes."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str, limit: int = 0) -> str:
    """`text` on one line with every control character shown as `\\xNN`; cut to `limit` if given."""
    flat = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return flat if not limit or len(flat) <= limit else flat[: limit - 1] + "…"
