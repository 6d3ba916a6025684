"""Emission: a routed placement becomes the logical bitstream plus its I/O map.

Each used output register gets a truth table (DESIGN §1: bits ``16*d .. 16*d+15`` of
the cell's configuration, address ``in_N | in_E<<1 | in_S<<2 | in_W<<3``):

* a pass-through copies its input side (:func:`cells.truth.copy_table`);
* a LUT register evaluates the LUT with input ``i`` read from the side its stream
  arrives on (the router's terminal); the table ignores every other side, so
  unmapped edge inputs (driven with garbage) never leak into a result;
* a constant output is a constant table (valid from cycle 1 on).

Unused registers and idle cells are 0. The I/O map lists every declared input bit
(bits nothing reads still get a port, marked with offset 0) and every output bit,
LSB first, with the offsets of the schedule; latency = largest output offset.
"""

from __future__ import annotations

import numpy as np

from cells.truth import copy_table, make_config
from compiler.errors import CompileError
from compiler.pack import eval_table
from compiler.placement import Placement
from compiler.route import COMPUTE, Routes
from fabric.arch import BUS_SIDE
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit


def lut_table(table: int, sides: list[int]) -> int:
    """16-bit cell table of a LUT whose input ``i`` arrives on side ``sides[i]``."""
    out = 0
    for a in range(16):
        bits = [(a >> s) & 1 for s in sides]
        out |= eval_table(table, bits) << a
    return out


def cell_tables(placement: Placement, routes: Routes) -> dict[tuple[int, int], list[int]]:
    """Per used cell ``(x, y)``, its four 16-bit tables ``(N, E, S, W)``."""
    pl = placement
    p = pl.packed
    arch = pl.arch
    tables: dict[tuple[int, int], list[int]] = {}
    owner: dict[int, int] = {}
    for drv, net in routes.nets.items():
        for reg, (_tau, src) in net.nodes.items():
            if reg in owner:
                raise CompileError(f"register {reg} is used by drivers {owner[reg]} and {drv}")
            owner[reg] = drv
            x, y, side = arch.reg_loc(reg)
            if src == COMPUTE:
                lut = p.luts[drv]
                ci = p.cluster_of[drv]
                sides = []
                for d, k in lut.inputs:
                    sides.append(routes.nets[d].terminals[("c", ci, k)])
                tab = lut_table(lut.table, sides)
            else:
                tab = copy_table(src)
            tables.setdefault((x, y), [0] * arch.REGS_PER_CELL)[side] = tab
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            port, idx = pl.out_port[i]
            cell = arch.port_cell(port, idx)
            tables.setdefault(cell, [0] * arch.REGS_PER_CELL)[BUS_SIDE[port]] = (
                0xFFFF if o.const else 0)
    return tables


def build_iomap(placement: Placement) -> IOMap:
    """The I/O map of a scheduled placement (ARCHITECTURE §6)."""
    pl = placement
    p = pl.packed
    by_bit = {(wd, b): d for wd, b, d in p.inputs}
    inputs: dict[str, tuple[PortBit, ...]] = {}
    spare = _spare_inputs(pl)
    for word, nbits in p.input_widths.items():
        bits = []
        for b in range(nbits):
            d = by_bit.get((word, b))
            if d is None:
                port, idx = spare.pop(0)
                bits.append(PortBit(port, idx, 0))
            else:
                port, idx = pl.in_port[d]
                bits.append(PortBit(port, idx, pl.in_time[d]))
        inputs[word] = tuple(bits)
    outputs: dict[str, list[PortBit]] = {}
    for i, o in enumerate(p.outputs):
        port, idx = pl.out_port[i]
        outputs.setdefault(o.word, []).append(PortBit(port, idx, pl.out_time[i]))
    return IOMap(inputs, {k: tuple(v) for k, v in outputs.items()}, pl.latency)


def _spare_inputs(pl: Placement) -> list[tuple[str, int]]:
    used = set(pl.in_port.values())
    return [q for q in pl.arch.ports(("west_in", "north_in", "east_in", "south_in"))
            if q not in used]


def emit(placement: Placement, routes: Routes) -> Bitstream:
    """Configurations (uint64, (H, W)) and I/O map of a routed placement (the
    placement carries the packed netlist)."""
    configs = np.zeros((placement.height, placement.width), dtype=np.uint64)
    for (x, y), tabs in cell_tables(placement, routes).items():
        configs[y, x] = np.uint64(make_config(tabs))
    return Bitstream(configs, build_iomap(placement))
