"""Dominance placement (:func:`place_dominance`): every driver north-west of its readers."""

from __future__ import annotations

from compiler.errors import FitError
from compiler.pack import Packed
from compiler.place_layered import _levels, max_cut
from compiler.placement import Placement, _as_shape
from compiler.ports import _finish_ports
from fabric.arch import Cell


def place_dominance(packed: Packed, fabric_shape: object = None, seed: int = 0, *,
                    col_step: int = 2, row_step: int = 2, band: int | None = None,
                    slack: int = 0, spread: float = 2.0) -> Placement:
    """Dominance placement: every net runs east and south only (DESIGN §3 lag law).

    Token inputs enter on the west edge, one per row from the top. Level ``l`` (ASAP
    depth) gets a band of ``band`` site columns (sites every ``col_step`` columns
    and ``row_step`` rows); a cluster takes the free site of its band on the
    highest row at or below all its drivers' rows. A driver is then always north-west
    of its readers, so a monotone route keeps the lag ``t - x - y``: the schedule
    needs no detours except 2 cycles for a cluster's third and fourth input (they
    enter from the east/south side) and the ``slack`` it adds for the router.
    Outputs leave on the east/south edges.

    Without ``fabric_shape`` the fabric is as large as the layout (plus spare rows
    and columns); with it the layout must fit (else :class:`FitError`). The first
    input row pitch spreads the inputs over ``spread`` times :func:`max_cut` rows.
    Deterministic (``seed`` is only recorded).
    """
    p = packed
    ncl = len(p.clusters)
    if fabric_shape is not None:
        fw, fh = _as_shape(fabric_shape)
        if ncl > fw * fh:
            raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) "
                           f"but the fabric has {fw}x{fh} = {fw * fh}",
                           needed=ncl, available=fw * fh)
    _, levels = _levels(p)
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    dead = [d for d in ins if not p.sinks.get(d)]
    biggest = max((len(lv) for lv in levels), default=1)
    in_step = max(1, -(-int(spread * max_cut(p)) // max(1, len(live))))
    row_of = {d: i * in_step for i, d in enumerate(live)}
    max_row = max(in_step * (len(live) - 1), 0)
    if band is None:
        band = max(1, -(-biggest // max(2, (max_row + 4) // row_step)))
    cell: list[Cell] = [(-1, -1)] * ncl
    x0 = col_step
    for lv in range(1, len(levels)):
        taken: set[Cell] = set()
        need: dict[int, int] = {}
        for ci in levels[lv]:
            need[ci] = max((row_of[d] for d, _ in p.clusters[ci].inputs if d in row_of),
                           default=0)
        for ci in sorted(levels[lv], key=lambda c: (need[c], c)):
            y = -(-need[ci] // row_step) * row_step
            while True:
                free = [x0 + col_step * j for j in range(band)
                        if (x0 + col_step * j, y) not in taken]
                if free:
                    break
                y += row_step
            c = (free[0], y)
            taken.add(c)
            cell[ci] = c
            max_row = max(max_row, y)
            for lut in p.clusters[ci].luts:
                row_of[lut] = y
        x0 += col_step * band
    width = x0 + 1
    height = max_row + row_step + 2
    while width + height < len(p.outputs) + 2:
        width += 1
        height += 1
    if fabric_shape is not None:
        if fw < width or fh < height:
            raise FitError(f"the dominance layout needs a {width}x{height} fabric, the "
                           f"fabric is {fw}x{fh}", needed=width * height,
                           available=fw * fh)
        width, height = fw, fh
    in_port = {d: ("west_in", row_of[d]) for d in live}
    pl = Placement(width, height, p, cell, [0] * ncl, in_port, {}, [], [], seed)
    _finish_ports(pl, in_port, dead, len(ins), slack)
    pl.stats["dominance"] = 1.0
    return pl
