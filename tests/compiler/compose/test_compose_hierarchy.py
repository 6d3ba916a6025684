"""Cut points and parts (compiler/compose/hierarchy.py): where a program's dataflow
passes through one value, and the parts that compose on their own."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose import compose_graph, stitch
from compiler.compose.hierarchy import WIRING, cut_points, part_split, partition
from compiler.ir import Graph, reference
from compiler.program import block_library

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the back-end tests' generators
from composed import check_composed, random_graph_tokens  # noqa: E402
from test_compile_graphs import random_graph  # noqa: E402


def test_cut_points_of_a_residual_chain() -> None:
    """a = lin(x); b = a + x (reads a and a token); c = table(b); d = c + b: the flow
    passes through a and through b alone, not through c (d reads b, older than c)."""
    g = Graph()
    x = g.input("x", 2, 4)
    a = g.linear(x, [[1, 2], [3, -1]], shift=1, bits=4)
    b = g.add(a, x, bits=4)
    c = g.table(b, [(v * 3) % 16 - 8 for v in range(16)], bits=4)
    d = g.add(c, b, bits=4)
    g.output("y", d)
    assert cut_points(g) == [a.id, b.id]
    # parts of at least 3 blocks: a (1 block) is too small a first part, b is not
    assert partition(g, {a.id: 1, b.id: 2, c.id: 2, d.id: 2}, 3) == [b.id]
    assert partition(g, {a.id: 1, b.id: 2, c.id: 2, d.id: 2}, 4) == []
    # b carries 2 x 4 bits: a cut of at most 7 bits is not there
    assert partition(g, {a.id: 1, b.id: 2, c.id: 2, d.id: 2}, 3, max_bits=7) == []


def test_an_output_read_early_blocks_later_cuts() -> None:
    g = Graph()
    x = g.input("x", 1, 4)
    a = g.rshift(x, 1)
    b = g.table(a, [(v * 5) % 8 - 4 for v in range(1 << a.bits)], bits=4)
    g.output("y", g.add(b, x, bits=5))
    g.output("z", a)              # read at the end: the flow never passes through b alone
    assert cut_points(g) == [a.id]


def _run_parts(split, toks: dict) -> dict:
    """Evaluate the parts of ``split`` one after the other, each on the token inputs and
    the values earlier parts output (``v{id}``); the last part's outputs."""
    made: dict = {}
    out = None
    for inst in split.instances:
        ins = {name: (made[name] if name in made else toks[name])
               for name in inst.graph.inputs}
        out = reference(inst.graph, ins)
        made.update(out)
    assert out is not None
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 14))
def test_parts_in_sequence_compute_the_program(seed: int, n_ops: int) -> None:
    """Cut at every cut point: evaluating the parts one after the other (each part
    reading the cut value, token inputs shared) gives every output of every token of
    the whole program."""
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_ops)
    cuts = cut_points(g)
    split = part_split(g, cuts)
    assert len(split.instances) == len(cuts) + 1
    for inst in split.instances[1:]:      # a cut point: the cut value is all a part reads
        assert len([n for n in inst.graph.inputs if n.startswith("v")]) <= 1
    toks = random_graph_tokens(g, rng, 64)
    want = reference(g, toks)
    got = _run_parts(split, toks)
    for name in g.outputs:
        assert np.array_equal(got[name], want[name]), name


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 14), st.data())
def test_parts_cut_anywhere_compute_the_program(seed: int, n_ops: int, data) -> None:
    """Cut after any ops, not only at cut points: a value read beyond the next part is
    taken straight from the part that made it, and every output of every token is the
    whole program's."""
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_ops)
    computed = [i for i, op in enumerate(g.ops) if op.kind not in WIRING]
    cuts = sorted(data.draw(st.sets(st.sampled_from(computed[:-1]), max_size=4))
                  if len(computed) > 1 else set())
    split = part_split(g, cuts)
    # a part of constants alone joins its neighbour: every part reads something
    assert 1 <= len(split.instances) <= len(cuts) + 1
    assert all(inst.graph.inputs for inst in split.instances)
    toks = random_graph_tokens(g, rng, 64)
    want = reference(g, toks)
    got = _run_parts(split, toks)
    for name in g.outputs:
        assert np.array_equal(got[name], want[name]), name


def test_a_part_of_constants_alone_joins_the_next_and_names_do_not_clash() -> None:
    """table(c) of a constant reads nothing: cut before every op, it joins the add that
    reads it. Inputs and outputs named v<N> move the parts' value names to v_<N>."""
    g = Graph()
    x = g.input("v1", bits=4)
    t = g.table(g.const([3], bits=3, signed=False), list(range(8)), bits=4, signed=True)
    y = g.add(x, t, bits=5)
    g.output("v2", g.add(y, x, bits=6))
    cuts = [i - 1 for i, op in enumerate(g.ops) if op.kind not in WIRING and i > 0]
    split = part_split(g, cuts)
    assert len(split.instances) == 2 < len(cuts) + 1
    assert all(inst.graph.inputs for inst in split.instances)
    assert set(split.instances[1].graph.inputs) == {f"v_{y.id}", "v1"}   # y, the token
    toks = {"v1": np.arange(-8, 8).reshape(16, 1)}
    got = _run_parts(split, toks)
    assert np.array_equal(got["v2"], reference(g, toks)["v2"])


def _residual_chain() -> Graph:
    """Two residual sublayers, x1 = x + relu-ish table(lin(x)), y = x1 + lin(x1): the
    flow passes through x1 alone."""
    g = Graph()
    x = g.input("x", 2, 4)
    h = g.table(g.linear(x, [[2, -1], [1, 3]], shift=2, bits=4),
                [max(0, v - 8) for v in range(16)], bits=4, signed=True)
    x1 = g.add(x, h, bits=4)
    g.output("y", g.add(x1, g.linear(x1, [[1, 1], [-2, 1]], shift=2, bits=4), bits=4))
    return g


def test_a_program_composed_in_parts_is_bit_exact(monkeypatch) -> None:
    """Lower the thresholds so that this small program is composed in parts: each part
    on its own, then the parts stitched as blocks; the program streams bit-exact, also on
    a defect map, and its blocks are the parts."""
    g = _residual_chain()
    monkeypatch.setattr(stitch, "HIER_MIN_BLOCKS", 4)
    monkeypatch.setattr(stitch, "HIER_MIN_PART", 3)
    said: list[str] = []
    res = compose_graph(g, block_library(), progress=said.append)
    parts = [m for m in said if m.startswith("composing in ")]
    assert parts, said
    n = int(parts[0].split()[2])
    assert n >= 2 and [b.name for b in res.blocks] == [f"part{k}" for k in range(n)]
    assert all(b.flow == "composed" for b in res.blocks)
    check_composed(g, res, seed=5)
