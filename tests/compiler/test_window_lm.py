"""compiler.window_lm: the demo model's graph against a numpy transcription of its
formula, its refusals, and a small one composed and streamed on the fabric."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import GraphError, reference
from compiler.program import compile_program
from compiler.window_lm import WindowLMParams, WindowLMSpec, token_words, window_lm_graph
from fabric.defects import random_defects
from sim.check import check_program


def _params(spec: WindowLMSpec, seed: int) -> WindowLMParams:
    rng = np.random.default_rng(seed)
    emb = (rng.integers(-8, 8, (spec.embed, spec.id_bits)), rng.integers(-4, 9, spec.embed)) \
        if spec.embed else (None, None)
    return WindowLMParams(rng.integers(-8, 8, (spec.hidden, spec.inputs)),
                          rng.integers(-9, 9, spec.hidden),
                          rng.integers(-8, 8, (spec.vocab, spec.hidden)),
                          rng.integers(-30, 30, spec.vocab), *emb)


def _transcription(spec: WindowLMSpec, p: WindowLMParams, ids: np.ndarray,
                   first: np.ndarray) -> np.ndarray:
    """The module docstring's formula, written out on whole arrays: the window of the
    last ``context`` ids (zero words before the latest restart), two layers, argmax."""
    T = len(ids)
    bits = -((ids[:, None] >> np.arange(spec.id_bits)) & 1)
    start = np.maximum.accumulate(np.where(first == 1, np.arange(T), 0))
    cols = []
    for j in range(spec.context):
        src = np.arange(T) - j
        ok = src >= start
        cols.append(np.where(ok[:, None], bits[np.clip(src, 0, None)], 0))
    if spec.embed:      # each symbol's code: ReLU and clamp of its own linear
        e = [np.clip((w @ p.we.T + p.be + (1 << spec.shift_e >> 1)) >> spec.shift_e, 0,
                     (1 << spec.embed_bits) - 1) for w in cols]
        cols = e
    c = np.concatenate(cols, axis=1)
    amax, lmax = 1 << (spec.act_bits - 1), 1 << (spec.logit_bits - 1)
    h = np.clip((c @ p.w1.T + p.b1 + (1 << spec.shift1 >> 1)) >> spec.shift1, -amax,
                amax - 1)
    r = np.maximum(h, 0)
    z = np.clip((r @ p.w2.T + p.b2 + (1 << spec.shift2 >> 1)) >> spec.shift2, -lmax,
                lmax - 1)
    return np.argmax(z, axis=1)        # numpy: the first index of the maximum


@pytest.mark.parametrize("spec", [WindowLMSpec(32, 4, 32, 4, 6, 2, 4),
                                  WindowLMSpec(8, 2, 5, 3, 4, 1, 3),
                                  WindowLMSpec(20, 3, 9, 5, 8, 0, 2),
                                  WindowLMSpec(32, 4, 12, 4, 6, 5, 4, embed=6,
                                               embed_bits=3, shift_e=1),
                                  WindowLMSpec(16, 2, 7, 5, 8, 3, 3, embed=3,
                                               embed_bits=2, shift_e=2)])
def test_the_graph_is_the_formula(spec: WindowLMSpec) -> None:
    p = _params(spec, spec.hidden)
    rng = np.random.default_rng(spec.context)
    T = 500
    ids = rng.integers(0, spec.vocab, T)
    first = (rng.random(T) < 0.03).astype(np.int64)
    first[0] = 1
    got = reference(window_lm_graph(spec, p),
                    {"tok": token_words(ids, spec.id_bits), "first": first})["next"][:, 0]
    want = _transcription(spec, p, ids, first)
    assert np.array_equal(got, want), np.flatnonzero(got != want)[:5]


def test_refusals_name_the_field() -> None:
    with pytest.raises(GraphError, match="vocab"):
        WindowLMSpec(vocab=33)
    with pytest.raises(GraphError, match="context"):
        WindowLMSpec(context=0)
    spec = WindowLMSpec(8, 2, 4, 4, 6, 1, 3)
    p = _params(spec, 1)
    with pytest.raises(GraphError, match=r"w2 has shape \(8, 5\)"):
        window_lm_graph(spec, WindowLMParams(p.w1, p.b1, np.zeros((8, 5), int), p.b2))
    with pytest.raises(GraphError, match="embed_bits"):
        WindowLMSpec(embed=4, embed_bits=9)
    with pytest.raises(GraphError, match=r"we has shape \(4, 2\)"):
        e = WindowLMSpec(8, 2, 4, 4, 6, 1, 3, embed=4)
        q = _params(e, 1)
        window_lm_graph(e, WindowLMParams(q.w1, q.b1, q.w2, q.b2, np.zeros((4, 2), int),
                                          q.be))
    with pytest.raises(GraphError, match="no embedding"):
        window_lm_graph(spec, WindowLMParams(p.w1, p.b1, p.w2, p.b2, np.zeros((4, 3)),
                                             np.zeros(4)))
    with pytest.raises(ValueError, match="token 2: id 8 does not fit 3 bits"):
        token_words(np.array([1, 2, 8]), 3)


def test_a_small_model_composes_and_streams_exactly_also_on_a_defect_map() -> None:
    spec = WindowLMSpec(vocab=8, context=2, hidden=4, act_bits=4, logit_bits=5, shift1=1,
                        shift2=3)
    g = window_lm_graph(spec, _params(spec, 5))
    prog = compile_program(g, "wlm", compose=True, time_budget=300)
    check_program(prog, "numpy", 300, seed=2)          # random ids, restarts included
    bs = prog.bitstream
    check_program(prog, "numpy", 300, seed=3,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(4)))
