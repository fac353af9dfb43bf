"""A hyperparameter tuning job's ``studySpec``: what the emulator refuses at create, and its parameters.

Everything reads the canonical proto3-JSON form ``vertex_emulator.wire`` produces from the
official ``StudySpec`` message (camelCase keys, enum names, int64 as strings, defaults omitted:
a ``minValue`` of 0 is absent). The refusals are the emulator's texts; the real service's are not
public (README, "Hyperparameter tuning"). Field paths are snake_case from the tuning job, as in
``study_spec.parameters[1].double_value_spec.min_value``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vertex_emulator.errors import bad_field

Spec = Mapping[str, Any]

GRID_SEARCH = "GRID_SEARCH"
RANDOM_SEARCH = "RANDOM_SEARCH"
ALGORITHM_UNSPECIFIED = "ALGORITHM_UNSPECIFIED"
LOG = "UNIT_LOG_SCALE"
REVERSE_LOG = "UNIT_REVERSE_LOG_SCALE"
LOG_SCALES = frozenset({LOG, REVERSE_LOG})
BEST = "BEST_MEASUREMENT"
LAST = "LAST_MEASUREMENT"
MAXIMIZE = "MAXIMIZE"
MINIMIZE = "MINIMIZE"

DOUBLE = "doubleValueSpec"
INTEGER = "integerValueSpec"
CATEGORICAL = "categoricalValueSpec"
DISCRETE = "discreteValueSpec"
VALUE_SPECS = (DOUBLE, INTEGER, CATEGORICAL, DISCRETE)
CONDITIONS = {INTEGER: "parentIntValues", CATEGORICAL: "parentCategoricalValues", DISCRETE: "parentDiscreteValues"}
"""The condition a child of a parent of each type names its parent's values with (doubles have none)."""
MAX_DISCRETE_VALUES = 1000
MIN_DISCRETE_GAP = 1e-10

_SNAKE = {
    DOUBLE: "double_value_spec",
    INTEGER: "integer_value_spec",
    CATEGORICAL: "categorical_value_spec",
    DISCRETE: "discrete_value_spec",
    "parentIntValues": "parent_int_values",
    "parentCategoricalValues": "parent_categorical_values",
    "parentDiscreteValues": "parent_discrete_values",
}


@dataclass(frozen=True)
class Parameter:
    """One parameter spec, read once: its type, its feasible values or range, and its children.

    ``children`` pairs each conditional child with the parent values it applies to.
    """

    id: str
    kind: str
    scale: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()
    children: tuple[tuple[frozenset[Any], Parameter], ...] = ()

    def children_for(self, value: Any) -> list[Parameter]:
        """The conditional parameters that apply when this parameter takes ``value``."""
        return [child for when, child in self.children if value in when]

    def walk(self) -> Iterator[Parameter]:
        """This parameter and every conditional one below it, depth first."""
        yield self
        for _, child in self.children:
            yield from child.walk()


def kind_of(parameter: Spec) -> str | None:
    """Which ``parameter_value_spec`` a parameter spec sets (the proto's oneof), or None."""
    return next((kind for kind in VALUE_SPECS if kind in parameter), None)


def check(study: Spec | None) -> list[Parameter]:
    """Refuse a study spec the emulator cannot run; return its parameters, read."""
    if not study:
        raise bad_field("study_spec", "study_spec is required.")
    _check_metrics(study.get("metrics") or [])
    specs = study.get("parameters") or []
    if not specs:
        raise bad_field("study_spec.parameters", "study_spec.parameters must name at least one parameter.")
    parameters = [_parameter(spec, f"study_spec.parameters[{index}]") for index, spec in enumerate(specs)]
    seen: set[str] = set()
    for top in parameters:
        for parameter in top.walk():
            if parameter.id in seen:
                raise bad_field("study_spec.parameters", f'Parameter id "{parameter.id}" is used twice.')
            seen.add(parameter.id)
    if study.get("algorithm") == GRID_SEARCH:
        _check_grid(specs, "study_spec.parameters")
    return parameters


def _check_metrics(metrics: Sequence[Spec]) -> None:
    if not metrics:
        raise bad_field("study_spec.metrics", "study_spec.metrics must name at least one metric to optimize.")
    seen: set[str] = set()
    for index, metric in enumerate(metrics):
        where = f"study_spec.metrics[{index}]"
        metric_id = metric.get("metricId", "")
        if not metric_id:
            raise bad_field(f"{where}.metric_id", f"{where}.metric_id is required.")
        if metric_id in seen:
            raise bad_field(f"{where}.metric_id", f'Metric id "{metric_id}" is used twice.')
        seen.add(metric_id)
        if metric.get("goal") not in (MAXIMIZE, MINIMIZE):
            raise bad_field(f"{where}.goal", f"{where}.goal must be MAXIMIZE or MINIMIZE.")


