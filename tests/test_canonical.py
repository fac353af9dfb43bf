"""The one-walk canonical dict (``vertex_emulator.canonical``) against protobuf's own parser.

Whenever the walk answers, protobuf must accept the very same body and read it back to the very
same dict; whenever protobuf refuses a body, the walk must not answer (so every refusal keeps
protobuf's words). Bodies are drawn from the official descriptors of the request messages, mixing
valid values with every shape the walk leaves to protobuf.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st

from bench import workload
from vertex_emulator import canonical, wire
from vertex_emulator.versions import VERSIONS

MESSAGES = ("CustomJob", "PersistentResource", "TrainingPipeline", "HyperparameterTuningJob")


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` four times in five, else ``odd``: deep bodies stay valid often enough to be walked."""
    return st.integers(0, 4).flatmap(lambda pick: odd if pick == 0 else valid)


INTEGERS = mostly(
    st.integers(min_value=-(2**31), max_value=2**32) | st.integers(min_value=0, max_value=2**40).map(str),
    st.integers(min_value=-(2**64), max_value=2**65).flatmap(lambda number: st.sampled_from([number, str(number)]))
    | st.sampled_from(["007", "-0", "+1", "1 ", "1_000", "0x10", "", "1.0", "1e3", 1.0, 1.5, -2.0, True, False]),
)
DOUBLES = mostly(
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-(2**60), max_value=2**60),
    st.floats() | st.sampled_from(["NaN", "Infinity", "-Infinity", "1.5", "nan", True, -0.0, 2**1100]),
)
STRINGS = mostly(st.text(max_size=8), st.sampled_from(["\ud800", "a\udfffb", 1, True, None]))
WRONG = st.sampled_from([None, [], {}, "x", 1, 1.5, True])
WELL_KNOWN = st.one_of(
    st.sampled_from(["3600s", "1.5s", "-2s", "0s", "bad", "2026-12-01T00:00:00Z", "2026-13-01T00:00:00Z"]),
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=6,
    ),
)


def _scalar(field: Any) -> st.SearchStrategy[Any]:
    if field.enum_type is not None:
        values = field.enum_type.values
        return mostly(
            st.sampled_from([value.name for value in values]) | st.sampled_from([value.number for value in values]),
            st.sampled_from(["NOT_A_VALUE", "1", 999, True, 1.0]),
        )
    if field.type == field.TYPE_STRING:
        return STRINGS
    if field.type == field.TYPE_BOOL:
        return mostly(st.booleans(), st.sampled_from(["true", 1, 0]))
    if field.type in (field.TYPE_DOUBLE, field.TYPE_FLOAT):
        return DOUBLES
    if field.type == field.TYPE_BYTES:
        return st.sampled_from(["aGk=", "!!", ""])
    return INTEGERS


def _value(field: Any, depth: int) -> st.SearchStrategy[Any]:
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        value = message.fields_by_name["value"]
        return mostly(st.dictionaries(st.text(max_size=4), _single(value, depth), max_size=3), WRONG)
    if field.is_repeated:
        return mostly(st.lists(_single(field, depth), max_size=3), WRONG)
    return mostly(_single(field, depth), WRONG)


def _single(field: Any, depth: int) -> st.SearchStrategy[Any]:
    message = field.message_type
    if message is None:
        return _scalar(field)
    if message.full_name.startswith("google.protobuf."):
        return WELL_KNOWN
    if depth <= 0:
        return st.just({})
    return bodies(message, depth - 1)


def bodies(descriptor: Any, depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of ``descriptor``: some of its fields by either name, now and then a key it lacks."""
    fields = list(descriptor.fields)

    @st.composite
    def body(draw: st.DrawFn) -> dict[str, Any]:
        chosen = draw(st.lists(st.sampled_from(fields), max_size=min(len(fields), 4), unique=True)) if fields else []
        made: dict[str, Any] = {}
        for field in chosen:
            key = draw(st.sampled_from([field.json_name, field.json_name, field.name]))
            made[key] = draw(_value(field, depth))
        if fields and draw(st.integers(0, 9)) == 0:
            made[draw(st.sampled_from([field.name for field in fields]))] = draw(WRONG)
        if draw(st.integers(0, 19)) == 0:
            made["notAField"] = 1
        return made

    return body()


def _protobuf(cls: Any, body: dict[str, Any]) -> dict[str, Any] | Exception:
    pb = cls()
    try:
        json_format.ParseDict(body, pb)
        return json_format.MessageToDict(pb)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as error:
        return error


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("message", MESSAGES)
@given(data=st.data())
def test_the_walk_answers_only_what_protobuf_reads_back_the_same(version: str, message: str, data: Any) -> None:
    cls = wire.message_class(version, message)
    body = data.draw(bodies(cls.DESCRIPTOR))
    made = canonical.canonical(cls.DESCRIPTOR, body)
    if made is None:
        return
    exact = _protobuf(cls, body)
    assert not isinstance(exact, Exception), f"the walk accepted what protobuf refuses: {exact}"
    assert made == exact


def test_what_the_sdk_sends_takes_the_walk_with_protobuf_s_field_order() -> None:
    """The REST clients' bodies (enums as numbers, int64 as strings) are the walk's, not protobuf's
    fallback, and come out in field-number order as MessageToDict writes them."""
    from google.cloud import aiplatform_v1

    sent = json.loads(
        json_format.MessageToJson(
            aiplatform_v1.CustomJob.from_json(json.dumps(workload.job_body()))._pb, use_integers_for_enums=True
        )
    )
    cls = wire.message_class("v1", "CustomJob")
    made = canonical.canonical(cls.DESCRIPTOR, sent)
    assert made is not None
    assert json.dumps(made) == json.dumps(_protobuf(cls, sent))


def test_a_snake_case_body_in_another_order_takes_the_walk_and_comes_out_in_field_order() -> None:
    """curl users write proto field names, in any order: still the walk's (each field checked
    against its other spelling only), sorted into the order MessageToDict writes."""
    body = {
        "labels": {"team": "ml"},
        "job_spec": {
            "worker_pool_specs": [
                {"container_spec": {"image_uri": "x"}, "replica_count": "1", "machine_spec": {"machine_type": "n1"}}
            ]
        },
        "display_name": "snake",
    }
    cls = wire.message_class("v1", "CustomJob")
    made = canonical.canonical(cls.DESCRIPTOR, body)
    assert made is not None
    assert json.dumps(made) == json.dumps(_protobuf(cls, body))
    assert list(made) == ["displayName", "jobSpec", "labels"]


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": "a", "display_name": "b"},
        {"displayName": None},
        {"jobSpec": {"workerPoolSpecs": [{"replicaCount": 1.0}]}},
        {"jobSpec": {"workerPoolSpecs": [{"machineSpec": {"acceleratorType": "1"}}]}},
        {"jobSpec": {"scheduling": {"timeout": "soon"}}},
        {"labels": {"team": 1}},
    ],
)
def test_shapes_left_to_protobuf(body: dict[str, Any]) -> None:
    """A key given twice, a null, an integral float, an enum number as a string, a bad Duration, a
    map value of the wrong type: protobuf decides (and words the refusal)."""
    assert canonical.canonical(wire.message_class("v1", "CustomJob").DESCRIPTOR, body) is None
