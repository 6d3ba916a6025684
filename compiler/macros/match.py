"""Recognise graphs that a hand-placed macro implements better than general P&R.

Regular structures are laid out by a macro generator: a constant int4 matrix-vector
product (:mod:`compiler.macros.linear`), a variable x variable multiply and dot product
(:mod:`compiler.macros.multiply`), adders, clamps, selects, delay rows and tables;
everything else goes through pack/place/route. A
match is exact: the macro must compute what :func:`compiler.ir.reference` computes,
bit for bit. :func:`match_macro` tries them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compiler.ir import FIRST, Graph, Op, Value, WordType, embed_rows
from compiler.macros.adder import adder_bitstream, incrementer_bitstream
from compiler.macros.argmax import MAX_ARGMAX_BITS, argmax_bitstream
from compiler.macros.clamp import clamp_bitstream, clamp_is_wiring
from compiler.macros.delay import delay_bitstream
from compiler.macros.linear import build_linear
from compiler.macros.multiply import build_dot, build_multiply, dot_range
from compiler.macros.select import select_bitstream
from compiler.macros.table import MAX_TABLE_BITS, rows_bitstream, table_bitstream
from compiler.macros.wires import wires_bitstream
from fabric.bitstream import Bitstream

#: Widest x the linear macro is matched for (issue 7: "x of up to 8 bits"); x wider
#: than :data:`compiler.macros.linear.GROUP_BITS` is laid out as column groups.
MAX_X_BITS = 8


@dataclass(frozen=True)
class LinearMatch:
    """A graph that is exactly ``y = sat(rshift(W @ x + b, shift), out_bits)``."""

    x_name: str
    y_name: str
    weights: np.ndarray
    bias: np.ndarray
    x_bits: int
    shift: int
    out_bits: int | None
    relu: bool = False

    flow = "linear macro"

    def build(self) -> tuple[Bitstream, object | None]:
        """The macro's bitstream (with I/O map) and its report (:class:`LinearReport`)."""
        import time

        start = time.perf_counter()
        bs = build_linear(self.weights, self.bias, self.x_bits, self.shift,
                          self.out_bits + 1 if self.relu else self.out_bits,
                          x_name=self.x_name, y_name=self.y_name, relu=self.relu)
        return bs, LinearReport(self, bs, time.perf_counter() - start)


@dataclass(frozen=True)
class LinearReport:
    """What the linear macro laid out: weights, strips, the per-weight area, longest
    output path; the cell classes are in the program summary (one count)."""

    match: LinearMatch
    bitstream: Bitstream
    seconds: float

    def text(self) -> str:
        """The macro's figures, one per line (units: weights, cells, cycles, seconds)."""
        d_out, d_in = self.match.weights.shape
        bs, iomap = self.bitstream, self.bitstream.iomap
        out_bits = "full precision" if self.match.out_bits is None else \
            f"{self.match.out_bits} bits signed, saturating"
        first_in = min(pb.offset for bits in iomap.inputs.values() for pb in bits)
        from fabric.usage import usage

        u = usage(bs)
        return "\n".join([
            f"weights           {d_out * d_in} ({d_out} outputs x {d_in} inputs, int4), "
            f"x {self.match.x_bits} bits signed, y {out_bits}, shift {self.match.shift}",
            f"cells per weight  {bs.width * bs.height / (d_out * d_in):.2f} (bounding box "
            f"{bs.width} x {bs.height})",
            f"strips            {d_out} accumulator strips east, x columns north",
            f"registers used    {u.luts + u.copies} (computing LUT outputs and copies; "
            f"constant drivers not counted)",
            f"cells per LUT     {u.used / max(1, u.luts):.2f} used cells per computing LUT "
            f"output",
            f"longest path      {iomap.latency - first_in} cycles from the first input bit "
            f"to the last output bit",
            f"stages            layout {self.seconds:.2f} s",
        ])


