"""Persistence of a service in a data dir: SQLite (WAL), every change committed before it is told.

The store listens to the service (``service.listeners``): a listener runs under the service's lock
after every call, and stages what the call changed. The store then commits it as a settler
(``service.settlers``), which every call runs once it has released the lock and before it
returns, and the HTTP layer again before each answer (a view may show what other calls changed
since its own returned). So everything acknowledged has been committed: a restart, or a crash
of the process (SIGKILL), loses nothing that was answered or shown. A commit takes every row
staged so far, so calls that run while one is under way (under the lock, which the commit does
not hold) share the next: under concurrent clients, a commit costs SQLite's fixed price (the
transaction, the globals row, its pages' system calls) once for several calls.

A call reports the names of the records it changed (``changes()``: the service marks records where
it changes them); the store serialises just those and stages the ones whose text differs from
the text it last staged for them (it keeps that text, not a parsed copy: the comparison needs the
text anyway, and text is the smaller copy), plus one row for the clock, the id source and the
sequence. Reads therefore write nothing, and a write costs what it changed (a resource's replica
accounting is rebuilt from its jobs, so its row does not grow with them, and the resource is not
even marked when only its accounting moved). A commit that fails answers 503 UNAVAILABLE to the
calls waiting for it and puts its rows back, so the next call writes them.

Layout (``LAYOUT``): a table ``meta`` (``application``, ``layout``, ``globals`` as JSON) and a
table ``objects`` (``name``, ``collection``, ``body`` as JSON), where bodies are the records of
``vertex_emulator.snapshot``; loading goes through ``snapshot.from_json``, so a data dir is checked like
an imported snapshot. A data dir of another layout, or one that is not a readable database of
this application, is refused and left exactly as it was.

Durability: WAL with ``synchronous=NORMAL``: a commit reaches the operating system before the
answer is sent, which survives the death of the process; a power cut may lose the last commits.
The WAL is folded into the database every ``CHECKPOINT_PAGES`` pages rather than SQLite's 1,000:
a checkpoint writes each page it finds once, and most commits change the same few (the globals
row's, the newest rows', the name index's), so ten times fewer checkpoints cost a fifth of what
the data dir adds to a create (about 30 of 110 µs, measured in process); the WAL file grows to
about 40 MB before one.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from vertex_emulator import jsontext, snapshot
from vertex_emulator.errors import ApiError, Code

APPLICATION = "vertex-emulator"
LAYOUT = 1
DATABASE = "state.sqlite3"
LOCK = "lock"
CHECKPOINT_PAGES = 10_000
_HEADER = b"SQLite format 3\x00"
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE objects (name TEXT PRIMARY KEY, collection TEXT NOT NULL, body TEXT NOT NULL)",
)


class Persisted(Protocol):
    """What the store needs of a service: the whole state, what changed, and a way to install one."""

    lock: Any
    listeners: list[Callable[[], None]]
    settlers: list[Callable[[], None]]

    def records(self) -> Iterable[Any]: ...

    def peek(self, name: str) -> Any | None: ...

    def changes(self) -> set[str]: ...

    def state(self, with_records: bool = True) -> snapshot.State: ...

    def install(self, state: snapshot.State) -> None: ...


class StoreError(Exception):
    """A data dir that cannot be used; the message says which and why."""


def _text(data: Any) -> str:
    """The canonical text of a row (keys sorted, so equal data is equal text): ``jsontext``, whose
    orjson does it in a tenth of the standard library's time, and which leaves what orjson refuses
    (an integer beyond 64 bits, a lone surrogate, which an imported snapshot may carry in a
    free-form field) to the standard library; both read back the same."""
    return jsontext.dumps(data, sort_keys=True).decode()


def _row(record: Any) -> str:
    """The text of a record's row: its ``snapshot.dump`` as JSON. A record stored verbatim (every
    kind but the resource, whose accounting is derived) is handed to orjson as the dataclass it is,
    which writes its fields in their order and the dicts inside sorted, in half the time of making
    the dump first; the text stays the same for the same record, which is all the comparison with
    the last written text needs, and it reads back as the dump."""
    import orjson

    if snapshot.verbatim(type(record)):
        try:
            return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass
    return _text(snapshot.dump(record))


def _steady(data: dict[str, Any]) -> str:
    """The globals row as far as it matters: a real clock's instant alone is no reason to write.
    With a manual clock it is the row's text itself."""
    if data["clock"]["manual"]:
        return _text(data)
    return _text({**data, "clock": {"manual": False}})


