"""List pages: newest first, opaque tokens, and a page that costs the page.

Objects of a collection carry an increasing sequence number. A token says "continue below this
number" for one query (collection and filter); it is signed so a token made up or carried over to
another query is refused, as the real service refuses it.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from vertex_emulator.errors import bad_field

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_KEY = b"vertex-emulator page token"


def page_size(raw: str | None) -> int:
    """AIP-158: unset or 0 means the default; larger than the maximum is clamped, negative is refused."""
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise bad_field("page_size", f"page_size must be an integer, not {raw!r}.") from None
    if size < 0:
        raise bad_field("page_size", "page_size must not be negative.")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _sign(payload: bytes) -> str:
    return hmac.new(_KEY, payload, hashlib.sha256).hexdigest()[:16]


def make_token(query: str, below: int) -> str:
    payload = json.dumps([query, below], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload + b"." + _sign(payload).encode()).decode().rstrip("=")


def read_token(query: str, token: str | None) -> int | None:
    """The sequence number to continue below, or None for the first page."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, _, signature = raw.rpartition(b".")
        if not hmac.compare_digest(_sign(payload), signature.decode()):
            raise ValueError("bad signature")
        made_for, below = json.loads(payload)
        if made_for != query or not isinstance(below, int):
            raise ValueError("token of another query")
    except (ValueError, UnicodeDecodeError, TypeError):
        raise bad_field("page_token", "Invalid page token.") from None
    return below


class Ordered(Generic[T]):
    """A collection kept in creation order, listed newest first, a page at a time."""

    __slots__ = ("_items", "_seqs")

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._items: dict[int, T] = {}

    def __len__(self) -> int:
        return len(self._seqs)

    def add(self, seq: int, item: T) -> None:
        if self._seqs and seq <= self._seqs[-1]:
            bisect.insort(self._seqs, seq)
        else:
            self._seqs.append(seq)
        self._items[seq] = item

    def remove(self, seq: int) -> None:
        index = bisect.bisect_left(self._seqs, seq)
        if index < len(self._seqs) and self._seqs[index] == seq:
            del self._seqs[index]
            del self._items[seq]

    def newest_first(self, below: int | None = None) -> Iterator[tuple[int, T]]:
        start = len(self._seqs) if below is None else bisect.bisect_left(self._seqs, below)
        for index in range(start - 1, -1, -1):
            seq = self._seqs[index]
            yield seq, self._items[seq]

    def page(
        self,
        query: str,
        size: int,
        token: str | None,
        keep: Callable[[T], bool] | None = None,
    ) -> tuple[list[T], str]:
        """One page of items that ``keep`` accepts, and the token of the next page ('' at the end)."""
        below = read_token(query, token)
        found: list[T] = []
        last = None
        for seq, item in self.newest_first(below):
            if keep is not None and not keep(item):
                continue
            if len(found) == size:
                return found, make_token(query, last) if last is not None else ""
            found.append(item)
            last = seq
        return found, ""


def query_key(*parts: Any) -> str:
    """What a page token is bound to: the collection and every parameter that shapes the list."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
