"""Edge ports of a placement: output ports, and ports for input bits nothing reads."""

from __future__ import annotations

from compiler.errors import FitError
from compiler.placement import Placement
from compiler.schedule import schedule
from fabric.arch import Port, backward_hops, manhattan


def _assign_outputs(pl: Placement, auto: bool) -> list[Port]:
    """Nearest free edge output port for every output bit (east/south first)."""
    w, h = pl.width, pl.height
    arch = pl.arch
    p = pl.packed
    main = ["east_out", "south_out"]
    rest = ["west_out", "north_out"]
    free: list[Port] = arch.ports(main + rest)
    free_set = set(free)
    res: list[Port | None] = [None] * len(p.outputs)
    order = []
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            continue
        d = o.ref[0]
        if d in p.cluster_of:
            cell = pl.cell[p.cluster_of[d]]
        else:
            cell = arch.port_cell(*pl.in_port[d])
        order.append((min(w - 1 - cell[0], h - 1 - cell[1]), i, cell))
    order.sort()
    for _, i, cell in order:
        best = None
        for port in (free if not auto else free):
            if port not in free_set:
                continue
            pc = arch.port_cell(port[0], port[1])
            pen = 0 if port[0] in main else 2 * (w + h)
            key = (manhattan(pc, cell) + 2 * backward_hops(cell, pc) + pen, port)
            if best is None or key < best[0]:
                best = (key, port)
        if best is None:
            raise FitError(f"no edge output port left for {len(p.outputs)} output bits on a "
                           f"{w}x{h} fabric")
        res[i] = best[1]
        free_set.discard(best[1])
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            port = next((q for q in free if q in free_set), None)
            if port is None:
                raise FitError(f"no edge output port left for {len(p.outputs)} output bits "
                               f"on a {w}x{h} fabric")
            res[i] = port
            free_set.discard(port)
    return [r for r in res if r is not None]


def _finish_ports(pl: Placement, in_port: dict, dead: list, n_inputs: int,
                  slack: int) -> None:
    """Give unread input bits the first free edge input ports (every declared input
    bit has a port), assign output ports and schedule with ``slack`` cycles."""
    used = set(in_port.values())
    free_in = [q for q in pl.arch.ports(("west_in", "north_in", "south_in", "east_in"))
               if q not in used]
    for d in dead:
        if not free_in:
            raise FitError(f"no edge input port left for {n_inputs} input bits on a "
                           f"{pl.width}x{pl.height} fabric")
        pl.in_port[d] = free_in.pop(0)
    pl.out_port = _assign_outputs(pl, True)
    schedule(pl, slack)
