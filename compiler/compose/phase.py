"""Phases of a word graph, and the copies that make every op's operands agree.

On this fabric a signal's phase ``(t - x - y) mod 2`` never changes along a path (DESIGN
§3), and ``Delay(x, k)`` with odd ``k`` has the opposite phase of ``x``. Token inputs
and constants have no phase of their own: every reader gets its own feed (or constant
cell) in whatever phase it needs. A computed value's phase is free, but one for all of
its readers. An op whose operands are bound to different phases (``y = x + delay(x,
1)`` with ``x`` computed) could never be stitched, so :func:`legalise_phases` builds each
value once per phase its readers need it in (a copy of its cone, down to the token
inputs, which get their own feeds: the word-level form of
:func:`compiler.parity.legalise_parity`). The new graph computes the same function.
"""

from __future__ import annotations

from compiler.ir import Graph

_PLUMBING = frozenset({"input", "const"})


def legalise_phases(graph: Graph) -> tuple[Graph, int]:
    """A graph equal to ``graph`` in which every op's operands can share one phase, and
    the number of ops copied to get there.

    Demand-driven: an op made in phase ``p`` needs its computed operands in phase
    ``p - (k mod 2)`` (``k`` a delay's tokens, else 0); token inputs and constants serve
    any phase. Each output takes the phase that needs fewer new copies (the first one on
    a tie), and each op is then built once per phase something needs it in, so a value
    exists at most twice and an op no output needs is dropped."""
    ops = graph.ops
    need: list[set[int]] = [set() for _ in ops]

    def flip(vid: int) -> int:
        op = ops[vid]
        return int(op.params["k"]) % 2 if op.kind == "delay" else 0

    def demand(vid: int, phase: int, commit: bool) -> int:
        """New (op, phase) pairs that making ``vid`` in ``phase`` adds (recorded when
        ``commit``)."""
        added: set[tuple[int, int]] = set()
        stack = [(vid, phase)]
        while stack:
            v, p = stack.pop()
            if ops[v].kind in _PLUMBING or p in need[v] or (v, p) in added:
                continue
            added.add((v, p))
            stack.extend((a, (p - flip(v)) % 2) for a in ops[v].args)
        if commit:
            for v, p in added:
                need[v].add(p)
        return len(added)

    for v in graph.outputs.values():
        costs = [demand(v.id, p, False) for p in (0, 1)]
        demand(v.id, 0 if costs[0] <= costs[1] else 1, True)

    new = Graph()
    made: dict[tuple[int, int], int] = {}
    for vid, (op, v) in enumerate(zip(ops, graph.values, strict=True)):
        phases = [0] if op.kind in _PLUMBING else sorted(need[vid])
        for p in phases:
            if op.kind in _PLUMBING:
                args: list[int] = []
            else:
                args = [made[(a, 0 if ops[a].kind in _PLUMBING else (p - flip(vid)) % 2)]
                        for a in op.args]
            nv = new.append(op.kind, [new.values[a] for a in args], op.params, v.lo, v.hi,
                            v.type)
            made[(vid, p)] = nv.id
    for name, v in graph.outputs.items():
        p = 0 if ops[v.id].kind in _PLUMBING else min(need[v.id])
        new.output(name, new.values[made[(v.id, p)]])
    copied = sum(max(0, len(n) - 1) for n in need)
    return new, copied
