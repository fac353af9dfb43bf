"""The web page shows each tuning job with its trials, which of them hold replicas, and stand-ins as such."""

from __future__ import annotations

import pytest

from tests import browser
from tests.conftest import PARENT
from tests.test_tuning_jobs import _service, tuning_body
from vertex_emulator.server import ThreadedServer


def _busy_service() -> object:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(parallel=2, most=3), "v1")
    service.set_outcome(record.trials[0].custom_job or "", "JOB_STATE_SUCCEEDED", None, None, None)
    service.advance(0)
    return service


def test_the_overview_lists_trials_and_who_holds_replicas() -> None:
    service = _busy_service()
    (scope,) = service.overview()["scopes"]  # type: ignore[attr-defined]
    (job,) = scope["tuningJobs"]
    states = [(trial["id"], trial["state"], trial["holdsReplicas"]) for trial in job["trials"]]
    assert states == [("1", "SUCCEEDED", False), ("2", "ACTIVE", True), ("3", "REQUESTED", False)]
    assert job["trials"][0]["measurementSource"] == "stand-in"


def test_the_page_shows_trials_holding_replicas_and_marks_stand_ins() -> None:
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with ThreadedServer(_busy_service()) as server, browser.chromium() as driver:  # type: ignore[arg-type]
        driver.get(f"{server.url}/")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".tuning-job tr[data-trial]"))
        rows = driver.find_elements(By.CSS_SELECTOR, ".tuning-job tr[data-trial]")
        assert [row.get_attribute("data-holds") for row in rows] == ["false", "true", "false"]
        assert "holds replicas" in rows[1].text
        assert rows[0].find_element(By.CSS_SELECTOR, ".stand-in").text == "stand-in"
        assert "1 holding replicas" in driver.find_element(By.CSS_SELECTOR, ".tuning-job").text
