"""``serve --data-dir``: everything acknowledged survives a stop, a crash (SIGKILL) and a restart."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from tests.conftest import PARENT, demo_pool, job_body, new_service
from tests.serving import serving
from vertex_emulator import cli, snapshot, store
from vertex_emulator.commands.serve import build_service
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

QUEUE = ("--clock", "manual", "--admission", "queue", "--seed", "11")
TRAIN_POOL = {"id": "train", "machineSpec": {"machineType": "n1-standard-8"}, "replicaCount": "4"}


def _busy(service: Service) -> dict[str, Any]:
    """A service in the middle of work: held and queued jobs, a finished job, operations in flight."""
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    held = service.create_job(PARENT, job_body(replicas=2), "v1")
    service.advance(1)
    service.create_resource(PARENT, "later", {"resourcePools": [demo_pool()]}, "v1")
    return {"held": held.name}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------- the store in-process


def test_a_restart_restores_the_whole_state(tmp_path: Path) -> None:
    first = new_service(job_duration=None, provision_delay=5)
    kept = store.attach(first, tmp_path)
    _busy(first)
    before = first.export_state()
    kept.close()

    second = new_service(job_duration=None, provision_delay=5)
    assert store.attach(second, tmp_path).restored
    assert second.export_state() == before
    second.advance(5)
    assert second.get_resource(f"{PARENT}/persistentResources/later").state == "RUNNING"
    assert second.create_job(PARENT, job_body(None), "v1").name == first.create_job(PARENT, job_body(None), "v1").name


_FILL_AND_DIE = """
import json, os, sys
from tests.conftest import PARENT, job_body, new_service
from vertex_emulator import store
service = new_service(job_duration=None)
kept = store.attach(service, sys.argv[1])
for _ in range(400):
    service.create_job(PARENT, job_body(None), "v1")
