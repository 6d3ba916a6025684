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
    """The heat map of a compiled program is a PNG written where asked; the report
    states the flow's own figures, not the cell classes (fabric/usage.py has those)."""

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


def test_heat_map_paints_every_cell_by_its_class() -> None:
    """Each compute cell adds the same area of the compute colour to the picture and
    each route-only cell the same area of the route colour (nearest-neighbour cells of
    one size), so the colour areas grow linearly with the counts of a usage whose
    classes are set by hand."""
    from io import BytesIO

    import numpy as np
    from PIL import Image

    from fabric.usage import _COLOURS, COMPUTE, IDLE, ROUTE, Usage, heatmap_png_bytes

    def areas(n_compute: int, n_route: int) -> tuple[int, int]:
        kinds = np.full((10, 10), IDLE, dtype=np.int8)
        kinds.flat[:n_compute] = COMPUTE
        kinds.flat[50:50 + n_route] = ROUTE
        u = Usage(10, 10, n_compute, n_route, 100 - n_compute - n_route, n_compute, n_route,
                  kinds)
        img = np.asarray(Image.open(BytesIO(heatmap_png_bytes(u, "t"))).convert("RGB"))
        return tuple(int((img == _COLOURS[k]).all(axis=2).sum()) for k in (COMPUTE, ROUTE))

    c1, r1 = areas(1, 1)
    c3, r3 = areas(3, 1)
    c5, r5 = areas(5, 4)
    per_cell = (c3 - c1) / 2
    assert per_cell > 10                                  # a cell is many pixels
    assert abs((c5 - c3) / 2 - per_cell) <= 0.05 * per_cell
    assert r3 == r1 and abs((r5 - r1) / 3 - per_cell) <= 0.05 * per_cell
