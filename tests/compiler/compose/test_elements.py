"""compiler.compose.elements: elementwise ops taken apart element by element compute
the original program bit for bit; one op per element per fabric in a pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose.elements import per_element
from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
from compiler.compose.split import ELEMENTWISE
from compiler.ir import Graph, Value, reference
from compiler.transformer import BlockSpec, block_graph
from sim.simulators import numpy_stage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the back-end tests' generators
sys.path.insert(0, str(Path(__file__).resolve().parent))
from composed import check_as_chip, random_graph_tokens  # noqa: E402
from test_compile_graphs import random_graph  # noqa: E402


def random_vector_graph(rng: np.random.Generator, n_ops: int) -> Graph:
    """Random elementwise ops (per-element constants and tables included) on vectors
    of 2-4 words, with slices, concats, a linear and a dot among them."""
    g = Graph()
    dim = int(rng.integers(2, 5))
    pool = [g.input("a", dim, int(rng.integers(2, 5)), bool(rng.integers(2))),
            g.input("b", dim, int(rng.integers(2, 5)), bool(rng.integers(2)))]

    def pick() -> Value:
        return pool[int(rng.integers(len(pool)))]

    def bits() -> int:
        return int(rng.integers(2, 6))

    for _ in range(n_ops):
        a, b = pick(), pick()
        k = int(rng.integers(11))
        if k == 0:
            v = g.add(a, b, bits=bits(), mode=str(rng.choice(["sat", "wrap"])))
        elif k == 1:
            v = g.sub(a, b, bits=bits())
        elif k == 2:
            v = g.const_mul(a, [int(c) for c in rng.integers(-5, 6, dim)],
                            shift=int(rng.integers(0, 2)), bits=bits())
        elif k == 3:
            v = g.mul(a, b, shift=1, bits=bits())
        elif k == 4:
            v = g.max(a, b, pick())
        elif k == 5:
            x = g.sat(a, 3) if a.bits > 3 else a
            v = g.table(x, [int(t) for t in rng.integers(-8, 8, 1 << x.bits)], 4)
        elif k == 6:
            v = g.delay(a, int(rng.integers(1, 3)))
        elif k == 7:
            v = g.sum([a, b, pick()], bits=bits())
        elif k == 8:
            v = g.concat([g.slice(b, 1, dim), g.slice(a, 0, 1)])    # a rotation
        elif k == 9:
            v = g.linear(a, rng.integers(-3, 4, (dim, dim)), shift=1, bits=bits())
        else:
            v = g.rshift(g.sat(a, 4), 1)
        pool.append(v)
    g.output("y", pool[-1])
    g.output("z", g.dot(pool[-2], pool[-1], shift=2, bits=6))
    return g


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 16), st.booleans())
def test_per_element_computes_the_program(seed: int, n_ops: int, vectors: bool) -> None:
    rng = np.random.default_rng(seed)
    g = random_vector_graph(rng, n_ops) if vectors else random_graph(rng, n_ops)
    pe = per_element(g)
    for op, v in zip(pe.ops, pe.values, strict=True):
        assert op.kind not in ELEMENTWISE or v.dim == 1
    assert {n: (v.dim, v.type) for n, v in pe.outputs.items()} == \
        {n: (v.dim, v.type) for n, v in g.outputs.items()}
    toks = random_graph_tokens(g, rng, 64)
    want, got = reference(g, toks), reference(pe, toks)
    for name in want:
        assert np.array_equal(got[name], want[name]), name


def test_a_block_one_element_per_fabric_gathers_its_outputs_on_wiring() -> None:
    """d_model 2: every add, table and delay element on a fabric of its own, the output
    gathered by a wiring column (no fabric passes an earlier value through)."""
    g = block_graph(BlockSpec(2, window=2, attention="relu"), seed=4)
    whole = compile_pipeline(g, "b", cut_before_every_op, time_budget=300)
    apart = compile_pipeline(g, "b", cut_before_every_op, time_budget=300, elements=True)
    assert len(apart.bitstreams) > len(whole.bitstreams)
    assert apart.parts[-1].flow == "wiring column"
    tokens = apart.random_tokens(200, seed=3)
    apart.check(apart.run(tokens, numpy_stage(seed=2)), tokens, "one element per fabric")


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_random_vector_programs_one_element_per_fabric(seed: int, n_ops: int) -> None:
    """Compiled and streamed (with restarts) as a row of fabrics and as one chip."""
    g = random_vector_graph(np.random.default_rng(seed), n_ops)
    pipe = compile_pipeline(g, "v", cut_before_every_op, time_budget=300, workers=1,
                            elements=True)
    tokens = pipe.random_tokens(96, seed=seed)
    pipe.check(pipe.run(tokens, numpy_stage(seed=2)), tokens, f"vector program {seed}")
    check_as_chip(pipe, tokens, f"vector chip {seed}", seed=0)
