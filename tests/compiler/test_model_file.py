"""compiler.model_file: the JSON model file round-trips exactly and names what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose.blocks import graph_key
from compiler.ir import Graph, reference
from compiler.model_file import (
    FIELDS,
    ModelFileError,
    dumps_model,
    load_model,
    loads_model,
    save_model,
)
from compiler.transformer import BlockSpec, LMSpec, block_graph, lm_graph, random_lm_params


def _every_op() -> Graph:
    """A graph with every op kind the file knows."""
    g = Graph()
    x = g.input("x", dim=3, bits=4)
    t = g.input("t", bits=3, signed=False)
    c = g.const([1, -2, 3], bits=4)
    s = g.add(x, c, bits=5)
    d = g.sub(x, c, mode="wrap", bits=4)
    m = g.mul(s, d, shift=2, bits=6)
    k = g.const_mul(m, [3, -1, 2], shift=1)
    mx = g.max(s, d, x)
    sel = g.select(d, s, mx)
    e = g.embed(t, [[i, -i] for i in range(6)], bits=4)
    lin = g.linear(sel, [[1, -2, 3], [0, 7, -8]], b=[1, 2], shift=1, bits=4)
    dt = g.dot(lin, e, shift=1, bits=5)
    tb = g.table(g.slice(x, 0, 1), [v // 2 for v in range(16)], bits=3, signed=False)
    dl = g.delay(g.concat([dt, tb]), 2)
    r = g.rshift(g.sum([k, mx], bits=9), 2)
    g.output("y", g.concat([g.sat(r, 4), g.wrap(dl, 3)]))
    g.output("i", g.argmax(x))
    return g


def _tokens(g: Graph, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    toks = {name: rng.integers(v.type.lo, v.type.hi + 1, (n, v.dim))
            for name, v in g.inputs.items() if name != "first"}
    if "first" in g.inputs:
        first = (rng.random(n) < 0.1).astype(np.int64)
        first[0] = 1
        toks["first"] = first
    return toks


@pytest.mark.parametrize("make", [_every_op,
                                  lambda: block_graph(BlockSpec(4, heads=2, window=3)),
                                  lambda: block_graph(BlockSpec(2, weights="ternary")),
                                  lambda: block_graph(BlockSpec(4, heads=2, norm="rms")),
                                  lambda: lm_graph(LMSpec(20, BlockSpec(2, attention="softmax")),
                                                   random_lm_params(LMSpec(20, BlockSpec(2)),
                                                                    3))])
def test_round_trip_is_exact(make, tmp_path: Path) -> None:
    g = make()
    path = tmp_path / "m.json"
    save_model(g, path)
    back = load_model(path)
    assert graph_key(back) == graph_key(g)
    assert dumps_model(back) == path.read_text()
    toks = _tokens(g, 64, seed=1)
    want, got = reference(g, toks), reference(back, toks)
    assert all(np.array_equal(want[o], got[o]) for o in want)


def test_the_file_covers_every_op_kind() -> None:
    kinds = {rec["op"] for rec in json.loads(dumps_model(_every_op()))["ops"]}
    assert kinds == set(FIELDS)


@settings(max_examples=40, deadline=None)
@given(w=st.lists(st.lists(st.integers(-8, 7), min_size=3, max_size=3), min_size=1,
                  max_size=4), shift=st.integers(0, 4), bits=st.integers(2, 8),
       signed=st.booleans(), mode=st.sampled_from(["sat", "wrap"]))
def test_random_linear_layers_round_trip(w: list[list[int]], shift: int, bits: int,
                                         signed: bool, mode: str) -> None:
    g = Graph()
    x = g.input("x", dim=3, bits=5)
    g.output("y", g.linear(x, w, shift=shift, bits=bits, signed=signed, mode=mode))
    back = loads_model(dumps_model(g))
    assert graph_key(back) == graph_key(g)
    assert back.outputs["y"].type == g.outputs["y"].type


def _doc(g: Graph | None = None) -> dict:
    if g is None:
        g = Graph()
        x = g.input("x", dim=2, bits=4)
        g.output("y", g.table(g.linear(x, [[1, 2], [3, 4]], shift=1, bits=4),
                              list(range(8)) + [0] * 8, bits=3, signed=False))
    return json.loads(dumps_model(g))


def _error(doc: object) -> str:
    with pytest.raises(ModelFileError) as info:
        loads_model(json.dumps(doc), "m.json")
    return str(info.value)


def test_errors_name_the_op_and_the_problem() -> None:
    doc = _doc()
    assert "format version 2" in _error({**doc, "version": 2})
    assert "not a lutgrid model file" in _error({k: v for k, v in doc.items()
                                                 if k != "format"})
    bad = _doc()
    bad["ops"][1]["op"] = "softmax"
    assert "op 1: unknown op 'softmax'" in _error(bad)
    bad = _doc()
    bad["ops"][1]["W"] = [[1, 2, 3], [3, 4, 5]]                     # shape
    assert "op 1 (linear): linear: W has shape (2, 3), expected (d_out, 2)" in _error(bad)
    bad = _doc()
    bad["ops"][2]["table"] = list(range(8))                         # wrong length
    assert "op 2 (table): table: 8 entries, but a 4-bit index needs 16" in _error(bad)
    bad = _doc()
    bad["ops"][2]["table"][3] = 9                                   # entry out of range
    assert "op 2 (table): table: entry 3 = 9 does not fit u3" in _error(bad)
    bad = _doc()
    bad["ops"][1]["bits"] = 0                                       # bit width
    assert "op 1 (linear): word width must be an int >= 1, got 0" in _error(bad)
    bad = _doc()
    bad["ops"][1]["bits"] = "4"
    assert "op 1 (linear) field 'bits': expected an integer" in _error(bad)
    bad = _doc()
    bad["ops"][1]["W"][0][1] = 2.5
    assert "op 1 (linear) field 'W': expected a list of lists of integers" in _error(bad)
    bad = _doc()
    bad["ops"][1]["x"] = 2                                          # forward reference
    assert "op 1 (linear) field 'x': operand 2 is not an earlier op" in _error(bad)
    bad = _doc()
    del bad["ops"][1]["shift"]
    assert "op 1 (linear): missing field 'shift'" in _error(bad)
    bad = _doc()
    bad["ops"][1]["gain"] = 2
    assert "op 1 (linear): unknown field 'gain'" in _error(bad)
    assert "output 'y': 7 is not an op index" in _error({**_doc(), "outputs": {"y": 7}})
    with pytest.raises(ModelFileError, match="m.json: not JSON"):
        loads_model("{", "m.json")


def test_a_delay_needs_first_declared_before_it() -> None:
    g = Graph()
    x = g.input("x", bits=4)
    g.output("y", g.delay(x, 1))
    doc = _doc(g)
    assert [r["op"] for r in doc["ops"]] == ["input", "first", "delay"]
    doc["ops"] = [doc["ops"][0], {**doc["ops"][2], "x": 0}]
    doc["outputs"] = {"y": 1}
    assert "op 1 (delay): 'first' must come before" in _error(doc)


def test_save_writes_nothing_for_a_graph_without_outputs(tmp_path: Path) -> None:
    g = Graph()
    g.input("x", bits=4)
    with pytest.raises(ModelFileError, match="no outputs"):
        save_model(g, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "missing.json")
