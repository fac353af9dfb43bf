"""The slice of the Logging query language that job logs are read with.

What gcloud writes (``resource.type="ml_job" AND resource.labels.job_id="ID" AND
((timestamp="T" AND insertId>"I") OR timestamp>"T") AND timestamp<"T2"``) and what people type
by hand: comparisons ``= != < <= > >= :`` of a field path with a quoted or bare value, ``AND``,
``OR``, ``NOT`` (or a leading ``-``), parentheses, and juxtaposition as AND. As in the real
language, NOT binds tightest, then OR, then AND: ``a OR b AND c`` is ``(a OR b) AND c``.
``timestamp`` compares as an instant, ``severity`` by rank, everything else as text; ``:`` is
"has" (a case-insensitive substring); a field an entry lacks matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from vertex_emulator.clock import parse_rfc3339
from vertex_emulator.errors import invalid_argument
from vertex_emulator.runner.logs import SEVERITIES, severity_name

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op><=|>=|!=|=~|!~|[=<>:()])
      | (?P<word>[^\s"=<>:!()]+)
    )""",
    re.VERBOSE,
)
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", ":")


def _tokens(text: str) -> list[tuple[str, str]]:
    found = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_argument(f"Unparseable filter: syntax error at position {position} of {text!r}.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found.append((kind, value))
        position = match.end()
    return found


def _lookup(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _micros(text: str) -> int:
    try:
        return round(parse_rfc3339(text) * 1_000_000)
    except ValueError:
        raise invalid_argument(f"Unparseable filter: {text!r} is not a timestamp.") from None


def _comparison(path: str, operator: str, literal: str) -> Predicate:
    if operator in ("=~", "!~"):
        raise invalid_argument(f"Unsupported filter operator {operator} (the emulator reads = != < <= > >= :).")
    compare = _COMPARE[operator]
    if path == "timestamp":
        bound = _micros(literal)
        return lambda entry: "timestamp" in entry and compare(_micros(entry["timestamp"]), bound)
    if path == "severity":
        name = severity_name(literal)
        if name is None:
            raise invalid_argument(f"Unparseable filter: {literal!r} is not a severity.")
        rank = SEVERITIES.index(name)
        return lambda entry: compare(SEVERITIES.index(entry.get("severity", "DEFAULT")), rank)

    def keep(entry: dict[str, Any]) -> bool:
        value = _lookup(entry, path)
        if value is None or isinstance(value, dict | list):
            return False
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if operator == ":":
            return literal.lower() in text.lower()
        return compare(text, literal)

    return keep


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    ":": lambda a, b: a == b,
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.equalities: dict[int, tuple[str, str]] = {}
        """``path = value`` comparisons by the id of their predicate, to find the pinned ones."""
        self.pinned: dict[str, str] = {}
        """Fields every kept entry must equal: the ``path = value`` terms of the top-level AND."""

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid_argument(f"Unparseable filter: unexpected end of {self.text!r}.")
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token == ("word", word):
            self.at += 1
            return True
        return False

    def conjunction(self, top: bool = False) -> Predicate:
        parts = [self.disjunction()]
        while True:
            if self.keyword("AND"):
                parts.append(self.disjunction())
                continue
            token = self.peek()
            if token is None or token == ("op", ")"):
                break
            parts.append(self.disjunction())
        if top:
            self.pinned.update(self.equalities[id(part)] for part in parts if id(part) in self.equalities)
        return parts[0] if len(parts) == 1 else (lambda entry: all(part(entry) for part in parts))

    def disjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.keyword("OR"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda entry: any(part(entry) for part in parts))

    def negation(self) -> Predicate:
        token = self.peek()
        if self.keyword("NOT") or (token is not None and token[0] == "word" and token[1] == "-"):
            if token == ("word", "-"):
                self.at += 1
            inner = self.negation()
            return lambda entry: not inner(entry)
        return self.primary()

    def primary(self) -> Predicate:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            inner = self.conjunction()
            if self.take() != ("op", ")"):
                raise invalid_argument(f"Unparseable filter: missing ')' in {self.text!r}.")
            return inner
        if kind != "word":
            raise invalid_argument(f"Unparseable filter: unexpected {value!r} in {self.text!r}.")
        negated = value.startswith("-") and len(value) > 1
        path = value[1:] if negated else value
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in (*_OPERATORS, "=~", "!~"):
            raise invalid_argument(
                f"Unparseable filter: {value!r} needs a comparison (the emulator reads no free-text search)."
            )
        operator = self.take()[1]
        literal_kind, literal = self.take()
        if literal_kind == "op":
            raise invalid_argument(f"Unparseable filter: {path}{operator} needs a value.")
        predicate = _comparison(path, operator, literal)
        if negated:
            return lambda entry: not predicate(entry)
        if operator == "=":
            self.equalities[id(predicate)] = (path, literal)
        return predicate


def compile_log_filter(text: str) -> Predicate:
    """A predicate over rendered entries; an empty filter keeps everything."""
    return read_log_filter(text)[0]


def read_log_filter(text: str) -> tuple[Predicate, dict[str, str]]:
    """The predicate, and the fields it pins (``resource.labels.job_id="ID" AND ...``), so that a
    reader can look at one job's entries instead of every job's."""
    if not text or not text.strip():
        return (lambda entry: True), {}
    parser = _Parser(text)
    predicate = parser.conjunction(top=True)
    if parser.peek() is not None:
        raise invalid_argument(f"Unparseable filter: unexpected {parser.peek()[1]!r} in {text!r}.")
    return predicate, parser.pinned
