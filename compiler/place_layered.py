"""Levelised band placement (:func:`place_layered`) and relays for nets that skip
levels (:func:`add_relays`)."""

from __future__ import annotations

from compiler.errors import FitError
from compiler.feeds import split_feeds
from compiler.pack import Cluster, MLut, Packed
from compiler.placement import Placement, _as_shape
from compiler.ports import _finish_ports
from fabric.arch import Cell, Port, arch_of


def _levels(packed: Packed) -> tuple[dict[int, int], list[list[int]]]:
    """ASAP level of every cluster (1 = reads only token inputs) and the clusters of
    each level, in index order."""
    p = packed
    depth: dict[int, int] = {}
    for c in p.clusters:
        lv = 1
        for d, _k in c.inputs:
            if d in p.cluster_of:
                lv = max(lv, depth[p.cluster_of[d]] + 1)
        depth[c.index] = lv
    nlev = max(depth.values(), default=0)
    levels: list[list[int]] = [[] for _ in range(nlev + 1)]
    for ci, lv in depth.items():
        levels[lv].append(ci)
    return depth, levels


def layered_shape(packed: Packed, gap: int = 2, row_step: int = 2) -> tuple[int, int]:
    """Fabric size that :func:`place_layered` needs for ``packed`` (after relays)."""
    _, levels = _levels(packed)
    nlev = len(levels) - 1
    rows = max([row_step * len(lv) + 1 for lv in levels]
               + [row_step * len(packed.inputs) // 2 + 2, len(packed.outputs) // 2 + 2, 3])
    rows += row_step + 1          # room for detours (delay lines, fan-out trees)
    width = 1 + (gap + 1) * nlev + gap + 1
    while width + rows < len(packed.outputs) + 2:
        width += 1
    return width, rows


def place_layered(packed: Packed, fabric_shape: object = None, seed: int = 0, *,
                  gap: int = 2, row_step: int = 2, slack: int = 2,
                  relays: bool = True, feeds: bool = False) -> Placement:
    """Levelised band placement ("layered drawing"), routable by spacing.

    Level ``l`` (ASAP depth of the cluster) occupies column ``(gap + 1) * l``; columns
    in between are routing channels of ``gap`` cells. Within a level clusters sit on
    every ``row_step``-th row, ordered by the barycentre of their drivers' rows so
    that nets run mostly east (DESIGN §3: east/south hops keep the lag). With
    ``relays`` nets that skip levels are split by identity LUTs (:func:`add_relays`,
    Sugiyama's dummy nodes), so every route crosses one channel. Token inputs enter
    on the west edge, two rows apart where the height allows (north edge for the
    rest); outputs leave on the east/south edges. The schedule (:func:`compiler.schedule.schedule`)
    adds ``slack`` cycles per cluster for the router and spreads relay delays.

    Without ``fabric_shape`` the fabric is :func:`layered_shape`; with it the layout
    must fit (else :class:`FitError`). Deterministic: no random choice is made
    (``seed`` is recorded only).
    """
    p = add_relays(packed, inputs=not feeds) if relays else packed
    need_w, need_h = layered_shape(p, gap, row_step)
    if fabric_shape is None:
        width, height = need_w, need_h
    else:
        width, height = _as_shape(fabric_shape)
        ncl = len(p.clusters)
        if ncl > width * height:
            raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) "
                           f"but the fabric has {width}x{height} = {width * height}",
                           needed=ncl, available=width * height)
        if width < need_w or height < need_h:
            raise FitError(f"the layered layout needs a {need_w}x{need_h} fabric, the "
                           f"fabric is {width}x{height}", needed=need_w * need_h,
                           available=width * height)
    _, levels = _levels(p)
    in_port: dict[int, Port] = {}
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    dead = [d for d in ins if not p.sinks.get(d)]
    step = max(1, min(2, (height - 1) // max(1, len(live))))
    rows = list(range(1, height - 1, step)) if height >= 3 else list(range(height))
    rows += [y for y in range(height) if y not in rows]
    for i, d in enumerate(live):
        if i < len(rows):
            in_port[d] = ("west_in", rows[i])
        else:
            j = i - len(rows)
            if j >= width:
                raise FitError(f"no edge input port left for {len(ins)} input bits on a "
                               f"{width}x{height} fabric")
            in_port[d] = ("north_in", j)
    row_of: dict[int, float] = {d: float(arch_of(width, height).port_cell(*in_port[d])[1])
                                for d in live}
    cell: list[Cell] = [(-1, -1)] * len(p.clusters)
    slots = list(range(1, height - 1, row_step)) if height >= 3 else list(range(height))
    for lv in range(1, len(levels)):
        members = levels[lv]
        if len(members) > len(slots):
            raise FitError(f"level {lv} has {len(members)} clusters but only {len(slots)} "
                           f"rows on a {width}x{height} fabric",
                           needed=len(members) * row_step, available=height)
        bary = {}
        for ci in members:
            ys = [row_of[d] for d, _ in p.clusters[ci].inputs if d in row_of]
            bary[ci] = sum(ys) / len(ys) if ys else 0.0
        order = sorted(members, key=lambda ci: (bary[ci], ci))
        # monotone slot assignment close to the barycentres
        n, m = len(order), len(slots)
        idx: list[int] = []
        for i, ci in enumerate(order):
            want = min(range(m), key=lambda s: (abs(slots[s] - bary[ci]), s))
            lo = idx[-1] + 1 if idx else 0
            hi = m - (n - i)
            idx.append(min(max(want, lo), hi))
        x = (gap + 1) * lv
        for ci, s in zip(order, idx, strict=True):
            cell[ci] = (x, slots[s])
            for lut in p.clusters[ci].luts:
                row_of[lut] = float(slots[s])
    if feeds:
        p, in_port = split_feeds(p, cell, width, height)
        ins = [d for _, _, d in p.inputs]
        dead = [d for d in ins if d not in in_port]
    pl = Placement(width, height, p, cell, [0] * len(p.clusters), in_port, {}, [], [], seed)
    _finish_ports(pl, in_port, dead, len(ins), slack)
    pl.stats["layered"] = 1.0
    return pl


def add_relays(packed: Packed, inputs: bool = True) -> Packed:
    """Split every net that skips levels (Sugiyama's dummy nodes).

    A driver at level ``l`` (inputs: level 0) read by a cluster at level ``m > l + 1``
    gets a chain of identity LUTs ("relays", one cluster each) at levels ``l+1 ..
    m-1``; a reader at level ``m`` then reads the relay at level ``m - 1`` (same
    ``k``: a relay is the same stream). Outputs keep reading their driver. Returns a
    new :class:`Packed` (clusters renumbered in level order, ``relays`` set); the
    netlist function is unchanged.
    """
    p = packed
    depth, _ = _levels(p)
    lvl: dict[int, int] = {d: 0 for _, _, d in p.inputs}
    in_ids = set(lvl)
    for c in p.clusters:
        for lut in c.luts:
            lvl[lut] = depth[c.index]
    next_id = max([*lvl, *p.luts, 0]) + 1
    luts = dict(p.luts)
    relays: set[int] = set()
    chain: dict[tuple[int, int], int] = {}     # (driver, level) -> relay id at level
    rlevel: dict[int, int] = {}
    root: dict[int, int] = {}                  # relay -> original driver

    def at_level(d: int, m: int) -> int:
        """The stream of ``d`` as seen from level ``m`` (a relay at ``m - 1``)."""
        nonlocal next_id
        if lvl[d] >= m - 1 or (not inputs and d in in_ids):
            return d
        key = (d, m - 1)
        if key not in chain:
            src = at_level(d, m - 1)
            r = next_id
            next_id += 1
            luts[r] = MLut(r, ((src, 0),), 0b10)
            relays.add(r)
            root[r] = d
            rlevel[r] = m - 1
            lvl[r] = m - 1
            chain[key] = r
        return chain[key]

    new_inputs: list[tuple[tuple[int, int], ...]] = []
    for c in p.clusters:
        m = depth[c.index]
        refs = tuple(sorted((at_level(d, m), k) for d, k in c.inputs))
        new_inputs.append(refs)
    # each MLut's inputs stay in their order, aligned with its table (input i = bit i)
    for c in p.clusters:
        m = depth[c.index]
        for lut in c.luts:
            old = p.luts[lut]
            luts[lut] = MLut(lut, tuple((at_level(d, m), k) for d, k in old.inputs), old.table)
    groups: list[tuple[int, tuple[int, ...], tuple[tuple[int, int], ...]]] = []
    for c, refs in zip(p.clusters, new_inputs, strict=True):
        groups.append((depth[c.index], c.luts, refs))
    for r in sorted(relays):
        groups.append((rlevel[r], (r,), luts[r].inputs))
    groups.sort(key=lambda g: (g[0], g[1]))
    clusters = [Cluster(i, luts_, refs) for i, (_, luts_, refs) in enumerate(groups)]
    cluster_of = {lut: c.index for c in clusters for lut in c.luts}
    order = [lut for c in clusters for lut in c.luts]
    out = Packed(inputs=p.inputs, input_widths=p.input_widths, luts=luts, order=order,
                 clusters=clusters, cluster_of=cluster_of, outputs=p.outputs,
                 n_netlist_luts=p.n_netlist_luts, relays=relays)
    last: dict[int, int] = {}
    for c in p.clusters:
        for d, _k in c.inputs:
            last[d] = max(last.get(d, 0), depth[c.index])
    #: relay -> links left to the deepest reader of its chain (incl. its input link)
    out.relay_links = {r: last[root[r]] - rlevel[r] + 1 for r in relays}
    return out


def max_cut(packed: Packed) -> int:
    """Most drivers live across one level boundary (a lower bound on the rows that a
    west-to-east layout needs: each cell has one east-going register)."""
    depth, levels = _levels(packed)
    lvl = {d: 0 for _, _, d in packed.inputs}
    for c in packed.clusters:
        for lut in c.luts:
            lvl[lut] = depth[c.index]
    last: dict[int, int] = {}
    for c in packed.clusters:
        for d, _k in c.inputs:
            last[d] = max(last.get(d, 0), depth[c.index])
    cut = [0] * (len(levels) + 1)
    for d, m in last.items():
        for b in range(lvl[d], m):
            cut[b] += 1
    return max(cut, default=0)
