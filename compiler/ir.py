"""Word-level integer graph and its numpy reference (DESIGN §5).

A :class:`Graph` is built op by op; every op returns a :class:`Value`, a vector of
``dim`` integer words of one :class:`WordType` (bit width, signed or unsigned).
Every value also carries an exact per-element range ``lo[i] <= v <= hi[i]``
derived by interval arithmetic from the input types, which lowering uses to spend
no bit on what cannot happen.

Word definitions (the single source of truth, see :func:`reference`):

* ``rshift(v, s) = floor((v + 2**(s-1)) / 2**s)`` for ``s > 0``, ``v`` for ``s == 0``;
* ``sat`` clamps to the type range (``[-2**(b-1), 2**(b-1)-1]`` signed,
  ``[0, 2**b-1]`` unsigned); ``wrap`` keeps the low ``b`` bits (two's complement);
* ops with an output type take ``mode="sat"`` (the DESIGN default) or ``"wrap"``;
  with ``bits=None`` the exact type of the result is inferred and nothing clamps;
* ``Table``: ``table[x mod 2**bx]`` with ``bx`` the declared width of ``x``;
* ``Delay(x, k)``: ``x`` of token ``t-k``, or 0 when ``t < k`` or any token in
  ``t-k+1 .. t`` has ``first`` set. Every token carries the 1-bit ``first`` flag,
  token word ``"first"`` (see :meth:`Graph.first`);
* ``Embed(ids, table[vocab][d])``: row ``ids mod 2**b`` of the table (``b`` the
  declared width of ``ids``); rows at or beyond ``vocab`` read as zeros;
* ``Argmax(x)``: the index of the largest element of ``x``, the lowest on ties;
* ``select(c, a, b)``: ``a`` where ``c < 0``, else ``b`` (compiler-internal: ``max``
  and ``argmax`` become a subtraction and this choice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "FIRST",
    "Graph",
    "GraphError",
    "Op",
    "Value",
    "WordType",
    "embed_rows",
    "reachable_indices",
    "reference",
    "rshift_int",
    "type_of_range",
    "width_for",
]

FIRST = "first"
Mode = Literal["sat", "wrap"]
MAX_BITS = 62  # every intermediate range must fit int64 with headroom


class GraphError(ValueError):
    """A malformed word graph (bad widths, shapes, constants, unknown values...)."""


def width_for(lo: int, hi: int) -> tuple[int, bool]:
    """Smallest ``(bits, signed)`` representing every integer in ``[lo, hi]``.

    Unsigned when ``lo >= 0`` (the range ``[0, 0]`` needs 0 bits).
    """
    if lo > hi:
        raise GraphError(f"empty range [{lo}, {hi}]")
    if lo >= 0:
        return hi.bit_length(), False
    n = max((-lo - 1).bit_length(), hi.bit_length() if hi > 0 else 0) + 1
    return n, True


def rshift_int(v: int, s: int) -> int:
    """DESIGN ``rshift`` on a Python int."""
    return v if s == 0 else (v + (1 << (s - 1))) >> s


@dataclass(frozen=True)
class WordType:
    """A word of ``bits`` bits, two's complement if ``signed``."""

    bits: int
    signed: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.bits, int) or isinstance(self.bits, bool) or self.bits < 1:
            raise GraphError(f"word width must be an int >= 1, got {self.bits!r}")
        if self.bits > MAX_BITS:
            raise GraphError(f"word width {self.bits} exceeds the supported {MAX_BITS} bits")

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def fit_int(self, v: int, mode: Mode) -> int:
        """Clamp (``sat``) or wrap ``v`` into this type."""
        if mode == "sat":
            return min(max(v, self.lo), self.hi)
        v &= (1 << self.bits) - 1
        if self.signed and v >> (self.bits - 1):
            v -= 1 << self.bits
        return v

    def fit_range(self, lo: int, hi: int, mode: Mode) -> tuple[int, int]:
        """Exact range of ``fit(v)`` for ``v`` in ``[lo, hi]``."""
        if mode == "sat":
            return self.fit_int(lo, "sat"), self.fit_int(hi, "sat")
        if self.lo <= lo and hi <= self.hi:
            return lo, hi
        a, b = self.fit_int(lo, "wrap"), self.fit_int(hi, "wrap")
        if hi - lo < (1 << self.bits) and a <= b:
            return a, b
        return self.lo, self.hi

    def __str__(self) -> str:
        return f"{'s' if self.signed else 'u'}{self.bits}"