def match_linear(graph: Graph) -> LinearMatch | None:
    """``graph`` as a :class:`LinearMatch` if it is a single signed int4-weight Linear of
    one signed input of at most :data:`MAX_X_BITS` bits (saturating or full precision;
    a saturation to an unsigned word is the macro's ReLU mode), else ``None``."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1 or len(graph.ops) != 2:
        return None
    (x_name, x), = graph.inputs.items()
    (y_name, y), = graph.outputs.items()
    if x_name == FIRST or not x.type.signed or x.type.bits > MAX_X_BITS:
        return None
    op = graph.ops[y.id]
    if op.kind != "linear" or tuple(op.args) != (x.id,):
        return None
    weights = np.asarray(op.params["W"], dtype=np.int64)
    if weights.min() < -8 or weights.max() > 7:
        return None
    if op.params["mode"] != "sat":
        return None
    return LinearMatch(x_name, y_name, weights, np.asarray(op.params["b"], dtype=np.int64),
                       x.type.bits, int(op.params["shift"]), y.type.bits,
                       relu=not y.type.signed)


def _scalar_inputs(graph: Graph, n_inputs: int, kind: tuple[str, ...], scalar: bool = True
                   ) -> tuple[Op, str, Value, list[Value]] | None:
    """``(op, y name, y, operand values)`` when ``graph`` is one op of ``kind`` on
    ``n_inputs`` distinct token inputs (no ``first``), each of them and the output one
    word unless ``scalar`` is False; else ``None``."""
    if len(graph.inputs) != n_inputs or len(graph.outputs) != 1 \
            or len(graph.ops) != n_inputs + 1 or FIRST in graph.inputs:
        return None
    (y_name, y), = graph.outputs.items()
    op = graph.ops[y.id]
    if op.kind not in kind or len(set(op.args)) != n_inputs or (scalar and y.dim != 1):
        return None
    vals = [graph.values[i] for i in op.args]
    if any(graph.ops[v.id].kind != "input" or (scalar and v.dim != 1) for v in vals):
        return None
    return op, y_name, y, vals


def _name(graph: Graph, v: Value) -> str:
    """The token word name of input value ``v``."""
    return str(graph.ops[v.id].params["name"])


def _never_saturates(op: Op, a: Value, b: Value, y: Value) -> bool:
    """``a ± b`` (``op``: add or sub) wraps, or its exact range (from the operands'
    ranges) lies in ``y``'s type: the result is ``(a ± b) mod 2^m`` either way."""
    if op.params.get("mode", "sat") != "sat":
        return True
    sub = op.kind == "sub"
    lo = a.lo[0] - b.hi[0] if sub else a.lo[0] + b.lo[0]
    hi = a.hi[0] - b.lo[0] if sub else a.hi[0] + b.hi[0]
    return y.type.lo <= lo and hi <= y.type.hi


@dataclass(frozen=True)
class MultiplyMatch:
    """A graph that is exactly ``y = a * b`` of two scalar words, with an output type
    that holds every product (no shift, so saturation never acts)."""

    a_name: str
    b_name: str
    y_name: str
    a_bits: int
    b_bits: int
    a_signed: bool
    b_signed: bool
    out_bits: int

    flow = "multiply macro"

    def build(self) -> tuple[Bitstream, object | None]:
        """The macro's bitstream (with I/O map) and its compile report."""
        lay = build_multiply(self.a_bits, self.b_bits, self.out_bits, a_signed=self.a_signed,
                             b_signed=self.b_signed, a_name=self.a_name, b_name=self.b_name,
                             y_name=self.y_name)
        return lay.bitstream, lay.report


def match_multiply(graph: Graph) -> MultiplyMatch | None:
    """``graph`` as a :class:`MultiplyMatch` if it is one ``Graph.mul`` of its two scalar
    inputs with shift 0 and an output range that holds every product, else ``None``."""
    got = _scalar_inputs(graph, 2, ("mul",))
    if got is None:
        return None
    op, y_name, y, (va, vb) = got
    if int(op.params["shift"]) != 0:  # type: ignore[call-overload]
        return None
    prods = [x * z for x in (va.type.lo, va.type.hi) for z in (vb.type.lo, vb.type.hi)]
    if min(prods) < y.type.lo or max(prods) > y.type.hi:
        return None
    return MultiplyMatch(_name(graph, va), _name(graph, vb), y_name, va.type.bits,
                         vb.type.bits, va.type.signed, vb.type.signed, y.type.bits)


