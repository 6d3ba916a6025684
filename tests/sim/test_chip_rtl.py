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