def type_of_range(lo: int, hi: int) -> WordType:
    """The narrowest type holding ``[lo, hi]`` (at least one bit)."""
    n, signed = width_for(lo, hi)
    return WordType(max(n, 1), signed)


@dataclass(frozen=True)
class Op:
    """One graph node: ``kind`` names the op, ``args`` are value ids, ``params`` the rest.

    Kinds and params: ``input`` (name), ``const`` (values), ``add``/``sub`` (mode),
    ``const_mul`` (c, shift, mode), ``mul`` (shift, mode), ``max``, ``table`` (table),
    ``delay`` (k), ``rshift`` (s), ``fit`` (mode), ``sum`` (mode), ``linear`` (W, b,
    shift, mode), ``dot`` (shift, mode), ``slice`` (start, stop), ``concat``.
    """

    kind: str
    args: tuple[int, ...]
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Value:
    """Handle to a node's result: ``dim`` words of type ``type``, element ranges lo/hi."""

    graph: int
    id: int
    dim: int
    type: WordType
    lo: tuple[int, ...]
    hi: tuple[int, ...]

    @property
    def bits(self) -> int:
        return self.type.bits

    @property
    def signed(self) -> bool:
        return self.type.signed


def _as_int_tuple(xs: object, what: str) -> tuple[int, ...]:
    arr = np.asarray(xs)
    if arr.dtype.kind not in "iub":
        if arr.dtype == object and all(isinstance(x, int) for x in arr.ravel()):
            pass
        else:
            raise GraphError(f"{what}: expected integers, got dtype {arr.dtype}")
    return tuple(int(x) for x in arr.ravel())