def _parameter(spec: Spec, where: str) -> Parameter:
    parameter_id = spec.get("parameterId", "")
    if not parameter_id:
        raise bad_field(f"{where}.parameter_id", f"{where}.parameter_id is required.")
    kind = kind_of(spec)
    if kind is None:
        raise bad_field(
            where,
            f"{where} (parameter {parameter_id!r}) needs one of double_value_spec, integer_value_spec, "
            "categorical_value_spec or discrete_value_spec.",
        )
    scale = spec.get("scaleType", "SCALE_TYPE_UNSPECIFIED")
    values_at = f"{where}.{_SNAKE[kind]}"
    value_spec = spec[kind]
    if kind in (DOUBLE, INTEGER):
        low, high = _range(value_spec, kind, scale, values_at)
        parameter = Parameter(parameter_id, kind, scale, low=low, high=high)
    else:
        parameter = Parameter(parameter_id, kind, scale, values=_values(value_spec, kind, scale, values_at))
    children = spec.get("conditionalParameterSpecs") or []
    if not children:
        return parameter
    if kind == DOUBLE:
        raise bad_field(
            f"{where}.conditional_parameter_specs",
            f"Parameter {parameter_id!r} is a DOUBLE; only INTEGER, CATEGORICAL and DISCRETE parameters "
            "can have conditional parameters.",
        )
    read = tuple(
        _child(parameter, child, f"{where}.conditional_parameter_specs[{index}]")
        for index, child in enumerate(children)
    )
    return Parameter(parameter.id, kind, scale, parameter.low, parameter.high, parameter.values, read)


def _range(value_spec: Spec, kind: str, scale: str, where: str) -> tuple[float, float]:
    number = float if kind == DOUBLE else int
    low, high = number(value_spec.get("minValue", 0)), number(value_spec.get("maxValue", 0))
    if low > high:
        raise bad_field(where, f"{where} is inverted: min_value {low} is greater than max_value {high}.")
    if kind == DOUBLE and low == high:
        raise bad_field(where, f"{where} is empty: min_value and max_value are both {low}.")
    if scale in LOG_SCALES and low <= 0:
        raise bad_field(
            where,
            f"{where}: {scale} needs a range of positive values, and [{low}, {high}] includes 0 or less.",
        )
    return float(low), float(high)


def _values(value_spec: Spec, kind: str, scale: str, where: str) -> tuple[Any, ...]:
    values = tuple(value_spec.get("values") or ())
    if not values:
        raise bad_field(f"{where}.values", f"{where}.values is empty: it needs at least one value.")
    if kind == CATEGORICAL:
        if len(set(values)) != len(values):
            raise bad_field(f"{where}.values", f"{where}.values holds a value twice.")
        return values
    if len(values) > MAX_DISCRETE_VALUES:
        raise bad_field(f"{where}.values", f"{where}.values holds more than {MAX_DISCRETE_VALUES} values.")
    if any(after - before < MIN_DISCRETE_GAP for before, after in itertools.pairwise(values)):
        raise bad_field(
            f"{where}.values", f"{where}.values must be in increasing order and at least {MIN_DISCRETE_GAP} apart."
        )
    if scale in LOG_SCALES and values[0] <= 0:
        raise bad_field(f"{where}.values", f"{where}.values: {scale} needs positive values, and {values[0]} is not.")
    return tuple(float(value) for value in values)


def _child(parent: Parameter, spec: Spec, where: str) -> tuple[frozenset[Any], Parameter]:
    condition = CONDITIONS[parent.kind]
    wrong = next((name for name in CONDITIONS.values() if name in spec and name != condition), None)
    if wrong is not None or condition not in spec:
        raise bad_field(
            where,
            f"{where}: a child of the {parent.kind.removesuffix('ValueSpec').upper()} parameter "
            f"{parent.id!r} names its parent's values with {_SNAKE[condition]}.",
        )
    raw = (spec[condition] or {}).get("values") or []
    when = frozenset(int(value) if parent.kind == INTEGER else value for value in raw)
    if not when:
        raise bad_field(f"{where}.{_SNAKE[condition]}.values", f"{where}.{_SNAKE[condition]}.values is empty.")
    outside = sorted(str(value) for value in when if not _feasible(parent, value))
    if outside:
        raise bad_field(
            f"{where}.{_SNAKE[condition]}.values",
            f"{where}: {', '.join(outside)} is not a feasible value of the parent parameter {parent.id!r}.",
        )
    if "parameterSpec" not in spec:
        raise bad_field(f"{where}.parameter_spec", f"{where}.parameter_spec is required.")
    return when, _parameter(spec["parameterSpec"], f"{where}.parameter_spec")


def _feasible(parameter: Parameter, value: Any) -> bool:
    if parameter.kind == INTEGER:
        return parameter.low <= value <= parameter.high
    return value in parameter.values


def _check_grid(specs: Sequence[Spec], where: str) -> None:
    """GRID_SEARCH needs a finite grid: no DOUBLE anywhere, conditional parameters included."""
    for index, spec in enumerate(specs):
        here = f"{where}[{index}]"
        if DOUBLE in spec:
            raise bad_field(
                f"{here}.double_value_spec",
                f"GRID_SEARCH cannot search the DOUBLE parameter {spec.get('parameterId')!r}: "
                "all parameters must be INTEGER, CATEGORICAL, or DISCRETE.",
            )
        children = spec.get("conditionalParameterSpecs") or []
        _check_grid(
            [child.get("parameterSpec") or {} for child in children],
            f"{here}.conditional_parameter_specs",
        )


def grid_size(parameters: Sequence[Parameter]) -> int:
    """How many points the grid of these parameters has, conditional branches included."""
    return math.prod(points(parameter) for parameter in parameters)


def points(parameter: Parameter) -> int:
    if parameter.kind == INTEGER:
        special = special_values(parameter)
        plain = int(parameter.high - parameter.low + 1) - len(special)
        return plain + sum(grid_size(parameter.children_for(value)) for value in special)
    return sum(grid_size(parameter.children_for(value)) for value in parameter.values)


def special_values(parameter: Parameter) -> list[int]:
    """The integers of an INTEGER parameter's range that have conditional children, ascending."""
    return sorted({value for when, _ in parameter.children for value in when})
