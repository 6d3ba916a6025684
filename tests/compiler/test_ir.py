"""The word-level IR and its numpy reference (DESIGN §5 definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph, GraphError, WordType, reference, rshift_int, width_for


def test_rshift_definition():
    assert [rshift_int(v, 1) for v in (-3, -2, -1, 0, 1, 2, 3)] == [-1, -1, 0, 0, 1, 1, 2]
    assert rshift_int(5, 0) == 5
    assert rshift_int(-6, 2) == -1  # floor((-6 + 2) / 4)


def test_width_for():
    assert width_for(0, 0) == (0, False)
    assert width_for(0, 255) == (8, False)
    assert width_for(-128, 127) == (8, True)
    assert width_for(-129, 0) == (9, True)
    assert width_for(-1, 128) == (9, True)


def test_word_type_fit():
    t = WordType(4, True)
    assert (t.lo, t.hi) == (-8, 7)
    assert t.fit_int(9, "sat") == 7 and t.fit_int(-20, "sat") == -8
    assert t.fit_int(9, "wrap") == -7
    assert WordType(4, False).fit_int(-1, "wrap") == 15


def test_reference_ops():
    g = Graph()
    a = g.input("a", 2, bits=8)
    b = g.input("b", 2, bits=8)
    g.output("add", g.add(a, b, bits=8))
    g.output("wadd", g.add(a, b, bits=8, mode="wrap"))
    g.output("sub", g.sub(a, b, bits=4))
    g.output("mul", g.mul(a, b, shift=4, bits=8))
    g.output("cm", g.const_mul(a, [3, -5], shift=1, bits=None))
    g.output("max", g.max(a, b))
    g.output("lin", g.linear(a, [[1, 2], [-3, 4]], [1, -1], shift=1, bits=6))
    g.output("dot", g.dot(a, b, shift=2, bits=10))
    g.output("sl", g.slice(g.concat([a, b]), 1, 3))
    toks = {"a": np.array([[100, -3], [-128, 7]]), "b": np.array([[100, 5], [-1, -8]])}
    r = reference(g, toks)
    assert r["add"].tolist() == [[127, 2], [-128, -1]]
    assert r["wadd"].tolist() == [[-56, 2], [127, -1]]
    assert r["sub"].tolist() == [[0, -8], [-8, 7]]
    assert r["mul"].tolist() == [[127, -1], [8, -3]]
    assert r["cm"].tolist() == [[150, 8], [-192, -17]]
    assert r["max"].tolist() == [[100, 5], [-1, 7]]
    assert r["lin"].tolist() == [[31, -32], [-32, 31]]
    assert r["dot"][:, 0].tolist() == [511, 18]  # sat(rshift(9985, 2)), rshift(72, 2)
    assert r["sl"].tolist() == [[-3, 100], [7, -1]]


def test_table_and_delay():
    g = Graph()
    x = g.input("x", 1, bits=3, signed=True)
    g.output("t", g.table(x, [10, 11, 12, 13, 14, 15, 16, 17], bits=6))
    g.output("d", g.delay(x, 2))
    toks = {"x": np.array([1, -1, 2, 3, -4, 0, 1]), "first": np.array([1, 0, 0, 0, 1, 0, 0])}
    r = reference(g, toks)
    assert r["t"][:, 0].tolist() == [11, 17, 12, 13, 14, 10, 11]
    # t<2 -> 0; t=4,5 see first at 4 -> 0
    assert r["d"][:, 0].tolist() == [0, 0, 1, -1, 0, 0, -4]


def test_ranges_and_types():
    g = Graph()
    x = g.input("x", 2, bits=4)
    y = g.linear(x, [[1, 0], [2, -3]], None, bits=None)
    assert y.lo == (-8, -37) and y.hi == (7, 38)
    assert y.type == WordType(7, True)
    u = g.input("u", 1, bits=4, signed=False)
    assert g.rshift(u, 2).hi == (4,)
    assert g.max(u, g.const(-3)).lo == (0,)
    assert g.delay(g.add(u, g.const(1), bits=None), 1).lo == (0,)


def test_errors():
    g = Graph()
    x = g.input("x", 2, bits=4)
    with pytest.raises(GraphError, match="different dims"):
        g.add(x, g.input("y", 3, bits=4))
    with pytest.raises(GraphError, match="needs 16"):
        g.table(x, [0] * 8, bits=4)
    with pytest.raises(GraphError, match="does not fit"):
        g.table(x, [100] * 16, bits=4)
    with pytest.raises(GraphError, match="shape"):
        g.linear(x, [[1, 2, 3]])
    with pytest.raises(GraphError, match="another graph"):
        Graph().add(x, x)
    with pytest.raises(GraphError, match="reserved"):
        g.input("first")
    with pytest.raises(GraphError, match="declared twice"):
        g.input("x")
    with pytest.raises(GraphError, match="mode"):
        g.add(x, x, bits=4, mode="clip")
    with pytest.raises(GraphError, match="width"):
        g.add(x, x, bits=0)
    g.output("o", x)
    with pytest.raises(GraphError, match="missing"):
        reference(g, {})
    with pytest.raises(GraphError, match="outside"):
        reference(g, {"x": np.array([[9, 0]]), "y": np.zeros((1, 3), int)})
