"""What cloudml-hypertune writes to ``CLOUD_ML_HP_METRIC_FILE``, read back as trial measurements.

The library rewrites the whole file on each report: one ``json.dumps(sort_keys=True)`` line per
report, the last 100 kept, each with ``timestamp``, ``trial``, ``global_step``,
``checkpoint_path`` and the metric under its tag, values as strings. Each line becomes one
``Measurement`` (``stepCount`` and ``metrics``) in the order written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BOOKKEEPING = frozenset({"timestamp", "trial", "global_step", "checkpoint_path"})


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def measurements(path: Path) -> list[dict[str, Any]]:
    """The measurements in a metric file; a missing file or an unreadable line adds none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            report = json.loads(line)
        except ValueError:
            continue
        if not isinstance(report, dict):
            continue
        metrics = [
            {"metricId": key, "value": value}
            for key, raw in sorted(report.items())
            if key not in BOOKKEEPING and (value := _number(raw)) is not None
        ]
        if metrics:
            step = _number(report.get("global_step")) or 0
            found.append({"stepCount": str(int(step)), "metrics": metrics})
    return found