@dataclass(frozen=True)
class DotMatch:
    """A graph that is exactly ``y = a . b`` of two vector inputs of ``n`` words, with an
    output type that holds every sum (no shift, so saturation never acts)."""

    a_name: str
    b_name: str
    y_name: str
    n: int
    a_bits: int
    b_bits: int
    a_signed: bool
    b_signed: bool
    out_bits: int

    flow = "dot macro"

    def build(self) -> tuple[Bitstream, object | None]:
        """The macro's bitstream (with I/O map) and its compile report. The narrower
        operand runs diagonally (``a`` of the array): the wider one sets the number of
        stages, and with it the free columns that a later product's ``a`` enters by."""
        a = (self.a_bits, self.a_signed, self.a_name)
        b = (self.b_bits, self.b_signed, self.b_name)
        if a[0] > b[0]:
            a, b = b, a
        lay = build_dot(self.n, a[0], b[0], self.out_bits, a_signed=a[1], b_signed=b[1],
                        a_name=a[2], b_name=b[2], y_name=self.y_name)
        return lay.bitstream, lay.report


def match_dot(graph: Graph) -> DotMatch | None:
    """``graph`` as a :class:`DotMatch` if it is one ``Graph.dot`` of its two vector
    inputs (at least 2 words each, no ``first``) with shift 0 and an output type that
    holds the sum of every product of the declared types, else ``None``."""
    got = _scalar_inputs(graph, 2, ("dot",), scalar=False)
    if got is None:
        return None
    op, y_name, y, (va, vb) = got
    if va.dim < 2 or int(op.params["shift"]) != 0:  # type: ignore[call-overload]
        return None
    lo, hi = dot_range(va.dim, va.type.bits, vb.type.bits, va.type.signed, vb.type.signed)
    if lo < y.type.lo or hi > y.type.hi:
        return None
    return DotMatch(_name(graph, va), _name(graph, vb), y_name, va.dim, va.type.bits,
                    vb.type.bits, va.type.signed, vb.type.signed, y.type.bits)


@dataclass(frozen=True)
class AdderMatch:
    """A graph that is exactly ``y = a + b`` or ``a - b`` of two scalar words of one
    width, whose exact result always fits ``y`` (or wraps): ``(a ± b) mod 2^m``."""

    a_name: str
    b_name: str
    y_name: str
    n: int
    m: int
    sub: bool
    a_signed: bool
    b_signed: bool
    y_signed: bool

    flow = "ripple adder"

    def build(self) -> tuple[Bitstream, object | None]:
        """The one-row ripple adder (:mod:`compiler.macros.adder`); no report."""
        return adder_bitstream(self.n, self.m, sub=self.sub, a_signed=self.a_signed,
                               b_signed=self.b_signed, a_name=self.a_name,
                               b_name=self.b_name, y_name=self.y_name,
                               signed_out=self.y_signed), None


def match_adder(graph: Graph) -> AdderMatch | None:
    """``graph`` as an :class:`AdderMatch` if it is one ``add``/``sub`` of its two scalar
    inputs of equal width (equal signedness too when ``y`` is wider than them) whose
    result never saturates: the exact range of ``a ± b`` (from the inputs' ranges) lies
    in ``y``'s type, or the op wraps. Else ``None``."""
    got = _scalar_inputs(graph, 2, ("add", "sub"))
    if got is None:
        return None
    op, y_name, y, (a, b) = got
    n, m = a.type.bits, y.type.bits
    if b.type.bits != n or (m > n and a.type.signed != b.type.signed):
        return None
    if not _never_saturates(op, a, b, y):
        return None
    return AdderMatch(_name(graph, a), _name(graph, b), y_name, n, m, op.kind == "sub",
                      a.type.signed, b.type.signed, y.type.signed)


