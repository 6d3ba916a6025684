"""Technology mapping of a bit-level netlist onto cells ("packing").

The netlist (ARCHITECTURE §7) is reduced to what placement and routing need:

* **drivers**: token input bits and LUTs; every other signal is resolved to a
  ``(driver, k)`` reference (a delay of ``k`` tokens = ``k`` extra cycles of route,
  identity LUTs are wires) or to a constant, which is folded into the tables;
* **LUT absorption**: a LUT read by one LUT only, or a one-input LUT, is merged into
  its readers when each reader then still has at most 4 distinct inputs (a cell has
  four input sides), which saves a cell and a route;
* **clusters**: LUTs with the same inputs (or one input set inside the other, union
  at most 4) and the same depth share one cell, each on its own output register (the
  sum and carry of a full adder are one cell). All LUTs of a cluster compute at the
  same cycle ``t`` from inputs that arrive at ``t - 1`` on distinct sides.
* **phases**: DESIGN §3's parity law, per driver ``phase = (t - x - y) mod 2``; along
  an edge with delay ``k`` the phase changes by ``k``. A netlist where this has no
  solution raises :class:`~compiler.errors.ParityError`.

Only the netlist's public read side (ARCHITECTURE §7) is used: ``nodes``, node
``kind``/``inputs``/``table``/``k``, ``inputs`` and ``outputs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.errors import CompileError, ParityError
from compiler.netlist import Netlist
from compiler.parity import ParityUnion

#: A reference to a driver's stream: (driver id, delay in tokens).
Ref = tuple[int, int]

MAX_INPUTS = 4


@dataclass
class MLut:
    """A LUT to place: ``table`` bit ``j`` is the output when input ``i`` is
    ``(j >> i) & 1``; ``inputs[i] = (driver, k)`` reads the driver ``k`` tokens back."""

    id: int
    inputs: tuple[Ref, ...]
    table: int


@dataclass(frozen=True)
class OutBit:
    """One token output bit: a driver stream ``(driver, k)`` or a constant."""

    word: str
    bit: int
    ref: Ref | None
    const: int = 0


@dataclass(frozen=True)
class Cluster:
    """LUTs sharing one cell (and one cycle): ``inputs`` is the sorted union of
    their input references (at most 4, each on its own side)."""

    index: int
    luts: tuple[int, ...]
    inputs: tuple[Ref, ...]


@dataclass
class Packed:
    """The mapped netlist: drivers, clusters, outputs and phases.

    ``inputs`` lists every declared token input bit ``(word, bit, driver id)``,
    including bits nothing reads (they still get an edge port in the I/O map);
    ``input_widths`` gives each input word's bit count (bits never declared in the
    netlist get a port too). ``order`` is a topological order of ``luts``.

    Derived at construction (so a stage that builds a new ``Packed`` never recomputes
    them; do not change the clusters or outputs afterwards): ``sinks[d]`` lists the
    readers of driver ``d``: ``("c", cluster, k)`` or ``("o", output index, k)``;
    ``phase[d]`` is the parity class ``(t - x - y) mod 2`` of driver ``d`` (raises
    :class:`~compiler.errors.ParityError` when there is none).
    """

    inputs: list[tuple[str, int, int]]
    input_widths: dict[str, int]
    luts: dict[int, MLut]
    order: list[int]
    clusters: list[Cluster]
    cluster_of: dict[int, int]
    outputs: list[OutBit]
    n_netlist_luts: int = 0
    #: identity LUTs added by placement to split long nets (they only move bits)
    relays: set[int] = field(default_factory=set)
    #: relay -> links from its input to the deepest reader of its chain
    relay_links: dict[int, int] = field(default_factory=dict)
    phase: dict[int, int] = field(init=False)
    sinks: dict[int, list[tuple[str, int, int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.sinks = _sinks(self)
        self.phase = _phases(self)

    @property
    def input_ids(self) -> set[int]:
        """Driver ids that are token input bits."""
        return {sid for _, _, sid in self.inputs}

    def cluster_preds(self, ci: int) -> list[tuple[int, int]]:
        """Inputs of cluster ``ci`` as ``(driver, k)``."""
        return list(self.clusters[ci].inputs)


# ----------------------------------------------------------------- table helpers

def eval_table(table: int, bits: Sequence[int]) -> int:
    """Bit of ``table`` at the address formed by ``bits`` (input ``i`` = bit ``i``)."""
    a = 0
    for i, b in enumerate(bits):
        a |= (b & 1) << i
    return (table >> a) & 1


def _normalise(refs: Sequence[Ref | int], table: int
               ) -> tuple[tuple[Ref, ...], int] | tuple[None, int]:
    """Fold constants (given as ``int`` 0/1), merge duplicate refs, drop unused inputs.

    Returns ``(inputs, table)`` or ``(None, constant)``.
    """
    uniq: list[Ref] = []
    for r in refs:
        if isinstance(r, tuple) and r not in uniq:
            uniq.append(r)
    uniq.sort()
    k = len(uniq)

    def full_index(a: int) -> int:
        j = 0
        for i, r in enumerate(refs):
            bit = r if isinstance(r, int) else (a >> uniq.index(r)) & 1
            j |= (bit & 1) << i
        return j

    new = 0
    for a in range(1 << k):
        new |= ((table >> full_index(a)) & 1) << a
    # drop inputs the function ignores
    i = 0
    while i < len(uniq):
        n = len(uniq)
        lo = hi = 0
        for a in range(1 << (n - 1)):
            low = a & ((1 << i) - 1)
            high = (a >> i) << (i + 1)
            lo |= ((new >> (low | high)) & 1) << a
            hi |= ((new >> (low | high | (1 << i))) & 1) << a
        if lo == hi:
            new = lo
            del uniq[i]
        else:
            i += 1
    if not uniq:
        return None, new & 1
    return tuple(uniq), new


def compose(reader: MLut, inner: MLut) -> tuple[tuple[Ref, ...], int] | None:
    """Table of ``reader`` with every read of ``inner`` replaced by ``inner``'s function.

    Returns ``None`` when the result would need more than :data:`MAX_INPUTS` inputs.
    """
    uniq: list[Ref] = []
    for d, k in reader.inputs:
        if d == inner.id:
            for d2, k2 in inner.inputs:
                if (d2, k2 + k) not in uniq:
                    uniq.append((d2, k2 + k))
        elif (d, k) not in uniq:
            uniq.append((d, k))
    if len(uniq) > MAX_INPUTS:
        return None
    uniq.sort()
    table = 0
    for a in range(1 << len(uniq)):
        bits = []
        for d, k in reader.inputs:
            if d == inner.id:
                ib = [(a >> uniq.index((d2, k2 + k))) & 1 for d2, k2 in inner.inputs]
                bits.append(eval_table(inner.table, ib))
            else:
                bits.append((a >> uniq.index((d, k))) & 1)
        table |= eval_table(reader.table, bits) << a
    res = _normalise(list(uniq), table)
    if res[0] is None:
        return (), res[1]
    return res  # type: ignore[return-value]


# ----------------------------------------------------------------- packing

def pack(nl: Netlist, max_luts_per_cell: int = 2, absorb: bool = True) -> Packed:
    """Map ``nl`` to drivers, clusters and outputs (see the module docstring).

    Raises :class:`ParityError` when reconvergent paths differ by an odd delay and
    :class:`CompileError` on node kinds the back end does not know.
    """
    refs: dict[int, Ref | int] = {}     # signal -> (driver, k) or constant 0/1
    luts: dict[int, MLut] = {}
    order: list[int] = []
    n_luts = 0
    for sid, node in enumerate(nl.nodes):
        kind = node.kind
        ins = tuple(node.inputs)
        if kind == "input":
            refs[sid] = (sid, 0)
        elif kind == "const":
            refs[sid] = int(node.table) & 1
        elif kind == "delay":
            r = refs[ins[0]]
            refs[sid] = r if isinstance(r, int) else (r[0], r[1] + int(node.k))
        elif kind == "lut":
            n_luts += 1
            res = _normalise([refs[s] for s in ins], int(node.table))
            if res[0] is None:
                refs[sid] = res[1]
            elif len(res[0]) == 1 and res[1] == 0b10:
                refs[sid] = res[0][0]
            else:
                luts[sid] = MLut(sid, res[0], res[1])
                order.append(sid)
                refs[sid] = (sid, 0)
        else:
            raise CompileError(f"signal {sid}: unknown node kind {kind!r}")

    inputs = sorted(((w, b, s) for (w, b), s in nl.inputs.items()), key=lambda t: t[2])
    widths: dict[str, int] = {}
    for w, b, _ in inputs:
        widths[w] = max(widths.get(w, 0), b + 1)
    out_decl = [(w, b, s) for (w, b), s in nl.outputs.items()]
    owidths: dict[str, int] = {}
    for w, b, _ in out_decl:
        owidths[w] = max(owidths.get(w, 0), b + 1)
    declared = {(w, b): s for w, b, s in out_decl}
    outputs: list[OutBit] = []
    for w in dict.fromkeys(w for w, _, _ in out_decl):
        for b in range(owidths[w]):
            s = declared.get((w, b))
            r = refs[s] if s is not None else 0
            if isinstance(r, int):
                outputs.append(OutBit(w, b, None, r))
            else:
                outputs.append(OutBit(w, b, r))

    # liveness
    live: set[int] = {o.ref[0] for o in outputs if o.ref is not None}
    for sid in reversed(order):
        if sid in live:
            live.update(d for d, _ in luts[sid].inputs)
    order = [s for s in order if s in live]
    luts = {s: luts[s] for s in order}

    if absorb:
        order = _absorb(luts, order, outputs)

    clusters, cluster_of = _cluster(luts, order, max_luts_per_cell)
    return Packed(inputs=inputs, input_widths=widths, luts=luts, order=order,
                  clusters=clusters, cluster_of=cluster_of, outputs=outputs,
                  n_netlist_luts=n_luts)


def _readers(luts: dict[int, MLut], order: list[int]) -> dict[int, list[int]]:
    rd: dict[int, list[int]] = {}
    for s in order:
        for d in dict.fromkeys(d for d, _ in luts[s].inputs):
            rd.setdefault(d, []).append(s)
    return rd


def _absorb(luts: dict[int, MLut], order: list[int], outputs: list[OutBit]) -> list[int]:
    """Merge LUTs into their LUT readers where that keeps every reader at <= 4 inputs."""
    out_drivers = {o.ref[0] for o in outputs if o.ref is not None}
    readers = _readers(luts, order)
    removed: set[int] = set()
    for sid in order:
        if sid in out_drivers:
            continue
        u = luts[sid]
        rds = [r for r in readers.get(sid, []) if r not in removed]
        if not rds or not (len(rds) == 1 or len(u.inputs) == 1):
            continue
        new = []
        for r in rds:
            res = compose(luts[r], u)
            if res is None or not res[0]:
                break
            new.append((r, res))
        else:
            for r, (ins, table) in new:
                old = {d for d, _ in luts[r].inputs}
                luts[r] = MLut(r, ins, table)
                for d in {d for d, _ in ins} - old:
                    readers.setdefault(d, []).append(r)
            removed.add(sid)
    for s in removed:
        del luts[s]
    return [s for s in order if s not in removed]


def _cluster(luts: dict[int, MLut], order: list[int], cap: int
             ) -> tuple[list[Cluster], dict[int, int]]:
    """Group LUTs of equal depth whose input union has at most 4 references."""
    depth: dict[int, int] = {}
    for s in order:
        depth[s] = 1 + max((depth.get(d, 0) for d, _ in luts[s].inputs), default=0)
    groups: list[tuple[set[Ref], list[int]]] = []
    by_ref: dict[tuple[int, Ref], list[int]] = {}
    cluster_of_lut: dict[int, int] = {}
    # larger input sets first so that subsets can join them
    for s in sorted(order, key=lambda s: (-len(luts[s].inputs), s)):
        ins = set(luts[s].inputs)
        best = None
        if cap > 1:
            cands: set[int] = set()
            for r in ins:
                cands.update(by_ref.get((depth[s], r), []))
            for gi in sorted(cands):
                gset, members = groups[gi]
                if len(members) >= cap:
                    continue
                union = gset | ins
                if len(union) > MAX_INPUTS:
                    continue
                grow = len(union) - len(gset)
                key = (grow, gi)
                if best is None or key < best[0]:
                    best = (key, gi)
        if best is None:
            groups.append((set(ins), [s]))
            gi = len(groups) - 1
        else:
            gi = best[1]
            groups[gi][0].update(ins)
            groups[gi][1].append(s)
        for r in ins:
            lst = by_ref.setdefault((depth[s], r), [])
            if gi not in lst:
                lst.append(gi)
        cluster_of_lut[s] = gi
    # number clusters in topological order: (depth, first LUT); members share a depth
    first: dict[int, int] = {}
    for i, s in enumerate(order):
        first.setdefault(cluster_of_lut[s], i)
    ranking = sorted(first, key=lambda g: (depth[groups[g][1][0]], first[g]))
    renum = {g: i for i, g in enumerate(ranking)}
    clusters = []
    for g in ranking:
        gset, members = groups[g]
        clusters.append(Cluster(renum[g], tuple(sorted(members)), tuple(sorted(gset))))
    return clusters, {s: renum[g] for s, g in cluster_of_lut.items()}


def _sinks(p: Packed) -> dict[int, list[tuple[str, int, int]]]:
    sinks: dict[int, list[tuple[str, int, int]]] = {}
    for c in p.clusters:
        for d, k in c.inputs:
            sinks.setdefault(d, []).append(("c", c.index, k))
    for i, o in enumerate(p.outputs):
        if o.ref is not None:
            sinks.setdefault(o.ref[0], []).append(("o", i, o.ref[1]))
    return sinks


def _phases(p: Packed) -> dict[int, int]:
    """Phase (``t - x - y`` mod 2) of every driver; cluster LUTs share their cluster's.

    Union-find with parity over the edges ``driver -> cluster`` (phase changes by k).
    """
    uf = ParityUnion()

    def union(a: int, b: int, rel: int, why: str) -> None:
        if not uf.union(a, b, rel):
            raise ParityError(
                f"{why}: two paths reach it with delays of different parity; on the "
                f"fabric a signal can only meet tokens an even distance apart from the "
                f"same source (DESIGN §3)")

    for _, _, sid in p.inputs:
        uf.find(sid)
    for c in p.clusters:
        anchor = c.luts[0]
        uf.find(anchor)
        for m in c.luts[1:]:
            union(anchor, m, 0, f"cluster {c.index}")
        for d, k in c.inputs:
            union(d, anchor, k & 1, f"LUT signal {anchor}")
    return {a: uf.find(a)[1] for a in sorted(uf.parent)}