class Store:
    """The data dir of one running service; ``attach`` makes one."""

    def __init__(self, service: Persisted, directory: str | os.PathLike[str]) -> None:
        """Open the data dir and restore its state into ``service``; nothing is written until ``listen``."""
        self.service = service
        self.directory = Path(directory)
        self.path = self.directory / DATABASE
        self.restored = False
        """True when the data dir already held a state, which the service now has."""
        self.commits = 0
        """Transactions written since the store opened: a read-only call adds none."""
        self.rows_written = 0
        """Rows inserted, updated or deleted by those transactions (SQLite's count): what a call changed."""
        self._known: dict[str, str] = {}
        """Each record's text as last staged, to tell what a call changed."""
        self._steady = ""
        self._staged: dict[str, tuple[str, str] | None] = {}
        """Rows staged and not yet committed: name -> (collection, text), or None to delete."""
        self._globals = ""
        """The globals row's text as last staged."""
        self._staged_calls = 0
        """Calls that staged something since the store opened; ``_committed_calls`` of them are committed."""
        self._committed_calls = 0
        self._staging = threading.Lock()
        """Guards the staged rows: a call stages under the service's lock, a commit takes them outside it."""
        self._writing = threading.Lock()
        """One commit at a time: a call finding its rows taken by a commit under way waits for it."""
        self._lock = self._take_lock()
        try:
            if self.path.exists() and self.path.stat().st_size > 0:
                self._check_header()
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            tables = self._tables()
            if tables:
                self._load(tables)
            else:
                self._create()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        except BaseException:
            self.close()
            raise

    def _take_lock(self) -> int:
        """One emulator per data dir: a second one would overwrite the first one's writes."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StoreError(f"{self.directory}: cannot be used as a data dir: {error.strerror}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise StoreError(f"{self.directory}: another emulator is using this data dir") from None
        return handle

    def _refuse(self, reason: str) -> StoreError:
        return StoreError(f"{self.path}: {reason}; refusing to start (the data dir is left untouched)")

    def _check_header(self) -> None:
        with self.path.open("rb") as handle:
            if handle.read(len(_HEADER)) != _HEADER:
                raise self._refuse("not a vertex-emulator data dir (the file is not an SQLite database)")

    def _tables(self) -> set[str]:
        """The tables of the database; none for a new one, or one whose creation never committed."""
        try:
            return {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise self._refuse(f"the database is corrupt ({error})") from None

    def _load(self, tables: set[str]) -> None:
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
            if meta.get("application") != APPLICATION:
                raise self._refuse("not a vertex-emulator data dir")
            if meta.get("layout") != str(LAYOUT):
                raise self._refuse(
                    f"the data dir has layout version {meta.get('layout')}, this emulator reads version {LAYOUT}"
                )
            data = json.loads(meta["globals"])
            rows = self._db.execute("SELECT name, collection, body FROM objects").fetchall()
            for _, collection, body in rows:
                data.setdefault(collection, []).append(json.loads(body))
            state = snapshot.from_json(data)
        except sqlite3.DatabaseError as error:
            raise self._refuse(f"the database is corrupt ({error})") from None
        except (KeyError, ValueError) as error:
            raise self._refuse(f"the data dir is corrupt ({error!r})") from None
        except ApiError as error:
            raise self._refuse(f"the data dir is inconsistent ({error.message})") from None
        with self.service.lock:
            self.service.install(state)
            self.service.changes().clear()
            self._known = {record.name: _row(record) for record in self.service.records()}
        self._steady = _steady(json.loads(meta["globals"]))
        self.restored = True

    def _create(self) -> None:
        with self._db:
            self._db.execute("BEGIN")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("application", APPLICATION),
                    ("layout", str(LAYOUT)),
                    ("globals", _text(snapshot.globals_json(self.service.state(with_records=False)))),
                ],
            )

    def listen(self) -> Store:
        """Write the service's state as it is now, then every change, before each call returns."""
        with self.service.lock:
            self.flush(everything=True)
            self.service.listeners.append(self.flush)
            self.service.settlers.append(self.settle)
        self.settle()
        return self

    def flush(self, everything: bool = False) -> None:
        """Stage what the last call changed (a listener: the service's lock is held). Staged rows
        are merged by name, the latest text winning, until ``settle`` writes them."""
        service = self.service
        reached = set(service.changes())
        if everything:
            reached.update(self._known, (record.name for record in service.records()))
        rows: dict[str, tuple[str, str] | None] = {}
        for name in reached:
            record = service.peek(name)
            if record is None:
                if self._known.pop(name, None) is not None:
                    rows[name] = None
                continue
            text = _row(record)
            if self._known.get(name) != text:
                self._known[name] = text
                rows[name] = (snapshot.collection_of(record), text)
        data = snapshot.globals_json(service.state(with_records=False))
        steady = _steady(data)
        if not rows and steady == self._steady:
            return
        self._steady = steady
        with self._staging:
            self._staged.update(rows)
            self._globals = steady if data["clock"]["manual"] else _text(data)
            self._staged_calls += 1

    def settle(self) -> None:
        """Commit everything staged so far, in one transaction, unless a commit under way or done
        since has taken it; returns once it is committed. Called after every call has released the
        service's lock (``service.settlers``) and before every HTTP answer, so that what a caller is
        told has been committed, while the next calls go on under the lock: concurrent calls share
        a commit. A write that fails raises 503 UNAVAILABLE and puts its rows back for the next one."""
        wanted = self._staged_calls
        if self._committed_calls >= wanted:
            return
        with self._writing:
            if self._committed_calls >= wanted:
                return
            with self._staging:
                rows, self._staged = self._staged, {}
                globals_text, calls = self._globals, self._staged_calls
            upserts = [(name, *row) for name, row in rows.items() if row is not None]
            deletes = [(name,) for name, row in rows.items() if row is None]
            before = self._db.total_changes
            try:
                self._write(upserts, deletes, globals_text)
            except sqlite3.Error as error:
                with self._staging:
                    self._staged = {**rows, **self._staged}
                raise ApiError(
                    Code.UNAVAILABLE, f"The emulator could not write its data dir {self.directory}: {error}."
                ) from None
            self.commits += 1
            self.rows_written += self._db.total_changes - before
            self._committed_calls = calls

    def _write(self, upserts: list[tuple[str, str, str]], deletes: list[tuple[str]], globals_text: str) -> None:
        """One transaction. Its statements, COMMIT included, are the connection's cached ones
        (``Connection.commit`` would compile COMMIT again each time); the globals row is updated in
        place (a replace would also rewrite its key's index)."""
        db = self._db
        db.execute("BEGIN")
        try:
            if upserts:
                db.executemany(
                    "INSERT INTO objects (name, collection, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET collection = excluded.collection, body = excluded.body",
                    upserts,
                )
            if deletes:
                db.executemany("DELETE FROM objects WHERE name = ?", deletes)
            db.execute("UPDATE meta SET value = ? WHERE key = 'globals'", (globals_text,))
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise

    def close(self) -> None:
        """Stop writing and let another emulator use the data dir; everything answered is already
        committed, and what was staged since (by a call still on its way) is committed now."""
        if self.flush in self.service.listeners:
            self.service.listeners.remove(self.flush)
        try:
            if self.settle in self.service.settlers:
                self.service.settlers.remove(self.settle)
                self.settle()
        finally:
            db = getattr(self, "_db", None)
            if db is not None:
                db.close()
            os.close(self._lock)


def attach(service: Persisted, directory: str | os.PathLike[str]) -> Store:
    """Keep ``service`` in ``directory``: restore what is there (or start it), then write every change."""
    return Store(service, directory).listen()