page = kept._db.execute("PRAGMA page_size").fetchone()[0]
wal = os.path.getsize(os.path.join(sys.argv[1], store.DATABASE + "-wal"))
print(json.dumps({"frames": (wal - 32) // (page + 24), "state": service.export_state()}), flush=True)
os._exit(0)  # no clean close, so no checkpoint: the WAL holds the commits
"""


def test_the_wal_is_checkpointed_rarely_and_a_restart_reads_what_it_holds(tmp_path: Path) -> None:
    """Commits pile up in the WAL past SQLite's default of 1,000 pages (``CHECKPOINT_PAGES``), and
    a service restarted after a process that ended without closing its store has every job."""
    child = subprocess.run(
        [sys.executable, "-c", _FILL_AND_DIE, str(tmp_path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    written = json.loads(child.stdout)
    assert 1200 < written["frames"] < store.CHECKPOINT_PAGES, "the WAL grew past 1,000 pages: no checkpoint rewound it"
    assert (tmp_path / f"{store.DATABASE}-wal").stat().st_size > 1000 * 4096
    again = new_service(job_duration=None)
    assert store.attach(again, tmp_path).restored
    assert again.export_state() == written["state"]
    assert len(written["state"]["customJobs"]) == 400


def test_each_change_is_committed_before_the_call_returns_and_reads_write_nothing(tmp_path: Path) -> None:
    service = new_service(job_duration=None, provision_delay=5)
    kept = store.attach(service, tmp_path)
    names = _busy(service)
    reader = sqlite3.connect(tmp_path / store.DATABASE)
    assert reader.execute("SELECT count(*) FROM objects WHERE name = ?", (names["held"],)).fetchone() == (1,)

    commits = kept.commits
    service.get_job(names["held"])
    service.list_jobs(PARENT, None, None, None)
    service.export_state()
    assert kept.commits == commits

    service.cancel_job(names["held"])
    assert kept.commits == commits + 1
    body = reader.execute("SELECT body FROM objects WHERE name = ?", (names["held"],)).fetchone()[0]
    assert json.loads(body)["state"] == "JOB_STATE_CANCELLING"


def _marked(service: Service) -> list[set[str]]:
    """The names each call marked for the store, call by call (a listener sees them before they are cleared)."""
    seen: list[set[str]] = []
    service.listeners.insert(0, lambda: seen.append(set(service.changes())))
    return seen


def test_a_call_writes_the_rows_it_changed_and_no_other(tmp_path: Path) -> None:
    """A write is the changed records' rows and the globals row (sequence, id counter); the resource a
    job holds replicas of is not even marked (only its accounting moved, which is rebuilt from the
    jobs, never stored); a read writes nothing, unless transitions came due before it."""
    service = new_service(job_duration=None)
    kept = store.attach(service, tmp_path)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    start = (kept.commits, kept.rows_written)
    marked = _marked(service)

    def written() -> tuple[int, int]:
        return kept.commits - start[0], kept.rows_written - start[1]

    created = service.create_job(PARENT, job_body(), "v1")
    assert marked == [{created.name}]
    assert written() == (1, 2)
    assert service.get_job(created.name).state == "JOB_STATE_RUNNING"
    assert written() == (2, 4)
    service.get_job(created.name)
    service.get_resource(f"{PARENT}/persistentResources/demo")
    assert written() == (2, 4)
    service.cancel_job(created.name)
    assert written() == (3, 6)


def test_an_autoscaled_pool_growing_and_shrinking_back_writes_its_resource(tmp_path: Path) -> None:
    """``provisioned`` is the one field of a resource that its jobs move and that is stored: a job
    that makes an autoscaled pool grow marks and writes the resource, its end (back to the
    minimum) too, and a restart in between restores the grown pool."""
    service = new_service(job_duration=None, cancel_delay=5)
    kept = store.attach(service, tmp_path)
    pool = demo_pool(replicaCount="1", autoscalingSpec={"minReplicaCount": "1", "maxReplicaCount": "4"})
    resource = service.seed_resource(PARENT, "demo", {"resourcePools": [pool]}).name
    marked = _marked(service)
    small = service.create_job(PARENT, job_body(replicas=1), "v1")
    assert small.name in marked[-1] and resource not in marked[-1]
    big = service.create_job(PARENT, job_body(replicas=3), "v1")
    assert big.name in marked[-1] and resource in marked[-1]
    assert service.peek(resource).provisioned == {"k80-pool": 4}
    service.advance(60)
    kept.close()

    again = new_service(job_duration=None, cancel_delay=5)
    kept = store.attach(again, tmp_path)
    assert again.peek(resource).provisioned == {"k80-pool": 4}
    marked = _marked(again)
    again.cancel_job(small.name)
    assert marked[-1] == {small.name}
    rows = kept.rows_written
    again.finish_job(big.name, "JOB_STATE_SUCCEEDED")
    assert again.peek(resource).provisioned == {"k80-pool": 1}
    assert marked[-1] == {big.name, resource}
    assert kept.rows_written - rows == 3
    kept.close()


def test_each_row_reads_back_as_its_record_dump(tmp_path: Path) -> None:
    """Rows of records stored verbatim are written from the dataclass itself (orjson), a resource's
    from its dump, without its accounting: every row parses to the record's snapshot form."""
    service = new_service(job_duration=None, provision_delay=5)
    kept = store.attach(service, tmp_path)
    _busy(service)
    rows = dict(sqlite3.connect(tmp_path / store.DATABASE).execute("SELECT name, body FROM objects").fetchall())
    records = list(service.records())
    assert {type(record).__name__ for record in records} == {"PersistentResource", "CustomJob", "Operation"}
    assert sorted(rows) == sorted(record.name for record in records)
    for record in records:
        assert json.loads(rows[record.name]) == json.loads(json.dumps(snapshot.dump(record)))
    assert not snapshot.verbatim(type(service.peek(f"{PARENT}/persistentResources/demo")))
    kept.close()


def test_calls_staged_meanwhile_share_one_commit_and_an_answer_waits_for_what_it_shows(tmp_path: Path) -> None:
    """A call stages its rows under the lock and commits them once the lock is released; calls
    made while a commit is under way (here: while none is allowed) are committed together by the
    next one. An HTTP answer, even a read's, commits what was staged before it is sent, since its
    view may show it."""
    service = new_service(job_duration=None)
    kept = store.attach(service, tmp_path)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="4")]})
    reader = sqlite3.connect(tmp_path / store.DATABASE)
    start = (kept.commits, kept.rows_written)
    service.settlers.remove(kept.settle)
    first = service.create_job(PARENT, job_body(), "v1")
    second = service.create_job(PARENT, job_body(), "v1")
    assert (kept.commits, kept.rows_written) == start
    assert reader.execute("SELECT count(*) FROM objects WHERE collection = 'customJobs'").fetchone() == (0,)
    service.settlers.append(kept.settle)

    answer = make_app(service).test_client().get("/emulator/v1/health")
    assert answer.status_code == 200, "an answer that calls nothing still commits what was staged before it"
    assert kept.commits - start[0] == 1, "two creates (and the first job's transitions) staged, one transaction"
    assert kept.rows_written - start[1] == 3, "the two jobs' rows (the first one's latest text) and the globals row"
    rows = dict(reader.execute("SELECT name, body FROM objects WHERE collection = 'customJobs'").fetchall())
    assert sorted(rows) == sorted([first.name, second.name])
    assert json.loads(rows[first.name])["state"] == first.state == "JOB_STATE_RUNNING"

    commits, settled = kept.commits, []
    service.settlers.append(lambda: settled.append(1))
    created = make_app(service).test_client().post(f"/v1/{PARENT}/customJobs", json=job_body())
    assert created.status_code == 200 and kept.commits == commits + 1
    assert len(settled) == 1, "the view's call leaves settling to the answer"
    assert reader.execute("SELECT count(*) FROM objects WHERE name = ?", (created.get_json()["name"],)).fetchone() == (
        1,
    )
    service.create_job(PARENT, job_body(), "v1")
    assert kept.commits == commits + 2, "after the request, a direct call on the same thread commits by itself"
    kept.close()


