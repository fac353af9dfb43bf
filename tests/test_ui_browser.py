"""The web page in a real browser: headless Chromium (Debian's) driven by Selenium.

One Chromium serves every test of the module (it is the slow part); each test gets its own
served emulator on a manual clock, so every change the page shows comes from a click, never from
time passing. Waits poll the DOM for the expected change (``WebDriverWait``); nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import browser
from tests.browser import K80, PARENT, demo_service, job, worker_pool
from tests.test_ui_pipelines import pipelines_service
from vertex_emulator.clock import RealClock
from vertex_emulator.http.app import make_app
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

REASON = browser.missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"no headless browser: {REASON}")

WAIT_SECONDS = 10
POLL_SECONDS = 0.05
QUEUED_BEHIND = 30
"""Jobs of the thousand queued for ``k80-pool``: more than the page lists (20), few enough to admit fast."""


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with browser.chromium() as chromium:
        yield chromium


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _wait(driver: Any, condition: Any, message: str) -> Any:
    """Poll until ``condition`` holds; an element the page rebuilt meanwhile is simply looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_SECONDS, POLL_SECONDS, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(condition, message)


def _open(driver: Any, service: Service, options: HttpOptions | None = None) -> Iterator[Any]:
    with ThreadedServer(service, app=make_app(service, options)) as server:
        driver.get(f"{server.url}/")
        _wait(driver, lambda d: d.execute_script("return document.body.dataset.refreshed"), "the page never loaded")
        yield driver


@pytest.fixture
def page(driver: Any) -> Iterator[Any]:
    yield from _open(driver, demo_service())


def _read(driver: Any, script: str, *args: Any) -> Any:
    """Read the page in one script, so a refresh cannot rebuild it halfway through the reading."""
    return driver.execute_script(script, *args)


def _text(driver: Any, css: str) -> str:
    return _read(driver, "const e = document.querySelector(arguments[0]); return e && e.textContent;", css)


def _refs(driver: Any, pool_id: str, kind: str) -> list[str]:
    """Display names of the jobs holding (``holders``) or waiting for (``queued``) a pool, in order."""
    return _read(
        driver,
        "return [...document.querySelectorAll(`.pool[data-pool='${arguments[0]}'] .refs.${arguments[1]} li .job-name`)]"
        ".map((e) => e.textContent);",
        pool_id,
        kind,
    )


def _bar(driver: Any, pool_id: str) -> dict[str, Any]:
    return _read(
        driver,
        """const bar = document.querySelector(`.pool[data-pool='${arguments[0]}'] .bar`);
        const share = (css) => Math.round((100 * bar.querySelector(css).offsetWidth) / bar.clientWidth) / 100;
        return {numbers: [bar.dataset.used, bar.dataset.provisioned, bar.dataset.max].map(Number),
                label: bar.getAttribute("aria-label"),
                used: share(".bar-used"), provisioned: share(".bar-provisioned")};""",
        pool_id,
    )


def _jobs(driver: Any) -> dict[str, dict[str, str]]:
    """The job list as shown: display name -> name, state, error and the actions offered."""
    return _read(
        driver,
        """const jobs = {};
        for (const row of document.querySelectorAll("#job-rows tr[data-job]")) {
          jobs[row.querySelector(".job-name").textContent] = {
            name: row.dataset.job, state: row.dataset.state, error: row.querySelector(".error-text").textContent,
            actions: [...row.querySelectorAll(".actions button")].map((b) => b.dataset.action).join(","),
          };
        }
        return jobs;""",
    )


def _state(driver: Any, display_name: str) -> str:
    return _jobs(driver)[display_name]["state"]


def _press(driver: Any, css: str) -> None:
    _wait(driver, lambda d: d.find_element(_by().CSS_SELECTOR, css).click() or True, f"cannot press {css}")


def _act_on(driver: Any, display_name: str, action: str) -> None:
    _press(driver, f'tr[data-job="{_jobs(driver)[display_name]["name"]}"] button[data-action="{action}"]')


