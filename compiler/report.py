"""What placement and routing did: the flow's own figures beside the cell count.

The cell classes (compute, route-only, idle) are *not* decided here: they are read
from the emitted bitstream by :func:`fabric.usage.usage`, the one count that every
flow, report, heat map and benchmark uses. This report adds what only the flow knows:
netlist LUTs and clusters, registers on routes, the longest route and the router's
iterations, and the seconds of each stage. Counts are cells or registers; latency
and longest route are cycles; stage times are wall-clock seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compiler.placement import Placement
from compiler.route import COMPUTE, Routes


@dataclass
class Report:
    """Figures of one compiled program (see the module docstring for units)."""

    width: int
    height: int
    netlist_luts: int
    lut_outputs: int
    clusters: int
    compute_cells: int
    route_only_cells: int
    idle_cells: int
    registers: int
    pass_registers: int
    latency: int
    longest_route: int
    route_iterations: int
    emitted_luts: int = 0              # register outputs whose table computes (fabric.usage)
    seconds: dict[str, float] = field(default_factory=dict)
    usage: np.ndarray | None = None   # (H, W) int8: 0 idle, 1 route-only, 2 compute
    load: np.ndarray | None = None    # (H, W) registers used per cell

    @property
    def cells_used(self) -> int:
        """Compute plus route-only cells."""
        return self.compute_cells + self.route_only_cells

    @property
    def route_only_share(self) -> float:
        """Route-only cells / used cells."""
        return self.route_only_cells / max(1, self.cells_used)

    @property
    def cells_per_lut(self) -> float:
        """Used cells per placed LUT output."""
        return self.cells_used / max(1, self.lut_outputs)

    def text(self) -> str:
        """The flow's figures, one per line (no cell classes and no total time: the
        program summary states those once)."""
        secs = ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items())
        reduced = self.lut_outputs - self.emitted_luts
        why = (f"; {reduced} of them emit as a copy or a constant" if reduced > 0 else "")
        return "\n".join([
            f"netlist LUTs      {self.netlist_luts}, placed as {self.lut_outputs} LUT outputs "
            f"in {self.clusters} clusters{why}",
            f"registers used    {self.registers} (LUT outputs, copies and constants)",
            f"cells per LUT     {self.cells_per_lut:.2f} used cells per placed LUT output",
            f"longest route     {self.longest_route} cycles",
            f"router iterations {self.route_iterations}",
            f"stages            {secs}",
        ])


def make_report(placement: Placement, routes: Routes, seconds: dict[str, float],
                bitstream: object) -> Report:
    """Registers and routes of a routed placement; the cell classes are those of
    ``bitstream`` (:func:`fabric.usage.usage`), the one count used everywhere."""
    from fabric.usage import usage as cell_usage

    pl = placement
    w, h = pl.width, pl.height
    load = np.zeros((h, w), dtype=np.int8)
    regs = passes = 0
    relays = pl.packed.relays
    for net in routes.nets.values():
        for reg, (_tau, src) in net.nodes.items():
            x, y, _side = pl.arch.reg_loc(reg)
            load[y, x] += 1
            regs += 1
            if src != COMPUTE or net.driver in relays:
                passes += 1
    for i, o in enumerate(pl.packed.outputs):
        if o.ref is None:  # a constant output occupies its edge cell's register
            x, y = pl.arch.port_cell(*pl.out_port[i])
            load[y, x] += 1
            regs += 1
    p = pl.packed
    cells = cell_usage(bitstream)
    usage = cells.kinds.astype(np.int8)  # 0 idle, 1 route-only, 2 compute: same codes
    return Report(
        width=w, height=h, netlist_luts=p.n_netlist_luts, lut_outputs=len(p.luts) - len(p.relays),
        clusters=len(p.clusters), compute_cells=cells.compute,
        route_only_cells=cells.route_only, idle_cells=cells.idle,
        registers=regs, pass_registers=passes, latency=pl.latency,
        longest_route=routes.longest, route_iterations=routes.iterations,
        emitted_luts=cells.luts, seconds=dict(seconds), usage=usage, load=load)
