"""The fast text paths agree with the references they replace: JSON text (``jsontext``, orjson with
the standard library behind it) with ``json``, and timestamps (``clock.rfc3339``) with protobuf's
own ``Timestamp`` JSON."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from vertex_emulator import jsontext
from vertex_emulator.clock import ManualClock, rfc3339
from vertex_emulator.domain.record import Record

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, the standard library takes over
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates included
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_what_is_written_reads_back_the_same_by_the_standard_library(value: Any) -> None:
    assert json.loads(jsontext.dumps(value)) == value


@given(values, st.sampled_from([{}, {"indent": 1}, {"ensure_ascii": False}]))
def test_any_text_the_standard_library_writes_reads_as_it_reads_it(value: Any, style: dict[str, Any]) -> None:
    text = json.dumps(value, **style)
    assert jsontext.loads(text) == json.loads(text)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_the_literals_orjson_refuses_read_as_the_standard_library_reads_them(text: str) -> None:
    assert repr(jsontext.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["{", '{"a": 1,}', "[1] x", "'a'", ""])
def test_a_refused_text_raises_the_standard_library_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        jsontext.loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert (ours.value.msg, ours.value.pos) == (theirs.value.msg, theirs.value.pos)


def test_sorted_text_is_the_same_for_equal_data_in_any_order() -> None:
    assert jsontext.dumps({"b": 1, "a": [2]}, sort_keys=True) == jsontext.dumps({"a": [2], "b": 1}, sort_keys=True)
    assert jsontext.dumps({"b": 2**70, "a": 1}, sort_keys=True) == b'{"a":1,"b":1180591620717411303424}'


first = datetime(1, 1, 1, tzinfo=UTC).timestamp()


instants = st.integers(min_value=round(first * 1e6), max_value=round(ManualClock.LAST_INSTANT * 1e6))


@given(instants | instants.map(lambda micros: micros - micros % 1000) | instants.map(lambda m: m - m % 1_000_000))
def test_timestamps_read_as_protobuf_writes_them(micros: int) -> None:
    """Over the whole range, with 6, 3 and no fraction digits (whole milliseconds and seconds, the
    manual clock's usual instants, drawn as often as any)."""
    seconds, fraction = divmod(micros, 1_000_000)
    instant = seconds + fraction / 1e6
    moment = datetime.fromtimestamp(instant, UTC)
    expected = Timestamp(seconds=math.floor(moment.replace(microsecond=0).timestamp()), nanos=moment.microsecond * 1000)
    assert rfc3339(instant) == expected.ToJsonString()


moments = st.sampled_from([0.0, 1767225600.0, 1767225600.5, 1767225601.25])


@given(moments, st.none() | moments, st.none() | moments, moments)
def test_a_records_stamps_are_each_instant_written_once_or_again_the_same(
    create: float, start: float | None, end: float | None, update: float
) -> None:
    """``Record.stamps`` reuses the text of an equal instant: drawn from four instants, so that
    most draws repeat one, every stamp must read as its own instant formatted alone."""
    record = Record("projects/p/locations/l/customJobs/1", {}, "v1", 1, create, update)
    expected = {"createTime": rfc3339(create), "updateTime": rfc3339(update)}
    if start is not None:
        expected["startTime"] = rfc3339(start)
    if end is not None:
        expected["endTime"] = rfc3339(end)
    assert record.stamps(start, end) == expected
    assert list(record.stamps(start, end))[-1] == "updateTime"