def test_waiting_for_an_operation_commits_the_transitions_it_ran(tmp_path: Path) -> None:
    """``wait_operation`` is no ``api`` call (it waits on the lock's condition), but it settles too."""
    service = new_service(provision_delay=5)
    kept = store.attach(service, tmp_path)
    operation = service.create_resource(PARENT, "later", {"resourcePools": [demo_pool()]}, "v1")
    service.clock.advance(5)  # the clock alone: nothing has run the provisioning's end yet
    commits = kept.commits
    assert service.wait_operation(operation.name, 0).done
    assert kept.commits == commits + 1
    reader = sqlite3.connect(tmp_path / store.DATABASE)
    body = reader.execute("SELECT body FROM objects WHERE name = ?", (f"{PARENT}/persistentResources/later",))
    assert json.loads(body.fetchone()[0])["state"] == "RUNNING"
    kept.close()


def test_a_failed_write_is_an_error_and_is_retried_with_the_next_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = new_service(job_duration=None, provision_delay=5, cancel_delay=5)
    kept = store.attach(service, tmp_path)
    names = _busy(service)
    written = store.Store._write

    def full_disk(*args: Any) -> None:
        monkeypatch.setattr(store.Store, "_write", written)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.Store, "_write", full_disk)
    with pytest.raises(ApiError, match="could not write its data dir") as failed:
        service.cancel_job(names["held"])
    assert failed.value.code is Code.UNAVAILABLE
    service.list_jobs(PARENT, None, None, None)
    kept.close()
    again = new_service(job_duration=None, provision_delay=5, cancel_delay=5)
    store.attach(again, tmp_path)
    assert again.get_job(names["held"]).state == "JOB_STATE_CANCELLING"


