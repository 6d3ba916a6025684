"""Elementwise ops taken apart element by element, at the graph level.

An elementwise op on vectors of ``n`` words (:data:`~compiler.compose.split.ELEMENTWISE`:
add, sub, table, max, ...) computes ``n`` independent words. Composed on one fabric its
``n`` element blocks must be routed together through channels, which is most of the
compile time of a transformer block and most of its channel cells. As ``n`` ops of one
word each (on slices of the operands, the results concatenated: slices and concats are
wiring), a row of fabrics puts each element on a fabric of its own
(:func:`~compiler.compose.pipeline.cut_before_every_op`): one block each, nothing to
route.

:func:`per_element` keeps every value's exact ranges and type, so the rewritten graph
computes the original's outputs bit for bit (the reference of one equals the other's).
"""

from __future__ import annotations

from compiler.compose.split import ELEMENTWISE, element_params
from compiler.ir import Graph, GraphError, Value

__all__ = ["per_element"]


def per_element(graph: Graph) -> Graph:
    """``graph`` with every elementwise op on vectors of more than one word replaced by
    one op per element (module docstring); every other op copied as it is. Values keep
    their ids' order; outputs and inputs keep their names. Raises ``GraphError`` if a
    concat of the elements would not have the original value's type (it always has:
    every element keeps that type)."""
    g = Graph()
    new: list[Value] = []
    for op, v in zip(graph.ops, graph.values, strict=True):
        args = [new[a] for a in op.args]
        if op.kind not in ELEMENTWISE or v.dim == 1:
            new.append(g.append(op.kind, args, op.params, v.lo, v.hi, v.type))
            continue
        elems = []
        for j in range(v.dim):
            operands = [g.slice(a, j, j + 1) for a in args]
            elems.append(g.append(op.kind, operands, element_params(op, j), (v.lo[j],),
                                  (v.hi[j],), v.type))
        whole = g.concat(elems)
        if whole.type != v.type:
            raise GraphError(f"per_element: op {len(new)} ({op.kind}) concatenated as "
                             f"{whole.type}, not {v.type}")
        new.append(whole)
    for name, v in graph.outputs.items():
        g.output(name, new[v.id])
    return g
