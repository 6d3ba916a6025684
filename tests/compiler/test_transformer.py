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
    LMParams,
    LMSpec,
    block_graph,
    exp_table,
    lm_graph,
    random_block_params,
    random_lm_params,
    recip_table,
    rms_shifts,
    sum_shift,
    transformer_block,
)


def _stream(g, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = g.inputs["x"]
    first = (rng.random(n) < 0.1).astype(np.int64)
    first[0] = 1
    return {"x": rng.integers(x.type.lo, x.type.hi + 1, (n, x.dim)), "first": first}


def _block_reference(spec: BlockSpec, p, x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The block's attention and MLP written out with numpy, independently of the IR
    (DESIGN §5 definitions: rshift rounds half up, sat clamps, Delay zeroes across
    a first; docs/TRANSFORMER.md for the softmax)."""
    a = spec.act_bits
    lo, hi = -(1 << (a - 1)), (1 << (a - 1)) - 1
    wmax = 8 if spec.weights == "int4" else 1

    def rs(v, s: int):
        return v if s == 0 else (v + (1 << (s - 1))) >> s

    def lin(v: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.clip(rs(v @ w.T, sum_shift(v.shape[1], wmax * (1 << (a - 1)), a)), lo, hi)

    def softmax(scores: list[int]) -> list[int]:
        top = (1 << a) - 1
        m = max(scores)
        es = [int(np.floor(top * 2.0 ** ((s - m) / 2.0 ** (a - 2)) + 0.5)) for s in scores]
        r = min(top, (top * top + sum(es) // 2) // sum(es))
        return [min((1 << (a - 1)) - 1, rs(e * r, a + 1)) for e in es]

    def rms(v: np.ndarray) -> np.ndarray:
        if spec.norm == "none":
            return v
        s_n, kk = rms_shifts(v.shape[1], a)
        top = (1 << a) - 1
        u = np.clip(rs((v * v).sum(axis=1), s_n), 0, top)
        r = np.array([top if x == 0 else min(top, int(np.floor(top / np.sqrt(x) + 0.5)))
                      for x in u])
        return np.clip(rs(v * r[:, None], kk), lo, hi)

    n, d = x.shape
    xn = rms(x)
    q, k, v = lin(xn, p.wq), lin(xn, p.wk), lin(xn, p.wv)
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
            ss = []
            for j in range(spec.window):
                kj = k[t - j, sl] if j in lags else np.zeros(dh, dtype=np.int64)
                ss.append(int(np.clip(rs(int(q[t, sl] @ kj), sum_shift(dh, amax * amax, a)),
                                      lo, hi)))
            if spec.attention == "relu":
                ps, shift = [max(0, s) for s in ss], sum_shift(spec.window, amax * amax, a)
            else:
                ps, shift = softmax(ss), a - 1
            for e in range(sl.start, sl.stop):
                ve = [v[t - j, e] if j in lags else 0 for j in range(spec.window)]
                att[e] = np.clip(rs(int(np.dot(ps, ve)), shift), lo, hi)
        out[t] = att
    x1 = np.clip(x + lin(out, p.wo), lo, hi)
    hid = np.maximum(0, lin(rms(x1), p.w1))
    return np.clip(x1 + lin(hid, p.w2), lo, hi)


def _attention_reference(spec: BlockSpec, seed: int, toks: dict[str, np.ndarray]
                         ) -> np.ndarray:
    return _block_reference(spec, random_block_params(spec, seed), toks["x"], toks["first"])


@pytest.mark.parametrize("spec", [BlockSpec(2, window=2, mlp=4),
                                  BlockSpec(4, heads=2, window=3),
                                  BlockSpec(4, window=1, act_bits=5, weights="ternary"),
                                  BlockSpec(2, window=2, mlp=4, attention="softmax"),
                                  BlockSpec(4, heads=2, window=3, attention="softmax"),
                                  BlockSpec(4, window=4, act_bits=6, weights="ternary",
                                            attention="softmax"),
                                  BlockSpec(4, heads=2, window=2, norm="rms"),
                                  BlockSpec(2, window=3, act_bits=5, attention="softmax",
                                            norm="rms")])
def test_graph_matches_a_numpy_transcription(spec: BlockSpec) -> None:
    g = block_graph(spec, seed=11)
    toks = _stream(g, 300, seed=spec.d_model)
    got = reference(g, toks)["y"]
    assert np.array_equal(got, _attention_reference(spec, 11, toks))
    assert len(np.unique(got)) > 4            # not a constant stream


@pytest.mark.parametrize("attention,norm", [("relu", "none"), ("softmax", "none"),
                                            ("relu", "rms")])
def test_every_op_of_a_block_is_a_macro_once_taken_apart(attention: str, norm: str) -> None:
    g = block_graph(BlockSpec(4, heads=2, window=3, attention=attention, norm=norm), seed=3)
    legal, copied = legalise_phases(g)
    assert copied <= 8                         # each value at most twice, few twice
    general = [i for i in split_graph(legal).instances if match_macro(i.graph) is None]
    # only the softmax's reciprocal, a table of the 6-bit sum of three exponentials:
    # small enough to stay one general-flow block (denser than gathers and selects)
    assert all(i.name.endswith("table")
               and next(iter(i.graph.inputs.values())).bits > 4 for i in general), \
        [i.name for i in general]
    assert len(general) == (0 if attention == "relu" else 2)      # one per head


def test_bad_shapes_are_named() -> None:
    with pytest.raises(GraphError, match="multiple of heads"):
        BlockSpec(6, heads=4)
    with pytest.raises(GraphError, match="act_bits"):
        BlockSpec(4, act_bits=9)
    g = block_graph(BlockSpec(2, mlp=2))
    with pytest.raises(GraphError, match="x must be 4 signed 4-bit words"):
        transformer_block(g, g.inputs["x"], BlockSpec(4), random_block_params(BlockSpec(4), 1))


def test_softmax_weights_follow_the_scores() -> None:
    """The table softmax is monotone and close to a real softmax of base 2 at
    temperature 2^(a-2): the weights of a window sum to about 2^(a-1)."""
    for a in (4, 6):
        e, top = exp_table(a), (1 << a) - 1
        assert e == sorted(e, reverse=True) and e[0] == top and e[-1] >= 0
        r = recip_table(a, a + 2)
        for scores in ([0, 0], [3, -5, 1], [-8, -8, -8, 7]):
            m = max(scores)
            es = [e[m - s] for s in scores]
            p = [(x * r[sum(es)] + (1 << a)) >> (a + 1) for x in es]
            real = [2.0 ** ((s - m) / 2 ** (a - 2)) for s in scores]
            want = [(1 << (a - 1)) * x / sum(real) for x in real]
            assert max(abs(x - y) for x, y in zip(p, want, strict=True)) <= 1.5, (p, want)


@pytest.mark.parametrize("spec", [LMSpec(20, BlockSpec(2, window=2, mlp=4)),
                                  LMSpec(32, BlockSpec(4, heads=2, window=2,
                                                       attention="softmax"), blocks=2)])
def test_language_model_matches_a_numpy_transcription(spec: LMSpec) -> None:
    p = random_lm_params(spec, 5)
    g = lm_graph(spec, p)
    rng = np.random.default_rng(2)
    n = 200
    tok = rng.integers(0, spec.vocab, n)
    first = (rng.random(n) < 0.05).astype(np.int64)
    first[0] = 1
    got = reference(g, {"tok": tok[:, None], "first": first})["next"][:, 0]
    b = spec.block
    x = p.embed[tok]
    for bp in p.blocks:
        x = _block_reference(b, bp, x, first)
    a, wmax = b.act_bits, (8 if b.weights == "int4" else 1)
    sh = sum_shift(b.d_model, wmax * (1 << (a - 1)), a)
    logits = np.clip((x @ p.head.T + (1 << (sh - 1))) >> sh if sh else x @ p.head.T,
                     -(1 << (a - 1)), (1 << (a - 1)) - 1)
    assert np.array_equal(got, np.argmax(logits, axis=1))    # numpy: first max on ties
    assert len(np.unique(got)) > 2
    with pytest.raises(GraphError, match="vocab must be 2..32"):
        LMSpec(33, b)
    with pytest.raises(GraphError, match="embed and head must be"):
        lm_graph(spec, LMParams(p.embed[:-1], p.blocks, p.head))
