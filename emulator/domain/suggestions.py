"""The parameters of each trial: a walk of the grid, or draws from the emulator's seeded generator.

Trial ``n``'s parameters are a function of the emulator's seed, the study's parameters and ``n``
alone, so the same seed gives the same trials on every run, whatever else the run does.

- **GRID_SEARCH** walks the grid like an odometer: parameters in the order the study lists them,
  the last one changing fastest; each parameter's values in order (an INTEGER from ``minValue`` up,
  DISCRETE and CATEGORICAL values in the order given). A value with conditional parameters stands
  for every combination of their values, walked the same way. Once the grid is walked, no further
  trial is suggested: the job ends with fewer than ``maxTrialCount`` trials.
- **RANDOM_SEARCH** and **ALGORITHM_UNSPECIFIED** (Bayesian optimisation on the real service; the
  emulator has no model to fit, so it draws at random too) draw each parameter independently:
  a DOUBLE uniformly on its scale (linear; log: uniform in the logarithm, dense near ``minValue``;
  reverse log: the mirror image, dense near ``maxValue``), an INTEGER the same way on
  ``[min - 0.5, max + 0.5]`` then rounded, so that each integer of a linear range is as likely;
  a DISCRETE or CATEGORICAL parameter one of its values, each as likely.
- A conditional parameter is drawn, and appears in the trial, only when its parent took one of the
  values its condition names; the trial lists it right after its parent.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from typing import Any

from vertex_emulator.domain.study import (
    CATEGORICAL,
    DISCRETE,
    DOUBLE,
    GRID_SEARCH,
    INTEGER,
    LOG,
    REVERSE_LOG,
    Parameter,
    grid_size,
    points,
    special_values,
)

Assignment = list[tuple[str, Any]]
"""A trial's parameters: (parameter id, value) in the order the trial lists them."""


def suggest(parameters: Sequence[Parameter], algorithm: str, seed: int, number: int) -> Assignment | None:
    """The parameters of trial ``number`` (1, 2, ...), or None when a grid has no point left."""
    if algorithm == GRID_SEARCH:
        index = number - 1
        return grid_point(parameters, index) if index < grid_size(parameters) else None
    draw = random.Random(f"vertex-emulator:{seed}:{number}")
    chosen: Assignment = []
    for parameter in parameters:
        _draw(parameter, draw, chosen)
    return chosen


def grid_point(parameters: Sequence[Parameter], index: int) -> Assignment:
    """Point ``index`` (from 0) of the grid: mixed radix over the parameters, the last one fastest."""
    digits: list[int] = []
    for parameter in reversed(parameters):
        size = points(parameter)
        digits.append(index % size)
        index //= size
    chosen: Assignment = []
    for parameter, digit in zip(parameters, reversed(digits), strict=True):
        value, rest = _nth_value(parameter, digit)
        chosen.append((parameter.id, value))
        chosen += grid_point(parameter.children_for(value), rest)
    return chosen


def _nth_value(parameter: Parameter, index: int) -> tuple[Any, int]:
    """The value holding point ``index`` of one parameter's points, and the index among its children's."""
    if parameter.kind == INTEGER:
        cursor = int(parameter.low)
        for value in special_values(parameter):
            plain = value - cursor
            if index < plain:
                return cursor + index, 0
            index -= plain
            size = grid_size(parameter.children_for(value))
            if index < size:
                return value, index
            index -= size
            cursor = value + 1
        return cursor + index, 0
    for value in parameter.values:
        size = grid_size(parameter.children_for(value))
        if index < size:
            return value, index
        index -= size
    raise IndexError(index)


def _draw(parameter: Parameter, draw: random.Random, chosen: Assignment) -> None:
    if parameter.kind == DOUBLE:
        value: Any = on_scale(draw.random(), parameter.low, parameter.high, parameter.scale)
    elif parameter.kind == INTEGER:
        spread = on_scale(draw.random(), parameter.low - 0.5, parameter.high + 0.5, parameter.scale)
        value = min(max(round(spread), int(parameter.low)), int(parameter.high))
    else:
        value = parameter.values[min(int(draw.random() * len(parameter.values)), len(parameter.values) - 1)]
    chosen.append((parameter.id, value))
    for child in parameter.children_for(value):
        _draw(child, draw, chosen)


def on_scale(unit: float, low: float, high: float, scale: str) -> float:
    """Map ``unit`` in [0, 1] onto [low, high] by a scale type; a log scale needs ``low`` > 0.

    An INTEGER's widened range ``[min - 0.5, ...]`` may start at 0.5 on a log scale, still positive.
    The result is clamped to the range: rounding must not put a draw outside the feasible space
    (found by the deep profile: reverse log at 0 gave ``low`` less an ulp).
    """
    if scale == LOG:
        value = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    elif scale == REVERSE_LOG:
        value = low + high - on_scale(1 - unit, low, high, LOG)
    else:
        value = low + unit * (high - low)
    return min(high, max(low, value))


def value_json(parameter: Parameter, value: Any) -> Any:
    """A parameter's value as ``Trial.parameters[].value`` carries it: a number, or a string for CATEGORICAL."""
    return value if parameter.kind == CATEGORICAL else float(value)


def argument(parameter: Parameter, value: Any) -> str:
    """A value as the trial's command line gets it: ``--ID=VALUE``.

    INTEGER values, and DISCRETE values that are whole numbers, are written without a fraction
    (``--batch_size=64``), so ``argparse``'s ``type=int`` reads them; other numbers as Python writes
    them (``--learning_rate=0.0123``). The real service's formatting is not documented.
    """
    if parameter.kind == CATEGORICAL:
        text = str(value)
    elif parameter.kind == INTEGER or (parameter.kind == DISCRETE and float(value).is_integer()):
        text = str(int(value))
    else:
        text = repr(float(value))
    return f"--{parameter.id}={text}"


def stand_in(seed: int, metric_id: str, assignment: Assignment) -> float:
    """The stand-in value of a metric: a number in [0, 1) fixed by the seed and the trial's parameters.

    Not a result: it only gives code that picks the best trial something to pick when nothing
    reported a measurement (README, "Hyperparameter tuning"; the control API's view says so).
    """
    text = repr((seed, metric_id, sorted((key, repr(value)) for key, value in assignment)))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
