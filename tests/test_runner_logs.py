"""Log entries of local execution: line conversion, the bounded book, the filter, entries:list."""

from __future__ import annotations

import os
from itertools import count
from pathlib import Path
from types import SimpleNamespace

import pytest

from vertex_emulator.errors import ApiError
from vertex_emulator.runner.entries import list_entries
from vertex_emulator.runner.hypertune import measurements
from vertex_emulator.runner.logfilter import compile_log_filter, read_log_filter
from vertex_emulator.runner.logs import LogBook, parse_line, rfc3339_micros
from vertex_emulator.service import Service

T0 = 1_780_000_000.0


def ticking_book(**kwargs: int) -> LogBook:
    """A book whose clock moves one second per entry, so bounds fall between entries."""
    seconds = count()
    return LogBook(now=lambda: T0 + next(seconds), **kwargs)


def test_stdout_is_info_and_stderr_is_error_text() -> None:
    assert parse_line("epoch 1\n", "stdout") == ("INFO", "epoch 1", None)
    assert parse_line("Traceback (most recent call last):", "stderr") == (
        "ERROR",
        "Traceback (most recent call last):",
        None,
    )


def test_a_one_line_json_log_becomes_a_json_payload_with_its_severity_lifted() -> None:
    assert parse_line('{"severity": "warning", "message": "slow", "step": 3}', "stderr") == (
        "WARNING",
        None,
        {"message": "slow", "step": 3},
    )
    assert parse_line('{"message": "no severity"}', "stderr") == ("ERROR", None, {"message": "no severity"})
    assert parse_line('{"not json"}', "stdout") == ("INFO", '{"not json"}', None)


def test_entries_render_as_cloud_logging_entries_of_an_ml_job() -> None:
    book = ticking_book()
    book.line("p", "42", "workerpool0-0", '{"severity": "ERROR", "message": "boom"}', "stdout")
    book.service("p", "42", "Job is running.")
    first, second = (entry.render() for entry in book.entries())
    assert first == {
        "logName": "projects/p/logs/workerpool0-0",
        "resource": {"type": "ml_job", "labels": {"job_id": "42", "task_name": "workerpool0-0", "project_id": "p"}},
        "timestamp": rfc3339_micros(int(T0 * 1_000_000)),
        "receiveTimestamp": rfc3339_micros(int(T0 * 1_000_000)),
        "severity": "ERROR",
        "insertId": "0000000000000001",
        "jsonPayload": {"message": "boom"},
    }
    assert second["resource"]["labels"]["task_name"] == "service"
    assert second["textPayload"] == "Job is running."
    assert second["insertId"] > first["insertId"] and second["timestamp"] > first["timestamp"]


def test_the_book_keeps_the_last_lines_of_each_job_and_the_last_jobs() -> None:
    book = LogBook(lines_per_job=3, jobs=2)
    for number in range(5):
        book.line("p", "1", "workerpool0-0", f"line {number}", "stdout")
    assert [entry.text for entry in book.entries()] == ["line 2", "line 3", "line 4"]
    book.service("p", "2", "two")
    book.service("p", "3", "three")
    assert sorted({entry.job_id for entry in book.entries()}) == ["2", "3"]


def test_timestamps_never_go_back_and_share_an_instant_in_insert_id_order() -> None:
    book = LogBook(now=lambda: T0)
    a, b = book.service("p", "1", "a"), book.service("p", "1", "b")
    assert a.micros == b.micros and a.insert_id < b.insert_id


ENTRY = {
    "resource": {"type": "ml_job", "labels": {"job_id": "42", "task_name": "workerpool1-0", "project_id": "p"}},
    "timestamp": "2026-06-01T12:00:00.500000Z",
    "insertId": "0000000000000005",
    "severity": "WARNING",
    "textPayload": "Epoch 3 done",
}


RESUME = '((timestamp="2026-06-01T12:00:00.500000Z" AND insertId>"{}") OR timestamp>"2026-06-01T12:00:00.5Z")'
"""The lower bound gcloud's stream-logs writes once it has seen an entry."""


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('resource.type="ml_job" AND resource.labels.job_id="42"', True),
        ('resource.type="ml_job" resource.labels.job_id="43"', False),
        ('resource.labels.task_name="workerpool0-0" OR resource.labels.task_name="workerpool1-0"', True),
        ('timestamp>="2026-06-01T12:00:00.500000Z" AND timestamp<"2026-06-01T12:00:01.000000+00:00"', True),
        (
            RESUME.format("0000000000000004"),
            True,
        ),
        (
            RESUME.format("0000000000000005"),
            False,
        ),
        ("severity>=WARNING", True),
        ("severity>=ERROR", False),
        ('textPayload:"epoch 3"', True),
        ('NOT resource.labels.task_name="workerpool1-0"', False),
        ('-resource.labels.task_name="workerpool1-0"', False),
        ('jsonPayload.message="x"', False),
        ('resource.labels.job_id="1" OR resource.labels.job_id="42" AND severity=WARNING', True),
        ("", True),
    ],
)
def test_the_filter_reads_what_gcloud_and_people_write(text: str, kept: bool) -> None:
    assert compile_log_filter(text)(ENTRY) is kept


