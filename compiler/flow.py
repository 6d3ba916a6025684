"""The back-end flow: netlist -> pack -> place/schedule -> route -> emit (+ report).

>>> res = compile_netlist(nl)                 # fabric sized automatically
>>> res = compile_netlist(nl, width=32, height=32, seed=1)
>>> res.bitstream.save("prog.lgb"); print(res.report.text())

Same netlist and seed give the same bitstream bytes. A program that does not fit
raises :class:`~compiler.errors.FitError` (cells needed vs available) and writes
nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from compiler.emit import emit
from compiler.errors import FitError, RouteError
from compiler.pack import Packed, pack
from compiler.place import Placement, place
from compiler.report import Report, make_report
from compiler.route import Router, Routes
from fabric.bitstream import Bitstream


@dataclass
class CompileResult:
    """Bitstream (with I/O map) plus everything that produced it."""

    bitstream: Bitstream
    report: Report
    placement: Placement
    routes: Routes
    packed: Packed


#: (spacing, margin, canvas cells per cluster) tried in turn when auto-sizing
_AUTO_TRIES = ((1, 2, 6.0), (2, 3, 12.0), (3, 4, 24.0))


def compile_netlist(nl: object, width: int | None = None, height: int | None = None,
                    seed: int = 0, max_iters: int = 150) -> CompileResult:
    """Compile a bit-level netlist (ARCHITECTURE §7) to a bitstream.

    With ``width``/``height`` both ``None`` the fabric is sized automatically (inputs
    on the west/north edges, the placed region cropped, outputs east/south); with
    both given the program must fit that fabric. Raises :class:`FitError`.
    """
    if (width is None) != (height is None):
        raise ValueError("give both width and height, or neither (automatic size)")
    t0 = time.perf_counter()
    packed = pack(nl)
    t_pack = time.perf_counter() - t0
    ncl = max(1, len(packed.clusters))
    last: Exception | None = None
    tries = _AUTO_TRIES if width is None else ((1, 0, 0.0), (2, 0, 0.0))
    for spacing, margin, density in tries:
        t1 = time.perf_counter()
        if width is None:
            side = int(math.ceil(math.sqrt(ncl * density))) + 4
            side = max(side, (len(packed.inputs) + 1) // 2 + 1, (len(packed.outputs) + 1) // 2 + 1)
            pl = place(packed, (side, side), seed, auto=True, spacing=spacing,
                       margin=margin)
        else:
            try:
                pl = place(packed, (width, height), seed, spacing=spacing)
            except FitError as exc:
                last = exc
                continue
        t_place = time.perf_counter() - t1
        t2 = time.perf_counter()
        try:
            routes = Router(pl, max_iters=max_iters).run()
        except RouteError as exc:
            last = exc
            continue
        t_route = time.perf_counter() - t2
        t3 = time.perf_counter()
        bs = emit(nl, pl, routes)
        t_emit = time.perf_counter() - t3
        rep = make_report(pl, routes, {"pack": t_pack, "place": t_place, "route": t_route,
                                       "emit": t_emit})
        return CompileResult(bs, rep, pl, routes, packed)
    assert last is not None
    if isinstance(last, FitError) and last.needed is not None:
        raise last
    if width is not None:
        raise FitError(f"the program ({ncl} LUT cells) could not be routed on the "
                       f"{width}x{height} fabric: {last}", needed=None,
                       available=width * height)
    raise last
