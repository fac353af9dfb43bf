"""The running total of held replicas (``pool_rules.Holding``): admission reads it in O(1)."""

from __future__ import annotations

import copy
import pickle

import pytest

from vertex_emulator.domain.pool_rules import Holding, replicas_held
from vertex_emulator.domain.resources import PersistentResource


def test_the_total_follows_every_change() -> None:
    holding = Holding({"a": 2})
    holding["b"] = 3
    holding["a"] = 1
    assert holding.total == 4 == replicas_held(holding)
    assert holding.pop("b") == 3
    assert holding.pop("missing", 0) == 0
    del holding["a"]
    assert holding.total == 0
    with pytest.raises(KeyError):
        holding.pop("missing")


def test_a_plain_mapping_is_summed() -> None:
    assert replicas_held({"a": 2, "b": 5}) == 7


def test_copies_keep_the_total() -> None:
    holding = Holding({"a": 2, "b": 1})
    for copied in (copy.deepcopy(holding), pickle.loads(pickle.dumps(holding)), copy.copy(holding)):
        assert isinstance(copied, Holding)
        assert copied == holding
        assert copied.total == 3


def test_a_resource_restored_with_plain_holders_counts_them() -> None:
    """Snapshots restore holders as plain dicts: the record turns them into running totals."""
    spec = {"resourcePools": [{"id": "p", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "9"}]}
    resource = PersistentResource(
        name="r", spec=spec, version="v1", seq=1, create_time=0, update_time=0, holders={"p": {"job-1": 2, "job-2": 3}}
    )
    assert resource.used("p") == 5
    resource.hold("job-3", {"p": 4})
    assert resource.used("p") == 9
    assert resource.release("job-1") == {"p": 2}
    assert resource.used("p") == 7
