"""``lutgrid verilog --bitstream PROG`` and ``lutgrid run PROG --rtl --hardened``."""

from __future__ import annotations

import pytest

from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.bitstream import Bitstream
from lutgrid.selfcheck import run_cli


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    path = tmp_path_factory.mktemp("hardened") / "mul4x4.lgb"
    compile_program(EXAMPLES["mul4x4"](), "mul4x4", seed=1).bitstream.save(path)
    return path


def test_verilog_bitstream_writes_the_hardened_view(prog, tmp_path) -> None:
    out = tmp_path / "chip.v"
    got = run_cli(["verilog", "--bitstream", str(prog), "-o", str(out)])
    assert got.status == 0, got
    assert "the hardened view of" in got.stdout and "LUT registers" in got.stdout
    text = out.read_text()
    assert "module lutgrid_hardened (" in text and "cfg" not in text


@pytest.mark.parametrize(("args", "message"), [
    (["--width", "4"], "drop --width"),
    (["--style", "sliced"], "drop --style"),
])
def test_verilog_bitstream_refuses_fabric_options(prog, tmp_path, args, message) -> None:
    out = tmp_path / "chip.v"
    got = run_cli(["verilog", "--bitstream", str(prog), *args, "-o", str(out)])
    assert got.status == 2 and message in got.stderr
    assert not out.exists()


def test_verilog_needs_a_shape_or_a_bitstream(tmp_path) -> None:
    got = run_cli(["verilog", "-o", str(tmp_path / "x.v")])
    assert got.status == 2 and "--bitstream PROG" in got.stderr


def test_a_bitstream_without_io_map_has_no_hardened_view(prog, tmp_path) -> None:
    bare = tmp_path / "bare.lgb"
    bs = Bitstream.load(prog)
    Bitstream(bs.configs).save(bare)
    out = tmp_path / "chip.v"
    got = run_cli(["verilog", "--bitstream", str(bare), "-o", str(out)])
    assert got.status == 2 and "has no I/O map" in got.stderr
    assert not out.exists()


def test_hardened_needs_rtl(prog) -> None:
    got = run_cli(["run", str(prog), "--hardened"])
    assert got.status == 2 and "add --rtl" in got.stderr


@pytest.mark.rtl
def test_run_rtl_hardened_matches_the_first_run(prog) -> None:
    got = run_cli(["run", str(prog), "--rtl", "--hardened", "--tokens", "64", "--defects"])
    assert got.status == 0, got
    assert ("verilator, no defects, hardened view: identical to fast, no defects on every "
            "output of every token") in got.stdout
