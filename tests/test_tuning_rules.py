"""Hyperparameter tuning, the pure rules: what a create refuses, the parameters of each trial, the job's end.

1. **Refusals** name the field: no metric, an empty or inverted range, a log scale over a range
   that includes 0, GRID_SEARCH with a DOUBLE, ``parallelTrialCount`` or ``maxFailedTrialCount``
   above ``maxTrialCount``, a trial spec a CustomJob could not have.
2. **Parameters** stay in their feasible space, on their scale; a conditional parameter appears
   exactly when its parent took a matching value, right after it; the same seed gives the same
   trials; GRID_SEARCH walks every point once, last parameter fastest, then stops.
3. **The end**: never more than ``parallelTrialCount`` trials open, every trial ends, and the job
   ends FAILED at the ``max(1, maxFailedTrialCount)``-th failure, else SUCCEEDED when one trial
   succeeded, else FAILED; a cancelled job keeps no trial open.

The oracles are written from the documentation (``study.proto``, training-contract §3).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from vertex_emulator import wire
from vertex_emulator.domain import jobs, study, suggestions, tuning
from vertex_emulator.errors import ApiError, Code

Dict = dict[str, Any]
METRICS = [{"metricId": "accuracy", "goal": "MAXIMIZE"}]
TRIAL_JOB = {
    "workerPoolSpecs": [
        {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1", "containerSpec": {"imageUri": "i"}}
    ]
}


def _body(parameters: list[Dict], **more: Any) -> Dict:
    study_spec = {"metrics": METRICS, "parameters": parameters, **more.pop("study", {})}
    body = {
        "displayName": "hp",
        "studySpec": study_spec,
        "maxTrialCount": 4,
        "parallelTrialCount": 2,
        "trialJobSpec": TRIAL_JOB,
        **more,
    }
    return wire.parse("v1", "HyperparameterTuningJob", body)


def _refused(body: Dict) -> ApiError:
    with pytest.raises(ApiError) as caught:
        tuning.normalize(body)
    assert caught.value.code is Code.INVALID_ARGUMENT
    return caught.value


LR = {"parameterId": "lr", "doubleValueSpec": {"minValue": 0.001, "maxValue": 0.1}}


@pytest.mark.parametrize(
    ("parameters", "more", "field", "words"),
    [
        ([LR], {"study": {"metrics": []}}, "study_spec.metrics", "at least one metric"),
        (
            [{"parameterId": "lr", "doubleValueSpec": {"minValue": 0.5, "maxValue": 0.1}}],
            {},
            "study_spec.parameters[0].double_value_spec",
            "inverted",
        ),
        (
            [{"parameterId": "n", "integerValueSpec": {"minValue": "5", "maxValue": "2"}}],
            {},
            "study_spec.parameters[0].integer_value_spec",
            "inverted",
        ),
        (
            [{"parameterId": "lr", "doubleValueSpec": {"minValue": 0.1, "maxValue": 0.1}}],
            {},
            "study_spec.parameters[0].double_value_spec",
            "empty",
        ),
        (
            [{"parameterId": "opt", "categoricalValueSpec": {}}],
            {},
            "study_spec.parameters[0].categorical_value_spec.values",
            "empty",
        ),
        (
            [{"parameterId": "lr", "doubleValueSpec": {"maxValue": 0.1}, "scaleType": "UNIT_LOG_SCALE"}],
            {},
            "study_spec.parameters[0].double_value_spec",
            "includes 0",
        ),
        (
            [{"parameterId": "n", "integerValueSpec": {"maxValue": "8"}, "scaleType": "UNIT_REVERSE_LOG_SCALE"}],
            {},
            "study_spec.parameters[0].integer_value_spec",
            "includes 0",
        ),
        (
            [LR],
            {"study": {"algorithm": "GRID_SEARCH"}},
            "study_spec.parameters[0].double_value_spec",
            "all parameters must be INTEGER, CATEGORICAL, or DISCRETE",
        ),
        (
            [
                {
                    "parameterId": "opt",
                    "categoricalValueSpec": {"values": ["sgd", "adam"]},
                    "conditionalParameterSpecs": [
                        {"parentCategoricalValues": {"values": ["sgd"]}, "parameterSpec": LR},
                    ],
                }
            ],
            {"study": {"algorithm": "GRID_SEARCH"}},
            "study_spec.parameters[0].conditional_parameter_specs[0].double_value_spec",
            "all parameters must be INTEGER, CATEGORICAL, or DISCRETE",
        ),
        ([LR], {"parallelTrialCount": 5}, "parallel_trial_count", "must not be greater than max_trial_count"),
        ([LR], {"maxFailedTrialCount": 5}, "max_failed_trial_count", "between 0 and max_trial_count"),
        ([LR], {"trialJobSpec": {"workerPoolSpecs": [{}]}}, "trial_job_spec.worker_pool_specs[0]", "primary"),
    ],
)
def test_a_create_that_cannot_run_is_refused_naming_the_field(
    parameters: list[Dict], more: Dict, field: str, words: str
) -> None:
    error = _refused(_body(parameters, **more))
    assert [violation.field for violation in error.violations] == [field]
    assert words in error.message


# ------------------------------------------------------------------------------------- parameters

SCALES = st.sampled_from(["SCALE_TYPE_UNSPECIFIED", "UNIT_LINEAR_SCALE", "UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE"])


@st.composite
def parameter_specs(draw: st.DrawFn, name: str, depth: int = 0, grid: bool = False) -> Dict:
    """A feasible ParameterSpec of any type, with conditional children below INTEGER/CATEGORICAL/DISCRETE."""
    kinds = ["integer", "categorical", "discrete"] + ([] if grid else ["double"])
    kind = draw(st.sampled_from(kinds))
    scale = draw(SCALES) if kind != "categorical" else "SCALE_TYPE_UNSPECIFIED"
    spec: Dict = {"parameterId": name}
    if scale != "SCALE_TYPE_UNSPECIFIED":
        spec["scaleType"] = scale
    positive = scale in study.LOG_SCALES
    if kind == "double":
        low = draw(st.floats(1e-6 if positive else -1e3, 1e3))
        high = low + draw(st.floats(1e-3, 1e4))
        spec["doubleValueSpec"] = {"minValue": low, "maxValue": high}
        values: list[Any] = []
    elif kind == "integer":
        low = draw(st.integers(1 if positive else -50, 50))
        high = draw(st.integers(low, low + (3 if grid else 10_000)))
        spec["integerValueSpec"] = {"minValue": str(low), "maxValue": str(high)}
        values = list(range(low, min(high, low + 6) + 1))
    elif kind == "categorical":
        values = draw(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=3 if grid else 5, unique=True))
        spec["categoricalValueSpec"] = {"values": values}
    else:
        values = sorted(draw(st.sets(st.integers(1 if positive else -20, 40), min_size=1, max_size=4)))
        values = [value / 2 for value in values]
        spec["discreteValueSpec"] = {"values": values}
    if kind != "double" and depth < 2:
        children = []
        for index in range(draw(st.integers(0, 2))):
            when = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
            condition = {"integer": "parentIntValues", "categorical": "parentCategoricalValues"}.get(
                kind, "parentDiscreteValues"
            )
            child = draw(parameter_specs(f"{name}_{index}", depth + 1, grid))
            children.append(
                {condition: {"values": [str(v) if kind == "integer" else v for v in when]}, "parameterSpec": child}
            )
        if children:
            spec["conditionalParameterSpecs"] = children
    return spec


def studies(grid: bool = False) -> st.SearchStrategy[Dict]:
    return (
        st.lists(st.sampled_from("pqrs"), min_size=1, max_size=3, unique=True)
        .flatmap(lambda names: st.tuples(*(parameter_specs(name, depth=int(grid), grid=grid) for name in names)))
        .map(
            lambda specs: wire.parse(
                "v1",
                "StudySpec",
                {
                    "metrics": METRICS,
                    "parameters": list(specs),
                    "algorithm": "GRID_SEARCH" if grid else "RANDOM_SEARCH",
                },
            )
        )
    )


def _assert_feasible(parameters: list[study.Parameter], chosen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Check the trial's values of ``parameters`` (and their children) in order; return what is left."""
    for parameter in parameters:
        assert chosen, f"{parameter.id} is missing"
        (key, value), chosen = chosen[0], chosen[1:]
        assert key == parameter.id
        if parameter.kind == study.DOUBLE:
            assert parameter.low <= value <= parameter.high
        elif parameter.kind == study.INTEGER:
            assert isinstance(value, int) and parameter.low <= value <= parameter.high
        else:
            assert value in parameter.values
        chosen = _assert_feasible(parameter.children_for(value), chosen)
    return chosen


