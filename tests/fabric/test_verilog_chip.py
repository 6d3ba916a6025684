"""The Verilog of a chip of several fabrics (fabric/verilog_chip.py) and its numpy model
(sim/chip_sim.py) on a hand-made chip: lint, determinism, one module per distinct
fabric, the delay lines it declares. Verilator against the numpy model, cycle for cycle:
tests/sim/test_chip_rtl.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from fabric.verilog_chip import generate_chip_verilog
from fabric.verilog_hardened import HARDENED_MODULE
from sim.chip_sim import stream_chip
from sim.verilator import verilator_env

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chip_example import table_twice  # noqa: E402


def test_the_numpy_model_applies_the_table_twice() -> None:
    plan, table = table_twice()
    x = np.random.default_rng(1).integers(0, 16, 200)
    got = stream_chip(plan, {"x": x}, seed=2)["y"]
    assert np.array_equal(got, table[table[x] & 15])


def test_lints_clean_at_default_warnings(tmp_path: Path) -> None:
    plan, _ = table_twice()
    text, _ = generate_chip_verilog(plan)
    path = tmp_path / "chip.v"
    path.write_text(text)
    result = subprocess.run(
        ["verilator", "--lint-only", "--top-module", HARDENED_MODULE, str(path)],
        env={**os.environ, **verilator_env()}, capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "%Warning" not in result.stderr, result.stderr


def test_same_plan_same_bytes_and_one_module_per_distinct_fabric() -> None:
    plan, _ = table_twice()
    text, stats = generate_chip_verilog(plan)
    assert generate_chip_verilog(table_twice()[0])[0] == text
    assert text.count("module lutgrid_fabric") == 1 == stats.modules
    assert len(re.findall(r"^    lutgrid_fabric0 u\d \($", text, re.M)) == 2 == stats.fabrics


def test_it_declares_one_line_per_source_as_deep_as_its_latest_reader() -> None:
    plan, _ = table_twice()
    text, stats = generate_chip_verilog(plan)
    lines = {name: int(width) + 1 for width, name in
             re.findall(r"^    reg \[(\d+):0\] (dl_\w+);$", text, re.M)}
    ports = plan.input_ports()

    def name(src: tuple) -> str:
        return (f"dl_in{ports[src[1]][src[2]]}" if src[0] == "token"
                else f"dl_p{src[1]}_{src[2]}_{src[3]}")

    want = {name(src): depth for src, depth in plan.line_depths().items()}
    assert lines == want
    assert stats.balance_ffs == sum(want.values()) > 0
