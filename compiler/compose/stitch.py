"""Stitch blocks into one program: floorplan, lag matching, channel routing, emission.

Times are token-relative cycles (a register holds token ``n``'s value during cycle
``n + tau``). Block ``i`` starts at cycle ``T_i``: its input port bit at offset ``o``
must be in the facing channel register at ``T_i + o``, and its output bit at offset
``o`` is copied by the facing channel cell at ``T_i + o + 1``. Blocks get their start
cycles in dataflow order, as early as every block-driven input can still arrive (the
estimated channel distance plus ``slack`` cycles, and the parity of DESIGN §3); inputs
that arrive early are padded by the router (delay balancing), token inputs enter on
their own feed (an extra I/O-map word ``x@fJ``) at whatever offset suits their reader,
and outputs leave by the nearest free edge port at whatever offset they arrive. Where
the router finds no path of the wanted length, the reader's block starts 2 cycles
later and everything downstream is re-timed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cells.truth import copy_table, make_config
from compiler.compose.blocks import (
    Block,
    BlockLibrary,
    analyse,
    carried_bit,
    constant_values,
    facing,
    graph_key,
)
from compiler.compose.channels import ChannelRouteError, ChannelRouter, Net, Sink
from compiler.compose.floorplan import Floorplan, shelf_floorplan, widened
from compiler.compose.hierarchy import part_split, partition
from compiler.compose.orient import flow_floorplan
from compiler.compose.phase import legalise_phases
from compiler.compose.split import Instance, Split, split_graph
from compiler.compose.variants import reversed_inputs
from compiler.errors import RouteError
from compiler.ir import Graph, GraphError
from compiler.lower import word_name
from compiler.parity import ParityUnion
from fabric.arch import BUS_SIDE, OPPOSITE, SIDE_DELTA, arch_of
from fabric.bitstream import Bitstream
from fabric.iomap import INPUT_PORTS, OUTPUT_PORTS, IOMap, PortBit, base_word

_log = logging.getLogger(__name__)
#: cycles a token feed enters before the earliest it could, for the router to negotiate
FEED_SLACK = 2
#: a shelf aspect that puts every block on one shelf
ONE_ROW = 1e9


class ComposeError(RouteError):
    """A graph that cannot be stitched (parity, routing, budget), named precisely.
    ``shared_regs``: the channel registers ``(x, y, d)`` still shared when the channel
    routing gave up (empty for other failures)."""

    def __init__(self, message: str, shared_regs: list[tuple[int, int, int]] | None = None
                 ) -> None:
        super().__init__(message)
        self.shared_regs = shared_regs or []


@dataclass
class ComposeResult:
    """The composed bitstream and how it was built."""

    bitstream: Bitstream
    blocks: list[Block]
    names: list[str]
    floorplan: Floorplan
    start: list[int]
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def block_cells(self) -> int:
        """Sum of the used cells of every block compiled alone (cells)."""
        return sum(b.used_cells for b in self.blocks)


def _around(p: tuple[int, int], q: tuple[int, int], rect: tuple[int, int, int, int]) -> int:
    """Extra hops a path from ``p`` to ``q`` needs to get around rectangle ``rect``
    (inclusive ``x0, y0, x1, y1``) when they face opposite sides of it."""
    x0, y0, x1, y1 = rect
    extra = 0
    if (p[0] < x0 and q[0] > x1) or (p[0] > x1 and q[0] < x0):
        base = abs(p[1] - q[1])
        extra = max(extra, min(abs(p[1] - y) + abs(y - q[1]) for y in (y0 - 1, y1 + 1)) - base)
    if (p[1] < y0 and q[1] > y1) or (p[1] > y1 and q[1] < y0):
        base = abs(p[0] - q[0])
        extra = max(extra, min(abs(p[0] - x) + abs(x - q[0]) for x in (x0 - 1, x1 + 1)) - base)
    return extra


class _Stitcher:
    def __init__(self, split: Split, blocks: list[Block], fp: Floorplan, slack: int,
                 progress: Callable[[str], None] | None, deadline: float | None,
                 token_bits: dict[str, int] | None = None) -> None:
        self.split, self.blocks, self.fp = split, blocks, fp
        #: declared width of every token word (feeds that carry all of it keep its name)
        self.token_bits = token_bits or {}
        self.slack = slack
        self.progress = progress
        self.deadline = deadline
        self.W, self.H = fp.width, fp.height
        self.arch = arch_of(fp.width, fp.height)
        self.rects = [(x, y, x + b.width - 1, y + b.height - 1)
                      for (x, y), b in zip(fp.pos, blocks, strict=True)]
        self.bump = [0] * len(blocks)
        self.blocked = np.zeros((self.H, self.W), dtype=bool)
        for x0, y0, x1, y1 in self.rects:
            self.blocked[y0:y1 + 1, x0:x1 + 1] = True
        #: border cell -> the edge ports entering or leaving it
        self.ports_at: dict[tuple[int, int], list[tuple[str, int]]] = {}
        for p in INPUT_PORTS + OUTPUT_PORTS:
            for k in range(self.arch.bus_width(p)):
                self.ports_at.setdefault(self.arch.port_cell(p, k), []).append((p, k))
        #: extra cycles of congested feeds (by reader block and word) and outputs
        self.feed_extra: dict[tuple[int, str], int] = {}
        self.out_extra: dict[str, int] = {}
        #: (block, input word) pairs whose token bits each get a feed of their own
        self.lone_feeds: set[tuple[int, str]] = set()

    # ---------------------------------------------------------------- geometry
    def facing(self, i: int, pb: PortBit) -> tuple[tuple[int, int], int]:
        """The channel cell facing edge port bit ``pb`` of block ``i``, and the side of
        that cell towards the block: an input port bit is this cell's register on that
        side, an output port bit arrives on that input side."""
        b = self.blocks[i]
        x, y, s = facing(b.width, b.height, pb)
        bx, by = self.fp.pos[i]
        return (bx + x, by + y), OPPOSITE[s]

    def in_reg(self, i: int, pb: PortBit) -> tuple[int, int, int]:
        """Channel register that feeds input port bit ``pb`` of block ``i``."""
        (x, y), d = self.facing(i, pb)
        return (x, y, d)

    def block_src(self, src: tuple) -> tuple[tuple[int, int], int, int, int] | None:
        """(cell, side, tau1, block) of a block-driven source, or None if constant."""
        _, j, word, bit = src
        blk = self.blocks[j]
        if (word, bit) in blk.constant:
            return None
        pb = blk.bitstream.iomap.outputs[word][bit]
        cell, side = self.facing(j, pb)
        return cell, side, self.T[j] + pb.offset + 1, j

    def resolve(self, src: tuple) -> tuple:
        """A source with block constants replaced by ``("const", v)`` and bits above
        what a block carries by the bit they copy (:func:`carried_bit`)."""
        if src[0] == "blk":
            src = carried_bit(self.blocks[src[1]], src)
            if src[0] == "blk":
                blk = self.blocks[src[1]]
                if (src[2], src[3]) in blk.constant:
                    return ("const", blk.constant[(src[2], src[3])])
        return src

    # ---------------------------------------------------------------- timing
    def live_inputs(self, i: int):
        blk = self.blocks[i]
        inst = self.split.instances[i]
        for word, bits in blk.bitstream.iomap.inputs.items():
            base = base_word(word)
            for b, pb in enumerate(bits):
                if blk.live[word][b]:
                    yield word, b, pb, self.resolve(inst.bindings[base][b])

    def _edges(self, i: int):
        """Block-driven live inputs of block ``i``: (word, bit, port bit, source block,
        source cell, cycles from the source block's start to the first channel
        register, its sink register)."""
        for word, b, pb, src in self.live_inputs(i):
            if src[0] != "blk":
                continue
            _, j, w, bit = src
            opb = self.blocks[j].bitstream.iomap.outputs[w][bit]
            cell, _side = self.facing(j, opb)
            yield word, b, pb, j, cell, opb.offset + 1, self.in_reg(i, pb)

    def parities(self) -> list[int]:
        """Parity of every block's start cycle, so that each block-driven input has a
        path of the right parity (DESIGN §3); blocks are bound in union-find."""
        uf = ParityUnion()
        for i in range(len(self.blocks)):
            uf.find(i)
            for word, b, pb, j, cell, lead, reg in self._edges(i):
                manh = abs(cell[0] - reg[0]) + abs(cell[1] - reg[1])
                # T_i + o_in - (T_j + lead) must have the parity of manh
                rel = (lead + manh - pb.offset) & 1
                if not uf.union(i, j, rel):
                    raise ComposeError(
                        f"block {self.split.instances[i].name}: input {word} bit {b} from "
                        f"block {self.split.instances[j].name} arrives in the wrong parity "
                        f"class (DESIGN §3)")
        return [uf.find(i)[1] for i in range(len(self.blocks))]

    def schedule(self) -> None:
        """Start cycle of every block (dataflow order), see the module docstring."""
        par = self.parities()
        self.T: list[int] = []
        # (source, reader, cycles from the source's start to the reader's start that
        # the bit needs: lead + distance + slack - input offset)
        edges: list[tuple[int, int, int]] = []
        for i in range(len(self.blocks)):
            need = 0
            for _word, _b, pb, j, cell, lead, reg in self._edges(i):
                q = (reg[0], reg[1])
                manh = abs(cell[0] - q[0]) + abs(cell[1] - q[1])
                dist = manh + _around(cell, q, self.rects[j]) + _around(q, cell, self.rects[i])
                gap = lead + dist + self.slack - pb.offset
                edges.append((j, i, gap))
                need = max(need, self.T[j] + gap)
            t = need + self.bump[i]
            if (t & 1) != par[i]:
                t += 1
            self.T.append(t)
        # Then as late as the readers allow, where that saves delay balancing: a bit
        # that waits costs one channel register per cycle, so a block moves later when
        # it drives at least as many bits into blocks as blocks drive into it (token
        # feeds and program outputs follow it for free; a block with as many in as out,
        # a delay row, moves so that its producers can follow). Readers keep their
        # retiming bumps.
        outs: dict[int, list[tuple[int, int]]] = {}
        n_in = [0] * len(self.blocks)
        for j, i, gap in edges:
            outs.setdefault(j, []).append((i, gap))
            n_in[i] += 1
        for j in range(len(self.blocks) - 1, -1, -1):
            if j not in outs or len(outs[j]) < n_in[j]:
                continue
            late = min(self.T[i] - self.bump[i] - gap for i, gap in outs[j])
            move = (late - self.T[j]) & ~1          # keep the start's parity
            if move > 0:
                self.T[j] += move

    # ---------------------------------------------------------------- nets
    def build(self) -> None:
        """Nets, feeds, output ports and constant registers for the current timing."""
        W, H = self.W, self.H
        self.free_in = {(p, k) for p in INPUT_PORTS for k in range(self.arch.bus_width(p))}
        self.free_out = {(p, k) for p in OUTPUT_PORTS for k in range(self.arch.bus_width(p))}
        self.consts: dict[tuple[int, int, int], int] = {}
        self.nets: list[Net] = []
        self.net_sink_block: list[list[int]] = []
        #: (block, block input word) of a feed net, else None
        self.net_feed: list[tuple[int, str] | None] = []
        by_src: dict[tuple, int] = {}
        feeds: dict[tuple, list[tuple[int, int, int, int, str]]] = {}
        for i, inst in enumerate(self.split.instances):
            for word, b, pb, src in self.live_inputs(i):
                reg = self.in_reg(i, pb)
                tau = self.T[i] + pb.offset
                tag = f"block {inst.name} input {word} bit {b}"
                if src[0] == "const":
                    self._const(reg, src[1], tag)
                elif src[0] == "in":
                    phase = (tau - reg[0] - reg[1]) & 1
                    # one feed word per block input word (and phase); a word whose
                    # shared feed did not route gets one feed per bit
                    sub = (b,) if (i, word) in self.lone_feeds else ()
                    feeds.setdefault((i, word, *sub, src[1], phase), []).append(
                        (src[2], reg[0], reg[1], reg[2], tau))
                else:
                    got = self.block_src(src)
                    assert got is not None
                    n = self._block_net(by_src, src, got)
                    self.nets[n].sinks.append(Sink(reg, tau, tag))
                    self.net_sink_block[n].append(i)
        # program outputs
        self.outputs: dict[str, list[PortBit | None]] = {}
        #: (word, bit) of a block-driven program output -> (net, edge register)
        self.out_sink: dict[tuple[str, int], tuple[int, tuple[int, int, int]]] = {}
        self.const_out: list[tuple[str, int]] = []
        out_feeds: list[tuple[str, int, str, int]] = []
        out_classes: list[int] = []       # parity class of each block-driven output
        for word, srcs in self.split.outputs.items():
            bits: list[PortBit | None] = []
            for b, src0 in enumerate(srcs):
                src = self.resolve(src0)
                if src[0] == "const":
                    port = self._take(self.free_out, (W // 2, H // 2))
                    c = self.arch.port_cell(*port)
                    self._const((c[0], c[1], BUS_SIDE[port[0]]), src[1], f"output {word}")
                    bits.append(PortBit(port[0], port[1], 0))
                    self.const_out.append((word, b))
                elif src[0] == "blk":
                    got = self.block_src(src)
                    assert got is not None
                    cell, side, tau1, _j = got
                    port, dist = self._nearest_port(cell, self.free_out, OPPOSITE[side])
                    c = self.arch.port_cell(*port)
                    tau = tau1 + dist + 2 + self.out_extra.get(f"output {word} bit {b}", 0)
                    n = self._block_net(by_src, src, got)
                    reg = (c[0], c[1], BUS_SIDE[port[0]])
                    self.nets[n].sinks.append(Sink(reg, tau, f"output {word} bit {b}",
                                                   free=True))
                    self.out_sink[(word, b)] = (n, reg)
                    self.net_sink_block[n].append(-1)
                    bits.append(PortBit(port[0], port[1], tau))
                    out_classes.append((tau1 - cell[0] - cell[1]) & 1)
                else:
                    bits.append(None)
                    out_feeds.append((word, b, src[1], src[2]))
            self.outputs[word] = bits
        # an output that is a token bit: a feed of its own (a key of its own) straight
        # to a free output port; the output leaves whenever the feed gets there (a free
        # sink; tau only bounds the search)
        feed_outs: dict[tuple, tuple[str, int, tuple[int, int, int]]] = {}
        for word, b, tok, tb in out_feeds:
            port = self._take(self.free_out, (0, 0))
            c = self.arch.port_cell(*port)
            reg = (c[0], c[1], BUS_SIDE[port[0]])
            tau = 2 * (W + H)
            if out_classes:
                # in the parity class (DESIGN §3) of the block-driven outputs, so that
                # a program composed as one part of a larger one has all its outputs in
                # one class, as a block has (its reader then needs one parity only)
                want = max(sorted(set(out_classes)), key=out_classes.count)
                tau += ((want - (tau - reg[0] - reg[1])) & 1)
            phase = (tau - reg[0] - reg[1]) & 1
            key = (-1 - len(feeds), word, tok, phase)
            feeds[key] = [(tb, reg[0], reg[1], reg[2], tau)]
            feed_outs[key] = (word, b, reg)
            self.outputs[word][b] = PortBit(port[0], port[1], tau)
        # token feeds: one I/O-map word per (reader, token word, phase)
        self.inputs: dict[str, list[PortBit | None]] = {}
        count: dict[str, int] = {}
        taken_names: set[str] = set()
        for key, sinks in sorted(feeds.items(), key=lambda kv: (kv[0][0] < 0, abs(kv[0][0]),
                                                                   kv[0][1:])):
            i, bword, tok = key[0], key[1], key[-2]
            nbits = max(s[0] for s in sinks) + 1
            # the token word's own name only for a feed that carries all its bits (the
            # I/O map declares the word's width); every other feed is x@fJ
            whole = nbits == self.token_bits.get(tok) and tok not in taken_names
            j = count.get(tok, 0)
            if not whole:
                count[tok] = j = j + 1
            name = tok if whole else f"{tok}@f{j}"
            taken_names.add(name)
            bits = [None] * nbits
            per_bit: dict[int, list[tuple[int, int, int, int]]] = {}
            for bit, x, y, d, tau in sinks:
                per_bit.setdefault(bit, []).append((x, y, d, tau))
            for bit in sorted(per_bit):
                ss = per_bit[bit]
                ss.sort(key=lambda q: (q[3], q[0], q[1], q[2]))
                port, dist = self._nearest_port((ss[0][0], ss[0][1]), None,
                                                OPPOSITE[ss[0][2]])
                pc = self.arch.port_cell(*port)
                tau1 = ss[0][3] - dist
                for x, y, _d, t in ss[1:]:
                    tau1 = min(tau1, t - abs(x - pc[0]) - abs(y - pc[1]))
                tau1 -= FEED_SLACK + self.feed_extra.get((i, bword), 0)
                net = Net(f"feed {name}[{bit}]", pc, BUS_SIDE[port[0]], tau1,
                          [Sink((x, y, d), t, f"{'output' if i < 0 else 'block input'} "
                                f"fed by {tok} bit {bit}", free=i < 0)
                           for x, y, d, t in ss])
                if key in feed_outs:
                    o_word, o_bit, o_reg = feed_outs[key]
                    self.out_sink[(o_word, o_bit)] = (len(self.nets), o_reg)
                self.nets.append(net)
                self.net_sink_block.append([i] * len(ss))
                self.net_feed.append((i, bword) if i >= 0 else None)
                bits[bit] = PortBit(port[0], port[1], tau1 - 1)
            self.inputs[name] = bits

    def _bfs(self, a: tuple[int, int], b: tuple[int, int]) -> int | None:
        """Hops of the shortest path from cell ``a`` to cell ``b`` through free cells."""
        from collections import deque

        seen = {a: 0}
        queue = deque([a])
        while queue:
            c = queue.popleft()
            if c == b:
                return seen[c]
            for dx, dy in SIDE_DELTA:
                n = (c[0] + dx, c[1] + dy)
                if 0 <= n[0] < self.W and 0 <= n[1] < self.H and n not in seen \
                        and not self.blocked[n[1], n[0]]:
                    seen[n] = seen[c] + 1
                    queue.append(n)
        return None

    def _block_net(self, by_src: dict[tuple, int], src: tuple,
                   got: tuple[tuple[int, int], int, int, int]) -> int:
        """Index of the net of block output bit ``src`` (made on first use)."""
        if src not in by_src:
            cell, side, tau1, _j = got
            by_src[src] = len(self.nets)
            self.nets.append(Net(f"{self.split.instances[src[1]].name}.{src[2]}[{src[3]}]",
                                 cell, side, tau1, []))
            self.net_sink_block.append([])
            self.net_feed.append(None)
        return by_src[src]

    def _nearest_port(self, cell: tuple[int, int], free: set[tuple[str, int]] | None = None,
                      outward: int | None = None) -> tuple[tuple[str, int], int]:
        """The free edge port (input by default) straight out of ``cell`` in direction
        ``outward`` (a block port's own direction: wires of neighbouring bits stay
        parallel) if only free cells lie between, else the one with the shortest path
        through free cells to or from ``cell`` (breadth first); and that path's hops.
        The port is taken out of ``free``."""
        if free is None:
            free = self.free_in
        if outward is not None:
            dx, dy = SIDE_DELTA[outward]
            x, y, hops = cell[0], cell[1], 0
            while 0 <= x + dx < self.W and 0 <= y + dy < self.H \
                    and not self.blocked[y + dy, x + dx]:
                x, y, hops = x + dx, y + dy, hops + 1
            straight = None
            if not (0 <= x + dx < self.W and 0 <= y + dy < self.H):
                for port in self.ports_at.get((x, y), ()):
                    if port in free and BUS_SIDE[port[0]] == outward:
                        straight = (port, hops)
            near = self._bfs_port(cell, free)
            # straight out unless that is much longer than to the nearest port
            pick = straight if straight is not None and straight[1] <= 2 * near[1] + 8 else near
        else:
            pick = self._bfs_port(cell, free)
        free.discard(pick[0])
        return pick

    def _bfs_port(self, cell: tuple[int, int], free: set[tuple[str, int]]
                  ) -> tuple[tuple[str, int], int]:
        """The port of ``free`` with the shortest path through free cells to or from
        ``cell`` (breadth first; ties: the least port), and its hops. Takes nothing."""
        from collections import deque

        W, H = self.W, self.H
        seen = {cell: 0}
        queue = deque([cell])
        best: list[tuple[str, int]] = []
        best_d = None
        while queue:
            c = queue.popleft()
            d = seen[c]
            if best_d is not None and d > best_d:
                break
            for port in self.ports_at.get(c, ()):
                if port in free:
                    best.append(port)
                    best_d = d
            for dx, dy in SIDE_DELTA:
                n = (c[0] + dx, c[1] + dy)
                if 0 <= n[0] < W and 0 <= n[1] < H and n not in seen \
                        and not self.blocked[n[1], n[0]]:
                    seen[n] = d + 1
                    queue.append(n)
        if best_d is None:
            raise ComposeError(f"no free edge port reaches cell {cell} of the "
                               f"{W}x{H} fabric")
        return min(best), best_d

    def _take(self, free: set[tuple[str, int]], near: tuple[int, int]) -> tuple[str, int]:
        if not free:
            raise ComposeError(f"the {self.W}x{self.H} fabric has run out of edge ports")

        def key(p: tuple[str, int]) -> tuple[int, str, int]:
            c = self.arch.port_cell(*p)
            return (abs(c[0] - near[0]) + abs(c[1] - near[1]), p[0], p[1])

        port = min(free, key=key)
        free.discard(port)
        return port

    def _const(self, reg: tuple[int, int, int], v: int, tag: str) -> None:
        old = self.consts.get(reg)
        if old is not None and old != v:
            raise ComposeError(f"{tag}: register {reg} already holds constant {old}")
        self.consts[reg] = v

    # ---------------------------------------------------------------- route + emit
    def route(self, max_rounds: int = 10) -> ChannelRouter:
        """Schedule, build the nets and route them; where nets still share registers,
        their readers get more cycles, up to ``max_rounds`` rounds; then
        :class:`ComposeError` carries the registers still shared (for the caller to
        widen the channels there)."""
        hist = None
        for rnd in range(max_rounds):
            self.schedule()
            self.build()
            blocked = np.zeros((self.H, self.W), dtype=bool)
            for x0, y0, x1, y1 in self.rects:
                blocked[y0:y1 + 1, x0:x1 + 1] = True
            reserved = set(self.consts)
            router = ChannelRouter(self.W, self.H, blocked, reserved, deadline=self.deadline,
                                   progress=self.progress, hist=hist)
            try:
                router.run(self.nets)
                return router
            except ChannelRouteError as exc:
                hist = router.hist
                if rnd == max_rounds - 1 or not (exc.sinks or exc.shared_nets):
                    raise ComposeError(str(exc), exc.shared_regs) from exc
                if exc.shared_nets:
                    self._loosen(exc.shared_nets)
                    if self.progress is not None:
                        names = ", ".join(self.nets[n].name for n in exc.shared_nets[:3])
                        more = ", ..." if len(exc.shared_nets) > 3 else ""
                        self.progress(f"  retiming: {len(exc.shared_nets)} net(s) still share "
                                      f"registers ({names}{more}); their readers get 2 more "
                                      f"cycles")
                    continue
                # blocks to start later (an output's index is negative: it has none)
                late = {i for n, s in exc.sinks
                        if self.net_feed[n] is None and (i := self.net_sink_block[n][s]) >= 0}
                split = {self.net_feed[n] for n, _s in exc.sinks
                         if self.net_feed[n] is not None} - self.lone_feeds
                if not late and not split:
                    raise ComposeError(str(exc)) from exc
                if self.progress is not None:
                    self.progress(f"  retiming: {len(exc.sinks)} sink(s) unreachable on "
                                  f"time ({exc}); {len(late)} block(s) start 2 cycles later, "
                                  f"{len(split)} feed word(s) split by bit")
                for i in late:
                    self.bump[i] += 2
                # a reader that the distance estimate put too early starts late enough
                for n, si in exc.sinks:
                    i = self.net_sink_block[n][si]
                    if self.net_feed[n] is not None or i < 0:
                        continue
                    net, sink = self.nets[n], self.nets[n].sinks[si]
                    d = self._bfs(net.cell, (sink.reg[0], sink.reg[1]))
                    if d is None:
                        raise ComposeError(f"{sink.tag}: no free path from "
                                           f"{net.cell}") from exc
                    short = net.tau1 + d + self.slack - sink.tau
                    if short > 2:
                        self.bump[i] += short + (short & 1) - 2
                self.lone_feeds |= split  # type: ignore[arg-type]
        raise AssertionError("unreachable")

    def _loosen(self, nets: list[int]) -> None:
        """More time for congested nets: their block readers start 2 cycles later,
        their program outputs leave 2 cycles later, their feeds enter 2 cycles
        earlier (outputs and feeds have free offsets)."""
        for n in nets:
            feed = self.net_feed[n]
            if feed is not None:
                self.feed_extra[feed] = self.feed_extra.get(feed, 0) + 2
                continue
            for si, i in enumerate(self.net_sink_block[n]):
                if i >= 0:
                    self.bump[i] += 2
                else:
                    tag = self.nets[n].sinks[si].tag
                    self.out_extra[tag] = self.out_extra.get(tag, 0) + 2

    def emit(self, graph: Graph) -> Bitstream:
        W, H = self.W, self.H
        tables: dict[tuple[int, int], list[int]] = {}
        owner: dict[tuple[int, int, int], str] = {}
        for net in self.nets:
            for (x, y, d), (_tau, s) in net.nodes.items():
                if (x, y, d) in owner:
                    raise ComposeError(f"internal: register {(x, y, d)} used by "
                                       f"{owner[(x, y, d)]} and {net.name}")
                owner[(x, y, d)] = net.name
                tables.setdefault((x, y), [0, 0, 0, 0])[d] = copy_table(s)
        for (x, y, d), v in self.consts.items():
            if (x, y, d) in owner:
                raise ComposeError(f"internal: constant register {(x, y, d)} is routed")
            tables.setdefault((x, y), [0, 0, 0, 0])[d] = 0xFFFF if v else 0
        configs = np.zeros((H, W), dtype=np.uint64)
        for (x, y), tabs in tables.items():
            configs[y, x] = np.uint64(make_config(tabs))
        for (bx, by), blk in zip(self.fp.pos, self.blocks, strict=True):
            configs[by:by + blk.height, bx:bx + blk.width] = blk.bitstream.configs
        # I/O map: padding bits of feed words on spare ports, offsets normalised
        offs = [pb.offset for bits in self.inputs.values() for pb in bits if pb is not None]
        if not offs:
            # every output is constant: the token words still get their ports
            for name, v in graph.inputs.items():
                for i in range(v.dim):
                    self.inputs[word_name(name, i, v.dim)] = [None] * v.bits
        shift = min(offs, default=0)
        inputs: dict[str, tuple[PortBit, ...]] = {}
        for word, bits in self.inputs.items():
            done = []
            for pb in bits:
                if pb is None:
                    port = self._take(self.free_in, (0, 0))
                    done.append(PortBit(port[0], port[1], 0))
                else:
                    done.append(PortBit(pb.port, pb.index, pb.offset - shift))
            inputs[word] = tuple(done)
        outs: dict[str, list[PortBit]] = {}
        live_offs = []
        for (word, b), (n, reg) in self.out_sink.items():
            # a program output leaves whenever its route got there
            pb = self.outputs[word][b]
            assert pb is not None
            self.outputs[word][b] = PortBit(pb.port, pb.index, self.nets[n].nodes[reg][0])
        for word, bits in self.outputs.items():
            for b, pb in enumerate(bits):
                assert pb is not None
                if (word, b) not in self.const_out:
                    live_offs.append(pb.offset - shift)
        latency = max(max(live_offs, default=1), 1)
        for word, bits in self.outputs.items():
            outs[word] = [PortBit(pb.port, pb.index, latency if (word, b) in self.const_out
                                  else pb.offset - shift)
                          for b, pb in enumerate(bits)]
        signed = frozenset(w for w, s in self.split.output_signed.items() if s)
        iomap = IOMap(inputs, {w: tuple(v) for w, v in outs.items()}, latency, signed)
        iomap.validate(W, H)
        return Bitstream(configs, iomap)


#: times a flow floorplan is widened where its channels stayed congested (after its
#: retiming rounds) before the next one, wider everywhere, is tried
WIDENINGS = 5
#: free columns (rows) inserted at each congested corridor
WIDEN_CELLS = 2
#: a layout is widened only when at most this many registers stayed shared: a near
#: miss. Far from converging (max3_int8's 2-cell layout: 398), more tracks where the
#: nets collided do not help (398 -> 252 -> 259 -> 160 over four widenings) and the
#: next uniform gap routes sooner and smaller.
WIDEN_MAX_SHARED = 100


def _widen_where_shared(fp: Floorplan, blocks: list[Block],
                        shared: list[tuple[int, int, int]]) -> Floorplan:
    """``fp`` with more free columns beside every corridor where northward or southward
    registers were still shared, and more rows beside every corridor where eastward or
    westward ones were: as many as the most nets too many that one cell of the corridor
    carried (at least :data:`WIDEN_CELLS`, at most 4 times that), so the bundle that did
    not fit gets the tracks it lacked and the rest of the layout keeps its shape.
    ``shared`` lists a register once per net beyond the first that holds it."""
    vert: dict[tuple[int, int], int] = {}
    horiz: dict[tuple[int, int], int] = {}
    for x, y, d in shared:
        tally = vert if d in (0, 2) else horiz
        tally[(x, y)] = tally.get((x, y), 0) + 1

    def spots(excess: dict[int, int]) -> dict[int, int]:
        """One insertion per corridor (lines within 3 cells of each other)."""
        out: dict[int, int] = {}
        start = prev = None
        for c in sorted(excess):
            if start is None or prev is None or c - prev > 3:
                start = c
            out[start] = max(out.get(start, 0), excess[c])
            prev = c
        return {c: min(4 * WIDEN_CELLS, max(WIDEN_CELLS, k)) for c, k in out.items()}

    col_excess: dict[int, int] = {}
    for (x, _y), k in vert.items():
        col_excess[x + 1] = max(col_excess.get(x + 1, 0), k)
    row_excess: dict[int, int] = {}
    for (_x, y), k in horiz.items():
        row_excess[y + 1] = max(row_excess.get(y + 1, 0), k)
    return widened(fp, [(b.width, b.height) for b in blocks], spots(col_excess),
                   spots(row_excess))


def _drop_unread(split: Split, blocks: list[Block]) -> tuple[Split, list[Block]]:
    """Only the blocks that some output bit reads (through live, non-constant bits)."""

    def reads(src: tuple) -> int | None:
        if src[0] != "blk":
            return None
        src = carried_bit(blocks[src[1]], src)
        if src[0] != "blk":
            return None
        if (src[2], src[3]) in blocks[src[1]].constant:
            return None
        return src[1]

    need: set[int] = set()
    stack = [j for srcs in split.outputs.values() for s in srcs if (j := reads(s)) is not None]
    while stack:
        i = stack.pop()
        if i in need:
            continue
        need.add(i)
        blk, inst = blocks[i], split.instances[i]
        for word in blk.bitstream.iomap.inputs:
            for b, live in enumerate(blk.live[word]):
                if live and (j := reads(inst.bindings[base_word(word)][b])) is not None:
                    stack.append(j)
    keep = sorted(need)
    new_index = {old: k for k, old in enumerate(keep)}

    def remap(src: tuple) -> tuple:
        if src[0] != "blk":
            return src
        src = carried_bit(blocks[src[1]], src)
        if src[0] != "blk":
            return src
        if src[1] not in new_index:       # constant, or read by no live bit
            return ("const", blocks[src[1]].constant.get((src[2], src[3]), 0))
        return ("blk", new_index[src[1]], src[2], src[3])

    insts = [Instance(split.instances[i].name, split.instances[i].op, split.instances[i].elem,
                      split.instances[i].graph,
                      {w: [remap(s) for s in srcs]
                       for w, srcs in split.instances[i].bindings.items()})
             for i in keep]
    outs = {w: [remap(s) for s in srcs] for w, srcs in split.outputs.items()}
    return Split(insts, outs, split.output_signed), [blocks[i] for i in keep]


def _options(split: Split, blocks: list[Block], library: BlockLibrary,
             progress: Callable[[str], None] | None) -> list[list[tuple[Instance, Block]]]:
    """Every instance with its block, and equivalent instances with their ports in
    another order (:mod:`compiler.compose.variants`), for the flow floorplan."""
    out = []
    for inst, blk in zip(split.instances, blocks, strict=True):
        opts = [(inst, blk)]
        rev = reversed_inputs(inst)
        if rev is not None:
            opts.append((rev, library.get(rev.graph, f"{inst.name} (inputs reversed)",
                                          progress)))
        out.append(opts)
    return out


def compose_graph(graph: Graph, library: BlockLibrary, *, margin: int = 6,
                  slack: int = 2,
                  time_budget: float | None = None,
                  progress: Callable[[str], None] | None = None,
                  decompose: bool = True, hierarchical: bool = True) -> ComposeResult:
    """Compile ``graph`` as blocks stitched on one fabric (see the module docstring).

    ``margin``: free cells around every block of the first shelf layout (tried after
    the flow floorplans; then one long row with 2-cell channels, one long row, and
    channels 4 and 8 cells wider); ``slack``:
    extra cycles every block-to-block input is given for the router to negotiate with;
    ``library`` compiles each distinct block once (and keeps it across calls; the
    compiler's own is :func:`compiler.program.block_library`); ``time_budget``
    (seconds) bounds the whole compile; ``progress`` gets one line per block and per
    routing pass; ``decompose``: ops without a block of their own become chains of
    blocks (:mod:`compiler.compose.decompose`) instead of one general-flow block;
    ``hierarchical``: a program of more than :data:`HIER_MIN_BLOCKS` blocks whose
    dataflow has cut points is composed as parts of at least :data:`HIER_MIN_PART`
    blocks, each on its own, then stitched (:mod:`compiler.compose.hierarchy`; if that
    fails, flat). Raises
    :class:`ComposeError` (a :class:`~compiler.errors.RouteError`) naming the block, net
    or parity class that failed, :class:`~compiler.ir.GraphError` for an op without a
    block. Deterministic."""
    start = time.perf_counter()
    deadline = None if time_budget is None else start + time_budget
    if not any(op.kind == "input" for op in graph.ops):
        raise GraphError("compose: the graph has no inputs")
    legal, n_copied = legalise_phases(graph)
    if n_copied and progress is not None:
        progress(f"phases: {n_copied} op(s) copied so that every op's operands share a "
                 f"phase")
    split = split_graph(legal, decompose)
    if hierarchical and len(split.instances) > HIER_MIN_BLOCKS:
        counts: dict[int, int] = {}
        for inst in split.instances:
            counts[inst.op] = counts.get(inst.op, 0) + 1
        cuts = partition(legal, counts, HIER_MIN_PART)
        if cuts:
            try:
                return _compose_parts(graph, legal, cuts, library, margin, slack, deadline,
                                      progress, decompose, start)
            except ComposeError as exc:
                if deadline is not None and time.perf_counter() > deadline:
                    raise
                if progress is not None:
                    progress(f"composing in parts failed ({exc}); composing flat")
    blocks: list[Block] = []
    for inst in split.instances:
        blocks.append(library.get(inst.graph, inst.name, progress))
        if deadline is not None and time.perf_counter() > deadline:
            raise ComposeError(f"the {time_budget:g} s time budget ran out while compiling "
                               f"block {inst.name} ({len(blocks)} of "
                               f"{len(split.instances)} blocks done)")
    return _stitch(graph, split, blocks, library, margin, slack, deadline, progress, start,
                   time.perf_counter() - start)


#: programs of more than this many blocks are composed in parts where they can be cut
HIER_MIN_BLOCKS = 24
#: the least blocks in one part (smaller parts stitch as well flat)
HIER_MIN_PART = 8


def _compose_parts(graph: Graph, legal: Graph, cuts: list[int], library: BlockLibrary,
                   margin: int, slack: int, deadline: float | None,
                   progress: Callable[[str], None] | None, decompose: bool,
                   start: float) -> ComposeResult:
    """Compose each part of ``legal`` cut at ``cuts`` on its own, then stitch the parts
    as blocks (:mod:`compiler.compose.hierarchy`)."""
    outer = part_split(legal, cuts)
    if progress is not None:
        progress(f"composing in {len(outer.instances)} parts, cut after op(s) "
                 f"{', '.join(str(c) for c in cuts)}")
    blocks: list[Block] = []
    for inst in outer.instances:
        key = graph_key(inst.graph)
        if key in library.cache:            # a part composed before (same graph)
            blocks.append(library.cache[key])
            continue
        t0 = time.perf_counter()
        left = None if deadline is None else max(1.0, deadline - t0)
        sub = progress if progress is None else (lambda m, n=inst.name: progress(f"[{n}] {m}"))
        res = compose_graph(inst.graph, library, margin=margin, slack=slack,
                            time_budget=left, progress=sub, decompose=decompose,
                            hierarchical=False)
        bs = res.bitstream
        live, const_bits = analyse(bs)
        blk = Block(inst.name, bs, live, constant_values(bs, const_bits), "composed",
                    time.perf_counter() - t0, key)
        library.cache[key] = blk
        blocks.append(blk)
        if progress is not None:
            progress(f"part {inst.name}: composed, {bs.width}x{bs.height}, "
                     f"{blk.used_cells} cells, latency {bs.iomap.latency}, "
                     f"{blk.compile_seconds:.1f} s")
    return _stitch(graph, outer, blocks, library, margin, slack, deadline, progress, start,
                   time.perf_counter() - start)


def _stitch(graph: Graph, split: Split, blocks: list[Block], library: BlockLibrary,
            margin: int, slack: int, deadline: float | None,
            progress: Callable[[str], None] | None, start: float,
            blocks_s: float) -> ComposeResult:
    """Floorplan, schedule and route ``blocks`` (the instances of ``split``), trying the
    layouts in turn (see :func:`compose_graph`)."""
    split, blocks = _drop_unread(split, blocks)
    token_bits = {word_name(n, i, v.dim): v.bits for n, v in graph.inputs.items()
                  for i in range(v.dim)}
    last: ComposeError | None = None
    # first the flow floorplan (blocks turned to face their producers, 2, 4, 7, then
    # 11 free cells around them; a near miss is widened where nets still collide, up to
    # WIDENINGS times, before the next gap); then square shelves with `margin`-cell
    # channels, one long row with 2-cell channels (every block near the north and south edges: short
    # feeds, and the perimeter grows with the program's I/O), then wider channels
    tries: list[tuple[str, int, float]] = [("flow", g, 0.0) for g in (2, 4, 7, 11)]
    tries += [("shelf", m, a) for m, a in ((margin, 1.0), (2, ONE_ROW), (margin, ONE_ROW),
                                           (margin + 4, 1.0), (margin + 8, 1.0))]
    if not blocks:
        # no block is left (every output is a constant or a token word): a square with
        # edge ports for every token bit and every output bit (each side has a bus of
        # each direction as wide as the side)
        n_out = sum(len(bits) for bits in split.outputs.values())
        side = max(2 * margin + 1, -(-max(sum(token_bits.values()), n_out) // 4))
        tries = [("bare", side, 0.0)]
    options = None
    for kind, m, aspect in tries:
        if kind == "bare":
            t_split, t_blocks, fp = split, blocks, Floorplan(m, m, [])
        elif kind == "flow":
            if options is None:
                options = _options(split, blocks, library, progress)
            lay = flow_floorplan(split, options, m, progress)
            t_split, t_blocks, fp = lay.split, lay.blocks, lay.floorplan
        else:
            t_split, t_blocks = split, blocks
            fp = shelf_floorplan([(b.width, b.height) for b in blocks], m, aspect)
            if progress is not None:
                progress(f"floorplan: {len(blocks)} blocks on {fp.width}x{fp.height} "
                         f"(channels {m} cells{', one row' if aspect == ONE_ROW else ''})")
        routed = None
        for widening in range(WIDENINGS + 1 if kind == "flow" else 1):
            st = _Stitcher(t_split, t_blocks, fp, slack, progress, deadline, token_bits)
            try:
                # a flow layout gets a few retiming rounds, then wider channels where
                # registers stay shared
                routed = st.route(3 if kind == "flow" else 10)
                break
            except ComposeError as exc:
                if deadline is not None and time.perf_counter() > deadline:
                    raise
                last = exc
                if progress is not None:
                    progress(f"  failed: {exc}")
                if (not exc.shared_regs or widening == WIDENINGS
                        or len(set(exc.shared_regs)) > WIDEN_MAX_SHARED):
                    break
                fp = _widen_where_shared(fp, t_blocks, exc.shared_regs)
                if progress is not None:
                    progress(f"  channels widened where registers were shared: "
                             f"{fp.width}x{fp.height}")
        if routed is not None:
            router = routed
            break
    else:
        assert last is not None
        raise last
    split, blocks = t_split, t_blocks
    bs = st.emit(graph)
    res = ComposeResult(bs, blocks, [inst.name for inst in split.instances], fp, st.T)
    res.stats.update(blocks_s=blocks_s, total_s=time.perf_counter() - start,
                     route_iterations=router.iterations)
    return res
