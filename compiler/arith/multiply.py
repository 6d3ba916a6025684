"""Constant and variable multiplication, dot products, constant matrix-vector products.

Constant multiply ``x * c`` puts terms into a bit heap in one of two ways:

* **CSD** — the canonical signed-digit recoding of ``c`` (fewest nonzero digits):
  each digit ``±2**e`` adds a shifted copy of ``x``; negative copies enter inverted
  with a constant correction; zero digits cost nothing. No LUTs; ``nz * width(x)``
  heap bits.
* **nibble tables** — ``x`` split into 4-bit chunks; each chunk's product (offset to
  be non-negative, offset folded into the heap constant) is one LUT4 per bit.
  ``sum(table bits)`` LUTs and as many heap bits.

With heap bits costing about two LUTs each to reduce, a term's marginal cost is
``2 * heap_bits + table_luts``; :func:`add_const_mul` picks the cheaper per term
(ties go to CSD). A stand-alone :func:`const_mul_word` tries both for real and keeps
the smaller netlist.

Variable multiply is Baugh–Wooley: one AND (or NAND, for the negative-weight
cross terms of sign bits) per partial product, all into one heap.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.arith.rounding import shift_down
from compiler.arith.sums import BitHeap
from compiler.arith.words import Word, const_word
from compiler.ir import rshift_int
from compiler.netlist import Netlist

__all__ = [
    "add_const_mul",
    "add_var_mul",
    "const_mul_word",
    "csd",
    "dot_word",
    "linear_words",
    "shared_multiples",
    "var_mul_word",
]


def csd(c: int) -> list[tuple[int, int]]:
    """Canonical signed-digit recoding: ``[(exponent, ±1)]`` with ``sum(d * 2**e) == c``."""
    out: list[tuple[int, int]] = []
    e = 0
    while c != 0:
        if c & 1:
            d = 2 - (c & 3)  # +1 if c % 4 == 1, -1 if c % 4 == 3
            out.append((e, d))
            c -= d
        c >>= 1
        e += 1
    return out


def _chunks(x: Word) -> list[tuple[list[int], int, int, int]]:
    """Split ``x`` into <= 4-bit chunks: ``(bits, exponent, lo, hi)`` of each chunk value."""
    n = x.width
    if n <= 4:
        return [(list(x.bits), 0, x.lo, x.hi)]
    out = []
    for e in range(0, n, 4):
        bits = list(x.bits[e:e + 4])
        top = e + 4 >= n
        m = len(bits)
        if top and x.signed:
            out.append((bits, e, -(1 << (m - 1)), (1 << (m - 1)) - 1))
        else:
            out.append((bits, e, 0, (1 << m) - 1))
    return out


def _table_terms(x: Word, c: int) -> list[tuple[list[int], int, int, list[int]]]:
    """Per chunk: ``(bits, exponent, offset, [truth table per product bit])``."""
    terms = []
    for bits, e, lo, hi in _chunks(x):
        m = len(bits)
        signed_top = lo < 0
        vals = {}
        for j in range(1 << m):
            v = j - (1 << m) if (signed_top and j >> (m - 1)) else j
            if lo <= v <= hi:
                vals[j] = v * c
        pmin = min(vals.values())
        span = max(vals.values()) - pmin
        tabs = []
        for b in range(span.bit_length()):
            t = 0
            for j in range(1 << m):
                u = vals.get(j, pmin) - pmin
                t |= ((u >> b) & 1) << j
            tabs.append(t)
        terms.append((bits, e, pmin, tabs))
    return terms


def _table_luts(terms: list[tuple[list[int], int, int, list[int]]]) -> int:
    """Number of non-constant table bits (the LUTs the table method builds)."""
    return sum(1 for bits, _, _, tabs in terms for t in tabs
               if t not in (0, (1 << (1 << len(bits))) - 1))


def const_mul_cost(x: Word, c: int) -> tuple[int, int]:
    """Estimated marginal LUT cost ``(csd, tables)`` of adding ``x * c`` to a heap."""
    if c == 0 or x.is_const():
        return 0, 0
    nz = len(csd(c))
    csd_cost = 2 * nz * x.width
    return csd_cost, 3 * _table_luts(_table_terms(x, c))


def add_const_mul(heap: BitHeap, x: Word, c: int, shift: int = 0,
                  method: str = "auto") -> None:
    """Add ``x * c * 2**shift`` to ``heap`` (``method``: ``auto``, ``csd`` or ``table``)."""
    nl = heap.nl
    if c == 0:
        return
    if x.is_const():
        heap.add_const((x.lo * c) << shift)
        return
    if method == "auto":
        cc, tc = const_mul_cost(x, c)
        method = "table" if tc < cc else "csd"
    if method == "csd":
        for e, d in csd(c):
            heap.add_word(x, d, e + shift)
    elif method == "table":
        for bits, e, pmin, tabs in _table_terms(x, c):
            heap.add_const(pmin << (e + shift))
            for b, t in enumerate(tabs):
                heap.add_bit(nl.lut(bits, t), b + e + shift)
    else:
        raise ValueError(f"unknown constant-multiply method {method!r}")


def _fold_round(heap: BitHeap, lo: int, hi: int, shift: int) -> tuple[int, int]:
    """Add the rounding constant; return the pre-shift range."""
    r = (1 << (shift - 1)) if shift else 0
    heap.add_const(r)
    return lo + r, hi + r


def _finish(nl: Netlist, heap: BitHeap, lo: int, hi: int, shift: int) -> Word:
    lo2, hi2 = _fold_round(heap, lo, hi, shift)
    full = heap.reduce(lo2, hi2)
    out = shift_down(nl, full, shift)
    assert (out.lo, out.hi) == (rshift_int(lo, shift), rshift_int(hi, shift))
    return out


def const_mul_word(nl: Netlist, x: Word, c: int, shift: int = 0,
                   method: str = "auto") -> Word:
    """``rshift(x * c, shift)`` at minimal width (``auto``: build both, keep the smaller)."""
    p = (x.lo * c, x.hi * c)
    lo, hi = min(p), max(p)
    if lo == hi:
        return const_word(nl, rshift_int(lo, shift))
    if method != "auto":
        h = BitHeap(nl)
        add_const_mul(h, x, c, 0, method)
        return _finish(nl, h, lo, hi, shift)
    costs = {}
    for m in ("csd", "table"):
        mark = nl._mark()
        h = BitHeap(nl)
        add_const_mul(h, x, c, 0, m)
        w = _finish(nl, h, lo, hi, shift)
        costs[m] = nl.count_new(mark, w.bits)
        nl._rollback(mark)
    best = "table" if costs["table"] < costs["csd"] else "csd"
    return const_mul_word(nl, x, c, shift, best)


def add_var_mul(heap: BitHeap, a: Word, b: Word, shift: int = 0) -> None:
    """Add ``a * b * 2**shift`` (Baugh–Wooley partial products)."""
    nl = heap.nl
    if a.is_const():
        add_const_mul(heap, b, a.lo, shift)
        return
    if b.is_const():
        add_const_mul(heap, a, b.lo, shift)
        return
    for sa, ea, ga in a.weights():
        for sb, eb, gb in b.weights():
            heap.add_and(sa, sb, ea + eb + shift, ga * gb)
    del nl


def _mul_range(a: Word, b: Word) -> tuple[int, int]:
    p = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
    return min(p), max(p)


def var_mul_word(nl: Netlist, a: Word, b: Word, shift: int = 0) -> Word:
    """``rshift(a * b, shift)`` at minimal width."""
    lo, hi = _mul_range(a, b)
    if lo == hi:
        return const_word(nl, rshift_int(lo, shift))
    h = BitHeap(nl)
    add_var_mul(h, a, b)
    return _finish(nl, h, lo, hi, shift)


def dot_word(nl: Netlist, a: Sequence[Word], b: Sequence[Word], shift: int = 0) -> Word:
    """``rshift(sum(a_i * b_i), shift)``: every partial product in one heap."""
    h = BitHeap(nl)
    lo = hi = 0
    for x, y in zip(a, b, strict=True):
        add_var_mul(h, x, y)
        pl, ph = _mul_range(x, y)
        lo += pl
        hi += ph
    if lo == hi:
        return const_word(nl, rshift_int(lo, shift))
    return _finish(nl, h, lo, hi, shift)


def _odd_part(c: int) -> tuple[int, int]:
    """``(f, e)`` with ``|c| = f * 2**e``, ``f`` odd (``c != 0``)."""
    c = abs(c)
    e = (c & -c).bit_length() - 1
    return c >> e, e


def shared_multiples(nl: Netlist, x: Sequence[Word], W: Sequence[Sequence[int]]
                     ) -> dict[tuple[int, int], Word]:
    """Odd multiples ``f * x_j`` worth building once and sharing between rows.

    A multiple ``f * x_j`` (``f`` odd, ``|W[i][j]| = f * 2**e``) used by ``u`` rows
    replaces ``nz(f) * width(x_j)`` heap bits per row by ``width(f * x_j)``; at two
    LUTs per heap bit it is built (cheapest of CSD / table, measured) when
    ``2 * u * saved_bits`` exceeds its LUT cost.
    """
    uses: dict[tuple[int, int], int] = {}
    for row in W:
        for j, w in enumerate(row):
            if w != 0 and not x[j].is_const():
                f, _ = _odd_part(w)
                if len(csd(f)) > 1:
                    uses[(j, f)] = uses.get((j, f), 0) + 1
    out: dict[tuple[int, int], Word] = {}
    for (j, f), u in sorted(uses.items()):
        if u < 2:
            continue
        xj = x[j]
        p = sorted((xj.lo * f, xj.hi * f))
        from compiler.ir import width_for

        saved = len(csd(f)) * xj.width - width_for(p[0], p[1])[0]
        if saved <= 0:
            continue
        mark = nl._mark()
        m = const_mul_word(nl, xj, f)
        cost = nl.count_new(mark, m.bits)
        if 2 * u * saved > cost:
            out[(j, f)] = m
        else:
            nl._rollback(mark)
    return out


def linear_words(nl: Netlist, x: Sequence[Word], W: Sequence[Sequence[int]],
                 b: Sequence[int], shift: int = 0, method: str = "auto",
                 share: bool = True) -> list[Word]:
    """``rshift(W @ x + b, shift)`` per row: one heap per row, weights as CSD or tables.

    The bias and the rounding constant join each row heap's constant (free); sign
    extension is folded into that constant too. With ``share``, odd multiples of an
    input used by several rows (``3 * x_j`` for weights ±3, ±6, ...) are built once
    (:func:`shared_multiples`) and enter those rows' heaps as words. Identical
    nibble-table bits are shared between rows by structural hashing anyway.
    """
    mults = shared_multiples(nl, x, W) if share else {}
    out = []
    for row, bias in zip(W, b, strict=True):
        h = BitHeap(nl)
        lo = hi = bias
        h.add_const(bias)
        for j, (w, xv) in enumerate(zip(row, x, strict=True)):
            if w == 0:
                continue
            f, e = _odd_part(w)
            if (j, f) in mults:
                h.add_word(mults[(j, f)], 1 if w > 0 else -1, e)
            else:
                add_const_mul(h, xv, w, 0, method)
            lo += min(w * xv.lo, w * xv.hi)
            hi += max(w * xv.lo, w * xv.hi)
        if lo == hi:
            out.append(const_word(nl, rshift_int(lo, shift)))
        else:
            out.append(_finish(nl, h, lo, hi, shift))
    return out
