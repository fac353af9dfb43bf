"""The control API's calls (clock, outcomes, reset, reseed) and the whole state: export, import,
install, and the overview of the web page.

The store and ``export_state`` read the state through the narrow persistence protocol
(``store.Persisted``): ``records()``, ``peek(name)``, ``changes()``, ``state()``, ``install(state)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from vertex_emulator import names
from vertex_emulator.clock import ManualClock, is_manual, parse_rfc3339
from vertex_emulator.core import hooks
from vertex_emulator.core.base import Core, api
from vertex_emulator.core.records import Scope
from vertex_emulator.domain import jobs, overview
from vertex_emulator.domain.jobs import CustomJob, Ending
from vertex_emulator.errors import bad_field, failed_precondition

if TYPE_CHECKING:
    from vertex_emulator import snapshot


class ControlCalls(Core):
    @api
    def advance(self, seconds: float) -> float:
        """Move a manual clock forward and run what became due."""
        if not is_manual(self.clock):
            raise failed_precondition("The clock is real; start the emulator with --clock manual to move it.")
        try:
            self.clock.advance(seconds)
        except ValueError as error:
            raise bad_field("seconds", str(error)) from None
        self._catch_up(notify=False)
        return self.clock.now()

    @api
    def set_outcome(
        self, name: str, state: str, error: dict[str, Any] | None, at: str | None, after: float | None
    ) -> CustomJob:
        job = self.registry.get(name, CustomJob, "CustomJob")
        if job.terminal or job.state == jobs.CANCELLING:
            raise failed_precondition(f'CustomJob "{name}" is {job.state}; its outcome is already decided.')
        outcome = jobs.check_outcome(state, error)
        now = self.clock.now()
        if at is not None:
            try:
                outcome["at"] = parse_rfc3339(at)
            except ValueError:
                raise bad_field("at", f"at must be an RFC 3339 timestamp, not {at!r}.") from None
        elif after is not None:
            if after < 0:
                raise bad_field("after", "after must not be negative.")
            outcome["after"] = after
        else:
            self.end_job(job, Ending(outcome["state"], outcome.get("error")), now, hooks.ENDED)
            return job
        job.outcome = outcome
        self.registry.mark(job)
        if job.state == jobs.RUNNING:
            due = job.outcome_due(job.start_time or now, self.settings.job_duration)
            job.next_at = None if due is None else self.schedule(job.name, due)
            if job.next_at is not None and job.next_at <= now:
                self._catch_up(notify=False)
        return job

    @api
    def reset(self, project: str | None = None) -> None:
        """Forget everything, or every location of one project; the id seed and the clock stay.

        Nothing of a forgotten record stays behind (its queue entries, its due transitions), so a
        record that later gets the same name (after a reseed) starts clean.
        """
        if project is None:
            self.registry.drop(None)
            self._reset_state(self.ids.seed)
            return
        self.registry.drop(project)
        self.timeline.drop(lambda name: names.scope_of(name)[0] == project)

    @api
    def reseed(self, seed: int) -> None:
        """Restart the id sequence from ``seed``: the same calls then get the same ids on every run."""
        self.ids = names.IdSource(seed)

    def close(self) -> None:
        """The emulator stops: tell the execution hook of every job whose replicas may still run
        (RUNNING, or CANCELLING and told once already). Changes no record."""
        with self.lock:
            now = self.clock.now()
            for record in list(self.registry.all()):
                if isinstance(record, CustomJob) and record.state in (jobs.RUNNING, jobs.CANCELLING):
                    self.execution.stopped(record, hooks.SHUTDOWN, now)

    # ---------------------------------------------------------- the whole state

    def records(self) -> Iterator[Any]:
        """Every record, live: for reading the whole state (the caller holds the lock)."""
        return self.registry.all()

    def state(self, with_records: bool = True) -> snapshot.State:
        """The state as ``vertex_emulator.snapshot`` reads and writes it; the records are the live objects.

        The snapshot module is imported by the calls on the whole state only: a ``serve`` that never
        reads or replaces it does not load it on its way to its first answer (``tests/test_startup.py``).
        """
        from vertex_emulator import snapshot

        return snapshot.State(
            now=self.clock.now(),
            manual=is_manual(self.clock),
            seed=self.ids.seed,
            counter=self.ids.counter,
            seq=self._seq,
            records=list(self.records()) if with_records else [],
        )

    @api
    def export_state(self) -> dict[str, Any]:
        """The whole state as JSON data (``GET /emulator/v1/state``), a copy that ``import_state`` reads."""
        from vertex_emulator import snapshot

        return json.loads(json.dumps(snapshot.to_json(self.state())))

    @api
    def import_state(self, data: Any) -> None:
        """Replace the whole state by a snapshot, or raise ``ApiError`` and change nothing.

        A manual clock moves to the snapshot's instant (back, too); a real clock stays real time.
        """
        from vertex_emulator import snapshot

        self.install(snapshot.from_json(json.loads(json.dumps(data))))

    def install(self, state: snapshot.State) -> None:
        """Take ``state`` as the whole state (checked records; the caller holds the lock)."""
        self.registry.drop(None)
        self._reset_state(state.seed)
        self.ids.counter = state.counter
        self._seq = state.seq
        if is_manual(self.clock):
            self.clock = ManualClock(state.now)
        for record in sorted(state.records, key=lambda record: record.seq):
            self.registry.add(record)
            due = getattr(record, "next_at", None)
            if due is not None:
                self.schedule(record.name, due)

    def iter_scopes(self) -> Iterator[tuple[names.Scope, Scope]]:
        yield from self.registry.scopes.items()

    @api
    def overview(self) -> dict[str, Any]:
        """Every scope at a glance, read in one critical section so holders and queues agree."""
        return {
            "admission": self.settings.admission,
            "scopes": [
                overview.scope_overview(
                    scope,
                    records.of("persistentResources").values(),
                    records.of("customJobs").values(),
                    records.of(names.OPERATIONS).values(),
                    self._peek_job,
                )
                for scope, records in sorted(self.registry.scopes.items())
                if not records.empty()
            ],
        }

    def _peek_job(self, name: str) -> CustomJob | None:
        return self.registry.find(name, CustomJob)
