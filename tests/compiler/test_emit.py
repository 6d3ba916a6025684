"""Emission: tables, I/O map, constant outputs and wires."""

from __future__ import annotations

from lg_backend_gen import stream_check

from cells.truth import copy_table
from compiler.emit import lut_table
from compiler.flow import compile_netlist
from compiler.netlist import Netlist


def test_lut_table_maps_inputs_to_sides() -> None:
    # 2-input XOR with input 0 on side W (3) and input 1 on side N (0)
    tab = lut_table(0b0110, [3, 0])
    for a in range(16):
        assert (tab >> a) & 1 == ((a >> 3) & 1) ^ (a & 1)
    assert lut_table(0b10, [2]) == copy_table(2)


def test_wires_constants_and_iomap() -> None:
    nl = Netlist()
    x = [nl.input("x", b) for b in range(3)]
    nl.output("y", 0, x[2])                          # a wire
    nl.output("y", 1, nl.const(1))                   # a constant
    nl.output("y", 2, nl.lut([x[0], x[1]], 0b1000))  # a LUT
    nl.output("y", 3, nl.delay(x[0], 2))             # a delayed input
    res = compile_netlist(nl)
    iom = res.bitstream.iomap
    assert iom is not None
    assert len(iom.inputs["x"]) == 3 and len(iom.outputs["y"]) == 4
    assert min(pb.offset for pb in iom.inputs["x"]) == 0
    assert iom.latency == max(pb.offset for pb in iom.outputs["y"])
    stream_check(nl, res)


def test_report_png(tmp_path) -> None:
    """The heat map has ``scale`` pixels per cell: compute cells red, route-only blue,
    both shaded by their registers in use, idle dark grey (roles and register counts
    taken from the placement and the bitstream, not from the report)."""

    nl = Netlist()
    a, b = nl.input("a", 0), nl.input("b", 0)
    x = nl.lut([a, b], 0b0110)
    nl.output("y", 0, x)
    nl.output("y", 1, nl.delay(nl.lut([x, a], 0b1000), 2))   # a delay: route-only cells
    res = compile_netlist(nl)
    from fabric.usage import heatmap_png, usage

    path = tmp_path / "heat.png"
    heatmap_png(usage(res.bitstream), path, title="xor")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "netlist LUTs" in res.report.text()
    assert "compute" not in res.report.text()  # the cell classes are the summary's