class Graph:
    """Builder of a word-level graph. Ops are methods; each returns a :class:`Value`."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.values: list[Value] = []
        self.outputs: dict[str, Value] = {}
        self.inputs: dict[str, Value] = {}

    # ------------------------------------------------------------- internals
    def _v(self, v: object, what: str) -> Value:
        if not isinstance(v, Value):
            raise GraphError(f"{what}: expected a Value of this graph, got {type(v).__name__}")
        if v.graph != id(self):
            raise GraphError(f"{what}: value {v.id} belongs to another graph")
        return v

    def _push(self, kind: str, args: Sequence[Value], params: dict[str, object], dim: int,
              lo: Sequence[int], hi: Sequence[int], wtype: WordType | None = None) -> Value:
        lo_t = tuple(int(x) for x in lo)
        hi_t = tuple(int(x) for x in hi)
        if wtype is None:
            wtype = type_of_range(min(lo_t), max(hi_t))
        for a, b in zip(lo_t, hi_t, strict=True):
            if not (wtype.lo <= a <= b <= wtype.hi):
                raise GraphError(f"{kind}: internal range [{a}, {b}] outside type {wtype}")
        v = Value(id(self), len(self.ops), dim, wtype, lo_t, hi_t)
        self.ops.append(Op(kind, tuple(a.id for a in args), params))
        self.values.append(v)
        return v

    def append(self, kind: str, args: Sequence[Value], params: Mapping[str, object],
               lo: Sequence[int], hi: Sequence[int], wtype: WordType) -> Value:
        """Append op ``kind`` whose result has the element ranges ``lo``/``hi`` and the
        type ``wtype`` as given, not inferred: for rewrites that copy ops from another
        graph, which vouch that these are the op's exact ranges (an ``input`` op also
        declares its token word). Raises ``GraphError`` for ranges outside the type."""
        vs = [self._v(a, f"{kind} operand {i}") for i, a in enumerate(args)]
        v = self._push(kind, vs, dict(params), len(lo), lo, hi, wtype)
        if kind == "input":
            name = str(params["name"])
            if name in self.inputs:
                raise GraphError(f"input {name!r} declared twice")
            self.inputs[name] = v
        return v

    @staticmethod
    def _mode(mode: str, what: str) -> Mode:
        if mode not in ("sat", "wrap"):
            raise GraphError(f"{what}: mode must be 'sat' or 'wrap', got {mode!r}")
        return mode  # type: ignore[return-value]

    def _finish(self, kind: str, args: Sequence[Value], params: dict[str, object],
                lo: Sequence[int], hi: Sequence[int], bits: int | None, signed: bool,
                mode: str) -> Value:
        """Apply the declared output type (or infer it) to exact ranges lo/hi."""
        for a, b in zip(lo, hi, strict=True):
            if max(abs(a), abs(b)) >= 1 << MAX_BITS:
                raise GraphError(f"{kind}: intermediate range [{a}, {b}] exceeds "
                                 f"{MAX_BITS} bits")
        m = self._mode(mode, kind)
        params = {**params, "mode": m}
        if bits is None:
            return self._push(kind, args, params, len(lo), lo, hi)
        t = WordType(bits, signed)
        rng = [t.fit_range(a, b, m) for a, b in zip(lo, hi, strict=True)]
        return self._push(kind, args, params, len(lo), [r[0] for r in rng],
                          [r[1] for r in rng], t)

    @staticmethod
    def _same_dim(kind: str, *vs: Value) -> int:
        dims = {v.dim for v in vs}
        if len(dims) != 1:
            raise GraphError(f"{kind}: operands have different dims {[v.dim for v in vs]}")
        return dims.pop()

    @staticmethod
    def _shift(s: object, what: str) -> int:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise GraphError(f"{what}: shift must be an int >= 0, got {s!r}")
        return int(s)

    # ------------------------------------------------------------- inputs
    def input(self, name: str, dim: int = 1, bits: int = 8, signed: bool = True) -> Value:
        """Token input vector ``name`` of ``dim`` words (``"first"`` is reserved)."""
        if not isinstance(name, str) or not name or "[" in name or "@" in name:
            raise GraphError(f"input name must be a non-empty str without '[' or '@' (they "
                             f"mark vector elements and extra feeds), got {name!r}")
        if name == FIRST:
            raise GraphError("input name 'first' is reserved: use Graph.first()")
        if name in self.inputs:
            raise GraphError(f"input {name!r} declared twice")
        if not isinstance(dim, int) or dim < 1:
            raise GraphError(f"input {name!r}: dim must be an int >= 1, got {dim!r}")
        t = WordType(bits, signed)
        v = self._push("input", [], {"name": name}, dim, [t.lo] * dim, [t.hi] * dim, t)
        self.inputs[name] = v
        return v

    def first(self) -> Value:
        """The token's 1-bit unsigned ``first`` flag (token word ``"first"``)."""
        if FIRST not in self.inputs:
            t = WordType(1, False)
            self.inputs[FIRST] = self._push("input", [], {"name": FIRST}, 1, [0], [1], t)
        return self.inputs[FIRST]

    def const(self, values: int | Sequence[int], bits: int | None = None,
              signed: bool = True) -> Value:
        """Constant vector (a scalar gives dim 1); type inferred unless ``bits`` given."""
        vals = _as_int_tuple([values] if isinstance(values, int) else values, "const")
        if not vals:
            raise GraphError("const: empty vector")
        t = WordType(bits, signed) if bits is not None else None
        if t is not None and any(not t.lo <= x <= t.hi for x in vals):
            raise GraphError(f"const: values {vals} do not fit {t}")
        return self._push("const", [], {"values": vals}, len(vals), vals, vals, t)

    # ------------------------------------------------------------- arithmetic
    def add(self, a: Value, b: Value, bits: int | None = None, signed: bool = True,
            mode: str = "sat") -> Value:
        """Elementwise ``fit(a + b)``."""
        a, b = self._v(a, "add a"), self._v(b, "add b")
        self._same_dim("add", a, b)
        return self._finish("add", [a, b], {}, [x + y for x, y in zip(a.lo, b.lo, strict=False)],
                            [x + y for x, y in zip(a.hi, b.hi, strict=False)], bits, signed, mode)

    def sub(self, a: Value, b: Value, bits: int | None = None, signed: bool = True,
            mode: str = "sat") -> Value:
        """Elementwise ``fit(a - b)``."""
        a, b = self._v(a, "sub a"), self._v(b, "sub b")
        self._same_dim("sub", a, b)
        return self._finish("sub", [a, b], {}, [x - y for x, y in zip(a.lo, b.hi, strict=False)],
                            [x - y for x, y in zip(a.hi, b.lo, strict=False)], bits, signed, mode)

    def const_mul(self, a: Value, c: int | Sequence[int], shift: int = 0,
                  bits: int | None = None, signed: bool = True, mode: str = "sat") -> Value:
        """Elementwise ``fit(rshift(a * c, shift))``; ``c`` a scalar or one per element."""
        a = self._v(a, "const_mul a")
        cs = _as_int_tuple([c] * a.dim if isinstance(c, (int, np.integer)) else c,
                           "const_mul c")
        if len(cs) != a.dim:
            raise GraphError(f"const_mul: {len(cs)} constants for dim {a.dim}")
        s = self._shift(shift, "const_mul")
        lo, hi = [], []
        for x0, x1, k in zip(a.lo, a.hi, cs, strict=False):
            p = (x0 * k, x1 * k)
            lo.append(rshift_int(min(p), s))
            hi.append(rshift_int(max(p), s))
        return self._finish("const_mul", [a], {"c": cs, "shift": s}, lo, hi, bits, signed,
                            mode)

    def mul(self, a: Value, b: Value, shift: int = 0, bits: int | None = None,
            signed: bool = True, mode: str = "sat") -> Value:
        """Elementwise ``fit(rshift(a * b, shift))`` of two variables."""
        a, b = self._v(a, "mul a"), self._v(b, "mul b")
        self._same_dim("mul", a, b)
        s = self._shift(shift, "mul")
        lo, hi = [], []
        for a0, a1, b0, b1 in zip(a.lo, a.hi, b.lo, b.hi, strict=False):
            p = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
            lo.append(rshift_int(min(p), s))
            hi.append(rshift_int(max(p), s))
        return self._finish("mul", [a, b], {"shift": s}, lo, hi, bits, signed, mode)

    def max(self, *xs: Value) -> Value:
        """Elementwise maximum of equally shaped operands (type inferred)."""
        if len(xs) == 1 and isinstance(xs[0], (list, tuple)):
            xs = tuple(xs[0])
        if not xs:
            raise GraphError("max: no operands")
        vs = [self._v(x, f"max operand {i}") for i, x in enumerate(xs)]
        dim = self._same_dim("max", *vs)
        lo = [max(v.lo[i] for v in vs) for i in range(dim)]
        hi = [max(v.hi[i] for v in vs) for i in range(dim)]
        return self._push("max", vs, {}, dim, lo, hi)

    def select(self, c: Value, a: Value, b: Value) -> Value:
        """Elementwise ``a if c < 0 else b`` (type inferred from both ranges). The
        compiler decomposes ``max`` into a subtraction and this choice."""
        c, a, b = self._v(c, "select c"), self._v(a, "select a"), self._v(b, "select b")
        dim = self._same_dim("select", c, a, b)
        lo, hi = [], []
        for i in range(dim):
            picks = ([(a.lo[i], a.hi[i])] if c.lo[i] < 0 else []) + \
                ([(b.lo[i], b.hi[i])] if c.hi[i] >= 0 else [])
            lo.append(min(p[0] for p in picks))
            hi.append(max(p[1] for p in picks))
        return self._push("select", [c, a, b], {}, dim, lo, hi)

    def embed(self, ids: Value, table: Sequence[Sequence[int]] | np.ndarray, bits: int,
              signed: bool = True) -> Value:
        """Row ``ids`` of ``table`` (``vocab x d`` entries of ``bits`` bits): a vector of
        ``d`` words. ``ids`` is one word; rows at or beyond ``vocab`` (an id its width
        allows but the table lacks) read as zeros."""
        ids = self._v(ids, "embed ids")
        if ids.dim != 1:
            raise GraphError(f"embed: ids must be one word, got dim {ids.dim}")
        tab = np.asarray(table)
        if tab.ndim != 2 or tab.shape[0] < 1 or tab.shape[1] < 1:
            raise GraphError(f"embed: table has shape {tab.shape}, expected (vocab, d)")
        if tab.shape[0] > 1 << ids.bits:
            raise GraphError(f"embed: {tab.shape[0]} rows, but a {ids.bits}-bit id reaches "
                             f"only {1 << ids.bits}")
        rows = tuple(_as_int_tuple(r, "embed table") for r in tab)
        t = WordType(bits, signed)
        for i, r in enumerate(rows):
            bad = [j for j, e in enumerate(r) if not t.lo <= e <= t.hi]
            if bad:
                raise GraphError(f"embed: table row {i} entry {bad[0]} = {r[bad[0]]} does "
                                 f"not fit {t}")
        full = embed_rows(rows, ids.bits)
        reach = [full[i] for i in reachable_indices(ids.lo[0], ids.hi[0], ids.bits)]
        col = list(zip(*reach, strict=True))
        return self._push("embed", [ids], {"table": rows}, len(rows[0]), [min(c) for c in col],
                          [max(c) for c in col], t)

    def argmax(self, x: Value) -> Value:
        """Index of the largest element of ``x`` (the lowest on ties): one unsigned
        word."""
        x = self._v(x, "argmax x")
        t = WordType(max(1, (x.dim - 1).bit_length()), False)
        return self._push("argmax", [x], {}, 1, [0], [x.dim - 1], t)

    def table(self, x: Value, table: Sequence[int], bits: int, signed: bool = True) -> Value:
        """Elementwise ``table[x mod 2**bx]`` (``bx`` = declared width of ``x``)."""
        x = self._v(x, "table x")
        tab = _as_int_tuple(table, "table")
        if len(tab) != 1 << x.bits:
            raise GraphError(f"table: {len(tab)} entries, but a {x.bits}-bit index needs "
                             f"{1 << x.bits}")
        t = WordType(bits, signed)
        bad = [i for i, e in enumerate(tab) if not t.lo <= e <= t.hi]
        if bad:
            raise GraphError(f"table: entry {bad[0]} = {tab[bad[0]]} does not fit {t}")
        lo, hi = [], []
        for x0, x1 in zip(x.lo, x.hi, strict=False):
            idx = reachable_indices(x0, x1, x.bits)
            vals = [tab[i] for i in idx]
            lo.append(min(vals))
            hi.append(max(vals))
        return self._push("table", [x], {"table": tab}, x.dim, lo, hi, t)

    def delay(self, x: Value, k: int) -> Value:
        """``x`` of ``k`` tokens earlier, zeroed across a ``first`` (DESIGN §5)."""
        x = self._v(x, "delay x")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise GraphError(f"delay: k must be an int >= 0, got {k!r}")
        self.first()
        lo = [min(a, 0) for a in x.lo] if k else list(x.lo)
        hi = [max(b, 0) for b in x.hi] if k else list(x.hi)
        return self._push("delay", [x], {"k": int(k)}, x.dim, lo, hi, x.type)

    def rshift(self, x: Value, s: int) -> Value:
        """Elementwise DESIGN ``rshift`` (round half up); type inferred."""
        x = self._v(x, "rshift x")
        s = self._shift(s, "rshift")
        return self._push("rshift", [x], {"s": s}, x.dim, [rshift_int(a, s) for a in x.lo],
                          [rshift_int(b, s) for b in x.hi])

    def sat(self, x: Value, bits: int, signed: bool = True) -> Value:
        """Elementwise clamp into ``bits`` (signed or unsigned)."""
        x = self._v(x, "sat x")
        return self._finish("fit", [x], {}, x.lo, x.hi, bits, signed, "sat")

    def wrap(self, x: Value, bits: int, signed: bool = True) -> Value:
        """Elementwise two's complement wrap into ``bits``."""
        x = self._v(x, "wrap x")
        return self._finish("fit", [x], {}, x.lo, x.hi, bits, signed, "wrap")

    def sum(self, xs: Sequence[Value], bits: int | None = None, signed: bool = True,
            mode: str = "sat") -> Value:
        """Elementwise ``fit(sum(xs))``."""
        if not xs:
            raise GraphError("sum: no operands")
        vs = [self._v(x, f"sum operand {i}") for i, x in enumerate(xs)]
        dim = self._same_dim("sum", *vs)
        lo = [sum(v.lo[i] for v in vs) for i in range(dim)]
        hi = [sum(v.hi[i] for v in vs) for i in range(dim)]
        return self._finish("sum", vs, {}, lo, hi, bits, signed, mode)

    def linear(self, x: Value, W: Sequence[Sequence[int]] | np.ndarray,
               b: Sequence[int] | np.ndarray | None = None, shift: int = 0,
               bits: int | None = 8, signed: bool = True, mode: str = "sat") -> Value:
        """``fit(rshift(W @ x + b, shift))`` with ``W`` of shape ``(d_out, d_in)``."""
        x = self._v(x, "linear x")
        Wa = np.asarray(W)
        if Wa.ndim != 2 or Wa.shape[1] != x.dim or Wa.shape[0] < 1:
            raise GraphError(f"linear: W has shape {Wa.shape}, expected (d_out, {x.dim})")
        d_out = Wa.shape[0]
        Wt = tuple(_as_int_tuple(row, "linear W") for row in Wa)
        bt = (0,) * d_out if b is None else _as_int_tuple(b, "linear b")
        if len(bt) != d_out:
            raise GraphError(f"linear: b has {len(bt)} entries, expected {d_out}")
        s = self._shift(shift, "linear")
        lo, hi = [], []
        for row, bb in zip(Wt, bt, strict=False):
            l0 = h0 = bb
            for w, x0, x1 in zip(row, x.lo, x.hi, strict=False):
                l0 += min(w * x0, w * x1)
                h0 += max(w * x0, w * x1)
            lo.append(rshift_int(l0, s))
            hi.append(rshift_int(h0, s))
        return self._finish("linear", [x], {"W": Wt, "b": bt, "shift": s}, lo, hi, bits,
                            signed, mode)

    def dot(self, a: Value, b: Value, shift: int = 0, bits: int | None = None,
            signed: bool = True, mode: str = "sat") -> Value:
        """``fit(rshift(sum(a * b), shift))``: a dim-1 value."""
        a, b = self._v(a, "dot a"), self._v(b, "dot b")
        self._same_dim("dot", a, b)
        s = self._shift(shift, "dot")
        lo = hi = 0
        for a0, a1, b0, b1 in zip(a.lo, a.hi, b.lo, b.hi, strict=False):
            p = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
            lo += min(p)
            hi += max(p)
        return self._finish("dot", [a, b], {"shift": s}, [rshift_int(lo, s)],
                            [rshift_int(hi, s)], bits, signed, mode)

    # ------------------------------------------------------------- plumbing
    def slice(self, x: Value, start: int, stop: int) -> Value:
        """Elements ``start:stop`` of ``x``."""
        x = self._v(x, "slice x")
        if not 0 <= start < stop <= x.dim:
            raise GraphError(f"slice: [{start}:{stop}] out of range for dim {x.dim}")
        return self._push("slice", [x], {"start": start, "stop": stop}, stop - start,
                          x.lo[start:stop], x.hi[start:stop], x.type)

    def concat(self, xs: Sequence[Value]) -> Value:
        """Concatenation of vectors (type: the smallest holding every operand)."""
        if not xs:
            raise GraphError("concat: no operands")
        vs = [self._v(x, f"concat operand {i}") for i, x in enumerate(xs)]
        lo = [a for v in vs for a in v.lo]
        hi = [b for v in vs for b in v.hi]
        t = type_of_range(min(v.type.lo for v in vs), max(v.type.hi for v in vs))
        return self._push("concat", vs, {}, len(lo), lo, hi, t)

    def output(self, name: str, v: Value) -> None:
        """Declare ``v`` as token output ``name``."""
        v = self._v(v, f"output {name!r}")
        if not isinstance(name, str) or not name or "[" in name:
            raise GraphError(f"output name must be a non-empty str without '[', got {name!r}")
        if name in self.outputs:
            raise GraphError(f"output {name!r} declared twice")
        self.outputs[name] = v


