"""The benchmark's code paths, on the tiny plan, so that ``make bench`` cannot rot.

No timing is asserted: only that every section runs against the real emulator, the floor and
(when installed) moto, and reports every figure it promises in the shape the table and the JSON
file use. The comparisons with moto are skipped when the ``bench`` extra is not installed.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from bench import instructions, run
from bench.stats import Row, paired, table

MOTO = run.moto_installed()
needs_moto = pytest.mark.skipif(not MOTO, reason="moto is not installed (pip install -e '.[bench]')")


def _check(rows: list[Row]) -> None:
    for row in rows:
        assert math.isfinite(row.value) and row.value > 0, row
        assert (row.met in (True, False)) if row.target else row.met is None, row
        if row.baseline_name:
            assert row.baseline is not None and row.baseline > 0, row
            assert row.ratio is not None and row.ratio > 0, row


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One run of every section on the tiny plan, through the command line, as ``make bench`` runs it."""
    path = tmp_path_factory.mktemp("bench") / "latest.json"
    assert run.main(["--plan", "tiny", "--json", str(path)]) == 0
    return json.loads(path.read_text())


def test_every_section_reports_its_figures(results: dict) -> None:
    rows = [Row(**row) for row in results["rows"]]
    _check(rows)
    sections = {row.section for row in rows}
    assert {"cold start", "per-test setup (in-process)", "per call (SDK, in-process)", "memory"} <= sections
    cold = [row.measure for row in rows if row.section == "cold start"]
    assert any("first answered create" in measure for measure in cold)
    assert any("health" in measure for measure in cold)
    calls = [row.measure for row in rows if row.section == "per call (SDK, in-process)"]
    assert any("training_pipeline" in measure for measure in calls)
    assert any("hyperparameter_tuning_job" in measure for measure in calls)
    assert {"scaling, 1 pool", "scaling, 2 pools"} <= sections
    measures = [row.measure for row in rows]
    assert sum("admit" in measure for measure in measures) == 2
    gets = [row for row in rows if row.measure.startswith("get a job")]
    assert gets and all(row.baseline_name.endswith("plus a plain read's growth") for row in gets)
    plain = [row for row in rows if "plain read" in row.measure]
    assert [row.section for row in plain] == ["scaling, 1 pool"] and plain[0].target == ""
    assert sum(row.target != "" for row in rows) == len(rows) - len(plain)
    assert any("--data-dir" in measure for measure in measures)
    assert results["moto"] is MOTO
    assert results["plan"] == "tiny"


@needs_moto
def test_moto_is_compared_where_it_is_installed(results: dict) -> None:
    compared = {
        row["section"]
        for row in results["rows"]
        if "moto" in row["baseline_name"] or "mock_aws" in row["baseline_name"]
    }
    assert compared == {
        "cold start",
        "per-test setup (in-process)",
        "per call (SDK, in-process)",
        "HTTP, 2 concurrent clients",
    }
    cold = [row for row in results["rows"] if row["section"] == "cold start"]
    assert all(row["baseline_name"].startswith("moto_server") for row in cold)


def test_the_report_has_a_table_line_per_figure(results: dict) -> None:
    rows = [Row(**row) for row in results["rows"]]
    lines = table(rows).splitlines()
    assert len(lines) == len(rows) + 2
    assert all(line.startswith("|") and line.endswith("|") for line in lines)
    report = run.report(results)
    assert table(rows) in report
    assert f"{len(rows)} figures" in report


def test_comparisons_alternate_and_take_medians_of_ratios() -> None:
    order: list[str] = []
    values = iter([1.0, 1.0, 2.0, 10.0, 6.0, 3.0])

    def measured(name: str) -> float:
        order.append(name)
        return next(values)

    result = paired(lambda: measured("a"), lambda: measured("b"), 3, warm=False)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert (result.subject, result.baseline) == (6.0, 2.0)
    assert result.ratio == 2.0, "the median of 1/1, 10/2 and 6/3, not the ratio of the medians (3)"


needs_valgrind = pytest.mark.skipif(instructions.valgrind() is None, reason="valgrind is not installed")


@needs_valgrind
def test_instruction_counts_grow_with_the_work_counted() -> None:
    """The counter itself, on a loop small enough for a test: the counted runs of the full plan
    take a minute (the SDK's start-up under valgrind)."""
    loop = "import sys\nfor _ in range(int(sys.argv[1])): sum(range(100))"
    fewer, more = (instructions.count([sys.executable, "-S", "-c", loop, str(n)]) for n in (1000, 3000))
    assert fewer > 1_000_000
    per_addition = (more - fewer) / (2000 * 100)
    assert 10 < per_addition < 1000, per_addition


@pytest.mark.parametrize("subject", instructions.SUBJECTS)
def test_the_counted_child_answers_its_pairs(subject: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.instructions", subject, "2"],
        cwd=instructions.ROOT,
        env={**os.environ, "NO_GCE_CHECK": "True"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_plans_without_pairs_to_count_count_nothing() -> None:
    assert instructions.measure(0, 0) == []
    assert run.PLANS["full"].instruction_pairs[0] < run.PLANS["full"].instruction_pairs[1]
