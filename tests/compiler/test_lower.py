"""Lowering: random word graphs, netlist evaluation == numpy reference, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.ir import Graph, GraphError, Value, reference
from compiler.lower import lower, word_name
from compiler.netlist import evaluate

T = 320
OPS = ["add", "sub", "const_mul", "mul", "max", "table", "delay", "rshift", "sat", "wrap",
       "sum", "linear", "dot"]


def tokens_for(g: Graph, seed: int, p_first: float = 0.05) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    toks: dict[str, np.ndarray] = {}
    for name, v in g.inputs.items():
        toks[name] = rng.integers(v.type.lo, v.type.hi + 1, (T, v.dim))
    if "first" in g.inputs:
        f = (rng.random(T) < p_first).astype(np.int64)
        f[0] = rng.integers(0, 2)  # the netlist agrees even without the stream-start flag
        toks["first"] = f
    return toks


def check(g: Graph, seed: int = 0) -> None:
    low = lower(g)
    toks = tokens_for(g, seed)
    ref = reference(g, toks)
    got = low.run(toks)
    for name in ref:
        if not np.array_equal(ref[name], got[name]):
            bad = np.argwhere(ref[name] != got[name])[0]
            raise AssertionError(f"output {name!r} token {bad[0]} element {bad[1]}: "
                                 f"ref {ref[name][tuple(bad)]} netlist {got[name][tuple(bad)]}")


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    g = Graph()
    dim = draw(st.integers(1, 2))
    vals: list[Value] = []
    for i in range(draw(st.integers(1, 3))):
        bits = draw(st.integers(1, 6))
        signed = draw(st.booleans()) if bits > 1 else False
        vals.append(g.input(f"in{i}", dim, bits, signed))
    n_ops = draw(st.integers(1, 6))
    small = st.integers(2, 10)
    for _ in range(n_ops):
        op = draw(st.sampled_from(OPS))
        a = draw(st.sampled_from(vals))
        b = draw(st.sampled_from(vals))
        mode = draw(st.sampled_from(["sat", "wrap"]))
        signed = draw(st.booleans())
        bits = draw(st.one_of(st.none(), small))
        if op == "add":
            v = g.add(a, b, bits, signed, mode)
        elif op == "sub":
            v = g.sub(a, b, bits, signed, mode)
        elif op == "const_mul":
            c = draw(st.lists(st.integers(-40, 40), min_size=dim, max_size=dim))
            v = g.const_mul(a, c, draw(st.integers(0, 3)), bits, signed, mode)
        elif op == "mul":
            v = g.mul(a, b, draw(st.integers(0, 4)), bits, signed, mode)
        elif op == "max":
            v = g.max(a, b, draw(st.sampled_from(vals)))
        elif op == "table":
            x = a if a.bits <= 6 else g.wrap(a, 6, a.signed)
            tb = draw(small)
            ts = draw(st.booleans())
            lo, hi = (-(1 << (tb - 1)), (1 << (tb - 1)) - 1) if ts else (0, (1 << tb) - 1)
            rng = np.random.default_rng(draw(st.integers(0, 1000)))
            v = g.table(x, rng.integers(lo, hi + 1, 1 << x.bits), tb, ts)
        elif op == "delay":
            v = g.delay(a, draw(st.integers(0, 6)))
        elif op == "rshift":
            v = g.rshift(a, draw(st.integers(0, 4)))
        elif op == "sat":
            v = g.sat(a, draw(small), signed)
        elif op == "wrap":
            v = g.wrap(a, draw(small), signed)
        elif op == "sum":
            v = g.sum([a, b, draw(st.sampled_from(vals))], bits, signed, mode)
        elif op == "linear":
            rng = np.random.default_rng(draw(st.integers(0, 1000)))
            W = rng.integers(-8, 8, (dim, dim))
            bias = rng.integers(-20, 20, dim)
            v = g.linear(a, W, bias, draw(st.integers(0, 3)), bits, signed, mode)
        else:
            d = g.dot(a, b, draw(st.integers(0, 3)), bits, signed, mode)
            v = g.concat([d] * dim)
        if v.bits > 14:
            v = g.sat(v, 12)
        vals.append(v)
    for j, v in enumerate(vals[-draw(st.integers(1, 3)):]):
        g.output(f"out{j}", v)
    return g


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 2**31 - 1))
def test_random_graphs_match_reference(g, seed):
    check(g, seed)


def test_every_op_once():
    g = Graph()
    a = g.input("a", 3, 5, True)
    b = g.input("b", 3, 4, False)
    f = g.first()
    g.output("add", g.add(a, b, 5))
    g.output("sub", g.sub(b, a, 4, signed=False, mode="wrap"))
    g.output("cm", g.const_mul(a, [3, -7, 0], 1, 6))
    g.output("mul", g.mul(a, b, 2, 6))
    g.output("max", g.max(a, b, g.const([1, 2, -3])))
    g.output("tab", g.table(b, list(range(-8, 8)), 4))
    g.output("dly", g.delay(g.add(a, b, None), 7))
    g.output("rs", g.rshift(a, 2))
    g.output("sum", g.sum([a, b, a], 7))
    g.output("lin", g.linear(a, [[1, 2, 3], [-4, 5, -6]], [7, -8], 2, 6))
    g.output("dot", g.dot(a, b, 1, 8))
    g.output("f", f)
    g.output("cc", g.slice(g.concat([a, b]), 2, 5))
    check(g, 1)
    check(g, 2)


def test_interface_names():
    g = Graph()
    x = g.input("x", 2, 4)
    s = g.input("s", 1, 3, False)
    g.output("y", g.add(x, g.concat([s, s]), 6))
    g.output("z", s)
    low = lower(g)
    nl = low.netlist
    assert set(nl.inputs) == {(word_name("x", i, 2), b) for i in range(2) for b in range(4)} | {
        ("s", b) for b in range(3)}
    assert {w for w, _ in nl.outputs} == {"y[0]", "y[1]", "z"}
    assert all(b < 6 for _, b in nl.outputs)
    out = evaluate(nl, low.encode({"x": np.array([[1, -8]]), "s": np.array([7])}))
    assert out["y[1]"].tolist() == [[1, 1, 1, 1, 1, 1]]  # -1 as 6 bits


def test_unused_input_bits_kept():
    g = Graph()
    x = g.input("x", 1, 8)
    g.output("y", g.rshift(x, 6))
    nl = lower(g).netlist
    assert len(nl.inputs) == 8


def test_errors():
    with pytest.raises(GraphError, match="no outputs"):
        lower(Graph())
    g = Graph()
    g.output("y", g.input("x", 1, 4))
    low = lower(g)
    with pytest.raises(GraphError, match="'x' is missing"):
        low.run({})
    with pytest.raises(GraphError, match="shape"):
        low.run({"x": np.zeros((3, 2), int)})


@pytest.mark.parametrize("n", [4, 8])
def test_linear_int4(n):
    rng = np.random.default_rng(n)
    g = Graph()
    x = g.input("x", n, 4)
    g.output("y", g.linear(x, rng.integers(-8, 8, (n, n)), rng.integers(-30, 30, n), 3, 8))
    check(g, 5)
