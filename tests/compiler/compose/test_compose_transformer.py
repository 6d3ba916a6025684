"""Transformer blocks (compiler/transformer.py) composed on the fabric and streamed
bit-exact in the numpy simulator: every output of every token, with sequence restarts
(`first`), and on a random defect map with garbage on the defective cells.

A d_model-2 block takes about four minutes to compose on two cores (the attention part
most of it), so the blocks are `slow` tests; the benchmark (`bench_compose`, full run)
composes the same blocks and reports their figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from compiler.compose import compose_graph
from compiler.program import block_library
from compiler.transformer import BlockSpec, block_graph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from composed import check_composed  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("spec", [
    BlockSpec(2, window=2, attention="relu"),
    BlockSpec(2, window=2, attention="softmax"),
    BlockSpec(2, window=1, attention="relu", weights="ternary"),
], ids=["d2-w2-relu", "d2-w2-softmax", "d2-w1-relu-ternary"])
def test_block_composes_and_streams_bit_exact(spec: BlockSpec) -> None:
    g = block_graph(spec, seed=11)
    res = compose_graph(g, block_library(), time_budget=1200)
    check_composed(g, res, seed=3)
