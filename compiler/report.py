"""What a compiled program costs: text report and PNG heat map of the placed grid.

Cell classes: **compute** (at least one output register holds a LUT value),
**route-only** (only pass-throughs; relays, the identity LUTs that placement adds to
split long nets, count as pass-throughs), **idle** (nothing), plus the
constant-output cells counted as compute. Counts are cells; latency and longest route are cycles;
compile time is wall-clock seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
        """Multi-line human-readable summary."""
        secs = ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        return "\n".join([
            f"fabric            {self.width} x {self.height} = {self.width * self.height} cells",
            f"netlist LUTs      {self.netlist_luts} (placed LUT outputs {self.lut_outputs} "
            f"in {self.clusters} cells)",
            f"cells used        {self.cells_used} ({self.cells_per_lut:.2f} per LUT output)",
            f"  compute         {self.compute_cells}",
            f"  routing only    {self.route_only_cells} ({100 * self.route_only_share:.1f}%)",
            f"  idle            {self.idle_cells}",
            f"registers used    {self.registers} ({self.pass_registers} pass-through)",
            f"latency           {self.latency} cycles",
            f"longest route     {self.longest_route} cycles",
            f"router iterations {self.route_iterations}",
            f"compile time      {sum(self.seconds.values()):.2f}s ({secs})",
        ])

    def save_png(self, path: str | Path, scale: int = 6) -> None:
        """Heat map: compute cells red, route-only blue (brighter = more registers
        used), idle dark grey; ``scale`` pixels per cell."""
        from PIL import Image

        assert self.usage is not None and self.load is not None
        h, w = self.usage.shape
        img = np.zeros((h, w, 3), dtype=np.uint8)
        img[:] = (30, 30, 30)
        shade = (90 + 40 * np.clip(self.load, 0, 4)).astype(np.uint8)
        comp = self.usage == 2
        rout = self.usage == 1
        img[comp] = np.stack([shade[comp], np.full(comp.sum(), 40, np.uint8),
                              np.full(comp.sum(), 40, np.uint8)], axis=1)
        img[rout] = np.stack([np.full(rout.sum(), 40, np.uint8),
                              np.full(rout.sum(), 90, np.uint8), shade[rout]], axis=1)
        big = np.kron(img, np.ones((scale, scale, 1), dtype=np.uint8))
        Image.fromarray(big, "RGB").save(str(path))


def make_report(placement: Placement, routes: Routes, seconds: dict[str, float]) -> Report:
    """Count cells and registers of a routed placement."""
    pl = placement
    w, h = pl.width, pl.height
    usage = np.zeros((h, w), dtype=np.int8)
    load = np.zeros((h, w), dtype=np.int8)
    regs = passes = 0
    relays = pl.packed.relays
    for net in routes.nets.values():
        for reg, (_tau, src) in net.nodes.items():
            x, y, _side = pl.arch.reg_loc(reg)
            load[y, x] += 1
            regs += 1
            if src == COMPUTE and net.driver not in relays:
                usage[y, x] = 2
            else:
                passes += 1
                usage[y, x] = max(usage[y, x], 1)
    for i, o in enumerate(pl.packed.outputs):
        if o.ref is None:
            port, idx = pl.out_port[i]
            x, y = pl.arch.port_cell(port, idx)
            usage[y, x] = 2
            load[y, x] += 1
            regs += 1
    p = pl.packed
    return Report(
        width=w, height=h, netlist_luts=p.n_netlist_luts, lut_outputs=len(p.luts) - len(p.relays),
        clusters=len(p.clusters), compute_cells=int((usage == 2).sum()),
        route_only_cells=int((usage == 1).sum()), idle_cells=int((usage == 0).sum()),
        registers=regs, pass_registers=passes, latency=pl.latency,
        longest_route=routes.longest, route_iterations=routes.iterations,
        seconds=dict(seconds), usage=usage, load=load)
