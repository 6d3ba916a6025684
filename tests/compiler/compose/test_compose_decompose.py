"""compiler.compose.decompose: ops without a block of their own become chains of blocks
that compute exactly what the IR reference computes."""

from __future__ import annotations

import numpy as np
from composed import check_composed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.compose import compose_graph
from compiler.compose.instances import Split
from compiler.compose.split import split_graph
from compiler.ir import Graph, reference
from compiler.lower import word_name
from compiler.macros.match import match_macro
from compiler.program import block_library


def _signed(raw: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    raw = raw & ((1 << bits) - 1)
    return raw - ((raw >> (bits - 1)) & 1) * (1 << bits) if signed else raw


def run_split(split: Split, graph: Graph, tokens: dict[str, np.ndarray]
              ) -> dict[str, np.ndarray]:
    """Evaluate a split instance by instance with the IR reference of each instance's
    own graph, joined by its bit bindings; every instance input must lie in the range
    its graph declares (what its block is built for)."""
    n = len(next(iter(tokens.values())))
    words = {word_name(name, i, v.dim): tokens[name].reshape(n, -1)[:, i]
             for name, v in graph.inputs.items() for i in range(v.dim)}
    outs: list[dict[str, np.ndarray]] = []

    def bit(src: tuple) -> np.ndarray:
        if src[0] == "const":
            return np.full(n, src[1], dtype=np.int64)
        if src[0] == "in":
            return (words[src[1]] >> src[2]) & 1
        return (outs[src[1]][src[2]] >> src[3]) & 1

    for inst in split.instances:
        ins = {}
        for name, v in inst.graph.inputs.items():
            cols = []
            for i in range(v.dim):
                srcs = inst.bindings[word_name(name, i, v.dim)]
                raw = sum(bit(s) << b for b, s in enumerate(srcs))
                val = _signed(raw, v.bits, v.signed)
                assert val.min() >= v.lo[i] and val.max() <= v.hi[i], (inst.name, name)
                cols.append(val)
            ins[name] = np.stack(cols, axis=1)
        res = reference(inst.graph, ins)
        y = inst.graph.outputs["y"]
        outs.append({word_name("y", i, y.dim): res["y"][:, i] for i in range(y.dim)})
    result = {}
    for name, v in graph.outputs.items():
        cols = []
        for i in range(v.dim):
            w = word_name(name, i, v.dim)
            raw = sum(bit(s) << b for b, s in enumerate(split.outputs[w]))
            cols.append(_signed(raw, v.bits, v.signed))
        result[name] = np.stack(cols, axis=1)
    return result


def random_decomposable(rng: np.random.Generator, n_ops: int) -> Graph:
    """A random graph of the decomposed op families over two vector inputs."""
    g = Graph()
    dim = 2
    vals = [g.input("a", dim=dim, bits=int(rng.integers(2, 7))),
            g.input("b", dim=dim, bits=int(rng.integers(2, 7)), signed=bool(rng.integers(2)))]
    for _ in range(n_ops):
        x, y = (vals[int(i)] for i in rng.integers(0, len(vals), 2))
        bits = int(rng.integers(1, 9))
        signed = bool(rng.integers(0, 4))
        kind = rng.choice(["add", "sub", "sat", "wrap", "rshift", "max", "sum", "mul", "dot",
                           "delay", "table", "argmax", "embed", "const_mul"])
        if max(x.bits, y.bits) > 12 and kind in ("mul", "dot"):
            kind = "sat"
        if kind == "add":
            v = g.add(x, y, bits=bits, signed=signed, mode=rng.choice(["sat", "wrap"]))
        elif kind == "sub":
            v = g.sub(x, y, bits=bits, signed=signed)
        elif kind == "sat":
            v = g.sat(x, bits, signed=signed)
        elif kind == "wrap":
            v = g.wrap(x, bits, signed=signed)
        elif kind == "rshift":
            v = g.rshift(x, int(rng.integers(1, x.bits + 2)))
        elif kind == "max":
            v = g.max(x, y, vals[int(rng.integers(0, len(vals)))])
        elif kind == "sum":
            v = g.sum([x, y, x], bits=bits + 2, signed=signed)
        elif kind == "table":
            # an index from a concat of mixed widths: its type is the widest part's
            idx = g.slice(g.concat([x, y]), 0, dim) if x.bits < y.bits <= 8 else x
            ent = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), 1 << idx.bits)
            v = g.table(idx, ent.tolist(), bits=bits)
        elif kind == "const_mul":
            cs = [int(c) for c in rng.integers(-40, 41, x.dim)]
            v = g.const_mul(x, cs, shift=int(rng.integers(0, 4)), bits=bits + 2,
                            signed=signed)
        elif kind == "argmax":
            v = g.concat([g.argmax(g.concat([x, y])), g.argmax(g.concat([y, y]))])
        elif kind == "embed":
            ids = g.wrap(g.slice(x, 0, 1), int(rng.integers(1, 7)), signed=False)
            vocab = int(rng.integers(1, (1 << ids.bits) + 1))
            tab = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (vocab, dim))
            v = g.embed(ids, tab, bits=bits)
        elif kind == "delay":
            v = g.delay(x, int(rng.integers(0, 4)))
        elif kind == "mul":
            v = g.mul(x, y, shift=int(rng.integers(0, 4)), bits=bits, signed=signed)
        else:
            d = g.dot(x, y, shift=int(rng.integers(0, 4)), bits=bits + 1, signed=signed)
            v = g.concat([d, d])
        vals.append(v)
    g.output("y", vals[-1])
    g.output("z", vals[len(vals) // 2])
    return g


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_ops=st.integers(1, 8))
def test_decomposition_is_exact_on_random_graphs(seed: int, n_ops: int) -> None:
    rng = np.random.default_rng(seed)
    g = random_decomposable(rng, n_ops)
    tokens = {name: rng.integers(v.type.lo, v.type.hi + 1, (96, v.dim))
              for name, v in g.inputs.items()}
    if "first" in tokens:                      # restarts, the stream's start among them
        tokens["first"] = (rng.random((96, 1)) < 0.1).astype(np.int64)
        tokens["first"][0] = 1
    want = reference(g, tokens)
    got = run_split(split_graph(g), g, tokens)
    for name in want:
        assert np.array_equal(got[name], want[name]), name


def test_every_step_of_the_families_is_a_macro() -> None:
    g = Graph()
    a, b = g.input("a", dim=2, bits=8), g.input("b", dim=2, bits=5, signed=False)
    outs = [g.add(a, b, bits=8), g.sub(a, b, bits=6, signed=False), g.sat(a, 3),
            g.rshift(a, 3), g.max(a, b), g.sum([a, b, a], bits=8),
            g.mul(g.sat(a, 4), g.sat(b, 3, signed=False), shift=2, bits=4),
            g.dot(g.sat(a, 4), g.sat(b, 4), shift=1, bits=6)]
    for i, v in enumerate(outs):
        g.output(f"y{i}", v)
    split = split_graph(g)
    tokens = {"a": np.array([[-128, 127], [127, -128], [5, 5], [-1, 0]] * 8),
              "b": np.array([[31, 0], [0, 31], [5, 5], [1, 2]] * 8)}
    got = run_split(split, g, tokens)
    want = reference(g, tokens)
    assert all(np.array_equal(got[k], want[k]) for k in want)
    missing = [inst.name for inst in split.instances if match_macro(inst.graph) is None]
    assert not missing, missing
    # without the decomposition the same ops are general-flow blocks
    whole = split_graph(g, decompose=False)
    assert any(match_macro(inst.graph) is None for inst in whole.instances)


def test_composed_families_are_bit_exact_on_defects() -> None:
    g = Graph()
    a, b = g.input("a", bits=6), g.input("b", bits=6)
    s = g.add(a, b, bits=6)                     # saturates at both ends
    m = g.max(s, b)                             # ties whenever a == 0
    g.output("y", g.sat(g.rshift(m, 2), 3))
    g.output("z", g.sub(a, g.delay(a, 3), bits=5))   # an odd delay: first in the other phase
    res = compose_graph(g, block_library(), time_budget=120.0)
    assert "general" not in {blk.flow for blk in res.blocks}
    check_composed(g, res, seed=5)


def test_an_lm_head_shaped_argmax_over_an_embedding_composes() -> None:
    g = Graph()
    tok = g.input("tok", bits=5, signed=False)               # 32 symbols: 5-bit ids
    rng = np.random.default_rng(3)
    e = g.embed(tok, rng.integers(-2, 2, (32, 2)), bits=2)     # few values: many ties
    g.output("next", g.argmax(g.concat([e, g.delay(e, 1)])))
    split = split_graph(g)
    # a table this small stays one general-flow block (denser than gathers + selects)
    assert [inst.name for inst in split.instances if match_macro(inst.graph) is None] \
        == ["op1.embed.1embed"]
    check_composed(g, compose_graph(g, block_library(), time_budget=120.0), seed=7)


def test_a_large_embedding_becomes_row_gathers_and_selects() -> None:
    g = Graph()
    tok = g.input("tok", bits=6, signed=False)
    rng = np.random.default_rng(4)
    g.output("e", g.embed(tok, rng.integers(-8, 8, (40, 8)), bits=4))  # ids 40.. read 0
    split = split_graph(g)
    flows = [type(match_macro(inst.graph)).__name__ for inst in split.instances]
    # one row gather per pattern of the 2 high id bits, then per word 2 + 1 selects
    assert flows.count("RowsMatch") == 4 and flows.count("SelectMatch") == 8 * 3
    assert len(flows) == 4 + 24
    tokens = {"tok": np.arange(64)[:, None]}
    assert np.array_equal(run_split(split, g, tokens)["e"], reference(g, tokens)["e"])


def test_a_composed_dot_is_one_array_then_rshift_and_sat() -> None:
    """A requantised dot (the attention score) composes as the array, the rounding
    incrementer and the clamp; no product is built on its own."""
    g = Graph()
    q = g.input("q", dim=3, bits=4)
    k = g.input("k", dim=3, bits=4)
    g.output("s", g.dot(q, k, shift=3, bits=4))
    res = compose_graph(g, block_library(), time_budget=120)
    kinds = [name.rsplit(".", 1)[1].lstrip("0123456789") for name in res.names]
    assert kinds.count("dot") == 1 and "mul" not in kinds, res.names
    check_composed(g, res, seed=2)