@dataclass(frozen=True)
class IncrementerMatch:
    """A graph that is exactly ``y = a ± c`` of two scalar words where ``c`` is 0 or 1
    (the rounding step of ``rshift``), whose exact result always fits ``y`` (or
    wraps)."""

    a_name: str
    c_name: str
    y_name: str
    n: int
    m: int
    c_bits: int
    sub: bool
    a_signed: bool
    y_signed: bool

    flow = "ripple incrementer"

    def build(self) -> tuple[Bitstream, object | None]:
        """The adder row with a carry-in (:func:`~compiler.macros.adder.incrementer_bitstream`);
        no report."""
        return incrementer_bitstream(self.n, self.m, self.c_bits, sub=self.sub,
                                     a_signed=self.a_signed, a_name=self.a_name,
                                     c_name=self.c_name, y_name=self.y_name,
                                     signed_out=self.y_signed), None


def match_incrementer(graph: Graph) -> IncrementerMatch | None:
    """``graph`` as an :class:`IncrementerMatch`: one ``add`` (either operand) or
    ``sub`` (the second) of two scalar inputs where that operand's range is within
    ``[0, 1]`` and its declared width fits the row (at most the other operand's or the
    result's), with a result that never saturates. Else ``None``."""
    got = _scalar_inputs(graph, 2, ("add", "sub"))
    if got is None:
        return None
    op, y_name, y, (a, b) = got
    sub = op.kind == "sub"
    if not (0 <= b.lo[0] and b.hi[0] <= 1):
        if sub or not (0 <= a.lo[0] and a.hi[0] <= 1):
            return None
        a, b = b, a
    if b.type.bits > max(a.type.bits, y.type.bits) or not _never_saturates(op, a, b, y):
        return None
    return IncrementerMatch(_name(graph, a), _name(graph, b), y_name, a.type.bits,
                            y.type.bits, b.type.bits, sub, a.type.signed, y.type.signed)


@dataclass(frozen=True)
class ClampMatch:
    """A graph that is exactly ``y = sat(x, m)`` of one scalar word that can lie outside
    ``y``'s type."""

    x_name: str
    y_name: str
    n: int
    m: int
    in_signed: bool
    out_signed: bool

    flow = "clamp columns"

    def build(self) -> tuple[Bitstream, object | None]:
        """The clamp layout (:mod:`compiler.macros.clamp`); no report."""
        return clamp_bitstream(self.n, self.m, in_signed=self.in_signed,
                               out_signed=self.out_signed, x_name=self.x_name,
                               y_name=self.y_name), None


def match_clamp(graph: Graph) -> ClampMatch | None:
    """``graph`` as a :class:`ClampMatch` if it is one saturating ``fit`` of its one
    scalar input whose type the output cannot hold, else ``None``."""
    got = _scalar_inputs(graph, 1, ("fit",))
    if got is None:
        return None
    op, y_name, y, (x,) = got
    if op.params.get("mode") != "sat":
        return None
    if clamp_is_wiring(x.type.bits, x.type.signed, y.type.bits, y.type.signed):
        return None
    return ClampMatch(_name(graph, x), y_name, x.type.bits,
                      y.type.bits, x.type.signed, y.type.signed)


@dataclass(frozen=True)
class SelectMatch:
    """A graph that is exactly ``y = a if c < 0 else b`` with a one-bit signed ``c``
    and ``a``, ``b`` declared at ``y``'s type."""

    c_name: str
    a_name: str
    b_name: str
    y_name: str
    m: int
    y_signed: bool

    flow = "select row"

    def build(self) -> tuple[Bitstream, object | None]:
        """The select row (:mod:`compiler.macros.select`); no report."""
        return select_bitstream(self.m, c_name=self.c_name, a_name=self.a_name,
                                b_name=self.b_name, y_name=self.y_name,
                                signed_out=self.y_signed), None


def match_select(graph: Graph) -> SelectMatch | None:
    """``graph`` as a :class:`SelectMatch` (one ``select`` of three scalar inputs: a
    one-bit signed condition and two choices of ``y``'s type), else ``None``."""
    got = _scalar_inputs(graph, 3, ("select",))
    if got is None:
        return None
    _, y_name, y, (c, a, b) = got
    if c.type != WordType(1, True) or a.type != y.type or b.type != y.type:
        return None
    return SelectMatch(_name(graph, c), _name(graph, a), _name(graph, b), y_name,
                       y.type.bits, y.type.signed)


