"""compiler.transformer: integer ReLU-attention blocks built from DESIGN §5 ops."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.compose.phase import legalise_phases
from compiler.compose.split import split_graph
from compiler.ir import GraphError, reference
from compiler.macros.match import match_macro
from compiler.transformer import (
    BlockSpec,
    block_graph,
    random_block_params,
    sum_shift,
    transformer_block,
)


def _stream(g, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = g.inputs["x"]
    first = (rng.random(n) < 0.1).astype(np.int64)
    first[0] = 1
    return {"x": rng.integers(x.type.lo, x.type.hi + 1, (n, x.dim)), "first": first}


def _attention_reference(spec: BlockSpec, seed: int, toks: dict[str, np.ndarray]
                         ) -> np.ndarray:
    """The block's attention and MLP written out with numpy, independently of the IR
    (DESIGN §5 definitions: rshift rounds half up, sat clamps, Delay zeroes across
    a first)."""
    p = random_block_params(spec, seed)
    a = spec.act_bits
    lo, hi = -(1 << (a - 1)), (1 << (a - 1)) - 1
    wmax = 8 if spec.weights == "int4" else 1

    def rs(v: np.ndarray, s: int) -> np.ndarray:
        return v if s == 0 else (v + (1 << (s - 1))) >> s

    def lin(v: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.clip(rs(v @ w.T, sum_shift(v.shape[1], wmax * (1 << (a - 1)), a)), lo, hi)

    x, first = toks["x"], toks["first"]
    n, d = x.shape
    q, k, v = lin(x, p.wq), lin(x, p.wk), lin(x, p.wv)
    out = np.zeros_like(x)
    dh = d // spec.heads
    amax = 1 << (a - 1)
    for t in range(n):
        start = t
        while start > 0 and not first[start] and t - start + 1 < spec.window:
            start -= 1
        lags = [j for j in range(spec.window) if t - j >= start]
        att = np.zeros(d, dtype=np.int64)
        for h in range(spec.heads):
            sl = slice(h * dh, (h + 1) * dh)
            ps = []
            for j in range(spec.window):
                kj = k[t - j, sl] if j in lags else np.zeros(dh, dtype=np.int64)
                s = np.clip(rs(int(q[t, sl] @ kj), sum_shift(dh, amax * amax, a)), lo, hi)
                ps.append(max(0, s))
            for e in range(sl.start, sl.stop):
                ve = [v[t - j, e] if j in lags else 0 for j in range(spec.window)]
                att[e] = np.clip(rs(int(np.dot(ps, ve)),
                                    sum_shift(spec.window, amax * amax, a)), lo, hi)
        out[t] = att
    x1 = np.clip(x + lin(out, p.wo), lo, hi)
    hid = np.maximum(0, lin(x1, p.w1))
    return np.clip(x1 + lin(hid, p.w2), lo, hi)


@pytest.mark.parametrize("spec", [BlockSpec(2, window=2, mlp=4),
                                  BlockSpec(4, heads=2, window=3),
                                  BlockSpec(4, window=1, act_bits=5, weights="ternary")])
def test_graph_matches_a_numpy_transcription(spec: BlockSpec) -> None:
    g = block_graph(spec, seed=11)
    toks = _stream(g, 300, seed=spec.d_model)
    got = reference(g, toks)["y"]
    assert np.array_equal(got, _attention_reference(spec, 11, toks))
    assert len(np.unique(got)) > 4            # not a constant stream


def test_every_op_of_a_block_is_a_macro_once_taken_apart() -> None:
    g = block_graph(BlockSpec(4, heads=2, window=3), seed=3)
    legal, copied = legalise_phases(g)
    assert copied <= 8                         # each value at most twice, few twice
    general = [i.name for i in split_graph(legal).instances if match_macro(i.graph) is None]
    assert not general, general


def test_bad_shapes_are_named() -> None:
    with pytest.raises(GraphError, match="multiple of heads"):
        BlockSpec(6, heads=4)
    with pytest.raises(GraphError, match="act_bits"):
        BlockSpec(4, act_bits=9)
    g = block_graph(BlockSpec(2, mlp=2))
    with pytest.raises(GraphError, match="x must be 4 signed 4-bit words"):
        transformer_block(g, g.inputs["x"], BlockSpec(4), random_block_params(BlockSpec(4), 1))
