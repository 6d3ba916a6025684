"""The wiring column (compiler/macros/wires.py): a program of slices and concats alone
laid out as one cell per bit, matched instead of composed; refusals."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph
from compiler.macros.match import match_wires
from compiler.macros.wires import WiresLayoutError, wires_bitstream
from compiler.program import compile_program
from sim.check import check_program


def _gather() -> Graph:
    """Outputs that reorder and regroup the elements of two inputs."""
    g = Graph()
    a = g.input("a", dim=3, bits=4)
    b = g.input("b", dim=2, bits=4)
    u = g.input("u", bits=3, signed=False)
    g.output("y", g.concat([g.slice(b, 1, 2), g.slice(a, 0, 2), g.slice(b, 0, 1)]))
    g.output("z", u)
    return g


def test_a_gather_is_one_cell_per_bit_and_streams_exactly() -> None:
    prog = compile_program(_gather(), "gather")
    assert prog.flow == "wiring column"
    bs = prog.bitstream
    assert (bs.width, bs.height) == (1, 3 * 4 + 2 * 4 + 3)   # every input bit a row
    assert bs.iomap.latency == 1
    assert int(np.count_nonzero(bs.configs)) == 4 * 4 + 3    # a[2] is read by no output
    check_program(prog, tokens=200)


def test_what_is_not_plain_wiring_is_not_matched() -> None:
    g = Graph()
    a = g.input("a", dim=2, bits=4)
    g.output("y", g.concat([g.slice(a, 1, 2), g.slice(a, 1, 2)]))   # one bit read twice
    assert match_wires(g) is None
    g = Graph()
    a = g.input("a", dim=2, bits=4)
    g.output("y", g.concat([a, g.const([1], bits=4)]))              # a constant
    assert match_wires(g) is None
    g = Graph()
    a = g.input("a", bits=4)
    g.output("y", g.rshift(a, 1))                                  # an op
    assert match_wires(g) is None


def test_refusals_name_the_bit() -> None:
    with pytest.raises(WiresLayoutError, match=r"output y bit 0 reads \('b', 0\)"):
        wires_bitstream({"a": 2}, {"y": [("b", 0)]})
    with pytest.raises(WiresLayoutError, match=r"input bit \('a', 1\) is read by output y"):
        wires_bitstream({"a": 2}, {"y": [("a", 1)], "z": [("a", 1)]})
    with pytest.raises(WiresLayoutError, match="no input bits"):
        wires_bitstream({}, {})
