"""A chip of two fabrics (fabric/verilog_chip.py) in Verilator against its numpy model
(sim/chip_sim.py): every output bit on every cycle, from reset."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fabric.verilog_chip import generate_chip_verilog
from sim.chip_sim import run_chip_cycles
from sim.rtl_run import run_hardened_verilog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fabric"))
from chip_example import table_twice  # noqa: E402

pytestmark = pytest.mark.rtl


def test_verilator_equals_the_numpy_model_on_every_cycle(rtl_build_dir) -> None:
    plan, _ = table_twice()
    text, _ = generate_chip_verilog(plan)
    rows = np.random.default_rng(4).integers(0, 2, (120, plan.port_rows), dtype=np.uint8)
    want = run_chip_cycles(plan, rows)
    got = run_hardened_verilog(text, 1, plan.port_rows, {"west_in": rows},
                               build_dir=rtl_build_dir).outputs
    assert np.array_equal(got["east_out"], want["east_out"])
    assert want["east_out"][plan.latency:].any()     # not all zeros


def test_a_compiled_block_chip_equals_its_numpy_model_on_every_cycle(rtl_build_dir) -> None:
    """A d_model-2 block, one op (element) per fabric: constants, inputs no output
    reads, sign-extended words, extra feeds and shared modules, every output bit on
    every cycle from reset, random bits on every input bit."""
    from compiler.compose.chain import chip_plan
    from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
    from compiler.transformer import BlockSpec, block_graph

    g = block_graph(BlockSpec(2, window=2, attention="softmax"), seed=2)
    plan = chip_plan(compile_pipeline(g, "b", cut_before_every_op, elements=True))
    text, stats = generate_chip_verilog(plan)
    assert stats.modules < stats.fabrics
    rows = np.random.default_rng(6).integers(0, 2, (plan.latency + 200, plan.port_rows),
                                             dtype=np.uint8)
    want = run_chip_cycles(plan, rows)
    got = run_hardened_verilog(text, 1, plan.port_rows, {"west_in": rows},
                               build_dir=rtl_build_dir).outputs
    assert np.array_equal(got["east_out"], want["east_out"])
