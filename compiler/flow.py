"""The back-end flow: netlist -> parity -> pack -> place/schedule -> route -> emit.

>>> res = compile_netlist(nl)                 # fabric sized automatically
>>> res = compile_netlist(nl, width=32, height=32, seed=1)
>>> res.bitstream.save("prog.lgb"); print(res.report.text())

Placement is first the levelised band layout (:func:`compiler.place_layered.place_layered`)
whose token input bits enter on one extra feed per reader (``x@TAG`` words of the
I/O map, :func:`compiler.feeds.split_feeds`: no fan-out trees or relay chains from
the west edge), then the same layout with one port per input bit, each tried with
growing channel widths, row pitches and schedule slack until the
negotiated router converges (each try ends after an iteration limit, never on a
clock, so which layout wins does not depend on the machine's speed or load), then
the dominance layout (:func:`compiler.place_dominance.place_dominance`); on a fabric of fixed
size that is too small for those, the greedy wavefront placer is tried too. An
optional ``time_budget`` makes the whole compile give up with an error once spent;
it never changes which layout a successful compile returns.

Same netlist and seed give the same bitstream bytes. A program that does not fit
raises :class:`~compiler.errors.FitError` (cells needed vs available) and writes
nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from compiler.emit import emit
from compiler.errors import FitError, RouteError
from compiler.netlist import Netlist
from compiler.pack import Packed, pack
from compiler.parity import legalise_parity
from compiler.place_dominance import place_dominance
from compiler.place_greedy import place
from compiler.place_layered import place_layered
from compiler.placement import Placement
from compiler.report import Report, make_report
from compiler.route import Routes, route
from fabric.bitstream import Bitstream


@dataclass
class CompileResult:
    """Bitstream (with I/O map) plus everything that produced it."""

    bitstream: Bitstream
    report: Report
    placement: Placement
    routes: Routes
    packed: Packed


_log = logging.getLogger(__name__)

#: (channel gap, row pitch, schedule slack) of the layered layout, tried in turn
LAYER_TRIES = ((3, 3, 2), (4, 3, 2), (3, 4, 4), (4, 4, 4), (5, 5, 6), (6, 6, 8))
#: (channel gap, row pitch, schedule slack, iteration factor) of the layered layout
#: whose input bits enter on one extra feed per reader
#: (:func:`compiler.feeds.split_feeds`), tried first; the sparsest gets more router
#: iterations (``factor * max_iters``): it is the one that converges on the largest
#: netlists (the 8x8 multiply's 75 clusters route in 91 iterations)
FEED_TRIES = ((3, 3, 2, 1), (3, 4, 2, 1), (3, 5, 2, 2))
#: (site column step, row step, schedule slack) of the dominance layout, tried after
DOMINANCE_TRIES = ((3, 3, 2), (4, 4, 2))


def compile_netlist(nl: Netlist, width: int | None = None, height: int | None = None,
                    seed: int = 0, max_iters: int = 60, legalise: bool = True,
                    time_budget: float | None = None) -> CompileResult:
    """Compile a bit-level netlist (ARCHITECTURE §7) to a bitstream.

    ``legalise`` first runs :func:`compiler.parity.legalise_parity` (cones feeding odd
    delays get a second input feed ``w@1``; the I/O map carries it). With
    ``width``/``height`` both ``None`` the fabric is sized automatically (inputs on
    the west edge, outputs east/south); with both given the program must fit that
    fabric. ``time_budget`` (seconds, ``None``: unlimited) bounds the whole search:
    once spent, the compile raises :class:`RouteError` rather than return a layout
    that a faster machine would not have chosen. Raises
    :class:`FitError` (cells needed vs available) or :class:`RouteError` (a
    :class:`FitError`) when no try routes.
    """
    if (width is None) != (height is None):
        raise ValueError("give both width and height, or neither (automatic size)")
    if legalise:
        nl = legalise_parity(nl)
    t0 = time.perf_counter()
    packed = pack(nl)
    t_pack = time.perf_counter() - t0
    ncl = max(1, len(packed.clusters))
    if width is not None and height is not None and ncl > width * height:
        raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) but "
                       f"the fabric has {width}x{height} = {width * height}",
                       needed=ncl, available=width * height)
    last: Exception | None = None
    shape = None if width is None else (width, height)
    plans: list[tuple[str, tuple[int, int, int], int]] = [
        ("feeds", (a, b, c), f) for a, b, c, f in FEED_TRIES]
    plans += [("layered", t, 1) for t in LAYER_TRIES]
    plans += [("dominance", t, 1) for t in DOMINANCE_TRIES]
    if shape is not None:
        plans += [("greedy", (1, 0, 0), 1), ("greedy", (2, 0, 0), 1)]
    for kind, (a, b, c), factor in plans:
        t1 = time.perf_counter()
        limit = None
        if time_budget is not None:
            limit = time_budget - (t1 - t0)
            if limit <= 0:
                raise _out_of_time(ncl, time_budget)
        try:
            if kind in ("layered", "feeds"):
                pl = place_layered(packed, shape, seed, gap=a, row_step=b, slack=c,
                                   feeds=kind == "feeds")
            elif kind == "dominance":
                pl = place_dominance(packed, shape, seed, col_step=a, row_step=b, slack=c)
            else:
                pl = place(packed, shape, seed, spacing=a)
        except FitError as exc:
            last = exc
            continue
        t_place = time.perf_counter() - t1
        t2 = time.perf_counter()
        _log.info("%s layout %s on %dx%d: routing %d clusters (at most %d iterations)",
                  kind, (a, b, c), pl.width, pl.height, len(pl.packed.clusters),
                  factor * max_iters)
        try:
            routes = route(pl, max_iters=factor * max_iters, time_limit=limit)
        except RouteError as exc:
            if time_budget is not None and time.perf_counter() - t0 >= time_budget:
                raise _out_of_time(ncl, time_budget) from exc
            _log.info("  failed after %.1f s: %s", time.perf_counter() - t2, exc)
            last = exc
            continue
        t_route = time.perf_counter() - t2
        t3 = time.perf_counter()
        bs = emit(pl, routes)
        t_emit = time.perf_counter() - t3
        rep = make_report(pl, routes, {"pack": t_pack, "place": t_place, "route": t_route,
                                       "emit": t_emit}, bs)
        return CompileResult(bs, rep, pl, routes, pl.packed)
    if last is None:
        raise RouteError(f"the program ({ncl} LUT cells) could not be placed and routed "
                         f"within the {time_budget} s budget")
    if isinstance(last, RouteError):
        where = "" if width is None else f" on the {width}x{height} fabric"
        raise RouteError(f"the program ({ncl} LUT cells) could not be routed{where}: {last}",
                         needed=None, available=None if width is None else width * height)
    raise last


def _out_of_time(ncl: int, budget: float) -> RouteError:
    return RouteError(f"the program ({ncl} LUT cells) was not placed and routed within the "
                      f"{budget:g} s time budget", needed=None, available=None)
