"""The bit-sliced Verilog view: lint, ports, determinism, argument errors, styles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_verilog import lint_verilog

from fabric.geometry import FabricShape
from fabric.rtl import FABRIC_MODULE
from fabric.verilog import STYLES, fabric_verilog, generate_verilog, write_verilog
from fabric.verilog_sliced import generate_sliced_verilog
from lutgrid.cli import main as cli_main


@pytest.mark.parametrize(("w", "h", "s", "fi"), [
    (4, 4, 1, False), (4, 4, 2, True), (8, 8, 1, True), (3, 2, 0, False),
    (1, 1, 0, True), (1, 3, 2, True), (5, 1, 1, False),
])
def test_lints_clean_at_default_warnings(tmp_path: Path, w: int, h: int, s: int,
                                         fi: bool) -> None:
    path = tmp_path / "fabric.v"
    path.write_text(generate_sliced_verilog(FabricShape(w, h, s), fault_injection=fi))
    result = lint_verilog(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "%Warning" not in result.stderr and "%Error" not in result.stderr, result.stderr


def test_same_ports_as_the_tile_netlist_and_no_instances() -> None:
    shape = FabricShape(6, 3, 1)
    port = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):0\]\s+)?(\w+);", flags=re.M)

    def ports(text: str) -> dict[str, tuple[str, int]]:
        top = text[text.index(f"module {FABRIC_MODULE}("):]
        return {m[3]: (m[1], int(m[2] or 0) + 1) for m in port.finditer(top)}

    for fi in (False, True):
        sliced = generate_sliced_verilog(shape, fault_injection=fi)
        assert ports(sliced) == ports(generate_verilog(shape, fault_injection=fi))
        assert re.findall(r"^module\s+(\w+)", sliced, flags=re.M) == [FABRIC_MODULE]
    assert ports(generate_sliced_verilog(shape, fault_injection=True))["noise"] == (
        "input", shape.noise_bits)


def test_argument_errors() -> None:
    with pytest.raises(TypeError, match="FabricShape"):
        generate_sliced_verilog((4, 4))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fault_injection"):
        generate_sliced_verilog(FabricShape(2, 2), fault_injection=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="noise port"):
        generate_sliced_verilog(FabricShape(200, 100), fault_injection=True)
    with pytest.raises(ValueError, match="style"):
        fabric_verilog(FabricShape(2, 2), style="flat")


def test_styles_and_write_verilog(tmp_path: Path) -> None:
    shape = FabricShape(2, 2)
    assert STYLES == ("tiles", "sliced")
    assert fabric_verilog(shape) == generate_verilog(shape)
    assert fabric_verilog(shape, True, "sliced") == generate_sliced_verilog(shape, True)
    path = write_verilog(tmp_path / "s.v", shape, style="sliced")
    assert path.read_text() == generate_sliced_verilog(shape)
    with pytest.raises(ValueError, match="style"):
        write_verilog(tmp_path / "x.v", shape, style="bits")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.v"]


def test_cli_style(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.v"
    assert cli_main(["verilog", "--width", "3", "--height", "2", "--style", "sliced",
                     "-o", str(out)]) == 0
    assert out.read_text() == generate_sliced_verilog(FabricShape(3, 2))
    assert "bit-sliced" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["verilog", "--width", "3", "--height", "2", "--style", "flat",
                  "-o", str(out)])
