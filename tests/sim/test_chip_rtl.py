"""Chips of several fabrics (fabric/verilog_chip.py) in Verilator against their numpy
model (sim/chip_sim.py): every output bit on every cycle, from reset."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from compiler.compose.chain import chip_plan
from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
from compiler.transformer import BlockSpec, block_graph
from fabric.chip import ChipPlan
from fabric.verilog_chip import generate_chip_verilog
from sim.chip_sim import run_chip_cycles
from sim.rtl_run import run_hardened_verilog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fabric"))
from chip_example import table_twice  # noqa: E402

pytestmark = pytest.mark.rtl


def _verilator_equals_model(plan: ChipPlan, cycles: int, seed: int, build_dir
                            ) -> np.ndarray:
    """Random bits on every input bit for ``cycles`` cycles through the chip's Verilog in
    Verilator and through its numpy model: asserts equal ``east_out`` on every cycle
    and returns it."""
    text, _ = generate_chip_verilog(plan)
    rows = np.random.default_rng(seed).integers(0, 2, (cycles, plan.port_rows),
                                                dtype=np.uint8)
    want = run_chip_cycles(plan, rows)["east_out"]
    got = run_hardened_verilog(text, 1, plan.port_rows, {"west_in": rows},
                               build_dir=build_dir).outputs["east_out"]
    assert np.array_equal(got, want)
    return want


def test_verilator_equals_the_numpy_model_on_every_cycle(rtl_build_dir) -> None:
    plan, _ = table_twice()
    out = _verilator_equals_model(plan, 120, 4, rtl_build_dir)
    assert out[plan.latency:].any()     # not all zeros


def test_a_compiled_block_chip_equals_its_numpy_model_on_every_cycle(rtl_build_dir) -> None:
    """A d_model-2 block, one op (element) per fabric: constants, inputs no output
    reads, sign-extended words, extra feeds and shared modules, every output bit on
    every cycle from reset, random bits on every input bit."""
    g = block_graph(BlockSpec(2, window=2, attention="softmax"), seed=2)
    plan = chip_plan(compile_pipeline(g, "b", cut_before_every_op, elements=True))
    assert generate_chip_verilog(plan)[1].modules < len(plan.parts)
    _verilator_equals_model(plan, plan.latency + 200, 6, rtl_build_dir)