@given(studies(), st.integers(0, 2**32), st.integers(1, 50))
def test_random_trials_are_feasible_conditional_exactly_when_the_parent_matches_and_seeded(
    spec: Dict, seed: int, number: int
) -> None:
    parameters = study.check(spec)
    chosen = suggestions.suggest(parameters, "RANDOM_SEARCH", seed, number)
    assert chosen is not None
    assert _assert_feasible(parameters, chosen) == []
    assert suggestions.suggest(parameters, "ALGORITHM_UNSPECIFIED", seed, number) == chosen


def _grid_oracle(parameters: list[study.Parameter]) -> list[list[tuple[str, Any]]]:
    """Every point, by enumeration: the product of each parameter's branches, last parameter fastest."""

    def branches(parameter: study.Parameter) -> list[list[tuple[str, Any]]]:
        values = (
            range(int(parameter.low), int(parameter.high) + 1) if parameter.kind == study.INTEGER else parameter.values
        )
        return [
            [(parameter.id, value), *rest] for value in values for rest in _grid_oracle(parameter.children_for(value))
        ]

    return [
        list(itertools.chain.from_iterable(combo))
        for combo in itertools.product(*(branches(parameter) for parameter in parameters))
    ]


@given(studies(grid=True), st.integers(0, 2**32))
def test_grid_search_walks_every_point_once_in_the_documented_order_then_stops(spec: Dict, seed: int) -> None:
    parameters = study.check(spec)
    expected = _grid_oracle(parameters)
    assert study.grid_size(parameters) == len(expected)
    walked = [suggestions.suggest(parameters, "GRID_SEARCH", seed, n) for n in range(1, len(expected) + 1)]
    assert walked == expected
    assert suggestions.suggest(parameters, "GRID_SEARCH", seed, len(expected) + 1) is None


