"""Hierarchical composition: a long program as parts composed on their own.

The channel router negotiates every net of a program at once; past a few dozen blocks
the nets of unrelated parts of the program compete for the same channels, and values
that wait long (a residual stream waiting for the MLP beside it) fill them with delay.
A transformer block is such a program. But its dataflow narrows at *cut points*: after
the attention's residual add, nothing reads anything computed before it except that
sum itself (and the token inputs, which enter anywhere). Cut there, each part is a
program with the cut value as a token input, and composes on its own
(:func:`~compiler.compose.stitch.compose_graph`): inside a part the cut value enters
on edge ports at whatever cycles its readers want, so the long waits cost nothing.
The composed parts are then blocks of an outer program (a composed program is a
bitstream with an I/O map, which is all a block is), and the outer stitch routes only
the cut values between them.

:func:`cut_points` finds the cuts of a word graph; :func:`partition` picks the cuts
that leave every part at least ``min_part`` blocks; :func:`part_split` builds the
outer :class:`~compiler.compose.instances.Split` whose instances are the parts.
"""

from __future__ import annotations

from compiler.compose.instances import Instance, Split, Src, inst_input
from compiler.ir import FIRST, Graph, GraphError, Value
from compiler.lower import word_name

__all__ = ["WIRING", "computed_sources", "cut_points", "cut_prefix", "part_split",
           "partition"]

#: ops that only rename or hold values (no block of their own)
WIRING = frozenset({"input", "const", "slice", "concat"})


def computed_sources(graph: Graph) -> list[set[int]]:
    """For every op, the computed values it stands for: a computed op itself, a slice or
    concat the computed values it reads through wiring, a token input or constant
    none (so an op reading ``a`` reads the computed values ``src[a]``)."""
    src: list[set[int]] = []
    for vid, op in enumerate(graph.ops):
        if op.kind in ("input", "const"):
            src.append(set())
        elif op.kind in ("slice", "concat"):
            s: set[int] = set()
            for a in op.args:
                s |= src[a]
            src.append(s)
        else:
            src.append({vid})
    return src


def cut_points(graph: Graph) -> list[int]:
    """Values ``v`` (op ids of computed values, in order) after which no op and no
    program output reads a computed value older than ``v``: the program's dataflow
    passes through ``v`` alone (with the token inputs and constants)."""
    src = computed_sources(graph)
    n = len(graph.ops)
    # a read of d by j (d < j) crosses every position strictly between them
    cross = [0] * (n + 2)
    for j, op in enumerate(graph.ops):
        if op.kind in WIRING:
            continue
        for a in op.args:
            for d in src[a]:
                cross[d + 1] += 1
                cross[j] -= 1
    for v in graph.outputs.values():
        for d in src[v.id]:
            cross[d + 1] += 1
            cross[n] -= 1
    out = []
    running = 0
    last = max((v.id for v in graph.outputs.values()), default=-1)
    for i in range(n):
        running += cross[i]
        if graph.ops[i].kind not in WIRING and running == 0 and i < last:
            out.append(i)
    return out


def partition(graph: Graph, blocks_of_op: dict[int, int], min_part: int,
              max_bits: int = 64) -> list[int]:
    """Cut points that split ``graph`` into parts of at least ``min_part`` blocks each
    (``blocks_of_op[op id]``: blocks the flat split gave that op), taken greedily in
    order, at values of at most ``max_bits`` bits; empty when no such split exists.

    Only narrow cuts pay: inside the next part the cut value is a token input, whose
    feeds the part's own layout puts wherever its readers want them, all around its
    edges; the outer stitch must then bring every bit there from the previous part. A
    transformer block's residual stream of d_model words is narrow; the hidden layer
    between an MLP's two linears (or its 16 x 8-bit output, whose readers are 16
    independent adders) is not: the MLP of d=16 composes flat in 24 s and did not
    finish in parts within 600 s."""
    total = sum(blocks_of_op.values())
    cuts: list[int] = []
    done = 0
    since = 0
    cut_set = {c for c in cut_points(graph)
               if graph.values[c].dim * graph.values[c].bits <= max_bits}
    for vid in range(len(graph.ops)):
        since += blocks_of_op.get(vid, 0)
        if vid in cut_set and since >= min_part and total - done - since >= min_part:
            cuts.append(vid)
            done += since
            since = 0
    return cuts


def cut_prefix(graph: Graph) -> str:
    """The prefix of the names under which parts pass values on (``v``, so ``v17`` is
    value 17; ``v_``, ``vv_``, ... when the program's own inputs or outputs already
    use a name of that form)."""
    names = set(graph.inputs) | set(graph.outputs)
    for prefix in ("v", "v_", "vv_", "vvv_"):
        if not any(n.startswith(prefix) and n[len(prefix):].isdigit() for n in names):
            return prefix
    raise GraphError("cannot name the values between parts: the program's inputs and "
                     "outputs use the names v<N>, v_<N>, vv_<N> and vvv_<N>")