def _confirm(driver: Any, accept: bool = True) -> str:
    from selenium.webdriver.support import expected_conditions

    alert = _wait(driver, expected_conditions.alert_is_present(), "no confirmation asked")
    question = alert.text
    if accept:
        alert.accept()
    else:
        alert.dismiss()
    return question


def test_the_page_shows_pools_replicas_holders_and_queues(page: Any) -> None:
    k80 = ".pool[data-pool='k80-pool']"
    assert _text(page, f"{k80} .machine") == "n1-standard-4"
    assert _text(page, f"{k80} .accelerator") == "1 \u00d7 NVIDIA_TESLA_K80"
    assert _text(page, f"{k80} .disk") == "pd-ssd, 100 GB"
    assert _bar(page, "k80-pool") == {
        "numbers": [2, 2, 2],
        "label": "Replicas: 2 used, 2 provisioned, 2 maximum",
        "used": 1.0,
        "provisioned": 1.0,
    }
    assert _refs(page, "k80-pool", "holders") == ["train-resnet"]
    assert _refs(page, "k80-pool", "queued") == ["train-bert", "eval-bert"]

    assert _text(page, ".pool[data-pool='cpu-pool'] .disk") == "pd-standard, 200 GB"
    assert _bar(page, "cpu-pool") == {
        "numbers": [3, 3, 4],
        "label": "Replicas: 3 used, 3 provisioned, 4 maximum",
        "used": 0.75,
        "provisioned": 0.75,
    }
    assert _refs(page, "cpu-pool", "holders") == ["preprocess"]
    assert _refs(page, "cpu-pool", "queued") == []
    assert _bar(page, "a100-pool")["numbers"] == [0, 4, 4]
    assert _bar(page, "a100-pool")["used"] == 0

    assert _text(page, ".resource[data-name$='/demo-resource'] h4 .badge") == "RUNNING"
    assert _text(page, ".resource[data-name$='/a100-cluster'] h4 .badge") == "PROVISIONING"
    operation = _text(page, "tr[data-operation]")
    assert "CreatePersistentResource" in operation and "a100-cluster" in operation

    jobs = _jobs(page)
    assert {name: job["state"] for name, job in jobs.items()} == {
        "train-resnet": "JOB_STATE_RUNNING",
        "preprocess": "JOB_STATE_RUNNING",
        "train-bert": "JOB_STATE_QUEUED",
        "eval-bert": "JOB_STATE_QUEUED",
        "smoke-test": "JOB_STATE_FAILED",
    }
    assert jobs["smoke-test"]["error"] == "FAILED_PRECONDITION: Trainer exited with code 1."
    assert jobs["smoke-test"]["actions"] == ""
    assert jobs["train-resnet"]["actions"] == "complete,fail,cancel"

    unlabelled = _read(
        page,
        """return [...document.querySelectorAll("input, select, button")]
          .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
          .map((e) => e.outerHTML);""",
    )
    assert unlabelled == []

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(page).send_keys(Keys.TAB).perform()
    focused = _read(
        page,
        """const e = document.activeElement;
        return [e.textContent, getComputedStyle(e).outlineStyle, e.getBoundingClientRect().left >= 0];""",
    )
    assert focused == ["Skip to the job list", "solid", True]


def test_with_a_real_clock_the_clock_cannot_be_advanced(driver: Any) -> None:
    for page in _open(driver, Service(clock=RealClock(), seed=1)):
        _wait(page, lambda d: "real clock" in _text(d, "#clock"), "the clock is not shown")
        assert not page.find_element(_by().ID, "advance").is_displayed()
        assert page.find_element(_by().ID, "reset").is_displayed()