def test_or_binds_tighter_than_and_as_in_the_logging_query_language() -> None:
    assert compile_log_filter('severity=ERROR OR severity=WARNING AND resource.labels.job_id="1"')(ENTRY) is False


@pytest.mark.parametrize(
    "text", ['resource.type="ml_job" AND', "(severity=ERROR", "just words", 'timestamp>"yesterday"', "severity>=LOUD"]
)
def test_a_filter_it_cannot_read_is_invalid_argument(text: str) -> None:
    with pytest.raises(ApiError) as raised:
        compile_log_filter(text)
    assert raised.value.code.name == "INVALID_ARGUMENT"


def _book_of_two_jobs() -> LogBook:
    book = ticking_book()
    for number in range(3):
        book.line("p", "42", f"workerpool0-{number % 2}", f"a{number}", "stdout")
        book.line("p", "43", "workerpool0-0", f"b{number}", "stdout")
    book.service("other", "42", "not this project")
    return book


def test_entries_list_filters_orders_and_pages() -> None:
    book = _book_of_two_jobs()
    body = {
        "resourceNames": ["projects/p"],
        "filter": 'resource.type="ml_job" AND resource.labels.job_id="42"',
        "orderBy": "timestamp desc",
        "pageSize": 2,
    }
    first = list_entries(book, body)
    assert [entry["textPayload"] for entry in first["entries"]] == ["a2", "a1"]
    second = list_entries(book, {**body, "pageToken": first["nextPageToken"]})
    assert [entry["textPayload"] for entry in second["entries"]] == ["a0"]
    assert "nextPageToken" not in second
    ascending = list_entries(book, {**body, "orderBy": "timestamp asc", "pageSize": 1000})
    assert [entry["textPayload"] for entry in ascending["entries"]] == ["a0", "a1", "a2"]
    replica = list_entries(book, {**body, "filter": body["filter"] + ' AND resource.labels.task_name="workerpool0-1"'})
    assert [entry["textPayload"] for entry in replica["entries"]] == ["a1"]


def test_entries_list_refuses_what_the_real_api_refuses() -> None:
    book = _book_of_two_jobs()
    for body in ({}, {"resourceNames": ["p"]}, {"resourceNames": ["projects/p"], "orderBy": "severity"}):
        with pytest.raises(ApiError):
            list_entries(book, body)
    first = list_entries(book, {"resourceNames": ["projects/p"], "pageSize": 1})
    with pytest.raises(ApiError):
        list_entries(
            book, {"resourceNames": ["projects/p"], "pageSize": 1, "filter": "x=1", "pageToken": first["nextPageToken"]}
        )
    assert list_entries(None, {"resourceNames": ["projects/p"]}) == {}


def test_entries_list_is_served_on_the_emulator_port() -> None:
    from vertex_emulator.http.app import make_app

    service = Service()
    service.execution = SimpleNamespace(logs=_book_of_two_jobs())  # type: ignore[attr-defined]
    client = make_app(service).test_client()
    answer = client.post(
        "/v2/entries:list?alt=json",
        json={"resourceNames": ["projects/p"], "filter": 'resource.labels.job_id="43"', "orderBy": "timestamp asc"},
    )
    assert answer.status_code == 200
    assert [entry["textPayload"] for entry in answer.get_json()["entries"]] == ["b0", "b1", "b2"]
    refused = client.post("/v2/entries:list", json={"resourceNames": ["projects/p"], "filter": "(("})
    assert refused.status_code == 400 and refused.get_json()["error"]["status"] == "INVALID_ARGUMENT"


def test_hypertune_reports_become_measurements(tmp_path: Path) -> None:
    import hypertune

    metric_file = tmp_path / "hypertune" / "output.metrics"
    os.environ["CLOUD_ML_HP_METRIC_FILE"] = str(metric_file)
    try:
        tuner = hypertune.HyperTune()
        tuner.report_hyperparameter_tuning_metric("accuracy", 0.5, global_step=1)
        tuner.report_hyperparameter_tuning_metric("accuracy", 0.75, global_step=2)
    finally:
        del os.environ["CLOUD_ML_HP_METRIC_FILE"]
    assert measurements(metric_file) == [
        {"stepCount": "1", "metrics": [{"metricId": "accuracy", "value": 0.5}]},
        {"stepCount": "2", "metrics": [{"metricId": "accuracy", "value": 0.75}]},
    ]
    assert measurements(tmp_path / "missing") == []


def test_the_filter_pins_the_equalities_of_its_top_level_and() -> None:
    text = 'resource.type="ml_job" AND resource.labels.job_id="42" AND (severity=ERROR OR textPayload:"x")'
    assert read_log_filter(text)[1] == {"resource.type": "ml_job", "resource.labels.job_id": "42"}
    assert read_log_filter('resource.labels.job_id="1" OR resource.labels.job_id="2"')[1] == {}
    assert read_log_filter('NOT resource.labels.job_id="1"')[1] == {}
    assert read_log_filter('(resource.labels.job_id="1")')[1] == {"resource.labels.job_id": "1"}
