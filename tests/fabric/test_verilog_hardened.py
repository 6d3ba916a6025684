"""The hardened Verilog view (fabric/verilog_hardened.py): lint, determinism, what it
keeps, and its refusals. Its behaviour in Verilator is tested in
tests/sim/test_hardened_rtl.py."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.bitstream import Bitstream
from fabric.extract import VAR_MASKS, ExtractError
from fabric.iomap import IOMap, PortBit
from fabric.verilog_hardened import (
    HARDENED_MODULE,
    generate_hardened_verilog,
    write_hardened_verilog,
)
from sim.verilator import verilator_env


@pytest.fixture(scope="module")
def programs():
    return {name: compile_program(EXAMPLES[name](), name, seed=1).bitstream
            for name in ("adder8", "mul4x4", "table16")}


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["verilator", "--lint-only", "--top-module", HARDENED_MODULE, str(path)],
        env={**os.environ, **verilator_env()}, capture_output=True, text=True, timeout=300,
        check=False)


@pytest.mark.parametrize("name", ["adder8", "mul4x4", "table16"])
def test_lints_clean_at_default_warnings(programs, tmp_path: Path, name: str) -> None:
    bs = programs[name]
    path, _ = write_hardened_verilog(tmp_path / "chip.v", bs.configs, bs.iomap)
    result = _lint(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "%Warning" not in result.stderr and "%Error" not in result.stderr, result.stderr


def test_same_bitstream_same_bytes(programs, tmp_path: Path) -> None:
    """Deterministic, also through a save/load round trip of the bitstream file."""
    bs = programs["mul4x4"]
    text, _ = generate_hardened_verilog(bs.configs, bs.iomap)
    bs.save(tmp_path / "p.lgb")
    again = Bitstream.load(tmp_path / "p.lgb")
    assert generate_hardened_verilog(again.configs, again.iomap)[0] == text


def test_no_configuration_or_router_logic(programs) -> None:
    """The chip has the fabric's edge buses, a clock and a reset, and nothing that
    loads a configuration or a defect map; one truth-table constant per LUT register
    that reads inputs; its flip-flops are fewer than the programmable fabric's registers
    in the outputs' cone (pass-through chains shared, always-0 registers gone)."""
    bs = programs["mul4x4"]
    text, stats = generate_hardened_verilog(bs.configs, bs.iomap)
    ports = re.findall(r"^\s+(?:input|output)\s+wire\s+(?:\[\d+:0\]\s+)?(\w+)", text, re.M)
    assert ports == ["clk", "rst", "west_in", "east_in", "north_in", "south_in",
                     "west_out", "east_out", "north_out", "south_out"]
    assert not re.search(r"cfg|defect|noise", text)
    tables = re.findall(r"localparam \[\d+:0\] T(\d+) =", text)
    assert 0 < len(tables) <= stats.luts
    assert len(re.findall(r"^\s+reg n\d+;", text, re.M)) == stats.luts
    assert stats.flip_flops < stats.cone_registers


def test_unmapped_outputs_read_zero(programs) -> None:
    bs = programs["adder8"]
    text, _ = generate_hardened_verilog(bs.configs, bs.iomap)
    mapped = {(pb.port, pb.index) for bits in bs.iomap.outputs.values() for pb in bits}
    assert ("west_out", 0) not in mapped
    assert "assign west_out = 1'b0;" in text


def test_refusals(programs) -> None:
    bs = programs["adder8"]
    with pytest.raises(ValueError, match="uint64"):
        generate_hardened_verilog(bs.configs.astype(np.int64), bs.iomap)
    empty = IOMap(inputs=bs.iomap.inputs, outputs={}, latency=bs.iomap.latency)
    with pytest.raises(ValueError, match="names no outputs"):
        generate_hardened_verilog(bs.configs, empty)


def test_feedback_loop_is_refused_naming_a_cell() -> None:
    """Cell (0,0) copies its east input east, cell (1,0) its west input west: a loop,
    which cell (1,0)'s east output (east_out[0]) reads."""
    e, w = 1, 3
    cfg = np.zeros((1, 2), dtype=np.uint64)
    cfg[0, 0] = VAR_MASKS[e] << (16 * e)                          # out_E = in_E
    cfg[0, 1] = (VAR_MASKS[w] << (16 * w)) | (VAR_MASKS[w] << (16 * e))  # out_W, out_E = in_W
    iomap = IOMap(inputs={"x": (PortBit("west_in", 0, 0),)},
                  outputs={"y": (PortBit("east_out", 0, 3),)}, latency=3)
    with pytest.raises(ExtractError, match=r"feedback loop through cell \(x=\d, y=0\)"):
        generate_hardened_verilog(cfg, iomap)
