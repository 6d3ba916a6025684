"""Ops without a block of their own, as several blocks that have one.

A composed program should spend dense blocks (:mod:`compiler.macros`) on every op and the
general place and route on none, but a saturating add, a maximum or a dot product has no
single macro. Each is exactly a short chain of ops that do, joined by wiring (bit
selection costs no cell):

* ``add``/``sub`` that can saturate: the exact sum (ripple adder), then ``sat``;
* ``sat`` (``fit``): the clamp columns (:mod:`compiler.macros.clamp`); ``wrap``, and a
  ``sat`` that its operand's range never triggers, are wiring;
* ``rshift(v, s) = (v >> s) + v[s-1]``: the top bits plus one carry bit (the ripple
  adder with a carry-in, :func:`compiler.macros.adder.incrementer_bitstream`);
* ``max(a, b)``: the exact ``a - b`` (ripple subtractor), whose sign picks ``b`` or
  ``a`` (:meth:`~compiler.ir.Graph.select`, :mod:`compiler.macros.select`); more
  operands fold left;
* ``sum``: a balanced tree of exact additions, then ``sat``/``wrap``;
* ``const_mul(a, c)``: Horner over the canonical signed digits of ``|c|`` (a shift is
  wiring: constant 0 bits below), one exact add/sub per further digit, a negation for
  ``c < 0``, then ``rshift`` and ``sat``;
* ``mul``: the exact product (multiply macro), ``rshift``, ``sat``; ``dot``: the exact
  sum of products in one dot array (the multiply array with every product's stages on
  one accumulator; up to :data:`DOT_MAX_STAGES` stages per array, a tree of exact
  adds over several), ``rshift``, ``sat``;
* ``table`` of an index wider than a gather takes (4 bits) and too large for one
  general-flow block: one gather per pattern of the high index bits
  (:mod:`compiler.macros.table`, patterns the index's range never reaches left out),
  then a tree of selects on those bits (a table small enough stays one block: measured,
  that is denser than gathers and selects with channels between them);
* ``embed``: the same with all words of a row in one gather (the row gather);
* ``argmax``: one block, the argmax chain (:mod:`compiler.macros.argmax`); words wider
  than it takes: a left fold of exact subtractions whose signs select the larger
  element and its index (a constant), moving on only when an element is strictly
  greater (so the lowest index wins a tie);
* ``delay(x, k)``: ``k`` one-token delay rows in a chain (:mod:`compiler.macros.delay`),
  each gated by ``first``: a ``first`` within the last ``k`` tokens zeroes one of them
  (a vector of at most :data:`DELAY_ROW_MAX_BITS` bits in all: one row for all its
  words, else a row per word).

Every intermediate value is exact (its type is the width of its range), so each step
computes what :func:`compiler.ir.reference` computes for the original op, bit for bit;
the stitcher balances the arrival times between the steps. Ops with a constant
operand keep their one-block form.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.arith.multiply import csd
from compiler.compose.blocks import GENERAL_BLOCK_MAX_LUTS
from compiler.compose.instances import Elem, Instance, Src, inst_input
from compiler.ir import (
    FIRST,
    Graph,
    Op,
    Value,
    WordType,
    embed_rows,
    reachable_indices,
    rshift_int,
    type_of_range,
)
from compiler.lower import lower, word_name
from compiler.macros.argmax import MAX_ARGMAX_BITS
from compiler.macros.clamp import clamp_is_wiring
from compiler.macros.multiply import dot_range
from compiler.macros.table import MAX_TABLE_BITS as GATHER_BITS

__all__ = ["DECOMPOSED", "Decomposer", "Scalar"]

#: stages (products x bits of the second operand) of one dot array: its routing time
#: grows with its size, and a few arrays summed by a tree cost little more
DOT_MAX_STAGES = 32

#: the widest vector (bits in all) whose one-token delay is one row of all its words;
#: wider vectors get a row per word
DELAY_ROW_MAX_BITS = 16

#: op kinds that :class:`Decomposer` takes apart
DECOMPOSED = frozenset({"add", "sub", "fit", "rshift", "max", "sum", "mul", "dot", "delay",
                        "table", "embed", "argmax", "const_mul"})


@dataclass(frozen=True)
class Scalar:
    """One word on its way through a decomposition: its bits and its exact range."""

    elem: Elem
    lo: int
    hi: int

    @property
    def bits(self) -> int:
        """Declared width (bits)."""
        return len(self.elem.bits)

    @property
    def signed(self) -> bool:
        """Declared signedness."""
        return self.elem.signed

    def recast(self, t: WordType) -> Scalar:
        """The same value read as type ``t`` (wiring); its range must fit ``t``."""
        assert t.lo <= self.lo and self.hi <= t.hi, (self.lo, self.hi, t)
        return Scalar(Elem(self.elem.extend(t.bits), t.signed), self.lo, self.hi)


def addsub_range(kind: str, a: Scalar, b: Scalar) -> tuple[int, int]:
    """Exact range of ``a + b`` (``kind == "add"``) or ``a - b``."""
    if kind == "add":
        return a.lo + b.lo, a.hi + b.hi
    return a.lo - b.hi, a.hi - b.lo


def _shifted(x: Scalar, k: int) -> Scalar:
    """``x * 2**k`` as wiring: ``k`` constant 0 bits below ``x``'s bits."""
    if k == 0:
        return x
    return Scalar(Elem([("const", 0)] * k + list(x.elem.bits), x.signed), x.lo << k,
                  x.hi << k)