@example("UNIT_REVERSE_LOG_SCALE", 1.000001, 149.0, 0.0, 0.0).via("rounding put a reverse-log draw below min")
@given(
    st.sampled_from(["UNIT_LINEAR_SCALE", "UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE"]),
    st.floats(1e-6, 1e3),
    st.floats(1.001, 1e3),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_a_scale_maps_the_unit_interval_onto_the_range_in_order(
    scale: str, low: float, factor: float, left: float, right: float
) -> None:
    high = low * factor
    assert suggestions.on_scale(0, low, high, scale) == pytest.approx(low)
    assert suggestions.on_scale(1, low, high, scale) == pytest.approx(high)
    a, b = sorted((left, right))
    assert low <= suggestions.on_scale(a, low, high, scale) <= suggestions.on_scale(b, low, high, scale) <= high
    middle = suggestions.on_scale(0.5, low, high, scale)
    geometric = math.sqrt(low * high)
    expected = {"UNIT_LINEAR_SCALE": (low + high) / 2, "UNIT_LOG_SCALE": geometric}.get(scale, low + high - geometric)
    assert middle == pytest.approx(expected, rel=1e-9)


def test_arguments_write_integers_without_a_fraction() -> None:
    parameters = study.check(
        wire.parse(
            "v1",
            "StudySpec",
            {
                "metrics": METRICS,
                "parameters": [
                    {"parameterId": "batch", "discreteValueSpec": {"values": [16, 32.5]}},
                    {"parameterId": "layers", "integerValueSpec": {"minValue": "2", "maxValue": "2"}},
                    {"parameterId": "opt", "categoricalValueSpec": {"values": ["adam"]}},
                ],
            },
        )
    )
    by_id = {parameter.id: parameter for parameter in parameters}
    assert suggestions.argument(by_id["batch"], 16.0) == "--batch=16"
    assert suggestions.argument(by_id["batch"], 32.5) == "--batch=32.5"
    assert suggestions.argument(by_id["layers"], 2) == "--layers=2"
    assert suggestions.argument(by_id["opt"], "adam") == "--opt=adam"


# ---------------------------------------------------------------------------------------- the end


def _job(name: str, state: str, error: Dict | None = None) -> jobs.CustomJob:
    job = jobs.CustomJob(name=name, spec={}, version="v1", seq=1, create_time=0, update_time=0, state=state)
    job.error = error
    return job


class Driver:
    """Runs a tuning job's trials on stand-in CustomJobs, as the service does, checking as it goes."""

    def __init__(self, record: tuning.HyperparameterTuningJob) -> None:
        self.record = record
        self.jobs: dict[str, jobs.CustomJob] = {}
        self.at = 0.0
        self.most_open = 0

    def _tick(self) -> None:
        self.at += 1
        self.most_open = max(self.most_open, len(self.record.open_trials))
        assert len(self.record.open_trials) <= int(self.record.spec["parallelTrialCount"])

    def start(self) -> None:
        for trial in self.record.next_trials(self.at):
            trial.custom_job = f"job-{trial.id}"
            self.jobs[trial.custom_job] = _job(trial.custom_job, jobs.RUNNING)
            self.record.follow(trial, self.jobs[trial.custom_job], self.at)
        self._tick()

    def end(self, trial: tuning.Trial, state: str, error: Dict | None = None) -> None:
        job = self.jobs[trial.custom_job or ""]
        job.state, job.error = state, error
        self.record.follow(trial, job, self.at)
        self.stop(self.record.settle(self.at))
        self.start()

    def stop(self, trials: list[tuning.Trial]) -> None:
        for trial in trials:
            job = self.jobs[trial.custom_job or ""]
            job.state = jobs.CANCELLING
            self.record.follow(trial, job, self.at)
        for trial in trials:
            self.end(trial, jobs.CANCELLED, jobs.CANCELLED_ERROR)


def _record(most: int, parallel: int, failed: int) -> tuning.HyperparameterTuningJob:
    spec = tuning.normalize(_body([LR], maxTrialCount=most, parallelTrialCount=parallel, maxFailedTrialCount=failed))
    return tuning.HyperparameterTuningJob(name="tj", spec=spec, version="v1", seq=1, create_time=0, update_time=0)


@st.composite
def limits(draw: st.DrawFn) -> tuple[int, int, int]:
    most = draw(st.integers(1, 8))
    return most, draw(st.integers(1, most)), draw(st.integers(0, most))


@given(limits(), st.data())
def test_the_job_ends_by_the_failure_limit_else_by_its_successes(
    limit: tuple[int, int, int], data: st.DataObject
) -> None:
    most, parallel, failed = limit
    driver = Driver(_record(most, parallel, failed))
    driver.start()
    failures = successes = 0
    expected: str | None = None
    while driver.record.open_trials and not driver.record.ending:
        trial = data.draw(st.sampled_from([t for t in driver.record.open_trials if t.state == tuning.ACTIVE]))
        if data.draw(st.booleans(), label=f"trial {trial.id} succeeds"):
            successes += 1
            driver.end(trial, jobs.SUCCEEDED)
        else:
            failures += 1
            driver.end(trial, jobs.FAILED, {"code": 3, "message": "exit 1"})
            if failures >= max(1, failed):
                expected = jobs.FAILED
    assert driver.record.terminal and not driver.record.open_trials
    assert all(trial.state in (tuning.SUCCEEDED, tuning.INFEASIBLE) for trial in driver.record.trials)
    assert driver.most_open == min(parallel, most)
    assert driver.record.state == (expected or (jobs.SUCCEEDED if successes else jobs.FAILED))
    if driver.record.state == jobs.SUCCEEDED:
        assert len(driver.record.trials) == most
    else:
        assert driver.record.error and driver.record.error["message"]


@given(limits(), st.integers(0, 8))
def test_a_cancelled_job_keeps_no_trial_open(limit: tuple[int, int, int], finished: int) -> None:
    driver = Driver(_record(*limit))
    driver.start()
    for _ in range(finished):
        if driver.record.ending or not driver.record.open_trials:
            break
        driver.end(driver.record.open_trials[0], jobs.SUCCEEDED)
    if driver.record.terminal:
        return
    driver.stop(driver.record.cancel(driver.at))
    assert driver.record.state == jobs.CANCELLED
    assert not driver.record.open_trials
    assert all(driver.jobs[trial.custom_job or ""].terminal for trial in driver.record.trials)


def test_a_trial_job_cancelled_from_outside_cancels_the_tuning_job_with_its_error() -> None:
    driver = Driver(_record(4, 2, 0))
    driver.start()
    gone = {"code": 1, "message": 'The persistent resource "pr" was deleted, so the job was cancelled.'}
    first, second = driver.record.open_trials
    driver.end(first, jobs.CANCELLED, gone)
    assert second.state == tuning.INFEASIBLE and second.infeasible_reason == tuning.STOPPED_REASON
    assert driver.record.state == jobs.CANCELLED and driver.record.error == gone
    assert first.infeasible_reason == gone["message"]


def test_the_final_measurement_is_the_controls_else_the_selected_report_else_a_stand_in() -> None:
    record = _record(3, 3, 0)
    record.spec["studySpec"]["measurementSelectionType"] = "BEST_MEASUREMENT"
    driver = Driver(record)
    driver.start()
    control, reported, stand_in = record.trials
    control.metrics = {"accuracy": 0.93}
    record.report("2", [{"metrics": [{"metricId": "accuracy", "value": v}]} for v in (0.5, 0.8, 0.7)], driver.at)
    for trial in record.trials:
        driver.end(trial, jobs.SUCCEEDED)
    assert control.final_measurement["metrics"] == [{"metricId": "accuracy", "value": 0.93}]
    assert reported.final_measurement["metrics"] == [{"metricId": "accuracy", "value": 0.8}]
    assert (control.source, reported.source, stand_in.source) == (tuning.CONTROL, tuning.REPORTED, tuning.STAND_IN)
    again = suggestions.stand_in(0, "accuracy", [(p["parameterId"], p["value"]) for p in stand_in.parameters])
    assert stand_in.final_measurement["metrics"] == [{"metricId": "accuracy", "value": again}]
    record.spec["studySpec"]["measurementSelectionType"] = "LAST_MEASUREMENT"
    assert tuning.select(reported.measurements, record.spec["studySpec"])["metrics"][0]["value"] == 0.7
    assert record.state == jobs.SUCCEEDED


def test_a_trial_gets_its_arguments_and_its_own_output_directory() -> None:
    trial_job = {**TRIAL_JOB, "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/out/"}}
    record = _record(2, 1, 0)
    record.spec["trialJobSpec"] = wire.parse("v1", "CustomJobSpec", trial_job)
    (trial,) = record.next_trials(0)
    body = record.trial_job(trial)
    assert body["jobSpec"]["baseOutputDirectory"]["outputUriPrefix"] == "gs://bucket/out/1"
    assert body["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["args"] == trial.arguments
    assert trial.arguments[0].startswith("--lr=")
    assert body["displayName"] == "hp-trial-1"