def embed_rows(table: Sequence[Sequence[int]], id_bits: int) -> list[tuple[int, ...]]:
    """An ``embed`` table as all ``2**id_bits`` rows an id can select: the rows beyond
    the vocabulary read as zeros (DESIGN §5 as this compiler defines it)."""
    rows = [tuple(int(v) for v in r) for r in table]
    return rows + [(0,) * len(rows[0])] * ((1 << id_bits) - len(rows))


def reachable_indices(lo: int, hi: int, bits: int) -> list[int]:
    """Table indices ``x mod 2**bits`` for x in [lo, hi]."""
    n = 1 << bits
    if hi - lo + 1 >= n:
        return list(range(n))
    return sorted({x % n for x in range(lo, hi + 1)})


# --------------------------------------------------------------------- reference

def _rshift_arr(v: np.ndarray, s: int) -> np.ndarray:
    return v if s == 0 else (v + (1 << (s - 1))) >> s


def _fit_arr(v: np.ndarray, t: WordType, mode: Mode) -> np.ndarray:
    if mode == "sat":
        return np.clip(v, t.lo, t.hi)
    m = np.int64((1 << t.bits) - 1)
    w = v & m
    if t.signed:
        w = np.where(w >> (t.bits - 1) == 1, w - (1 << t.bits), w)
    return w


