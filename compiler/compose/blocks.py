"""Blocks: pre-placed, pre-routed rectangles of cells with declared edge ports.

A block is a compiled program of its own (a :class:`~fabric.bitstream.Bitstream` with
its I/O map) seen from outside: its cells are copied unchanged into the composed
fabric, and its edge ports become registers of the channel cells around it. Input port
``west_in[y]`` at offset ``o`` is the register ``E`` of the cell west of the block's
row ``y``, which must hold the bit during cycle ``n + T + o`` (``T``: the block's start
cycle in the composed program); output ``east_out[y]`` at offset ``o`` is the block's
own register, read by the channel cell east of it from cycle ``n + T + o``. This holds
for any position because the cell is translation invariant and the block's unmapped
edge inputs never influence its mapped outputs (ARCHITECTURE §6).

:func:`analyse` reads from the configurations alone which input port bits an output
can depend on at all (*live* inputs) and which outputs depend on no input (constant
bits, replaced by constant cells at their readers, so they need no route); their values
come from clocking just their cones (:func:`constant_values`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from compiler.ir import Graph
from fabric.arch import BUS_SIDE, OPPOSITE, SIDE_DELTA, arch_of
from fabric.bitstream import Bitstream
from fabric.iomap import INPUT_PORTS, PortBit

#: The most LUTs a block without a macro may have: the general flow lays out small glue
#: in seconds, but its time grows steeply (an 8x8 multiply's 143 LUTs took 468 s). An
#: op that lowers to more is refused by name (a wide table is taken apart instead).
GENERAL_BLOCK_MAX_LUTS = 120


@dataclass
class Block:
    """A compiled block: its bitstream and what :func:`analyse` found.

    ``live[word][b]``: input bit ``b`` of I/O-map word ``word`` (feeds ``i@TAG``
    included) can influence some output. ``constant[(word, b)]``: output bit that
    depends on no input, with its value (0/1). ``flow`` names what built it.
    """

    name: str
    bitstream: Bitstream
    live: dict[str, list[bool]]
    constant: dict[tuple[str, int], int]
    flow: str
    compile_seconds: float = 0.0
    key: str = ""

    @property
    def width(self) -> int:
        """Columns of the rectangle (cells)."""
        return self.bitstream.width

    @property
    def height(self) -> int:
        """Rows of the rectangle (cells)."""
        return self.bitstream.height

    @property
    def used_cells(self) -> int:
        """Cells with any non-idle output (compute or route), the block alone."""
        return int(np.count_nonzero(self.bitstream.configs))


def _depends(table: int) -> list[int]:
    """Input sides a 16-bit output table depends on."""
    out = []
    for s in range(4):
        m = 1 << s
        if any(((table >> a) & 1) != ((table >> (a ^ m)) & 1) for a in range(16) if not a & m):
            out.append(s)
    return out


def _register(w: int, x: int, y: int, d: int) -> int:
    """Id of output register ``d`` of cell ``(x, y)`` on a fabric ``w`` cells wide."""
    return (y * w + x) * 4 + d


def _dependencies(bs: Bitstream) -> tuple[dict[int, list[tuple[int, int]]],
                                          dict[int, list[tuple[str, int]]]]:
    """The register dependency graph of ``bs`` from its tables: for every register
    (:func:`_register`), the ``(side, register)`` pairs its table reads inside the
    fabric, and the input ports it reads beyond the edge."""
    h, w = bs.height, bs.width
    arch = arch_of(w, h)
    tabs = (bs.configs[:, :, None] >> (np.arange(4, dtype=np.uint64) * np.uint64(16))) \
        & np.uint64(0xFFFF)                                         # (h, w, 4)
    uniq, inv = np.unique(tabs, return_inverse=True)
    dep_of = np.zeros((len(uniq), 4), dtype=bool)
    for i, t in enumerate(uniq):
        dep_of[i, _depends(int(t))] = True
    dep = dep_of[inv.reshape(h, w, 4)]                              # (h, w, d, side)
    port_of: dict[tuple[int, int, int], tuple[str, int]] = {}
    for port in INPUT_PORTS:
        for i in range(arch.bus_width(port)):
            x, y = arch.port_cell(port, i)
            port_of[(x, y, BUS_SIDE[port])] = (port, i)
    reads: dict[int, list[tuple[int, int]]] = {}
    port_reads: dict[int, list[tuple[str, int]]] = {}
    ys, xs, ds, ss = np.nonzero(dep)
    for y, x, d, side in zip(ys.tolist(), xs.tolist(), ds.tolist(), ss.tolist(), strict=True):
        r = _register(w, x, y, d)
        dx, dy = SIDE_DELTA[side]
        nx, ny = x + dx, y + dy
        if 0 <= nx < w and 0 <= ny < h:
            reads.setdefault(r, []).append((side, _register(w, nx, ny, OPPOSITE[side])))
        elif (x, y, side) in port_of:
            port_reads.setdefault(r, []).append(port_of[(x, y, side)])
    return reads, port_reads


def _search(starts: list[int], step: dict[int, list[int]]) -> set[int]:
    """Every id reachable from ``starts`` along ``step``."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for q in step.get(stack.pop(), ()):
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return seen


def _output_registers(bs: Bitstream) -> dict[tuple[str, int], int]:
    """The register of every output bit ``(word, bit)`` of ``bs``."""
    arch = arch_of(bs.width, bs.height)
    assert bs.iomap is not None
    out = {}
    for word, bits in bs.iomap.outputs.items():
        for b, pb in enumerate(bits):
            x, y = arch.port_cell(pb.port, pb.index)
            out[(word, b)] = _register(bs.width, x, y, BUS_SIDE[pb.port])
    return out


