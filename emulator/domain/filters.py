"""The ``filter`` of ListCustomJobs: the AIP-160 subset that ``job_service.proto`` documents.

Fields: ``display_name`` (``=``, ``!=``, ``:`` with ``*`` wildcards), ``state`` (``=``, ``!=``),
``create_time`` (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with RFC 3339 values),
``labels.KEY=VALUE`` and ``labels.KEY:*``. ``AND``, ``OR`` (which binds tighter than ``AND``, as
AIP-160 says), ``NOT`` or ``-``, parentheses, quoted values. A filter that cannot be parsed is an
INVALID_ARGUMENT that says where.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vertex_emulator.clock import parse_rfc3339
from vertex_emulator.errors import bad_field

Predicate = Callable[[Any], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op><=|>=|!=|=|<|>|:) |
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
        (?P<minus>-(?=[A-Za-z(])) |
        (?P<word>[^\s()"'=<>!:]+)
    )""",
    re.VERBOSE,
)
_VALUE = re.compile(r"""\s*(?P<word>[^\s()"']+)""")
"""After an operator a bare value runs to the next space or parenthesis: timestamps hold colons."""
_FIELDS = {
    "display_name": "display_name",
    "displayName": "display_name",
    "state": "state",
    "create_time": "create_time",
    "createTime": "create_time",
}
_OPERATORS = {
    "display_name": {"=", "!=", ":"},
    "state": {"=", "!=", ":"},
    "create_time": {"=", "!=", "<", "<=", ">", ">="},
    "labels": {"=", "!=", ":"},
}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


MAX_DEPTH = 64
"""Nesting of parentheses and NOTs a filter may have: deeper ones are refused, not recursed into."""


class _Parser:
    def __init__(self, text: str, states: frozenset[str]) -> None:
        self.text = text
        self.states = states
        self.tokens = self._lex(text)
        self.index = 0
        self.depth = 0

    def _fail(self, message: str, position: int | None = None) -> Exception:
        at = len(self.text) if position is None else position
        pointer = f"{self.text[:at]}<HERE>{self.text[at:]}"
        return bad_field("filter", f"Invalid filter at position {at}: {message}. In: {pointer}")

    def _lex(self, text: str) -> list[_Token]:
        tokens, position = [], 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            after_operator = bool(tokens) and tokens[-1].kind == "op"
            match = (after_operator and _VALUE.match(text, position)) or _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise self._fail(f"unexpected character {text[position:].lstrip()[:1]!r}", position)
            kind = match.lastgroup or ""
            start = match.start(kind)
            value = match.group(kind)
            if kind == "word" and value in ("AND", "OR", "NOT"):
                kind = value
            tokens.append(_Token(kind, value, start))
            position = match.end()
        return tokens

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, *kinds: str) -> _Token | None:
        token = self._peek()
        if token and token.kind in kinds:
            self.index += 1
            return token
        return None

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda job: True
        predicate = self._and()
        token = self._peek()
        if token is not None:
            raise self._fail(f"unexpected {token.text!r}", token.position)
        return predicate

    def _and(self) -> Predicate:
        parts = [self._or()]
        while True:
            if self._take("AND") or (
                self._peek() and self._peek().kind in ("lparen", "word", "NOT", "minus", "string")
            ):
                parts.append(self._or())
            else:
                break
        return parts[0] if len(parts) == 1 else lambda job: all(p(job) for p in parts)

    def _or(self) -> Predicate:
        parts = [self._unary()]
        while self._take("OR"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else lambda job: any(p(job) for p in parts)

    def _unary(self) -> Predicate:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(f"nested deeper than {MAX_DEPTH} levels", self._position())
        predicate = self._operand()
        self.depth -= 1
        return predicate

    def _operand(self) -> Predicate:
        if self._take("NOT", "minus"):
            inner = self._unary()
            return lambda job: not inner(job)
        if self._take("lparen"):
            inner = self._and()
            if not self._take("rparen"):
                raise self._fail("expected ')'", self._position())
            return inner
        return self._comparison()

    def _position(self) -> int:
        token = self._peek()
        return token.position if token else len(self.text)

    def _comparison(self) -> Predicate:
        name = self._take("word")
        if name is None:
            raise self._fail("expected a field name", self._position())
        field = _FIELDS.get(name.text)
        key = None
        if field is None and name.text.startswith("labels.") and len(name.text) > 7:
            field, key = "labels", name.text[7:]
        if field is None:
            raise self._fail(
                f"unsupported field {name.text!r} (use display_name, state, create_time or labels.KEY)",
                name.position,
            )
        op = self._take("op")
        if op is None:
            raise self._fail(f"expected an operator after {name.text!r}", self._position())
        if op.text not in _OPERATORS[field]:
            raise self._fail(f"operator {op.text!r} is not supported on {field}", op.position)
        value_token = self._take("word", "string")
        if value_token is None:
            raise self._fail(f"expected a value after {op.text!r}", self._position())
        value = value_token.text
        if value_token.kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        return self._predicate(field, key, op.text, value, value_token.position)

    def _predicate(self, field: str, key: str | None, op: str, value: str, position: int) -> Predicate:
        if field == "create_time":
            try:
                instant = parse_rfc3339(value)
            except ValueError:
                raise self._fail(f"{value!r} is not an RFC 3339 timestamp", position) from None
            compare = {
                "=": lambda a: a == instant,
                "!=": lambda a: a != instant,
                "<": lambda a: a < instant,
                "<=": lambda a: a <= instant,
                ">": lambda a: a > instant,
                ">=": lambda a: a >= instant,
            }[op]
            return lambda job: compare(job.create_time)
        if field == "state" and value not in self.states:
            raise self._fail(f"{value!r} is not a state", position)
        read: Callable[[Any], str | None]
        if field == "labels":
            read = lambda job: job.labels.get(key)  # noqa: E731
        elif field == "state":
            read = lambda job: job.state  # noqa: E731
        else:
            read = lambda job: job.display_name  # noqa: E731
        if op == "!=":
            return lambda job: read(job) != value
        if op == "=":
            return lambda job: read(job) == value
        if field == "labels" and value == "*":
            return lambda job: read(job) is not None
        pattern = re.compile(".*".join(map(re.escape, value.split("*"))), re.DOTALL)
        return lambda job: (found := read(job)) is not None and pattern.fullmatch(found) is not None


def compile_filter(text: str, states: frozenset[str]) -> Predicate:
    """A predicate on job records for a ListCustomJobs ``filter`` string."""
    return _Parser(text or "", states).parse()
