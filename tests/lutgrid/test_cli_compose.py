"""``lutgrid compile --compose``: a graph of several ops as stitched blocks."""

from __future__ import annotations

from fabric.bitstream import Bitstream
from lutgrid.selfcheck import run_cli

SOURCE = """
from compiler.ir import Graph

def build():
    g = Graph()
    a, b, c = g.input("a", bits=4), g.input("b", bits=4), g.input("c", bits=4)
    g.output("y", g.sub(g.add(a, b, bits=None), c, bits=6))
    return g
"""


def test_compose_compiles_checks_and_writes(tmp_path) -> None:
    src = tmp_path / "prog.py"
    src.write_text(SOURCE)
    out = tmp_path / "prog.lgb"
    got = run_cli(["compile", f"{src}:build", "--compose", "-o", str(out)])
    assert got.status == 0, got
    assert "composed flow" in got.stdout
    assert "every output bit equals the reference" in got.stdout
    bs = Bitstream.load(out)
    assert set(bs.iomap.outputs) == {"y"}


def test_compose_out_of_budget_is_named_and_writes_nothing(tmp_path) -> None:
    src = tmp_path / "prog.py"
    src.write_text(SOURCE)
    out = tmp_path / "prog.lgb"
    got = run_cli(["compile", f"{src}:build", "--compose", "--time-budget", "0",
                   "-o", str(out)])
    assert got.status != 0
    last = got.stderr.strip().splitlines()[-1]   # progress lines come first
    assert last.startswith("lutgrid compile: error:") and "time budget" in last, last
    assert "block op3.add[0]" in last
    assert not out.exists()


def test_compose_of_a_block_too_large_is_named_and_writes_nothing(tmp_path) -> None:
    # x of 10 bits: wider than the linear macro takes (8), too large for the general flow
    src = tmp_path / "lin.py"
    src.write_text("from compiler.ir import Graph\n\ndef build():\n    g = Graph()\n"
                   "    x = g.input('x', dim=6, bits=10)\n"
                   "    g.output('y', g.linear(x, [[3, -5, 7, 1, 2, -8]] * 4, bits=8))\n"
                   "    return g\n")
    out = tmp_path / "lin.lgb"
    got = run_cli(["compile", f"{src}:build", "--compose", "-o", str(out)])
    assert got.status == 2, got
    last = got.stderr.strip().splitlines()[-1]
    assert last.startswith("lutgrid compile: error: does not fit: block op1.linear"), last
    assert not out.exists()