def analyse(bs: Bitstream) -> tuple[dict[str, list[bool]], set[tuple[str, int]]]:
    """Live input bits (per I/O-map input word, per bit) and the output bits that depend
    on no input port at all, from the configured tables.

    Structural and conservative: a bit is live if some chain of table dependencies
    links it to a mapped output, whatever the cycle. Two searches over the register
    dependency graph do it for all outputs at once: backwards from every output
    register (the input ports it meets are live), forwards from every input port (an
    output register it never reaches is constant)."""
    assert bs.iomap is not None
    reads, port_reads = _dependencies(bs)
    back = {r: [q for _s, q in qs] for r, qs in reads.items()}
    ahead: dict[int, list[int]] = {}
    for r, qs in back.items():
        for q in qs:
            ahead.setdefault(q, []).append(r)
    outs = _output_registers(bs)
    cone = _search(list(outs.values()), back)
    live_ports = {pt for r in cone for pt in port_reads.get(r, ())}
    reached = _search(list(port_reads), ahead)
    constant = {key for key, r in outs.items() if r not in reached}
    live = {word: [(pb.port, pb.index) in live_ports for pb in bits]
            for word, bits in bs.iomap.inputs.items()}
    return live, constant


def constant_values(bs: Bitstream, bits: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Values of output bits that depend on no input (:func:`analyse`): their registers'
    cones, clocked from reset through the configured tables past the latency; each
    must settle. (Only those cones: nothing outside them can reach them.)"""
    if not bits:
        return {}
    assert bs.iomap is not None
    reads, _ = _dependencies(bs)
    starts = {key: r for key, r in _output_registers(bs).items() if key in bits}
    # analyse found no port behind these: every side read is a register inside
    cone = _search(list(starts.values()), {r: [q for _s, q in qs] for r, qs in reads.items()})
    cfg = bs.configs.reshape(-1)

    def table(r: int) -> int:
        return (int(cfg[r // 4]) >> (16 * (r % 4))) & 0xFFFF

    wiring = {r: (table(r), reads.get(r, [])) for r in sorted(cone)}
    value = dict.fromkeys(wiring, 0)                 # reset clears every register
    settle = 8
    seen = []
    for _ in range(bs.iomap.latency + settle):
        value = {r: (tab >> sum(value[n] << side for side, n in fs)) & 1
                 for r, (tab, fs) in wiring.items()}
        seen.append(value)
    out = {}
    for key, r in sorted(starts.items()):
        tail = {v[r] for v in seen[-settle:]}
        if len(tail) != 1:
            raise ValueError(f"block output {key[0]!r} bit {key[1]} depends on no input but "
                             f"does not settle")
        out[key] = tail.pop()
    return out


def graph_key(graph: Graph) -> str:
    """A digest of everything a compile of ``graph`` depends on (ops, params, types,
    ranges, names): equal keys give equal blocks."""
    h = hashlib.sha256()
    for op, v in zip(graph.ops, graph.values, strict=True):
        params = {k: (np.asarray(p).tolist() if isinstance(p, (tuple, list, np.ndarray)) else p)
                  for k, p in sorted(op.params.items())}
        h.update(repr((op.kind, op.args, params, v.dim, str(v.type), v.lo, v.hi)).encode())
    h.update(repr(sorted((n, v.id) for n, v in graph.outputs.items())).encode())
    h.update(repr(sorted((n, v.id) for n, v in graph.inputs.items())).encode())
    return h.hexdigest()


@dataclass
class BlockLibrary:
    """Compiles instance graphs into blocks, once per distinct graph (:func:`graph_key`).

    ``compile_fn(graph, name) -> (bitstream, flow, seconds)`` does the work (a macro or
    the general flow: :func:`compiler.program.compile_block`).
    """

    compile_fn: Callable[[Graph, str], tuple[Bitstream, str, float]]
    cache: dict[str, Block] = field(default_factory=dict)

    def get(self, graph: Graph, name: str,
            progress: Callable[[str], None] | None = None) -> Block:
        """The block of ``graph`` (compiled on first use; ``progress`` then gets one
        line about it)."""
        key = graph_key(graph)
        blk = self.cache.get(key)
        if blk is None:
            bs, flow, secs = self.compile_fn(graph, name)
            live, const_bits = analyse(bs)
            blk = Block(name, bs, live, constant_values(bs, const_bits), flow, secs, key)
            self.cache[key] = blk
            if progress is not None:
                progress(f"block {name}: {flow}, {bs.width}x{bs.height}, "
                         f"{blk.used_cells} cells, latency {bs.iomap.latency}, "
                         f"{secs:.2f} s")
        return blk


def facing(width: int, height: int, pb: PortBit) -> tuple[int, int, int]:
    """The channel cell just outside edge port bit ``pb`` of a ``width`` x ``height``
    block, relative to the block's origin, and the block side it is on."""
    x, y = arch_of(width, height).port_cell(pb.port, pb.index)
    s = BUS_SIDE[pb.port]
    dx, dy = SIDE_DELTA[s]
    return x + dx, y + dy, s


def carried_bit(blk: Block, src: tuple) -> tuple:
    """Bit ``src = ("blk", i, word, b)`` of a block output as the block carries it: a
    layout may drop the top bits of a word that its exact range proves copies of the
    sign (the linear macro does); bit ``b`` beyond them is the top carried bit, or 0
    for an unsigned word."""
    bits = blk.bitstream.iomap.outputs[src[2]]
    if src[3] < len(bits):
        return src
    if src[2] in blk.bitstream.iomap.signed:
        return ("blk", src[1], src[2], len(bits) - 1)
    return ("const", 0)