def test_a_write_failing_midway_leaves_the_data_dir_as_it_was_and_is_retried(tmp_path: Path) -> None:
    """The job's row is written, then the globals row fails: the transaction is rolled back whole,
    and the next call writes both."""
    service = new_service(job_duration=None, cancel_delay=5)
    kept = store.attach(service, tmp_path)
    names = _busy(service)
    other = sqlite3.connect(tmp_path / store.DATABASE, isolation_level=None)

    def rows() -> list[tuple[str, str]]:
        return other.execute(
            "SELECT name, body FROM objects UNION ALL SELECT key, value FROM meta ORDER BY 1"
        ).fetchall()

    before = rows()
    other.execute("CREATE TRIGGER full BEFORE UPDATE ON meta BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
    with pytest.raises(ApiError, match="database or disk is full") as failed:
        service.cancel_job(names["held"])
    assert failed.value.code is Code.UNAVAILABLE
    assert rows() == before
    other.execute("DROP TRIGGER full")
    service.list_jobs(PARENT, None, None, None)
    body = other.execute("SELECT body FROM objects WHERE name = ?", (names["held"],)).fetchone()[0]
    assert json.loads(body)["state"] == "JOB_STATE_CANCELLING"
    other.close()
    kept.close()


def test_reset_and_import_are_persisted(tmp_path: Path) -> None:
    service = new_service()
    kept = store.attach(service, tmp_path)
    _busy(service)
    snapshot = service.export_state()
    service.reset()
    kept.close()
    again = new_service()
    kept = store.attach(again, tmp_path)
    assert again.export_state()["customJobs"] == []
    again.import_state(snapshot)
    kept.close()
    third = new_service()
    store.attach(third, tmp_path)
    assert third.export_state() == snapshot


def test_what_json_carries_and_orjson_refuses_survives_a_restart_and_nan_is_refused(tmp_path: Path) -> None:
    """The data dir is written by orjson, which refuses integers beyond 64 bits and lone surrogates
    (the standard library writes those rows) and would write NaN as null (a snapshot carrying one is
    refused, naming where)."""
    service = new_service(job_duration=None)
    kept = store.attach(service, tmp_path)
    names = _busy(service)
    state = service.export_state()
    job = next(item for item in state["customJobs"] if item["name"] == names["held"])
    job["spec"]["labels"] = {"huge": 2**70, "odd": "\ud800", "fine": "\u00e9"}
    service.import_state(state)
    kept.close()
    again = new_service(job_duration=None)
    kept = store.attach(again, tmp_path)
    assert again.export_state() == state

    job["spec"]["labels"] = {"ratio": [1.5, float("nan")]}
    with pytest.raises(ApiError) as refused:
        again.import_state(state)
    assert refused.value.violations[0].field == f"customJobs[{state['customJobs'].index(job)}].spec.labels.ratio[1]"
    kept.close()


def test_a_data_dir_in_use_is_refused(tmp_path: Path) -> None:
    store.attach(new_service(), tmp_path)
    with pytest.raises(store.StoreError, match="another emulator is using this data dir"):
        store.attach(new_service(), tmp_path)


def _sql(path: Path, *statements: str) -> None:
    database = sqlite3.connect(path)
    for statement in statements:
        database.execute(statement)
    database.commit()
    database.close()


def _other_layout(path: Path) -> None:
    _sql(
        path,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO meta VALUES ('application', 'vertex-emulator'), ('layout', '0')",
    )


def _kept_then(*statements: str) -> Any:
    """A data dir written by a busy emulator, then changed behind its back."""

    def spoil(path: Path) -> None:
        service = new_service(job_duration=None)
        kept = store.attach(service, path.parent)
        _busy(service)
        kept.close()
        _sql(path, *statements)

    return spoil


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda path: path.write_bytes(b"definitely not a database\n" * 100), "not an SQLite database"),
        (lambda path: path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000), "corrupt"),
        (_other_layout, "layout version 0, this emulator reads version 1"),
        (lambda path: _sql(path, "CREATE TABLE notes (text TEXT)"), "not a vertex-emulator data dir"),
        (_kept_then("UPDATE objects SET body = '{\"name\": 1' WHERE collection = 'customJobs'"), "corrupt"),
        (_kept_then("DELETE FROM objects WHERE collection = 'persistentResources'"), "inconsistent"),
    ],
    ids=["garbage", "bad-pages", "older-layout", "foreign-database", "broken-row", "inconsistent"],
)
def test_a_corrupt_or_foreign_data_dir_is_refused_and_left_untouched(tmp_path: Path, spoil: Any, reason: str) -> None:
    path = tmp_path / store.DATABASE
    spoil(path)
    before = {item.name: _digest(item) for item in tmp_path.iterdir() if item.name != store.LOCK}
    with pytest.raises(store.StoreError, match=reason) as refused:
        store.attach(new_service(), tmp_path)
    assert str(path) in str(refused.value)
    assert {item.name: _digest(item) for item in tmp_path.iterdir() if item.name != store.LOCK} == before
    store.attach(new_service(), tmp_path / "elsewhere")