@dataclass(frozen=True)
class TableMatch:
    """A graph that is exactly ``y = table[x]`` of one scalar word of at most
    :data:`~compiler.macros.table.MAX_TABLE_BITS` bits."""

    x_name: str
    y_name: str
    table: tuple[int, ...]
    in_bits: int
    out_bits: int
    y_signed: bool

    flow = "table gather"

    def build(self) -> tuple[Bitstream, object | None]:
        """The gather layout (:mod:`compiler.macros.table`); no report."""
        return table_bitstream(self.table, self.in_bits, self.out_bits, x_name=self.x_name,
                               y_name=self.y_name, signed_out=self.y_signed), None


def match_table(graph: Graph) -> TableMatch | None:
    """``graph`` as a :class:`TableMatch` if it is one ``table`` of its one scalar input
    of at most 4 bits, else ``None``."""
    got = _scalar_inputs(graph, 1, ("table",))
    if got is None:
        return None
    op, y_name, y, (x,) = got
    if x.type.bits > MAX_TABLE_BITS:
        return None
    return TableMatch(_name(graph, x), y_name,
                      tuple(int(v) for v in op.params["table"]),  # type: ignore[union-attr]
                      x.type.bits, y.type.bits, y.type.signed)


@dataclass(frozen=True)
class DelayMatch:
    """A graph that is exactly ``y = Delay(x, 1)`` of one token input (gated by
    ``first``): ``words`` words of ``m`` bits."""

    x_name: str
    y_name: str
    m: int
    y_signed: bool
    words: int = 1

    flow = "delay row"

    def build(self) -> tuple[Bitstream, object | None]:
        """The gated delay row (:mod:`compiler.macros.delay`); no report."""
        return delay_bitstream(self.m, x_name=self.x_name, y_name=self.y_name,
                               signed_out=self.y_signed, words=self.words), None


def match_delay(graph: Graph) -> DelayMatch | None:
    """``graph`` as a :class:`DelayMatch` (one ``delay`` by one token of its one token
    input, besides ``first``), else ``None``."""
    if len(graph.inputs) != 2 or FIRST not in graph.inputs or len(graph.outputs) != 1 \
            or len(graph.ops) != 3:
        return None
    (y_name, y), = graph.outputs.items()
    op = graph.ops[y.id]
    (x_name,) = set(graph.inputs) - {FIRST}
    x = graph.inputs[x_name]
    if op.kind != "delay" or op.args != (x.id,) or op.params["k"] != 1:
        return None
    return DelayMatch(x_name, y_name, y.type.bits, y.type.signed, x.dim)


@dataclass(frozen=True)
class RowsMatch:
    """A graph that is exactly ``y = Embed(x, rows)`` of one word of at most
    :data:`~compiler.macros.table.MAX_TABLE_BITS` bits."""

    x_name: str
    y_name: str
    rows: tuple[tuple[int, ...], ...]
    in_bits: int
    bits: int
    y_signed: bool

    flow = "row gather"

    def build(self) -> tuple[Bitstream, object | None]:
        """The gather of all words of a row (:func:`~compiler.macros.table.rows_bitstream`);
        no report."""
        return rows_bitstream(self.rows, self.in_bits, self.bits, x_name=self.x_name,
                              y_name=self.y_name, signed_out=self.y_signed), None


def match_rows(graph: Graph) -> RowsMatch | None:
    """``graph`` as a :class:`RowsMatch` (one ``embed`` of its one input of at most 4
    bits), else ``None``."""
    got = _scalar_inputs(graph, 1, ("embed",), scalar=False)   # y is a row of words
    if got is None:
        return None
    op, y_name, y, (x,) = got
    if x.type.bits > MAX_TABLE_BITS:
        return None
    rows = embed_rows(op.params["table"], x.type.bits)  # type: ignore[arg-type]
    return RowsMatch(_name(graph, x), y_name, tuple(rows), x.type.bits, y.type.bits,
                     y.type.signed)


