"""What a fixed configuration computes: its outputs' cone as a netlist of LUT registers.

:class:`Extracted` walks back from a set of edge output bits through each register's
*true* support (the inputs its 16-bit table depends on) to edge inputs, refuses a
feedback loop (:class:`ExtractError`, naming a cell of the loop), and simplifies in
topological order: inputs that are exactly 0 at every cycle (the register of an
all-zero table, or one that folds to 0) are substituted into the readers' tables; a
register that copies one input becomes a *lag* on that input (a pass-through chain
of k cells is one lag of k cycles); identical LUTs on identical lagged inputs are
shared. What remains are LUT nodes, each a register
``v[t] = g(b_1[t - l_1], ..., b_k[t - l_k])`` (``l_i >= 1``, ``k <= 4``; ``v[0] = 0``,
reset), over edge input bits and other nodes. Constants are folded only when they
are 0 at *every* cycle (a constant-1 register is 0 in cycle 0, so it stays a node),
so the netlist equals the fabric from reset on every cycle of every output bit.

Two readers: :mod:`sim.fastsim` evaluates it many cycles at once, and
:mod:`fabric.verilog_hardened` writes it as the Verilog of a hard-wired chip.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cells.truth import E, N, S, W
from fabric.iomap import OUTPUT_PORTS, port_width

PortBitKey = tuple[str, int]          # (port, index)
TABLE_MASK = 0xFFFF
#: Variable masks of the 4-input truth tables (address bit i = input i).
VAR_MASKS = tuple(sum(1 << a for a in range(16) if (a >> i) & 1) for i in range(4))
_SIDE_NAMES = "NESW"


class ExtractError(ValueError):
    """The configuration has no feed-forward netlist for these outputs (a feedback
    loop), or an output bit is not on the fabric."""


def cofactor(table: int, var: int, value: int) -> int:
    """``table`` with input ``var`` fixed to ``value``, as a table that ignores ``var``."""
    m = VAR_MASKS[var]
    if value:
        half = table & m
        return half | (half >> (1 << var))
    half = table & ~m & TABLE_MASK
    return half | (half << (1 << var))


@functools.cache
def support(table: int) -> tuple[int, ...]:
    """The inputs (0..3) that a 16-bit truth table really depends on."""
    return tuple(i for i in range(4) if cofactor(table, i, 0) != cofactor(table, i, 1))


# ----------------------------------------------------------------------------- netlist

@dataclass(frozen=True)
class Node:
    """One LUT register of the extracted netlist: ``v[t] = g(b_i[t - lag_i])`` for
    ``t >= 1``, ``v[0] = 0``. ``inputs`` are ``(signal, lag)`` with lag >= 1 cycles;
    a signal is an edge input bit ``(port, index)`` or a node index (``int``);
    ``table`` is over ``len(inputs)`` bits (input i = address bit i)."""

    table: int
    inputs: tuple[tuple[object, int], ...]


@dataclass(frozen=True)
class Stats:
    """What the extraction found: registers in the cone (cell sides), how many were
    copies (collapsed into lags), exact-zero constants (folded), LUT nodes left, edge
    input bits read, and the warm-up depth ``D`` in cycles."""

    registers: int
    copies: int
    zeros: int
    nodes: int
    edge_inputs: int
    depth: int

    def text(self) -> str:
        """One line for people."""
        return (f"{self.registers} registers in the outputs' cone: {self.copies} copies "
                f"(collapsed into delays), {self.zeros} constant 0, {self.nodes} LUT nodes "
                f"evaluated; reads {self.edge_inputs} edge-input bits; depth {self.depth} "
                f"cycles")


def _source(x: int, y: int, side: int, w: int, h: int) -> tuple[str, object]:
    """Where input ``side`` of cell (x, y) comes from: ("reg", (x, y, d)) or ("in", bit)."""
    if side == N:
        return ("reg", (x, y - 1, S)) if y > 0 else ("in", ("north_in", x))
    if side == S:
        return ("reg", (x, y + 1, N)) if y < h - 1 else ("in", ("south_in", x))
    if side == W:
        return ("reg", (x - 1, y, E)) if x > 0 else ("in", ("west_in", y))
    return ("reg", (x + 1, y, W)) if x < w - 1 else ("in", ("east_in", y))


def _out_register(port: str, index: int, w: int, h: int) -> tuple[int, int, int]:
    if port == "north_out":
        return (index, 0, N)
    if port == "south_out":
        return (index, h - 1, S)
    if port == "west_out":
        return (0, index, W)
    return (w - 1, index, E)


def _where(reg: tuple[int, int, int]) -> str:
    x, y, d = reg
    return f"cell (x={x}, y={y}) output {_SIDE_NAMES[d]}"


# Expression of a register after simplification: None = exactly 0 at every cycle,
# else (signal, lag) = the value of signal ``lag`` cycles earlier (0 before cycle 0).
_Ref = tuple[object, int] | None


def _reduce(table: int, ins: list[_Ref]) -> tuple[int, list[tuple[object, int]]]:
    """Fold exact-zero inputs into ``table`` and merge identical inputs; returns the
    table over the remaining distinct inputs (in order) and those inputs."""
    keep: list[tuple[object, int]] = []
    where: list[int] = []                       # var of ins[i] in the new table, -1: zero
    for ref in ins:
        if ref is None:
            where.append(-1)
        elif ref in keep:
            where.append(keep.index(ref))
        else:
            keep.append(ref)
            where.append(len(keep) - 1)
    new, used = _fold(table, tuple(where), len(keep))
    return new, [keep[j] for j in used]


@functools.cache
def _fold(table: int, where: tuple[int, ...], k: int) -> tuple[int, tuple[int, ...]]:
    """``table`` over ``len(where)`` inputs, input i being constant 0 (``where[i] < 0``)
    or new input ``where[i]`` of ``k``: the table over the new inputs it still depends
    on, and those inputs."""
    new = 0
    for a in range(1 << k):
        addr = 0
        for i, j in enumerate(where):
            if j >= 0 and (a >> j) & 1:
                addr |= 1 << i
        if (table >> addr) & 1:
            new |= 1 << a
    full = expand(new, k)
    used = tuple(i for i in support(full) if i < k)
    if len(used) == k:
        return new, used
    return _project(full, used), used


def _project(table: int, inputs: tuple[int, ...]) -> int:
    """A 16-bit ``table`` that depends on ``inputs`` only, as a table over those inputs
    in order (input i of the result = input ``inputs[i]``)."""
    out = 0
    for a in range(1 << len(inputs)):
        addr = 0
        for i, j in enumerate(inputs):
            if (a >> i) & 1:
                addr |= 1 << j
        if (table >> addr) & 1:
            out |= 1 << a
    return out


@functools.cache
def _restrict(table: int) -> tuple[tuple[int, ...], int]:
    """The support of a 16-bit table and the table over just those inputs, in order."""
    sides = support(table)
    return sides, _project(table, sides)


@functools.cache
def expand(table: int, k: int) -> int:
    """A ``k``-input table as a 16-bit table over inputs 0..k-1 (the others ignored)."""
    out = 0
    for a in range(16):
        if (table >> (a & ((1 << k) - 1))) & 1:
            out |= 1 << a
    return out


class Extracted:
    """The netlist a configuration computes for a set of output port bits.

    ``nodes`` in topological order; ``outputs[(port, index)]`` is ``None`` (always 0)
    or ``(signal, lag)`` (lag >= 0); ``depth`` D is the longest path in cycles from
    any edge input or start of time to an output (the warm-up a lane needs).
    Raises :class:`ExtractError` if an output's cone has a feedback loop.
    """

    def __init__(self, configs: npt.NDArray[np.uint64], outputs: Iterable[PortBitKey]) -> None:
        cfg = np.asarray(configs, dtype=np.uint64)
        h, w = cfg.shape
        self.width, self.height = w, h
        tables = [((cfg >> np.uint64(16 * d)) & np.uint64(TABLE_MASK)).astype(np.int64).tolist()
                  for d in range(4)]
        outs = list(dict.fromkeys(outputs))
        for port, index in outs:
            if port not in OUTPUT_PORTS:
                raise ExtractError(f"{port!r} is not an output port ({', '.join(OUTPUT_PORTS)})")
            if not 0 <= index < port_width(port, w, h):
                raise ExtractError(f"{port}[{index}] is outside the {port_width(port, w, h)}"
                                   f"-bit bus of a {w}x{h} fabric")

        def deps(reg: tuple[int, int, int]) -> list[tuple[str, object]]:
            x, y, d = reg
            t = tables[d][y][x]
            return [_source(x, y, s, w, h) for s in support(t)]

        # 1. cone + topological order (iterative DFS; grey = on the stack => a loop)
        order: list[tuple[int, int, int]] = []
        state: dict[tuple[int, int, int], int] = {}          # 1 = on stack, 2 = done
        for port, index in outs:
            root = _out_register(port, index, w, h)
            if state.get(root) == 2:
                continue
            stack = [(root, iter(deps(root)))]
            state[root] = 1
            while stack:
                reg, it = stack[-1]
                for kind, src in it:
                    if kind != "reg":
                        continue
                    st = state.get(src)           # type: ignore[arg-type]
                    if st == 1:
                        raise ExtractError(
                            f"output {port}[{index}] depends on a feedback loop through "
                            f"{_where(src)} (and {_where(reg)}): only a feed-forward "
                            f"configuration has a netlist")
                    if st is None:
                        state[src] = 1            # type: ignore[index]
                        stack.append((src, iter(deps(src))))   # type: ignore[arg-type]
                        break
                else:
                    state[reg] = 2
                    order.append(reg)
                    stack.pop()

        # 2. simplify in topological order
        expr: dict[tuple[int, int, int], _Ref] = {}
        self.nodes: list[Node] = []
        shared: dict[Node, int] = {}
        copies = zeros = 0
        for reg in order:
            x, y, d = reg
            sides, sub = _restrict(tables[d][y][x])
            ins: list[_Ref] = []
            for s in sides:
                kind, src = _source(x, y, s, w, h)
                ins.append(expr[src] if kind == "reg" else (src, 0))   # type: ignore[index]
            table, keep = _reduce(sub, ins)
            if not keep and table == 0:
                expr[reg] = None
                zeros += 1
            elif len(keep) == 1 and table == 0b10:
                sig, lag = keep[0]
                expr[reg] = (sig, lag + 1)
                copies += 1
            else:
                node = Node(table, tuple((sig, lag + 1) for sig, lag in keep))
                if node not in shared:
                    shared[node] = len(self.nodes)
                    self.nodes.append(node)
                expr[reg] = (shared[node], 0)
        self.outputs: dict[PortBitKey, _Ref] = {
            (p, i): expr[_out_register(p, i, w, h)] for p, i in outs}

        # 3. depth (longest path in cycles) and the history every signal must keep
        ndepth = [0] * len(self.nodes)
        self.pad: dict[object, int] = {}
        for n, node in enumerate(self.nodes):
            dep = 1
            for sig, lag in node.inputs:
                base = ndepth[sig] if isinstance(sig, int) else 0
                dep = max(dep, base + lag)
                self.pad[sig] = max(self.pad.get(sig, 0), lag)
            ndepth[n] = dep
        self.depth = 0
        for ref in self.outputs.values():
            if ref is not None:
                sig, lag = ref
                base = ndepth[sig] if isinstance(sig, int) else 0
                self.depth = max(self.depth, base + lag)
                self.pad[sig] = max(self.pad.get(sig, 0), lag)
        self.edge_inputs: list[PortBitKey] = sorted(
            {s for node in self.nodes for s, _ in node.inputs if not isinstance(s, int)}
            | {r[0] for r in self.outputs.values() if r is not None
               and not isinstance(r[0], int)})      # type: ignore[misc]
        self.stats = Stats(len(order), copies, zeros, len(self.nodes), len(self.edge_inputs),
                           self.depth)