def test_serve_refuses_a_bad_data_dir_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _other_layout(tmp_path / store.DATABASE)
    assert cli.main(["serve", "--port", "0", "--data-dir", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert "bad data dir" in message
    assert "layout version 0" in message
    assert "left untouched" in message


def test_serve_import_starts_from_a_snapshot_file_or_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = new_service(job_duration=None)
    _busy(source)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    snapshot.write_file(good, source.export_state())
    started = build_service(cli.build_parser("serve").parse_args(["serve", "--clock", "manual", "--import", str(good)]))
    assert started.export_state() == source.export_state()

    spoiled = source.export_state()
    spoiled["customJobs"][0]["state"] = "JOB_STATE_DONE?"
    spoiled["customJobs"][0]["waiting"] = "no"
    snapshot.write_file(bad, spoiled)
    assert cli.main(["serve", "--port", "0", "--import", str(bad)]) == 2
    assert f"bad snapshot: {bad}: field customJobs[0].waiting" in capsys.readouterr().err


# ------------------------------------------------------------------------- a served emulator, stopped


class Api:
    """Plain HTTP calls to a served emulator (bounded in time), or to an app in this process."""

    def __init__(self, url: str | None = None, app: Flask | None = None) -> None:
        self.url = url
        self.session = requests.Session()
        self.client = app.test_client() if app is not None else None

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self.client is not None:
            answer = self.client.open(f"/{path}", method=method, json=body)
            assert answer.status_code == 200, answer.text
            return answer.get_json()
        reply = self.session.request(method, f"{self.url}/{path}", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def answers(self, *collections: str) -> dict[str, Any]:
        """What clients see: every list, and every object by name."""
        seen: dict[str, Any] = {}
        for collection in collections or ("persistentResources", "customJobs", "operations"):
            listed = self("GET", f"v1/{PARENT}/{collection}")
            seen[collection] = listed
            for item in listed.get(collection, []):
                seen[item["name"]] = self("GET", f"v1/{item['name']}")
        return seen


def _accounting_holds(state: dict[str, Any], api: Api) -> None:
    """usedReplicaCount on the API is what the live jobs placed on each pool ask for; waiting jobs are QUEUED."""
    used: dict[tuple[str, str], int] = {}
    for job in state["customJobs"]:
        live = job["resource"] and job["state"] not in (
            "JOB_STATE_SUCCEEDED",
            "JOB_STATE_FAILED",
            "JOB_STATE_CANCELLED",
        )
        if live and job["waiting"]:
            assert api("GET", f"v1/{job['name']}")["state"] == "JOB_STATE_QUEUED"
        elif live:
            assert len(job["placement"]) == len(job["spec"]["jobSpec"]["workerPoolSpecs"]), job
            for worker, pool in zip(job["spec"]["jobSpec"]["workerPoolSpecs"], job["placement"], strict=True):
                if pool:
                    key = (job["resource"], pool)
                    used[key] = used.get(key, 0) + int(worker["replicaCount"])
    for resource in state["persistentResources"]:
        for pool in api("GET", f"v1/{resource['name']}")["resourcePools"]:
            assert int(pool.get("usedReplicaCount", "0")) == used.get((resource["name"], pool["id"]), 0)


def _create(api: Api, resource_id: str) -> dict[str, Any]:
    path = f"v1/{PARENT}/persistentResources?persistentResourceId={resource_id}"
    return api("POST", path, {"resourcePools": [TRAIN_POOL]})


def _train(api: Api) -> dict[str, Any]:
    operation = _create(api, "train")
    api("POST", "emulator/v1/clock:advance", {"seconds": 5})
    return operation


def _train_job(replicas: int) -> dict[str, Any]:
    body = job_body("train", replicas)
    body["jobSpec"]["workerPoolSpecs"][0]["machineSpec"] = {"machineType": "n1-standard-8"}
    return body


def test_sigterm_keeps_everything_and_exports_what_import_serves_the_same(tmp_path: Path) -> None:
    data, exported = tmp_path / "data", tmp_path / "state.json"
    options = (*QUEUE, "--data-dir", str(data), "--fixtures", "fixtures/demo")
    with serving(*options, "--export-on-exit", str(exported)) as (process, url):
        api = Api(url)
        operations = [_train(api)["name"]]
        jobs = [api("POST", f"v1/{PARENT}/customJobs", _train_job(replicas))["name"] for replicas in (3, 2, 1, 2)]
        api("POST", "emulator/v1/clock:advance", {"seconds": 2})
        api("POST", f"v1/{jobs[0]}:cancel", {})
        operations.append(_create(api, "later")["name"])
        state, answers = api("GET", "emulator/v1/state"), api.answers()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert json.loads(exported.read_text()) == state

    with serving(*options) as (process, url):
        api = Api(url)
        assert api("GET", "emulator/v1/state") == state
        assert {job["name"] for job in state["customJobs"]} >= set(jobs)
        assert {operation["name"] for operation in state["operations"]} >= set(operations)
        assert api.answers("persistentResources", "customJobs") == {
            name: answer for name, answer in answers.items() if "/operations" not in name and name != "operations"
        }
        _accounting_holds(state, api)
        api("POST", "emulator/v1/clock:advance", {"seconds": 600})
        assert {api("GET", f"v1/{name}")["state"] for name in jobs[1:]} == {"JOB_STATE_SUCCEEDED"}
        assert all(operation["done"] for operation in api("GET", "emulator/v1/state")["operations"])
        process.terminate()
        assert "--fixtures not loaded again" in process.communicate(timeout=30)[1]

    imported = new_service()
    imported.import_state(snapshot.read_file(exported))
    assert Api(app=make_app(imported)).answers() == answers


def test_sigkill_in_the_middle_of_work_loses_nothing_acknowledged(tmp_path: Path) -> None:
    options = (*QUEUE, "--data-dir", str(tmp_path), "--job-duration", "3")
    acknowledged: list[str] = []
    enough = threading.Event()

    def submit(api: Api) -> None:
        """Submit, cancel and move the clock until the emulator dies; bounded in any case."""
        try:
            for index in range(400):
                job = api("POST", f"v1/{PARENT}/customJobs", _train_job(1 + index % 3))["name"]
                acknowledged.append(job)
                if index % 4 == 3:
                    api("POST", f"v1/{job}:cancel", {})
                if index % 3 == 2:
                    api("POST", "emulator/v1/clock:advance", {"seconds": 1})
                if len(acknowledged) >= 30:
                    enough.set()
        except (requests.RequestException, AssertionError):
            return
        finally:
            enough.set()

    with serving(*options) as (process, url):
        api = Api(url)
        operation = _train(api)["name"]
        worker = threading.Thread(target=submit, args=(api,))
        worker.start()
        assert enough.wait(timeout=120)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        worker.join(timeout=60)
    assert len(acknowledged) >= 30

    with serving(*options) as (_, url):
        api = Api(url)
        state = api("GET", "emulator/v1/state")
        assert {job["name"] for job in state["customJobs"]} >= set(acknowledged)
        assert all(api("GET", f"v1/{name}")["name"] == name for name in acknowledged)
        assert [item["done"] for item in state["operations"] if item["name"] == operation] == [True]
        _accounting_holds(state, api)
        api("POST", "emulator/v1/clock:advance", {"seconds": 3600})
        ended = {api("GET", f"v1/{name}")["state"] for name in acknowledged}
        assert ended <= {"JOB_STATE_SUCCEEDED", "JOB_STATE_CANCELLED"}
        pool = api("GET", f"v1/{PARENT}/persistentResources/train")["resourcePools"][0]
        assert "usedReplicaCount" not in pool
