"""compiler.compose.pipeline: a program as parts on fabrics in a row, against the
program's reference, with restarts."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.compose.pipeline import compile_pipeline, cut_before_first
from compiler.ir import FIRST, Graph, GraphError
from compiler.lower import word_name
from compiler.window_lm import WindowLMParams, WindowLMSpec, token_words, window_lm_graph
from sim.numpy_sim import FabricSim
from sim.stream import decode_outputs, encode_tokens


def _numpy(prog, words):
    bs = prog.bitstream
    inputs = encode_tokens(bs.iomap, bs.width, bs.height, words, np.random.default_rng(5))
    n = len(next(iter(words.values())))
    return decode_outputs(bs.iomap, FabricSim(bs.configs).run(inputs), n)


def test_a_window_model_runs_as_two_fabrics_exactly_with_restarts() -> None:
    spec = WindowLMSpec(vocab=8, context=3, hidden=4, act_bits=4, logit_bits=5, shift1=1,
                        shift2=3)
    rng = np.random.default_rng(3)
    p = WindowLMParams(rng.integers(-8, 8, (4, spec.inputs)), rng.integers(-9, 9, 4),
                       rng.integers(-8, 8, (8, 4)), rng.integers(-30, 30, 8))
    g = window_lm_graph(spec, p)
    pipe = compile_pipeline(g, "wlm", lambda legal: cut_before_first(legal, "linear"),
                            time_budget=300)
    assert len(pipe.stages) == 2
    assert not any(op.kind == "linear" for op in pipe.stages[0].graph.ops)
    T = 300
    ids = rng.integers(0, 8, T)
    first = (rng.random(T) < 0.05).astype(np.int64)
    first[0] = 1
    words = {word_name("tok", j, 3): (ids >> j) & 1 for j in range(3)}
    words[FIRST] = first
    got = pipe.run(words, _numpy)["next"]
    want = pipe.expected({"tok": token_words(ids, 3), FIRST: first})["next"][:, 0]
    assert np.array_equal(got, want), np.flatnonzero(got != want)[:5]


def test_a_cut_needs_its_op() -> None:
    g = Graph()
    g.output("y", g.add(g.input("x", bits=4), g.input("z", bits=4)))
    with pytest.raises(GraphError, match="no linear op"):
        cut_before_first(g, "linear")