def _first_window(first: np.ndarray, k: int) -> np.ndarray:
    """Per token t: is any first set in t-k+1..t (or t < k)."""
    T = first.shape[0]
    c = np.concatenate([[0], np.cumsum(first.astype(np.int64))])
    t = np.arange(T)
    lo = np.maximum(t - k + 1, 0)
    any_first = (c[t + 1] - c[lo]) > 0
    return any_first | (t < k)


def reference(graph: Graph, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate ``graph`` on a token stream, exactly per DESIGN §5.

    ``tokens`` maps each input name to an integer array ``(T, dim)`` (``(T,)`` is
    accepted for dim 1) and ``"first"`` to a 0/1 array ``(T,)`` when the graph uses
    it. Values must lie in their declared types. Returns ``int64`` arrays
    ``(T, dim)`` per output name.
    """
    T: int | None = None
    arrays: dict[str, np.ndarray] = {}
    for name, v in graph.inputs.items():
        if name not in tokens:
            raise GraphError(f"reference: token input {name!r} is missing")
        a = np.asarray(tokens[name]).astype(np.int64)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[1] != v.dim:
            raise GraphError(f"reference: input {name!r} has shape {a.shape}, expected "
                             f"(T, {v.dim})")
        if T is None:
            T = a.shape[0]
        elif a.shape[0] != T:
            raise GraphError(f"reference: input {name!r} has {a.shape[0]} tokens, "
                             f"others {T}")
        if a.size and (a.min() < v.type.lo or a.max() > v.type.hi):
            raise GraphError(f"reference: input {name!r} has values outside {v.type}")
        arrays[name] = a
    if T is None:
        raise GraphError("reference: the graph has no inputs")
    vals: list[np.ndarray] = []
    first = arrays[FIRST][:, 0] if FIRST in arrays else None
    for op, v in zip(graph.ops, graph.values, strict=False):
        args = [vals[i] for i in op.args]
        p = op.params
        mode = p.get("mode", "sat")
        k = op.kind
        if k == "input":
            r = arrays[p["name"]]  # type: ignore[index]
        elif k == "const":
            r = np.broadcast_to(np.array(p["values"], dtype=np.int64), (T, v.dim))
        elif k == "add":
            r = args[0] + args[1]
        elif k == "sub":
            r = args[0] - args[1]
        elif k == "const_mul":
            r = _rshift_arr(args[0] * np.array(p["c"], dtype=np.int64), p["shift"])
        elif k == "mul":
            r = _rshift_arr(args[0] * args[1], p["shift"])  # type: ignore[arg-type]
        elif k == "max":
            r = np.maximum.reduce(args)
        elif k == "select":
            r = np.where(args[0] < 0, args[1], args[2])
        elif k == "embed":
            id_bits = graph.values[op.args[0]].bits
            tab = np.array(embed_rows(p["table"], id_bits), dtype=np.int64)  # type: ignore[arg-type]
            r = tab[args[0][:, 0] & ((1 << id_bits) - 1)]
        elif k == "argmax":
            r = np.argmax(args[0], axis=1)[:, None]
        elif k == "table":
            tab = np.array(p["table"], dtype=np.int64)
            r = tab[args[0] & ((1 << graph.values[op.args[0]].bits) - 1)]
        elif k == "delay":
            kk = p["k"]
            if kk == 0:
                r = args[0]
            else:
                assert first is not None
                d = np.zeros_like(args[0])
                d[kk:] = args[0][: T - kk] if kk < T else d[kk:]
                r = np.where(_first_window(first, kk)[:, None], 0, d)  # type: ignore[arg-type]
        elif k == "rshift":
            r = _rshift_arr(args[0], p["s"])  # type: ignore[arg-type]
        elif k == "fit":
            r = args[0]
        elif k == "sum":
            r = np.sum(args, axis=0)
        elif k == "linear":
            W = np.array(p["W"], dtype=np.int64)
            r = args[0] @ W.T + np.array(p["b"], dtype=np.int64)
            r = _rshift_arr(r, p["shift"])  # type: ignore[arg-type]
        elif k == "dot":
            r = _rshift_arr((args[0] * args[1]).sum(axis=1, keepdims=True), p["shift"])  # type: ignore[arg-type]
        elif k == "slice":
            r = args[0][:, p["start"]:p["stop"]]  # type: ignore[misc]
        elif k == "concat":
            r = np.concatenate(args, axis=1)
        else:  # pragma: no cover
            raise GraphError(f"reference: unknown op {k!r}")
        if "mode" in p:
            r = _fit_arr(r, v.type, mode)  # type: ignore[arg-type]
        vals.append(np.ascontiguousarray(r, dtype=np.int64))
    return {name: vals[v.id].copy() for name, v in graph.outputs.items()}
