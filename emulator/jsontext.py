"""JSON text in and out of the emulator: orjson where it can, the standard library where it cannot.

Every request body is decoded and every answer encoded once per call, and orjson does either in
about a tenth of the standard library's time. It is stricter, never looser: what it refuses to
read (``NaN``, a lone surrogate escape, an integer beyond 64 bits, nesting deeper than 1024) or to
write (an integer beyond 64 bits, a lone surrogate) goes to the standard library, which then
decides and words the refusal, so what is accepted and how a refusal reads are the standard
library's. What both accept reads back the same from either's text.
"""

from __future__ import annotations

import functools
import json
from typing import Any


@functools.cache
def _orjson() -> Any:
    """orjson, imported on first use: a start that serves no call yet does not wait for it."""
    import orjson

    return orjson


def loads(text: bytes | str) -> Any:
    """The value of a JSON text; raises what ``json.loads`` raises for text it refuses."""
    orjson = _orjson()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any, sort_keys: bool = False) -> bytes:
    """UTF-8 JSON text of ``value``, compact; ``sort_keys`` makes equal data equal text."""
    orjson = _orjson()
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()
