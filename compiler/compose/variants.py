"""Alternative instances that compute the same op with their ports in another order.

A linear layer sums ``W[o, i] * x[i]`` over ``i``: the order in which the macro lays out
its inputs is free. The macro puts input 0 at the west end of its input edge; when the
floorplanner turns the block to face its producer, that can put the inputs in the
reverse order of the producer's outputs, and every wire would cross every other.
:func:`reversed_inputs` gives the same layer with its inputs reversed (weight columns
and operand ranges reversed, bindings with them); the value computed is the same.
"""

from __future__ import annotations

from compiler.compose.instances import Instance, inst_input
from compiler.ir import Graph
from compiler.lower import word_name

__all__ = ["reversed_inputs"]


def reversed_inputs(inst: Instance) -> Instance | None:
    """``inst`` (a whole ``linear`` instance with one vector input ``i0``) with input
    element ``k`` bound to what element ``d_in-1-k`` was bound to, and the weight columns
    reversed to match; ``None`` for any other instance (or a one-element input)."""
    g = inst.graph
    kinds = [op.kind for op in g.ops]
    if kinds != ["input", "linear"] or g.ops[0].params.get("name") != "i0":
        return None
    xv, yv = g.values
    n = xv.dim
    if n < 2:
        return None
    op = g.ops[1]
    new = Graph()
    x = inst_input(new, "i0", n, xv.type, xv.lo[::-1], xv.hi[::-1])
    params = dict(op.params)
    params["W"] = tuple(tuple(row[::-1]) for row in op.params["W"])  # type: ignore[union-attr]
    y = new.append("linear", [x], params, yv.lo, yv.hi, yv.type)
    new.output("y", y)
    bindings = {word_name("i0", k, n): inst.bindings[word_name("i0", n - 1 - k, n)]
                for k in range(n)}
    bindings.update({w: b for w, b in inst.bindings.items() if not w.startswith("i0")})
    return Instance(inst.name, inst.op, inst.elem, new, bindings)
