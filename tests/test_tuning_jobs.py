"""Hyperparameter tuning jobs on the service: trials as CustomJobs on a persistent resource.

Trials compete for the pool's replicas: at most ``parallelTrialCount`` run at once, fewer while
the pool is busy (the others wait REQUESTED, whatever ``--admission`` says); each trial's job gets
its parameters as arguments and its own output directory; the control API decides outcomes; a
cancel stops the trials and releases their replicas; deleting the resource cancels the job.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator import wire
from vertex_emulator.domain import jobs, tuning
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.service import Service

RESOURCE = "demo"


def _service(replicas: int = 2, **settings: Any) -> Service:
    service = new_service(**settings)
    service.seed_resource(PARENT, RESOURCE, {"resourcePools": [demo_pool(replicaCount=str(replicas))]})
    return service


def tuning_body(
    most: int = 4, parallel: int = 2, failed: int = 0, replicas: int = 1, algorithm: str = "RANDOM_SEARCH"
) -> dict[str, Any]:
    trial = job_body(RESOURCE, replicas)["jobSpec"]
    trial["baseOutputDirectory"] = {"outputUriPrefix": "gs://bucket/hp"}
    body = {
        "displayName": "hp",
        "studySpec": {
            "metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}],
            "parameters": [
                {"parameterId": "layers", "integerValueSpec": {"minValue": "1", "maxValue": "8"}},
                {"parameterId": "opt", "categoricalValueSpec": {"values": ["sgd", "adam"]}},
            ],
            "algorithm": algorithm,
        },
        "maxTrialCount": most,
        "parallelTrialCount": parallel,
        "maxFailedTrialCount": failed,
        "trialJobSpec": trial,
    }
    return wire.parse("v1", "HyperparameterTuningJob", body)


def _states(record: tuning.HyperparameterTuningJob) -> list[str]:
    return [trial.state for trial in record.trials]


def test_parallel_trials_run_as_custom_jobs_with_their_parameters_and_output_directory() -> None:
    service = _service(replicas=2, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    assert record.state == jobs.RUNNING and _states(record) == [tuning.ACTIVE, tuning.ACTIVE]
    first = service.get_job(record.trials[0].custom_job or "")
    assert first.owner == record.name
    args = first.spec["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["args"]
    assert args == record.trials[0].arguments and args[0].startswith("--layers=") and args[1].startswith("--opt=")
    assert first.spec["jobSpec"]["baseOutputDirectory"]["outputUriPrefix"] == "gs://bucket/hp/1"
    listed, _ = service.list_jobs(PARENT, None, None, None)
    assert {job.name for job in listed} == {trial.custom_job for trial in record.trials}


def test_trials_wait_requested_while_the_pool_is_busy_whatever_the_admission_policy() -> None:
    service = _service(replicas=2, job_duration=None)
    other = service.create_job(PARENT, job_body(RESOURCE, replicas=1), "v1")
    record = service.create_tuning_job(PARENT, tuning_body(parallel=3, most=3), "v1")
    assert _states(record) == [tuning.ACTIVE, tuning.REQUESTED, tuning.REQUESTED]
    service.set_outcome(other.name, jobs.SUCCEEDED, None, None, None)
    service.advance(0)
    assert _states(record) == [tuning.ACTIVE, tuning.ACTIVE, tuning.REQUESTED]
    view = service.trial_view(record.name)
    assert [trial["holdsReplicas"] for trial in view] == [True, True, False]


def test_the_next_trial_starts_when_one_ends_and_stand_ins_are_marked() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=1, most=2), "v1")
    service.set_trial_outcome(record.name, "1", metrics={"accuracy": 0.9})
    service.advance(0)
    assert _states(record) == [tuning.SUCCEEDED, tuning.ACTIVE]
    service.set_outcome(record.trials[1].custom_job or "", jobs.SUCCEEDED, None, None, None)
    service.advance(0)
    assert record.state == jobs.SUCCEEDED
    assert record.trials[0].final_measurement["metrics"] == [{"metricId": "accuracy", "value": 0.9}]
    assert [trial["measurementSource"] for trial in service.trial_view(record.name)] == ["control", "stand-in"]


def test_the_first_failed_trial_fails_the_job_and_stops_the_others() -> None:
    service = _service(replicas=2, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    service.set_trial_outcome(record.name, "1", state="INFEASIBLE", reason="loss was NaN")
    service.advance(0)
    assert record.state == jobs.FAILED
    assert _states(record) == [tuning.INFEASIBLE, tuning.INFEASIBLE]
    assert record.trials[0].infeasible_reason == "loss was NaN"
    assert "loss was NaN" in record.error["message"]
    assert service.get_resource(f"{PARENT}/persistentResources/{RESOURCE}").busy is False


def test_an_outcome_planned_for_a_later_trial_applies_when_it_starts() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=1, most=3, failed=2), "v1")
    service.set_trial_outcome(record.name, "2", state="INFEASIBLE", reason="planned")
    service.set_trial_outcome(record.name, "3", metrics={"accuracy": 0.5})
    service.set_trial_outcome(record.name, "1", metrics={"accuracy": 0.7})
    for _ in range(4):
        service.advance(0)
    assert _states(record) == [tuning.SUCCEEDED, tuning.INFEASIBLE, tuning.SUCCEEDED]
    assert record.state == jobs.SUCCEEDED


def test_cancel_stops_active_and_waiting_trials_and_releases_every_replica() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    assert _states(record) == [tuning.ACTIVE, tuning.REQUESTED]
    service.cancel_tuning_job(record.name)
    assert record.state == jobs.CANCELLING
    service.advance(0)
    assert record.state == jobs.CANCELLED and _states(record) == [tuning.INFEASIBLE, tuning.INFEASIBLE]
    resource = service.get_resource(f"{PARENT}/persistentResources/{RESOURCE}")
    assert not resource.busy and not resource.queue
    service.delete_tuning_job(record.name, "v1")
    assert service.list_jobs(PARENT, None, None, None)[0] == []


def test_deleting_the_resource_cancels_the_tuning_job_with_the_resource_error() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    service.delete_resource(f"{PARENT}/persistentResources/{RESOURCE}", "v1")
    service.advance(0)
    assert record.state == jobs.CANCELLED
    assert "was deleted" in record.error["message"]


def test_a_trial_spec_that_can_never_fit_is_refused_at_create_like_a_custom_job() -> None:
    service = _service(replicas=2)
    with pytest.raises(ApiError) as caught:
        service.create_tuning_job(PARENT, tuning_body(replicas=3), "v1")
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert caught.value.violations[0].field == "trial_job_spec.worker_pool_specs[0].replica_count"
    assert service.list_tuning_jobs(PARENT, None, None, None)[0] == []


def test_list_filters_and_pages() -> None:
    service = _service(replicas=8, job_duration=None)
    made = [service.create_tuning_job(PARENT, tuning_body(parallel=1), "v1") for _ in range(3)]
    service.cancel_tuning_job(made[0].name)
    service.advance(0)
    page, token = service.list_tuning_jobs(PARENT, None, "2", None)
    rest, end = service.list_tuning_jobs(PARENT, None, "2", token)
    assert len(page) == 2 and len(rest) == 1 and not end
    running, _ = service.list_tuning_jobs(PARENT, 'state="JOB_STATE_RUNNING"', None, None)
    assert {record.name for record in running} == {made[1].name, made[2].name}


def test_the_same_seed_gives_the_same_trials() -> None:
    first = _service().create_tuning_job(PARENT, tuning_body(), "v1")
    second = _service().create_tuning_job(PARENT, tuning_body(), "v1")
    assert [trial.parameters for trial in first.trials] == [trial.parameters for trial in second.trials]


def test_a_tuning_job_survives_export_and_import() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    service.report_measurements(
        record.name, "1", [{"stepCount": "3", "metrics": [{"metricId": "accuracy", "value": 1}]}]
    )
    exported = service.export_state()
    again = new_service()
    again.import_state(exported)
    restored = again.get_tuning_job(record.name)
    assert restored.render() == record.render()
    assert again.export_state() == exported


def test_local_execution_finds_a_jobs_trial_and_reports_its_measurements() -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=1, most=1), "v1")
    job = record.trials[0].custom_job or ""
    assert service.trial_of_job(job) == (record.name, "1")
    other = service.create_job(PARENT, job_body(None), "v1")
    assert service.trial_of_job(other.name) is None
    reports = [{"stepCount": str(step), "metrics": [{"metricId": "accuracy", "value": step / 10}]} for step in (1, 2)]
    service.report_measurements(record.name, "1", reports)
    service.set_outcome(job, jobs.SUCCEEDED, None, None, None)
    assert record.trials[0].final_measurement == reports[-1]
    assert service.trial_view(record.name)[0]["measurementSource"] == "reported"
    with pytest.raises(ApiError) as caught:
        service.report_measurements(record.name, "1", reports)
    assert caught.value.code is Code.FAILED_PRECONDITION


def test_a_data_dir_keeps_tuning_jobs_across_a_restart(tmp_path: Any) -> None:
    from vertex_emulator import store

    service = _service(replicas=1, job_duration=None)
    kept = store.attach(service, tmp_path)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2), "v1")
    service.set_trial_outcome(record.name, "1", metrics={"accuracy": 0.5})
    service.advance(0)
    exported = service.export_state()
    kept.close()
    again = new_service()
    reopened = store.attach(again, tmp_path)
    try:
        assert again.export_state() == exported
        again.set_outcome(
            again.get_tuning_job(record.name).trials[1].custom_job or "", jobs.SUCCEEDED, None, None, None
        )
        again.advance(0)
        assert [trial.state for trial in again.get_tuning_job(record.name).trials[:2]] == [tuning.SUCCEEDED] * 2
    finally:
        reopened.close()


def test_the_control_api_sets_trial_outcomes_over_http() -> None:
    from vertex_emulator.http.app import make_app

    service = _service(replicas=1, job_duration=None)
    http = make_app(service).test_client()
    created = http.post(f"/v1/{PARENT}/hyperparameterTuningJobs", json=tuning_body(parallel=1, most=2, failed=2))
    assert created.status_code == 200, created.json
    name = created.json["name"]
    answer = http.post(f"/emulator/v1/{name}/trials/1:setOutcome", json={"metrics": {"accuracy": 0.8}})
    assert answer.status_code == 200 and answer.json["trials"][0]["id"] == "1"
    planned = {"state": "INFEASIBLE", "infeasibleReason": "diverged", "after": "5s"}
    assert http.post(f"/emulator/v1/{name}/trials/2:setOutcome", json=planned).status_code == 200
    unknown = http.post(f"/emulator/v1/{name}/trials/9:setOutcome", json={"metrics": {"accuracy": 1}})
    assert unknown.status_code == 404
    wrong = http.post(f"/emulator/v1/{name}/trials/2:setOutcome", json={"metrics": {"loss": 1}})
    assert (
        wrong.status_code == 400 and wrong.json["error"]["details"][0]["fieldViolations"][0]["field"] == "metrics.loss"
    )
    http.post("/emulator/v1/clock:advance", json={"seconds": 5})
    view = http.get(f"/emulator/v1/{name}/trials").json["trials"]
    assert [(trial["state"], trial["measurementSource"]) for trial in view] == [
        ("SUCCEEDED", "control"),
        ("INFEASIBLE", None),
    ]
    job = http.get(f"/v1beta1/{name}").json
    assert job["state"] == "JOB_STATE_SUCCEEDED" and job["trials"][1]["infeasibleReason"] == "diverged"
