"""Phases of a word graph, and the copies that make every op's operands agree.

On this fabric a signal's phase ``(t - x - y) mod 2`` never changes along a path (DESIGN
§3), and ``Delay(x, k)`` with odd ``k`` has the opposite phase of ``x``. Token inputs
and constants have no phase of their own: every reader gets its own feed (or constant
cell) in whatever phase it needs. A computed value's phase is free, but one for all of
its readers. An op whose operands are bound to different phases (``y = x + delay(x,
1)`` with ``x`` computed) could never be stitched, so :func:`legalise_phases` gives the
offending operand a copy of its whole cone (down to the token inputs, which get their
own feeds), whose phase is free again (the word-level form of
:func:`compiler.parity.legalise_parity`). The new graph computes the same function.
"""

from __future__ import annotations

from compiler.ir import Graph

_PLUMBING = frozenset({"input", "const"})


class _ParityUnion:
    """Union-find over value ids with the parity of each id relative to its root."""

    def __init__(self) -> None:
        self.up: dict[int, tuple[int, int]] = {}

    def find(self, a: int) -> tuple[int, int]:
        if a not in self.up:
            self.up[a] = (a, 0)
        root, par = self.up[a]
        if root == a:
            return a, 0
        r, p = self.find(root)
        self.up[a] = (r, par ^ p)
        return r, par ^ p

    def union(self, a: int, b: int, rel: int) -> bool:
        """Bind ``phase(a) = phase(b) + rel``; False if that contradicts what is bound."""
        ra, pa = self.find(a)
        rb, pb = self.find(b)
        if ra == rb:
            return (pa ^ pb) == rel
        self.up[ra] = (rb, pa ^ pb ^ rel)
        return True


def legalise_phases(graph: Graph) -> tuple[Graph, int]:
    """A graph equal to ``graph`` in which every op's operands can share one phase, and
    the number of ops copied to get there."""
    new = Graph()
    uf = _ParityUnion()
    first_copy: dict[int, int] = {}    # old id -> new id
    n_copied = 0

    def emit(old: int, args: list[int]) -> int | None:
        """Push old op ``old`` on new operands; None if they cannot share a phase."""
        op, v = graph.ops[old], graph.values[old]
        bound = [a for a in args if new.ops[a].kind not in _PLUMBING]
        nv = new._push(op.kind, [new.values[a] for a in args], dict(op.params), v.dim,
                       v.lo, v.hi, v.type)
        if op.kind == "input":
            new.inputs[op.params["name"]] = nv  # type: ignore[index]
        k = int(op.params["k"]) % 2 if op.kind == "delay" else 0
        for a in bound:
            if not uf.union(nv.id, a, k):
                return None
        return nv.id

    def fresh(old: int) -> int:
        """A copy of the cone of old value ``old`` on its own phase variables."""
        nonlocal n_copied
        op = graph.ops[old]
        if op.kind in _PLUMBING:
            return first_copy[old]
        args = [fresh(a) for a in op.args]
        got = emit(old, args)
        assert got is not None, "a copied cone is as consistent as the original"
        n_copied += 1
        return got

    for old, op in enumerate(graph.ops):
        args = [first_copy[a] for a in op.args]
        # try the operands as they are; on a conflict, copy each later operand that
        # disagrees with the first bound one
        got = _try(new, uf, graph, old, args)
        if got is None:
            kept: dict[int, int] = {}      # root -> parity of the operands kept
            fixed = []
            for a, o in zip(args, op.args, strict=True):
                if new.ops[a].kind in _PLUMBING:
                    fixed.append(a)
                    continue
                rb, pb = uf.find(a)
                if kept.setdefault(rb, pb) == pb:
                    fixed.append(a)
                else:
                    fixed.append(fresh(o))
            got = emit(old, fixed)
            assert got is not None
        first_copy[old] = got
    for name, v in graph.outputs.items():
        new.output(name, new.values[first_copy[v.id]])
    return new, n_copied


def _try(new: Graph, uf: _ParityUnion, graph: Graph, old: int, args: list[int]) -> int | None:
    """Push op ``old`` if its bound operands already agree (or can), else None (and
    nothing pushed)."""
    op, v = graph.ops[old], graph.values[old]
    bound = [a for a in args if new.ops[a].kind not in _PLUMBING]
    seen: dict[int, int] = {}
    for a in bound:
        r, p = uf.find(a)
        if seen.setdefault(r, p) != p:
            return None
    nv = new._push(op.kind, [new.values[a] for a in args], dict(op.params), v.dim, v.lo,
                   v.hi, v.type)
    if op.kind == "input":
        new.inputs[op.params["name"]] = nv  # type: ignore[index]
    k = int(op.params["k"]) % 2 if op.kind == "delay" else 0
    for a in bound:
        ok = uf.union(nv.id, a, k)
        assert ok
    return nv.id