def _part_graph(graph: Graph, lo: int, hi: int, producer: dict[int, int], prefix: str,
                outputs: dict[str, Value]) -> tuple[Graph, dict[str, list[Src]]]:
    """The ops ``lo..hi`` of ``graph`` as a program of their own: every computed value
    they read from before ``lo`` (made by part ``producer[vid]``) becomes input
    ``{prefix}{vid}`` with its exact ranges, token inputs and constants are declared again, and
    ``outputs`` become its outputs. Also returns the bindings of its input words in
    terms of the outer program (output words of the producing parts, or token words)."""
    g = Graph()
    bindings: dict[str, list[Src]] = {}
    vals: dict[int, Value] = {}

    def value(vid: int) -> Value:
        if vid in vals:
            return vals[vid]
        op, v = graph.ops[vid], graph.values[vid]
        if vid < lo and op.kind not in WIRING:
            name = f"{prefix}{vid}"
            got = inst_input(g, name, v.dim, v.type, v.lo, v.hi)
            for e in range(v.dim):
                word = word_name(name, e, v.dim)
                bindings[word] = [("blk", producer[vid], word, b) for b in range(v.bits)]
        elif op.kind == "input":
            name = op.params["name"]
            got = inst_input(g, name, v.dim, v.type, v.lo, v.hi)  # type: ignore[arg-type]
            for e in range(v.dim):
                word = word_name(name, e, v.dim)  # type: ignore[arg-type]
                bindings[word] = [("in", word, b) for b in range(v.bits)]
        else:
            got = g.append(op.kind, [value(a) for a in op.args], op.params, v.lo, v.hi,
                           v.type)
        vals[vid] = got
        return got

    for vid in range(lo, hi + 1):
        if graph.ops[vid].kind not in WIRING:    # slices and concats: where read
            value(vid)
    for name, v in outputs.items():
        g.output(name, value(v.id))
    if any(op.kind == "delay" for op in g.ops) and FIRST not in g.inputs:
        g.first()           # a delay reads the token's first flag (DESIGN §5)
        bindings[FIRST] = [("in", FIRST, 0)]
    return g, bindings


def part_split(graph: Graph, cuts: list[int]) -> Split:
    """The outer split of ``graph`` cut after the ops ``cuts``: instance ``k`` is part
    ``k``, a program of the ops between two cuts. It reads every computed value it needs
    from an earlier part as input ``v{id}`` (:func:`cut_prefix`) straight from the part
    that makes it (at a cut point, :func:`cut_points`, that is the cut value alone), and
    outputs under the same names the values it makes that later parts read; the last
    part's outputs are the program's (a value made earlier is passed through). A part
    that would read nothing (constants alone) joins the part after it (the last such
    part, the one before), so there may be fewer parts than ``len(cuts) + 1``."""
    cuts = sorted(set(cuts))
    prefix, src = cut_prefix(graph), computed_sources(graph)
    while True:
        split, empty = _split_at(graph, cuts, prefix, src)
        if empty is None or not cuts:
            return split
        del cuts[min(empty, len(cuts) - 1)]


def _split_at(graph: Graph, cuts: list[int], prefix: str, src: list[set[int]]
              ) -> tuple[Split, int | None]:
    """:func:`part_split` at exactly ``cuts`` (value names ``prefix``, :func:`computed_sources`
    ``src``), and the first part that reads no input (``None`` if every part reads
    one)."""
    bounds = [-1, *cuts, len(graph.ops) - 1]
    part_of = [0] * len(graph.ops)
    for k in range(len(bounds) - 1):
        for vid in range(bounds[k] + 1, bounds[k + 1] + 1):
            part_of[vid] = k
    last = len(bounds) - 2
    # values each later part (or the program's outputs, the last part's) reads
    read_later: set[int] = set()
    for j, op in enumerate(graph.ops):
        if op.kind not in WIRING:
            for a in op.args:
                read_later |= {d for d in src[a] if part_of[d] < part_of[j]}
    for v in graph.outputs.values():
        read_later |= {d for d in src[v.id] if part_of[d] < last}
    producer = {vid: part_of[vid] for vid in read_later}
    instances: list[Instance] = []
    empty = None
    for k in range(last + 1):
        lo, hi = bounds[k] + 1, bounds[k + 1]
        outs = (dict(graph.outputs) if k == last else
                {f"{prefix}{v}": graph.values[v] for v in sorted(read_later)
                 if part_of[v] == k})
        g, bindings = _part_graph(graph, lo, hi, producer, prefix, outs)
        if not g.inputs and empty is None:
            empty = k
        instances.append(Instance(f"part{k}", hi, None, g, bindings))
    outputs: dict[str, list[Src]] = {}
    signed: dict[str, bool] = {}
    for name, v in graph.outputs.items():
        for e in range(v.dim):
            word = word_name(name, e, v.dim)
            outputs[word] = [("blk", last, word, b) for b in range(v.bits)]
            signed[word] = v.signed
    return Split(instances, outputs, signed), empty
