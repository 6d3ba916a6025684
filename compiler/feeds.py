"""Input feeds: one edge port per group of readers of a token input bit (:func:`split_feeds`)."""

from __future__ import annotations

from compiler.errors import FitError
from compiler.pack import Cluster, MLut, Packed
from fabric.arch import Cell, Port, arch_of, manhattan


def feed_name(word: str, j: int) -> str:
    """I/O-map word of the ``j``-th extra feed of input word ``word`` (``x`` ->
    ``x@fj``; ``x@1`` -> ``x@1.fj``): :func:`fabric.iomap.base_word` still gives the
    token word."""
    return f"{word}.f{j}" if "@" in word else f"{word}@f{j}"


def split_feeds(packed: Packed, cell: list[Cell], width: int, height: int,
                max_ports: int | None = None) -> tuple[Packed, dict[int, Port]]:
    """Give every reader of a token input bit its own feed of that bit (extra input
    words ``x@TAG``, :func:`feed_name`), entering on the edge port nearest to it.

    A reader at ``(x, y)`` takes ``north_in[x]`` or ``west_in[y]`` (straight routes
    along its column or row; the offset of a feed is free, so its lag costs nothing),
    else the nearest free port of any edge. A reader on the column or row of a feed
    of the same bit shares it (the route branches off the straight line). The edge
    ports are budgeted: at most ``max_ports`` input port bits (default: all of them,
    keeping one per unread bit and one per padding bit of the feed words); when they
    run out readers share the nearest existing feed. Returns the new
    :class:`Packed` (the function is unchanged) and the port of every live input
    driver (the first feed of each bit keeps the original driver and word).
    """
    p = packed
    total = 2 * (width + height)
    budget = total if max_ports is None else min(total, max_ports)
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    budget -= len(ins) - len(live)
    wb = {d: (w, b) for w, b, d in p.inputs}
    readers: dict[int, list[int]] = {}
    for d in live:
        readers[d] = sorted({i for kind, i, _ in p.sinks[d] if kind == "c"})
    arch = arch_of(width, height)
    free: set[Port] = set(arch.ports(("west_in", "north_in", "east_in", "south_in")))

    def port_cost(port: Port, c: Cell) -> tuple[int, Port]:
        pc = arch.port_cell(port[0], port[1])
        straight = (port[0] == "north_in" and pc[0] == c[0]) or (
            port[0] == "west_in" and pc[1] == c[1])
        return (manhattan(pc, c) + (0 if straight else 2), port)

    # feeds[d]: list of (port, [readers]); the order of pairs: nearest readers first
    feeds: dict[int, list[tuple[Port, list[int]]]] = {d: [] for d in live}
    pairs = sorted((cell[ci][0] + cell[ci][1], ci, d) for d in live for ci in readers[d])
    out_only = [d for d in live if not readers[d]]
    used = 0
    for d in out_only:                 # a bit read only by outputs keeps one port
        port = min(free, key=lambda q: port_cost(q, (width - 1, height - 1)))
        free.discard(port)
        feeds[d].append((port, []))
        used += 1
    # padding: feed word j needs ports for all its lower bits; count them as we go
    nfeeds: dict[tuple[str, int], int] = {}
    width_of: dict[str, int] = {}
    for _, ci, d in pairs:
        c = cell[ci]
        share = None
        for f in feeds[d]:
            pc = arch.port_cell(f[0][0], f[0][1])
            if (f[0][0] == "north_in" and pc[0] == c[0]) or (
                    f[0][0] == "west_in" and pc[1] == c[1]):
                share = f
                break
        if share is None and free:
            w, b = wb[d]
            j = nfeeds.get((w, b), 0)
            fw = feed_name(w, j) if j else w
            pad = max(0, b - width_of.get(fw, 0)) if j else 0
            if used + 1 + pad <= budget:
                port = min(free, key=lambda q: port_cost(q, c))
                free.discard(port)
                feeds[d].append((port, [ci]))
                nfeeds[(w, b)] = j + 1
                width_of[fw] = max(width_of.get(fw, 0), b + 1)
                used += 1 + pad
                continue
        if share is None:
            if not feeds[d]:
                raise FitError(f"no edge input port left for the input bits on a "
                               f"{width}x{height} fabric")
            share = min(feeds[d], key=lambda f: (manhattan(
                arch.port_cell(f[0][0], f[0][1]), c), f[0]))
        share[1].append(ci)
    # new drivers
    next_id = max([*ins, *p.luts, 0]) + 1
    new_inputs = list(p.inputs)
    in_port: dict[int, Port] = {}
    remap: dict[tuple[int, int], int] = {}          # (driver, cluster) -> feed driver
    for d in live:
        w, b = wb[d]
        for j, (port, rds) in enumerate(feeds[d]):
            if j == 0:
                nd = d
            else:
                nd = next_id
                next_id += 1
                new_inputs.append((feed_name(w, j), b, nd))
            in_port[nd] = port
            for ci in rds:
                remap[(d, ci)] = nd
    luts = dict(p.luts)
    clusters = []
    for c in p.clusters:
        refs = tuple(sorted((remap.get((d, c.index), d), k) for d, k in c.inputs))
        clusters.append(Cluster(c.index, c.luts, refs))
        for lut in c.luts:
            old = luts[lut]
            luts[lut] = MLut(lut, tuple((remap.get((d, c.index), d), k) for d, k in old.inputs),
                             old.table)
    widths = dict(p.input_widths)
    for w, b, _ in new_inputs:
        widths[w] = max(widths.get(w, 0), b + 1)
    out = Packed(inputs=new_inputs, input_widths=widths, luts=luts, order=list(p.order),
                 clusters=clusters, cluster_of=dict(p.cluster_of), outputs=p.outputs,
                 n_netlist_luts=p.n_netlist_luts, relays=set(p.relays),
                 relay_links=dict(p.relay_links))
    return out, in_port
