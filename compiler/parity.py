"""Parity legalisation: make every LUT's inputs meet the fabric's parity law.

The grid is bipartite and every hop costs one cycle, so along any path the phase
``t - (x + y) mod 2`` of a signal is fixed (DESIGN.md §3). A netlist delay of ``k``
tokens reads the value from ``k`` cycles earlier, which flips the phase when ``k``
is odd. Hence a LUT that combines ``x`` with ``delay(x, 1)`` — or gates a delay with
``delay(first, 1)`` — can never be placed: its two inputs stem from one source but
reach it in opposite phases.

Token inputs are the one place where phase is free: the I/O map may drive the same
token bit twice, on two port bits, at offsets of opposite parity. This pass rebuilds
a netlist so that each signal exists in the phase its consumers need, duplicating
exactly the cones that feed odd delays and no more, and naming the second feed of
input word ``w`` as ``w@1`` (:data:`ALIAS`). Consumers of the token stream
(:func:`expand_aliases`) give ``w@1`` the same values as ``w``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from compiler.netlist import Netlist
from fabric.iomap import ALIAS, base_word, is_feed


def expand_aliases(tokens: Mapping[str, np.ndarray], words: list[str] | set[str]
                   ) -> dict[str, np.ndarray]:
    """Token words for the input words ``words`` of a legalised netlist: every
    feed ``w@TAG`` receives the values of ``w``; other words pass through."""
    out = dict(tokens)
    for word in words:
        if is_feed(word) and word not in out:
            out[word] = tokens[base_word(word)]
    return out


class ParityUnion:
    """Union-find over ids that also keeps each id's parity relative to its root: the
    one structure behind every parity-law check (this module's :func:`phases` and the
    packer's cluster phases). The smaller root id wins a union, so results do not
    depend on the order of unions beyond the edges themselves."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.rel: dict[int, int] = {}  # parity relative to parent

    def find(self, a: int) -> tuple[int, int]:
        """``(root, parity of a relative to root)``; compresses the path."""
        path = []
        while self.parent.setdefault(a, a) != a:
            path.append(a)
            a = self.parent[a]
        acc = 0
        for node in reversed(path):
            acc ^= self.rel[node]
            self.parent[node], self.rel[node] = a, acc
        return a, (self.rel[path[0]] if path else 0)

    def union(self, a: int, b: int, diff: int) -> bool:
        """Require ``parity(a) ^ parity(b) == diff``; False if that contradicts."""
        ra, pa = self.find(a)
        rb, pb = self.find(b)
        if ra == rb:
            return (pa ^ pb) == diff
        lo, hi = (ra, rb) if ra < rb else (rb, ra)
        self.parent[hi], self.rel[hi] = lo, pa ^ pb ^ diff
        return True


def phases(nl: Netlist) -> list[int] | None:
    """One phase (0/1) per signal such that every LUT's inputs share a phase, or
    ``None`` if the netlist has none (an odd-delay conflict). Constants fit any phase,
    and so do delays of constants and LUTs of such signals: the packer folds them
    into constants (a delayed constant only differs during the delay warm-up)."""
    uf = ParityUnion()
    free = [False] * len(nl.nodes)
    for sid, node in enumerate(nl.nodes):
        if node.kind == "const":
            free[sid] = True
        elif node.kind == "lut":
            free[sid] = all(free[s] for s in node.inputs)
            for s in node.inputs:
                if not free[s] and not uf.union(sid, s, 0):
                    return None
        elif node.kind == "delay":
            free[sid] = free[node.inputs[0]]
            if not free[sid] and not uf.union(sid, node.inputs[0], node.k & 1):
                return None
    return [uf.find(i)[1] for i in range(len(nl.nodes))]


def legalise_parity(nl: Netlist) -> Netlist:
    """Return ``nl`` itself if it already obeys the parity law, else an equivalent
    netlist in which cones feeding odd delays are rebuilt from second-phase input
    feeds ``w@1``. Every output keeps its word, bit and value (given
    :func:`expand_aliases` tokens)."""
    if phases(nl) is not None:
        return nl
    out = Netlist()
    memo: dict[tuple[int, int], int] = {}

    def build(sig: int, phase: int) -> int:
        # Iterative post-order: deep adder chains would overflow Python's stack.
        stack = [(sig, phase, False)]
        while stack:
            s, p, ready = stack.pop()
            if (s, p) in memo:
                continue
            node = nl.nodes[s]
            if node.kind == "input":
                memo[(s, p)] = out.input(node.word + (ALIAS if p else ""), node.bit)
            elif node.kind == "const":
                memo[(s, p)] = out.const(node.table)
            else:
                child_p = p ^ (node.k & 1) if node.kind == "delay" else p
                kids = [(c, child_p) for c in node.inputs]
                if not ready:
                    stack.append((s, p, True))
                    stack.extend((c, cp, False) for c, cp in kids if (c, cp) not in memo)
                    continue
                ins = [memo[k] for k in kids]
                if node.kind == "delay":
                    memo[(s, p)] = out.delay(ins[0], node.k)
                else:
                    memo[(s, p)] = out.lut(ins, node.table)
        return memo[(sig, phase)]

    for word, bit in nl.inputs:  # keep every declared input, read or not
        out.input(word, bit)
    for (word, bit), sig in nl.outputs.items():
        out.output(word, bit, build(sig, 0))
    return out