def _constant(value: int) -> Scalar:
    """A constant as a word of constant bit sources (constant cells at its readers)."""
    t = type_of_range(value, value)
    return Scalar(Elem([("const", (value >> b) & 1) for b in range(t.bits)], t.signed),
                  value, value)


def _scalars(elems: list[Elem], v: Value) -> list[Scalar]:
    """The words of value ``v`` as :class:`Scalar` s, with their ranges."""
    return [Scalar(e, lo, hi) for e, lo, hi in zip(elems, v.lo, v.hi, strict=True)]


class Decomposer:
    """Appends the instances of one op's decomposition to ``instances`` (names
    ``op{vid}.{kind}[{element}].{step}``)."""

    def __init__(self, instances: list[Instance], vid: int) -> None:
        self.instances = instances
        self.vid = vid
        self.tag = ""
        self.steps = 0

    # ------------------------------------------------------------- the ops
    def op(self, op: Op, v: Value, operands: list[list[Elem]], args: list[Value]
           ) -> list[Elem]:
        """The elements of ``v = op(args)``: one decomposition per element (one in all
        for ``dot``, ``embed`` and ``argmax``)."""
        k, p = op.kind, op.params
        # an operand's bits as its declared type (a concat keeps each part's own width;
        # a table's index width is part of its meaning)
        operands = [[Elem(el.extend(a.bits), a.signed) for el in elems]
                    for elems, a in zip(operands, args, strict=True)]
        if k == "dot":
            self.tag = f"op{self.vid}.dot"
            pairs = list(zip(_scalars(operands[0], args[0]), _scalars(operands[1], args[1]),
                             strict=True))
            # one dot array per chunk of products (an array's stages grow with its
            # products and bits), a tree of exact adds over the chunks
            per = max(1, DOT_MAX_STAGES // max(y.bits for _x, y in pairs))
            parts = [self._dot(pairs[c:c + per]) for c in range(0, len(pairs), per)]
            total = self._rshift(self._sum(parts), int(p["shift"]))  # type: ignore[arg-type]
            r = self._fit(total, v.type, str(p["mode"]))
            return [Scalar(r.elem, v.lo[0], v.hi[0]).recast(v.type).elem]
        if k == "embed":
            self.tag = f"op{self.vid}.embed"
            ids, = _scalars(operands[0], args[0])
            got = self._rows(ids, embed_rows(p["table"], ids.bits), v.type)  # type: ignore[arg-type]
            return [Scalar(r.elem, lo, hi).recast(v.type).elem
                    for r, lo, hi in zip(got, v.lo, v.hi, strict=True)]
        if k == "delay" and 1 < v.dim and v.dim * v.bits <= DELAY_ROW_MAX_BITS:
            self.tag = f"op{self.vid}.delay"
            cur = _scalars(operands[0], args[0])
            for _ in range(int(p["k"])):  # type: ignore[call-overload]
                cur = self._delay_row(cur, args[0].type)
            return [c.recast(v.type).elem for c in cur]
        if k == "argmax":
            self.tag = f"op{self.vid}.argmax"
            xs = _scalars(operands[0], args[0])
            if len(xs) >= 2 and args[0].type.bits <= MAX_ARGMAX_BITS:
                return [self._argmax_chain(xs, args[0].type).recast(v.type).elem]
            return [self._argmax(xs).recast(v.type).elem]
        out = []
        for e in range(v.dim):
            self.tag = f"op{self.vid}.{k}[{e}]"
            ws = [Scalar(operands[j][e], a.lo[e], a.hi[e]) for j, a in enumerate(args)]
            pe = dict(p)
            if k == "const_mul":                    # one constant per element
                pe["c"] = (p["c"][e],)  # type: ignore[index]
            r = self._element(k, pe, ws, v.type)
            # the op's own range: a step's range may be wider (a max's choice holds the
            # range of both operands), the value is the op's all the same
            out.append(Scalar(r.elem, v.lo[e], v.hi[e]).recast(v.type).elem)
        return out

    def _element(self, k: str, p: dict[str, object], ws: list[Scalar], t: WordType
                 ) -> Scalar:
        mode = str(p.get("mode", "sat"))
        if k in ("add", "sub"):
            lo, hi = addsub_range(k, *ws)
            if mode == "wrap" or (t.lo <= lo and hi <= t.hi):
                return self._prim(k, ws, t, {"mode": mode})
            return self._fit(self._prim(k, ws, None, {}), t, mode)
        if k == "fit":
            return self._fit(ws[0], t, mode)
        if k == "rshift":
            return self._rshift(ws[0], int(p["s"]))  # type: ignore[call-overload]
        if k == "max":
            cur = ws[0]
            for x in ws[1:]:
                sign = self._less(cur, x)
                if isinstance(sign, bool):
                    cur = x if sign else cur
                else:
                    cur = self._prim("select", [sign, x, cur], None, {})
            return cur
        if k == "sum":
            return self._fit(self._sum(ws), t, mode)
        if k == "table":
            return self._table(ws[0], tuple(p["table"]), t)  # type: ignore[arg-type]
        if k == "delay":
            cur = ws[0]
            for _ in range(int(p["k"])):  # type: ignore[call-overload]
                cur = self._prim("delay", [cur], None, {})
            return cur
        if k == "const_mul":
            c = int(p["c"][0])  # type: ignore[index]
            return self._fit(self._rshift(self._const_mul(ws[0], c),
                                          int(p["shift"])), t, mode)  # type: ignore[call-overload]
        if k == "mul":
            s = int(p["shift"])  # type: ignore[call-overload]
            a, b = ws
            prods = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
            if s == 0 and t.lo <= min(prods) and max(prods) <= t.hi:
                return self._prim("mul", ws, t, {"mode": mode})
            return self._fit(self._rshift(self._prim("mul", ws, None, {}), s), t, mode)
        raise AssertionError(f"no decomposition of {k}")  # pragma: no cover

    # ------------------------------------------------------------- steps
    def _fit(self, x: Scalar, t: WordType, mode: str) -> Scalar:
        """``sat``/``wrap`` of ``x`` into ``t``: wiring unless a clamp can act."""
        if t.lo <= x.lo and x.hi <= t.hi:
            return x.recast(t)
        if mode == "wrap":
            lo, hi = t.fit_range(x.lo, x.hi, "wrap")
            return Scalar(Elem(x.elem.extend(t.bits), t.signed), lo, hi)
        assert not clamp_is_wiring(x.bits, x.signed, t.bits, t.signed)
        return self._prim("fit", [x], t, {"mode": "sat"})

    def _rshift(self, x: Scalar, s: int) -> Scalar:
        """DESIGN ``rshift(x, s)``: ``x``'s bits from ``s`` up plus bit ``s - 1``."""
        if s == 0:
            return x
        lo, hi = rshift_int(x.lo, s), rshift_int(x.hi, s)
        if lo == hi:                # the range decides it: constant cells, no block
            return _constant(lo)
        if s >= x.bits:
            # a signed x, or s > n, rounds to a constant (above); what is left is an
            # unsigned x and s == n: the result is its top bit
            assert not x.signed and s == x.bits, (x, s)
            return Scalar(Elem([x.elem.bits[-1]], False), lo, hi)
        top = Scalar(Elem(x.elem.bits[s:], x.signed), x.lo >> s, x.hi >> s)
        carry = Scalar(Elem([x.elem.bits[s - 1]], False), 0, 1)
        r = self._prim("add", [top, carry], None, {})
        return Scalar(r.elem, lo, hi)

    def _table(self, x: Scalar, table: tuple[int, ...], t: WordType) -> Scalar:
        """``table[x mod 2**bits]``: gathers on the low bits, selects on the high ones."""
        return self._rows(x, [(v,) for v in table], t)[0]

    def _rows(self, x: Scalar, rows: list[tuple[int, ...]], t: WordType) -> list[Scalar]:
        """Row ``x mod 2**bits`` of ``rows`` (``2**bits`` rows of ``d`` words of type
        ``t``): one gather per reachable pattern of the index bits above the fourth
        (all words of a row in one), then per word a tree of selects on those bits."""
        d = len(rows[0])
        kind = "table" if d == 1 else "embed"

        def param(part: list[tuple[int, ...]]) -> dict[str, object]:
            return {"table": tuple(r[0] for r in part) if d == 1 else tuple(part)}

        def gather(idx: Scalar, part: list[tuple[int, ...]]) -> list[Scalar]:
            return self._prims(kind, [idx], t, param(part))

        if x.bits <= GATHER_BITS or self._fits_general_flow(kind, x, param(rows), t):
            return gather(x, rows)
        low = Scalar(Elem(x.elem.bits[:GATHER_BITS], False), 0, (1 << GATHER_BITS) - 1)
        reach = {i >> GATHER_BITS for i in reachable_indices(x.lo, x.hi, x.bits)}
        size = 1 << GATHER_BITS
        branches: list[list[Scalar] | None] = [
            gather(low, rows[h * size:(h + 1) * size]) if h in reach else None
            for h in range(1 << (x.bits - GATHER_BITS))]
        for j in range(GATHER_BITS, x.bits):       # one level of selects per high bit
            bit = Scalar(Elem([x.elem.bits[j]], True), -1, 0)
            nxt: list[list[Scalar] | None] = []
            for zero, one in zip(branches[0::2], branches[1::2], strict=True):
                if zero is None or one is None:
                    nxt.append(one if zero is None else zero)
                else:
                    nxt.append([self._prim("select", [bit, o, z], None, {})
                                for o, z in zip(one, zero, strict=True)])
            branches = nxt
        assert branches[0] is not None
        return branches[0]

    def _fits_general_flow(self, kind: str, x: Scalar, params: dict[str, object],
                           t: WordType) -> bool:
        """A wide table small enough for one general-flow block: measured, that block is
        denser than gathers and selects stitched together (their channels cost more
        than the table's LUTs)."""
        g, _, _ = self._instance_graph(kind, [x], t, params)
        luts = sum(1 for node in lower(g).netlist.nodes if node.kind == "lut")
        return luts <= GENERAL_BLOCK_MAX_LUTS

    def _delay_row(self, ws: list[Scalar], t: WordType) -> list[Scalar]:
        """``ws`` one token later (zero across a ``first``) as one delay row of all the
        words side by side (:func:`compiler.macros.delay.delay_bitstream`)."""
        g = Graph()
        d = len(ws)
        x = inst_input(g, "i0", d, t, tuple(w.lo for w in ws), tuple(w.hi for w in ws))
        g.output("y", g.delay(x, 1))
        bindings = {word_name("i0", j, d): w.elem.extend(t.bits) for j, w in enumerate(ws)}
        bindings[FIRST] = [("in", FIRST, 0)]
        idx = self._instance("delay", g, bindings)
        return [Scalar(Elem([("blk", idx, word_name("y", j, d), b) for b in range(t.bits)],
                            t.signed), min(w.lo, 0), max(w.hi, 0))
                for j, w in enumerate(ws)]

    def _argmax_chain(self, xs: list[Scalar], t: WordType) -> Scalar:
        """Index of the largest of ``xs`` (the lowest on ties) as one block, the argmax
        chain (:mod:`compiler.macros.argmax`), its words read at type ``t``."""
        g = Graph()
        n = len(xs)
        x = inst_input(g, "i0", n, t, tuple(w.lo for w in xs), tuple(w.hi for w in xs))
        y = g.argmax(x)
        g.output("y", y)
        idx = self._instance("argmax", g, {word_name("i0", j, n): w.elem.extend(t.bits)
                                           for j, w in enumerate(xs)})
        return Scalar(Elem([("blk", idx, "y", b) for b in range(y.bits)], False), 0, n - 1)

    def _argmax(self, xs: list[Scalar]) -> Scalar:
        """Index of the largest of ``xs`` (the lowest on ties), in ``[0, len - 1]``."""
        best, idx = xs[0], _constant(0)
        for i, x in enumerate(xs[1:], start=1):
            sign = self._less(best, x)                   # x strictly greater: move on
            if isinstance(sign, bool):
                best, idx = (x, _constant(i)) if sign else (best, idx)
            else:
                best = self._prim("select", [sign, x, best], None, {})
                idx = self._prim("select", [sign, _constant(i), idx], None, {})
        return Scalar(idx.elem, 0, len(xs) - 1)

    def _less(self, a: Scalar, b: Scalar) -> Scalar | bool:
        """``a < b``: a bool when the ranges decide it (no block), else the sign bit of
        the exact ``a - b`` (a ripple subtractor) as a one-bit signed word."""
        lo, hi = addsub_range("sub", a, b)
        if lo >= 0 or hi < 0:
            return hi < 0
        d = self._prim("sub", [a, b], None, {})
        return Scalar(Elem([d.elem.bits[-1]], True), -1, 0)

    def _const_mul(self, a: Scalar, c: int) -> Scalar:
        """The exact ``a * c``: Horner over the signed digits of ``|c|`` from the top
        (+1): ``v = v * 2**gap ± a``, then ``0 - v`` when ``c < 0``."""
        if c == 0:
            return _constant(0)
        digits = sorted(csd(abs(c)), reverse=True)     # (exponent, ±1), top first
        v, top = a, digits[0][0]
        prev = top
        for e, d in digits[1:]:
            v = self._prim("add" if d > 0 else "sub", [_shifted(v, prev - e), a], None, {})
            prev = e
        v = _shifted(v, prev)
        if c < 0:
            v = self._prim("sub", [_constant(0), v], None, {})
        return v

    def _dot(self, pairs: list[tuple[Scalar, Scalar]]) -> Scalar:
        """The exact ``sum(x * y)`` of ``pairs``: one dot array (the operands at the
        narrowest type holding every element), or a multiply for one pair."""
        if len(pairs) == 1:
            return self._prim("mul", list(pairs[0]), None, {})
        ta = type_of_range(min(x.lo for x, _ in pairs), max(x.hi for x, _ in pairs))
        tb = type_of_range(min(y.lo for _, y in pairs), max(y.hi for _, y in pairs))
        n = len(pairs)
        t = type_of_range(*dot_range(n, ta.bits, tb.bits, ta.signed, tb.signed))
        g = Graph()
        a = g.input("a", dim=n, bits=ta.bits, signed=ta.signed)
        b = g.input("b", dim=n, bits=tb.bits, signed=tb.signed)
        y = g.dot(a, b, shift=0, bits=t.bits, signed=t.signed)
        g.output("y", y)
        bindings: dict[str, list[Src]] = {}
        for j, (x, z) in enumerate(pairs):
            bindings[word_name("a", j, n)] = x.elem.extend(ta.bits)
            bindings[word_name("b", j, n)] = z.elem.extend(tb.bits)
        idx = self._instance("dot", g, bindings)
        corners = [[u * v for u in (x.lo, x.hi) for v in (z.lo, z.hi)] for x, z in pairs]
        return Scalar(Elem([("blk", idx, "y", k) for k in range(t.bits)], t.signed),
                      sum(map(min, corners)), sum(map(max, corners)))

    def _sum(self, ws: list[Scalar]) -> Scalar:
        """The exact sum of ``ws``: a balanced tree of exact additions."""
        cur = list(ws)
        while len(cur) > 1:
            nxt = [self._prim("add", [cur[j], cur[j + 1]], None, {})
                   for j in range(0, len(cur) - 1, 2)]
            if len(cur) % 2:
                nxt.append(cur[-1])
            cur = nxt
        return cur[0]

    # ------------------------------------------------------------- one block
    def _prim(self, k: str, ws: list[Scalar], t: WordType | None,
              params: dict[str, object]) -> Scalar:
        """One instance computing ``k`` on ``ws`` (result type ``t``, or exact when
        ``None``); its (one-word) output as a :class:`Scalar`."""
        return self._prims(k, ws, t, params)[0]

    def _prims(self, k: str, ws: list[Scalar], t: WordType | None,
               params: dict[str, object]) -> list[Scalar]:
        """:meth:`_prim` for an op of several output words (``embed``)."""
        g, bindings, y = self._instance_graph(k, ws, t, params)
        idx = self._instance(k, g, bindings)
        return [Scalar(Elem([("blk", idx, word_name("y", i, y.dim), b) for b in range(y.bits)],
                            y.signed), y.lo[i], y.hi[i]) for i in range(y.dim)]

    def _instance(self, k: str, g: Graph, bindings: dict[str, list[Src]]) -> int:
        """Append the next step, an instance of graph ``g`` (named after ``k``); its
        index."""
        self.steps += 1
        self.instances.append(Instance(f"{self.tag}.{self.steps}{k}", self.vid, None, g,
                                       bindings))
        return len(self.instances) - 1

    def _instance_graph(self, k: str, ws: list[Scalar], t: WordType | None,
                        params: dict[str, object]
                        ) -> tuple[Graph, dict[str, list[Src]], Value]:
        """The graph of one instance computing ``k`` on ``ws``, its bindings, its
        output."""
        g = Graph()
        bindings: dict[str, list[Src]] = {}
        types = self._input_types(k, ws, t)
        vals = []
        for j, (w, ti) in enumerate(zip(ws, types, strict=True)):
            name = f"i{j}"
            vals.append(inst_input(g, name, 1, ti, (w.lo,), (w.hi,)))
            bindings[word_name(name, 0, 1)] = w.elem.extend(ti.bits)
        if k == "mul" and t is None:
            # every product of the declared types: what the multiply macro lays out
            corners = [x * y for x in (types[0].lo, types[0].hi)
                       for y in (types[1].lo, types[1].hi)]
            t = type_of_range(min(corners), max(corners))
        bits = None if t is None else t.bits
        signed = True if t is None else t.signed
        mode = str(params.get("mode", "sat"))
        if k == "add":
            y = g.add(vals[0], vals[1], bits=bits, signed=signed, mode=mode)
        elif k == "sub":
            y = g.sub(vals[0], vals[1], bits=bits, signed=signed, mode=mode)
        elif k == "mul":
            y = g.mul(vals[0], vals[1], shift=0, bits=bits, signed=signed, mode=mode)
        elif k == "select":
            y = g.select(vals[0], vals[1], vals[2])
        elif k == "fit":
            assert t is not None
            y = g.sat(vals[0], t.bits, t.signed)
        elif k == "rshift":
            y = g.rshift(vals[0], int(params["s"]))  # type: ignore[call-overload]
        elif k == "table":
            assert t is not None
            y = g.table(vals[0], params["table"], t.bits, t.signed)  # type: ignore[arg-type]
        elif k == "embed":
            assert t is not None
            y = g.embed(vals[0], params["table"], t.bits, t.signed)  # type: ignore[arg-type]
        elif k == "delay":
            y = g.delay(vals[0], 1)
            bindings[FIRST] = [("in", FIRST, 0)]
        else:  # pragma: no cover
            raise AssertionError(k)
        g.output("y", y)
        return g, bindings, y

    @staticmethod
    def _input_types(k: str, ws: list[Scalar], t: WordType | None) -> list[WordType]:
        """Declared operand types: an add/sub's operands at one width and signedness
        (at least the result's width), so that the one-row ripple adder fits; a
        select's choices at the result's type; others at the narrowest type of their
        range (a multiply macro is sized by its operands' types)."""
        if k in ("table", "embed"):   # the index's declared width is part of the op
            return [WordType(w.bits, w.signed) for w in ws]
        exact = [type_of_range(w.lo, w.hi) for w in ws]
        if k in ("add", "sub"):
            ta, tb = exact
            out = t if t is not None else type_of_range(*addsub_range(k, *ws))
            if ta.signed == tb.signed:
                n = max(ta.bits, tb.bits, out.bits)
                return [WordType(n, ta.signed)] * 2
            n = max(ta.bits + (not ta.signed), tb.bits + (not tb.signed), out.bits)
            return [WordType(n, True)] * 2
        if k == "select":
            c, a, b = ws
            ty = type_of_range(min(a.lo, b.lo), max(a.hi, b.hi))
            return [WordType(1, True), ty, ty]
        return exact
