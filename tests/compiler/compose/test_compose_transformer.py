"""Transformer blocks (compiler/transformer.py) compiled and streamed bit-exact in the
numpy simulator: every output of every token, with sequence restarts (`first`), and on
random defect maps with garbage on the defective cells.

In CI a block runs as a row of fabrics, one op each (:func:`~compiler.compose.pipeline.
cut_before_every_op`; values that later ops read, the residual stream among them, go
straight from the fabric that makes them to the ones that read them): a d_model-2
block compiles in seconds that way. Composed on one fabric a d_model-2 block takes
about four minutes (the attention part most of it), so those are `slow` tests; the
benchmark (`bench_compose`, full run) composes the same blocks and reports their
figures."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from compiler.compose import compose_graph
from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
from compiler.ir import FIRST
from compiler.program import block_library
from compiler.transformer import BlockSpec, block_graph
from sim.simulators import numpy_stage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from composed import check_as_chip, check_composed  # noqa: E402

SPECS = [BlockSpec(2, window=2, attention="relu"),
         BlockSpec(2, window=2, attention="softmax"),
         BlockSpec(2, window=1, attention="relu", weights="ternary"),
         BlockSpec(4, heads=2, window=2, attention="relu")]
IDS = ["d2-w2-relu", "d2-w2-softmax", "d2-w1-relu-ternary", "d4-h2-w2-relu"]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_block_as_fabrics_streams_bit_exact_with_restarts_and_defects(spec) -> None:
    g = block_graph(spec, seed=11)
    pipe = compile_pipeline(g, "block", cut_before_every_op, time_budget=300, elements=True)
    assert len(pipe.bitstreams) > 5          # one op each, not one fabric
    tokens = pipe.random_tokens(300, seed=2)
    if spec.window > 1:                       # a window reads the restart flag
        assert tokens[FIRST].sum() > 3        # several restarts among the 300 tokens
    pipe.check(pipe.run(tokens, numpy_stage(seed=5)), tokens, "block")
    on_defects = numpy_stage(np.random.default_rng(9), seed=5)   # a map per fabric
    pipe.check(pipe.run(tokens, on_defects), tokens, "block on defect maps")
    # as one chip, cycle by cycle, every wire between fabrics timed
    check_as_chip(pipe, tokens, "block as one chip")


@pytest.mark.parametrize("seed", [1, 8, 10])
def test_random_small_blocks_as_fabrics_stream_bit_exact(seed: int) -> None:
    """d_model 2 blocks of a random shape (window 1-3, either attention, int4 or
    ternary weights, with or without RMS norm) and random weights from ``seed``."""
    rng = np.random.default_rng(seed)
    spec = BlockSpec(2, window=int(rng.integers(1, 4)),
                     attention=str(rng.choice(["relu", "softmax"])),
                     weights=str(rng.choice(["int4", "ternary"])),
                     norm=str(rng.choice(["none", "rms"])))
    g = block_graph(spec, seed=100 + seed)
    pipe = compile_pipeline(g, "block", cut_before_every_op, time_budget=300,
                            elements=bool(seed % 2))
    tokens = pipe.random_tokens(256, seed=seed)
    pipe.check(pipe.run(tokens, numpy_stage(seed=5)), tokens, f"block {spec}")
    check_as_chip(pipe, tokens, f"chip {spec}")


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS[:3], ids=IDS[:3])
def test_block_composes_on_one_fabric_and_streams_bit_exact(spec: BlockSpec) -> None:
    g = block_graph(spec, seed=11)
    res = compose_graph(g, block_library(), time_budget=1200)
    check_composed(g, res, seed=3)
