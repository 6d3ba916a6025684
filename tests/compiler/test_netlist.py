"""Unit tests of the bit-level netlist (ARCHITECTURE §7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.netlist import Netlist, NetlistError, bits_to_words, evaluate

XOR3 = 0x96
MAJ3 = 0xE8


def brute(table: int, bits: list[int]) -> int:
    j = sum(b << i for i, b in enumerate(bits))
    return (table >> j) & 1


def test_full_adder_evaluates():
    nl = Netlist()
    a, b, c = (nl.input("v", i) for i in range(3))
    nl.output("s", 0, nl.lut([a, b, c], XOR3))
    nl.output("s", 1, nl.lut([a, b, c], MAJ3))
    v = np.arange(8)
    out = evaluate(nl, {"v": v})["s"]
    assert list(bits_to_words(out)) == [bin(x).count("1") for x in v]
    st_ = nl.stats()
    assert st_.luts == 2 and st_.inputs == 3 and st_.outputs == 2 and st_.depth == 1


def test_normalisation():
    nl = Netlist()
    a, b = nl.input("a", 0), nl.input("b", 0)
    one, zero = nl.const(1), nl.const(0)
    assert nl.lut([a, one], 0b1000) == a                      # a & 1 = a (buffer)
    assert nl.lut([a, zero], 0b1000) == zero                  # a & 0
    assert nl.lut([a, a], 0b0110) == zero                     # a ^ a
    x = nl.lut([a, b], 0b0110)
    assert nl.lut([b, a], 0b0110) == x                        # sorted + hashed
    assert nl.lut([a, b, one], 0b0110_0110) == x              # ignored input dropped
    na = nl.lut([a], 0b01)
    assert nl.lut([na], 0b01) == a                            # double inversion
    y = nl.lut([na, b], 0b0110)                               # inverter absorbed
    assert nl.nodes[y].inputs == (a, b) and nl.nodes[y].table == 0b1001
    assert len(nl.nodes[y].inputs) == 2


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.data())
def test_lut_normalisation_preserves_function(k, data):
    nl = Netlist()
    pool = [nl.input("x", i) for i in range(3)] + [nl.const(0), nl.const(1)]
    pool.append(nl.lut([pool[0]], 0b01))
    ins = [data.draw(st.sampled_from(pool)) for _ in range(k)]
    table = data.draw(st.integers(0, (1 << (1 << k)) - 1))
    s = nl.lut(ins, table)
    nl.output("y", 0, s)
    for i in range(len(ins)):
        nl.output("i", i, ins[i])
    v = np.arange(8)
    out = evaluate(nl, {"x": v})
    for t in range(8):
        bits = [int(out["i"][t, i]) for i in range(len(ins))]
        assert out["y"][t, 0] == brute(table, bits)


def test_delay_and_depths():
    nl = Netlist()
    a = nl.input("a", 0)
    d = nl.delay(nl.delay(a, 1), 2)
    assert nl.nodes[d].k == 3 and nl.nodes[d].inputs == (a,)
    assert nl.delay(a, 3) == d and nl.delay(a, 0) == a
    assert nl.delay(nl.const(0), 5) == nl.const(0)
    x = nl.lut([a, d], 0b0110)
    nl.output("y", 0, x)
    out = evaluate(nl, {"a": np.array([1, 0, 1, 1, 0, 0, 1])})["y"][:, 0]
    assert list(out) == [1, 0, 1, 0, 0, 1, 0]
    dep = nl.depths()
    assert dep[a] == 0 and dep[d] == -3 and dep[x] == 1


def test_pruned_keeps_function():
    nl = Netlist()
    a, b = nl.input("a", 0), nl.input("a", 1)
    nl.lut([a, b], 0b0001)  # dead
    y = nl.lut([a, b], 0b1000)
    nl.output("y", 0, y)
    p = nl.pruned()
    assert p.stats().luts == 1 and len(p) < len(nl)
    v = np.arange(4)
    assert np.array_equal(evaluate(p, {"a": v})["y"], evaluate(nl, {"a": v})["y"])


def test_errors():
    nl = Netlist()
    a = nl.input("a", 0)
    with pytest.raises(NetlistError, match="at most 4"):
        nl.lut([a] * 5, 0)
    with pytest.raises(NetlistError, match="unknown signal 99"):
        nl.lut([a, 99], 0)
    with pytest.raises(NetlistError, match="does not fit 4 entries"):
        nl.lut([a, nl.input("a", 1)], 1 << 4)
    with pytest.raises(NetlistError, match="0 or 1"):
        nl.const(2)
    with pytest.raises(NetlistError, match="k must be"):
        nl.delay(a, -1)
    nl.output("y", 0, a)
    with pytest.raises(NetlistError, match="already driven"):
        nl.output("y", 0, a)
    with pytest.raises(NetlistError, match="'a'.*missing"):
        evaluate(nl, {"b": np.zeros(3)})


def test_bits_input_form():
    nl = Netlist()
    nl.output("y", 0, nl.lut([nl.input("a", 0), nl.input("a", 1)], 0b0110))
    bits = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.uint8)
    assert list(evaluate(nl, {"a": bits})["y"][:, 0]) == [0, 1, 1, 0]
    assert list(bits_to_words(np.array([[1, 1], [0, 1]]), signed=True)) == [-1, -2]