@dataclass(frozen=True)
class ArgmaxMatch:
    """A graph that is exactly ``y = Argmax(x)`` of one token vector of at least two
    words of at most :data:`~compiler.macros.argmax.MAX_ARGMAX_BITS` bits."""

    x_name: str
    y_name: str
    n: int
    bits: int
    signed: bool

    flow = "argmax chain"

    def build(self) -> tuple[Bitstream, object | None]:
        """The stage chain (:func:`~compiler.macros.argmax.argmax_bitstream`); no
        report."""
        return argmax_bitstream(self.n, self.bits, self.signed, x_name=self.x_name,
                                y_name=self.y_name), None


def match_argmax(graph: Graph) -> ArgmaxMatch | None:
    """``graph`` as an :class:`ArgmaxMatch` (one ``argmax`` of its one token input, a
    vector of 2 or more words), else ``None``."""
    got = _scalar_inputs(graph, 1, ("argmax",), scalar=False)
    if got is None:
        return None
    _, y_name, _, (x,) = got
    if x.dim < 2 or x.type.bits > MAX_ARGMAX_BITS:
        return None
    return ArgmaxMatch(_name(graph, x), y_name, x.dim, x.type.bits, x.type.signed)


@dataclass(frozen=True)
class WiresMatch:
    """A graph of wiring only: every output bit is an input bit (through slices and
    concats), each input bit read at most once, with the same width and sign."""

    inputs: tuple[tuple[str, int], ...]
    outputs: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    signed: frozenset[str]

    flow = "wiring column"

    def build(self) -> tuple[Bitstream, object | None]:
        """The wiring column (:mod:`compiler.macros.wires`); no report."""
        return wires_bitstream(dict(self.inputs), dict(self.outputs), self.signed), None


def match_wires(graph: Graph) -> WiresMatch | None:
    """``graph`` as a :class:`WiresMatch` (no op but inputs, slices and concats; every
    output element is an input element of the same type, none read twice), else
    ``None``."""
    from compiler.lower import word_name

    if not graph.outputs or any(op.kind not in ("input", "slice", "concat")
                                for op in graph.ops):
        return None

    def element(vid: int, i: int) -> tuple[int, int]:
        """The input value and element that element ``i`` of value ``vid`` is."""
        op = graph.ops[vid]
        if op.kind == "slice":
            return element(op.args[0], int(op.params["start"]) + i)  # type: ignore[arg-type]
        if op.kind == "concat":
            for a in op.args:
                if i < graph.values[a].dim:
                    return element(a, i)
                i -= graph.values[a].dim
        return vid, i

    names = {v.id: n for n, v in graph.inputs.items()}
    signed = {word_name(n, i, v.dim) for n, v in graph.inputs.items() if v.signed
              for i in range(v.dim)}
    outputs = []
    read: set[tuple[int, int]] = set()
    for name, v in graph.outputs.items():
        for i in range(v.dim):
            src, j = element(v.id, i)
            s = graph.values[src]
            if s.type != v.type or (src, j) in read:
                return None
            read.add((src, j))
            word = word_name(name, i, v.dim)
            if v.signed:
                signed.add(word)
            outputs.append((word, tuple((word_name(names[src], j, s.dim), b)
                                        for b in range(v.bits))))
    inputs = tuple((word_name(n, i, v.dim), v.bits) for n, v in graph.inputs.items()
                   for i in range(v.dim))
    return WiresMatch(inputs, tuple(outputs), frozenset(signed))


#: what :func:`match_macro` can return
MacroMatch = (LinearMatch | MultiplyMatch | DotMatch | IncrementerMatch | AdderMatch | TableMatch
              | ClampMatch | SelectMatch | DelayMatch | RowsMatch | ArgmaxMatch | WiresMatch)


def match_macro(graph: Graph) -> MacroMatch | None:
    """The first macro that implements ``graph`` exactly, or ``None``."""
    return (match_wires(graph) or match_linear(graph) or match_multiply(graph)
            or match_dot(graph)
            or match_incrementer(graph)
            or match_adder(graph) or match_table(graph) or match_clamp(graph)
            or match_select(graph) or match_delay(graph) or match_rows(graph)
            or match_argmax(graph))
