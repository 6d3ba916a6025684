"""Split a word graph into block instances and bit-level bindings.

Every op becomes instance graphs, except plumbing: ``input`` (token words, entering on
edge ports), ``const`` (constant bits, made by constant cells where they are read),
``slice`` and ``concat`` (pure wiring: they only rename elements). An op without a
macro of its own is first taken apart into a chain of ops that have one
(:mod:`compiler.compose.decompose`; ``decompose=False`` keeps it whole). Otherwise
elementwise ops (``add sub const_mul mul max table delay rshift fit sum select``)
become one instance per element, so each block is small and all of its inputs meet
(one phase, DESIGN §3); ``linear``, ``dot``, ``embed`` and ``argmax`` stay whole.

An instance graph declares its inputs ``i0, i1, ...`` with the exact element ranges of
the original operands (lowering spends no bit on what cannot happen) and computes the
original op with its original params, output type and ranges, so its output ``y`` is
bit for bit the original value. Constant operands are folded into the instance.
"""

from __future__ import annotations

from compiler.compose.decompose import DECOMPOSED, Decomposer
from compiler.compose.instances import Elem, Instance, Split, Src, inst_input
from compiler.ir import FIRST, Graph, GraphError, Op, Value, WordType
from compiler.lower import word_name

__all__ = ["ELEMENTWISE", "WHOLE", "Elem", "Instance", "Split", "Src", "element_params",
           "split_graph"]

#: ops computed element by element
ELEMENTWISE = frozenset({"add", "sub", "const_mul", "mul", "max", "table", "delay",
                         "rshift", "fit", "sum", "select"})
#: ops computed on whole vectors
WHOLE = frozenset({"linear", "dot", "embed", "argmax"})


def element_params(op: Op, e: int) -> dict[str, object]:
    """The params of elementwise ``op`` computing element ``e`` alone (a constant
    multiply keeps its ``e``-th constant; every other param holds for all elements)."""
    params = dict(op.params)
    if op.kind == "const_mul":
        params["c"] = (op.params["c"][e],)  # type: ignore[index]
    return params


def _const_bits(value: int, t: WordType) -> list[Src]:
    return [("const", (value >> b) & 1) for b in range(t.bits)]


def split_graph(graph: Graph, decompose: bool = True) -> Split:
    """Instances and bindings of ``graph`` (see the module docstring); ``decompose``:
    ops without a block of their own become several blocks (:class:`Decomposer`)."""
    if not graph.outputs:
        raise GraphError("compose: the graph has no outputs")
    # ops that no output depends on get no block
    needed = {v.id for v in graph.outputs.values()}
    for vid in range(len(graph.ops) - 1, -1, -1):
        if vid in needed:
            needed.update(graph.ops[vid].args)
    elems: list[list[Elem] | None] = []
    consts: dict[int, tuple[int, ...]] = {}
    instances: list[Instance] = []
    for vid, (op, v) in enumerate(zip(graph.ops, graph.values, strict=True)):
        k = op.kind
        args = [graph.values[a] for a in op.args]
        if vid not in needed and k != "input":
            elems.append(None)
            continue
        if k == "input":
            name = op.params["name"]
            elems.append([Elem([("in", word_name(name, i, v.dim), b) for b in range(v.bits)],
                               v.signed) for i in range(v.dim)])
            continue
        if k == "const":
            vals = tuple(int(c) for c in op.params["values"])  # type: ignore[union-attr]
            consts[vid] = vals
            elems.append([Elem(_const_bits(c, v.type), v.signed) for c in vals])
            continue
        if k == "slice":
            src = elems[op.args[0]]
            assert src is not None
            elems.append(src[op.params["start"]:op.params["stop"]])  # type: ignore[misc]
            if op.args[0] in consts:
                consts[vid] = consts[op.args[0]][op.params["start"]:op.params["stop"]]  # type: ignore[misc]
            continue
        if k == "concat":
            out: list[Elem] = []
            for a in op.args:
                e = elems[a]
                assert e is not None
                out.extend(e)
            elems.append(out)
            continue
        if k not in ELEMENTWISE and k not in WHOLE:
            raise GraphError(f"compose: op {vid} ({k}) has no block")
        if decompose and not any(a in consts for a in op.args) and k in DECOMPOSED:
            dec = Decomposer(instances, vid)
            elems.append(dec.op(op, v, [elems[a] for a in op.args], args))  # type: ignore[misc]
            continue
        elems.append(_whole_op(instances, vid, op, v, args, elems, consts))
    outputs: dict[str, list[Src]] = {}
    signed: dict[str, bool] = {}
    for name, v in graph.outputs.items():
        src = elems[v.id]
        assert src is not None
        for i, el in enumerate(src):
            word = word_name(name, i, v.dim)
            outputs[word] = el.extend(v.bits)
            signed[word] = v.signed
    return Split(instances, outputs, signed)


def _whole_op(instances: list[Instance], vid: int, op: Op, v: Value, args: list[Value],
              elems: list[list[Elem] | None], consts: dict[int, tuple[int, ...]]
              ) -> list[Elem]:
    """One instance per element of ``op`` (one in all for a whole-vector op), computing
    the op itself; its output words as elements."""
    k = op.kind
    if k in WHOLE:
        groups: list[int | None] = [None]
    else:
        groups = list(range(v.dim))
    out_elems: list[Elem] = []
    for e in groups:
        g = Graph()
        bindings: dict[str, list[Src]] = {}
        inst_args: list[Value] = []
        first_needed = k == "delay"
        # the operands of an add/sub arrive extended to one width (at least the
        # result's), so that the one-row ripple adder (compiler.macros.adder) fits
        wide = max([v.bits] + [a.bits for a in args]) if k in ("add", "sub") else 0
        for j, (aid, av) in enumerate(zip(op.args, args, strict=True)):
            sl = slice(None) if e is None else slice(e, e + 1)
            lo, hi = av.lo[sl], av.hi[sl]
            t_in = WordType(wide, av.type.signed) if wide else av.type
            if k == "linear" and not t_in.signed:
                # the linear macro reads signed x: an unsigned word is the same bits
                # under a constant-0 sign bit
                t_in = WordType(t_in.bits + 1, True)
            if aid in consts:
                cv = consts[aid][sl]
                inst_args.append(g.append("const", [], {"values": tuple(cv)}, cv, cv, t_in))
                continue
            name = f"i{j}"
            dim = len(lo)
            inst_args.append(inst_input(g, name, dim, t_in, lo, hi))
            src = elems[aid]
            assert src is not None
            picked = src[sl]
            for i, el in enumerate(picked):
                bindings[word_name(name, i, dim)] = el.extend(t_in.bits)
        if first_needed:
            g.first()
            bindings[FIRST] = [("in", FIRST, 0)]
        params = dict(op.params) if e is None else element_params(op, e)
        lo_o = v.lo if e is None else v.lo[e:e + 1]
        hi_o = v.hi if e is None else v.hi[e:e + 1]
        y = g.append(k, inst_args, params, lo_o, hi_o, v.type)
        g.output("y", y)
        idx = len(instances)
        tag = f"op{vid}.{k}" + ("" if e is None else f"[{e}]")
        instances.append(Instance(tag, vid, e, g, bindings))
        for i in range(y.dim):
            word = word_name("y", i, y.dim)
            out_elems.append(Elem([("blk", idx, word, b) for b in range(v.bits)], v.signed))
    return out_elems