def _advance_by_keyboard(page: Any, seconds: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field = page.find_element(_by().ID, "advance-seconds")
    field.clear()
    field.send_keys(seconds, Keys.ENTER)


def test_advance_clock_and_cancel_change_the_page(page: Any) -> None:
    _advance_by_keyboard(page, "60")
    assert _confirm(page) == "Advance the emulator's clock by 60 s?"
    _wait(page, lambda d: "00:01:10" in _text(d, "#clock"), "the clock did not move")
    _wait(page, lambda d: _text(d, "tr[data-operation]") is None, "the operation is still in flight")
    assert _text(page, ".resource[data-name$='/a100-cluster'] h4 .badge") == "RUNNING"
    assert _state(page, "train-bert") == "JOB_STATE_QUEUED"

    _act_on(page, "train-resnet", "cancel")
    assert _confirm(page, accept=False).startswith('Cancel job "train-resnet"')
    assert _state(page, "train-resnet") == "JOB_STATE_RUNNING"
    _act_on(page, "train-resnet", "cancel")
    _confirm(page)
    _wait(page, lambda d: _state(d, "train-resnet") == "JOB_STATE_CANCELLING", "the job is not cancelling")
    assert _refs(page, "k80-pool", "holders") == ["train-resnet"]

    page.find_element(_by().ID, "advance-seconds").clear()
    page.find_element(_by().ID, "advance-seconds").send_keys("5")
    _press(page, "#advance")
    _confirm(page)
    _wait(page, lambda d: _refs(d, "k80-pool", "holders") == ["train-bert", "eval-bert"], "queued jobs did not start")
    assert _refs(page, "k80-pool", "queued") == []
    _wait(page, lambda d: _state(d, "train-resnet") == "JOB_STATE_CANCELLED", "the job list did not follow")
    assert _state(page, "train-bert") == "JOB_STATE_QUEUED"


def test_complete_fail_and_reset_through_the_control_api(page: Any) -> None:
    _act_on(page, "preprocess", "complete")
    _confirm(page)
    _wait(page, lambda d: _state(d, "preprocess") == "JOB_STATE_SUCCEEDED", "the job did not complete")
    assert _bar(page, "cpu-pool")["numbers"] == [0, 1, 4]

    _act_on(page, "train-resnet", "fail")
    _confirm(page)
    _wait(page, lambda d: _state(d, "train-resnet") == "JOB_STATE_FAILED", "the job did not fail")
    assert _jobs(page)["train-resnet"]["error"] == "INTERNAL: Failed from the emulator's web page."
    assert _refs(page, "k80-pool", "holders") == ["train-bert", "eval-bert"]

    _press(page, "#reset")
    _confirm(page)
    _wait(page, lambda d: _text(d, ".resource") is None and not _jobs(d), "the reset left something")


def test_a_thousand_jobs_page_and_filter(driver: Any) -> None:
    service = demo_service()
    for number in range(QUEUED_BEHIND):
        service.create_job(PARENT, job(f"sweep-{number:04d}", "demo-resource", worker_pool(K80, 1)), "v1")
    for number in range(QUEUED_BEHIND, 1000):
        body = job(f"special-{number:04d}" if number % 100 == 99 else f"sweep-{number:04d}", "")
        body["jobSpec"] = {"workerPoolSpecs": [worker_pool({"machineType": "n1-standard-4"}, 1)]}
        service.create_job(PARENT, body, "v1")
    for page in _open(driver, service):
        queued = _refs(page, "k80-pool", "queued")
        assert queued[:3] == ["train-bert", "eval-bert", "sweep-0000"] and len(queued) == 20
        assert _text(page, ".pool[data-pool='k80-pool'] .refs.queued p") == f"… and {QUEUED_BEHIND + 2 - 20} more."
        first = set(_jobs(page))
        assert len(first) == 25
        _press(page, "#next-page")
        _wait(page, lambda d: _text(d, "#page-info").startswith("Page 2"), "no second page")
        second = set(_jobs(page))
        assert len(second) == 25 and not first & second

        from selenium.webdriver.support.ui import Select

        state = Select(page.find_element(_by().ID, "job-state"))
        assert state.first_selected_option.text == "Any state"
        state.select_by_visible_text("FAILED (1)")
        _wait(page, lambda d: _text(d, "#page-info") == "Page 1 · 1 job shown", "the state was not applied")
        assert list(_jobs(page)) == ["smoke-test"]
        state.select_by_value("")

        page.find_element(_by().ID, "job-name").send_keys("special")
        _press(page, "#job-filter button[type=submit]")
        _wait(page, lambda d: _text(d, "#page-info") == "Page 1 · 10 jobs shown", "the filter was not applied")
        assert sorted(_jobs(page)) == [f"special-{number:04d}" for number in range(99, 1000, 100)]
        assert not page.find_element(_by().ID, "next-page").is_enabled()


def test_without_the_control_api_the_page_is_read_only(driver: Any) -> None:
    for page in _open(driver, demo_service(), HttpOptions(control=False)):
        _wait(page, lambda d: _bar(d, "k80-pool")["numbers"] == [2, 2, 2], "the pools are not shown")
        assert "Read-only" in _text(page, "#clock")
        assert not page.find_element(_by().ID, "controls").is_displayed()
        assert _bar(page, "cpu-pool")["numbers"] == [3, 3, 4]
        assert _text(page, ".pool[data-pool='k80-pool'] .refs.holders p") == "Known only to the control API."
        assert "a100-cluster" in _text(page, "tr[data-operation]")
        jobs = _jobs(page)
        assert len(jobs) == 5 and {job["actions"] for job in jobs.values()} == {""}

        location = page.find_element(_by().ID, "scope-location")
        location.clear()
        location.send_keys("europe-west4")
        _press(page, "#scope-form button[type=submit]")
        _wait(page, lambda d: _text(d, ".resource") is None and not _jobs(d), "another location shows the same")


def test_the_control_token_unlocks_the_actions(driver: Any) -> None:
    for page in _open(driver, demo_service(), HttpOptions(control_token="secret")):
        assert "--control-token" in _text(page, "#mode")
        assert not page.find_element(_by().ID, "controls").is_displayed()
        assert {job["actions"] for job in _jobs(page).values()} == {""}
        assert _refs(page, "k80-pool", "holders") == []
        for token in ("wrong", "secret"):
            page.find_element(_by().ID, "control-token").send_keys(token)
            _press(page, "#token-form button[type=submit]")
            if token == "wrong":
                _wait(page, lambda d: _text(d, "#status") == "The control API refused that token.", "no refusal shown")
        _wait(page, lambda d: _refs(d, "k80-pool", "holders") == ["train-resnet"], "the holders are not shown")
        assert page.find_element(_by().ID, "reset").is_displayed()
        assert not page.find_element(_by().ID, "token-form").is_displayed()
        _act_on(page, "train-resnet", "cancel")
        _confirm(page)
        _wait(page, lambda d: _state(d, "train-resnet") == "JOB_STATE_CANCELLING", "the job is not cancelling")


def test_the_page_shows_pipelines_and_whose_job_holds_a_pool(driver: Any) -> None:
    service, held, job = pipelines_service()
    for page in _open(driver, service):
        _wait(page, lambda d: d.find_elements("css selector", "table.pipelines tr[data-pipeline]"), "no pipelines")
        rows = _read(
            page,
            """return [...document.querySelectorAll("table.pipelines tr[data-pipeline]")].map((row) => ({
              name: row.dataset.pipeline, state: row.dataset.state,
              job: (row.querySelector(".backing-job code") || {}).dataset?.job || null,
              error: row.querySelector(".error-text").textContent}));""",
        )
        assert rows[0]["name"] == held
        assert rows[0]["job"] == job and rows[0]["state"] == "PIPELINE_STATE_RUNNING"
        assert rows[1]["job"] is None and rows[1]["error"].startswith("INVALID_ARGUMENT")
        owner = _read(page, "return document.querySelector(`.refs.holders li .owner`).dataset.pipeline;")
        assert owner == held
