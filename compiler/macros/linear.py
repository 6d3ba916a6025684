"""Hand-placed bit-level systolic macro for a constant matrix-vector product.

``build_linear(W, b, x_bits, shift, out_bits)`` returns a :class:`~fabric.bitstream.Bitstream`
computing DESIGN §5 ``Linear``: ``y = sat(rshift(W @ x + b, shift), out_bits)`` for
every token, one token per cycle, with signed int4 weights and signed ``x_bits``-bit x.

Layout (north up; one horizontal strip per output, one vertical block per input)::

        block i-1        block i                         tail (only with saturation)
      .. x x x x | R2 R1 x0 x1 x2 x3 | R2 R1 x0 .. |  A  stub..stub  B  P
      -----------+-------------------+-------------+--------------------------
   y0 bit T  ->  |  r  r  ^  ^  ^  ^ |             |          -> east_out
      ...        |  r  r  ^  ^  ^  ^ |  acc bits flow east, carries north
      bit 0  ->  |  r  r  ^  ^  ^  ^ |             |
      -----------+-------------------+-------------+
   y1 ...        |        x bits flow north from south_in through every strip

* Time frame: write ``psi = t - X + Y`` for a bit held in cell (X, Y) at cycle t. Hops
  east and north keep psi ("the wave"); hops west and south add 2 ("counter-flow").
  Every accumulator bit of every strip has the same psi; carries go north (bit k+1
  sits one row north of bit k), x bits flow north: all three ride the wave, so the
  whole array is fully pipelined with no delay line.
* A ripple cell ``R`` adds three bits (accumulator from the west, carry from the
  south, one tap) and sends the sum east and the carry north. A tap is x_j (or its
  complement) brought from its x column by a path of exactly ``D_j`` counter-flow hops
  (:mod:`compiler.macros.taps`); x_j enters the fabric ``2 D_j`` cycles early, so it
  meets the accumulator bit of its own token. Paths use the west and south tracks,
  which the wave leaves free, so taps cost no extra cells.
* Weights are recoded in canonical signed digits (at most two non-zero digits per
  int4 weight; a zero weight costs nothing but the crossing). A block has one
  ripple column per digit, and an input gets a second one only if some output uses
  a two-digit weight on it. Sign extension and the complement corrections of
  negative digits fold into one start constant per output, injected by the west-most
  column (``west_in`` is never read).
* ``rshift`` adds its rounding constant to that start constant and drops the low
  rows from the output. ``sat`` (when the range can overflow) adds a guard row and a
  tail: column A forms differences of adjacent high bits, column B chains them
  northwards into an overflow flag and splits it into ovf_pos (east) / ovf_neg
  (south); the flags come south through columns B and P, and every output row is
  delayed by two cycles per row below the top in "stub" columns (a one-row U-turn
  north and back south), so that it meets its flags.

Contracts: the fabric is ``H x W`` with ``H = sum(rows_o)`` (rows_o = accumulator bits
of output o, plus a guard row with saturation, plus rows the tap router needed) and
``W = sum(ripples_i + x_bits) (+ tail)``. Inputs ``x[i]`` bit j enter on
``south_in``; outputs ``y[o]`` leave on ``east_out`` (two's complement, as many bits
as the value range needs, never more than ``out_bits``). Unmapped edge inputs are
never read by any LUT that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from compiler.lower import word_name
from compiler.macros.taps import SOUTH, Route, csd_digits, route_block, weight_taps
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["GROUP_BITS", "LinearLayoutError", "LinearStats", "XGroup", "build_linear",
           "cells_used", "linear_plan", "linear_reference", "x_groups"]

#: skews tried per input before growing strips (x_j arrives 2*(D_j) cycles early).
_EXTRAS = (0, 1, 2, 3)
#: how many rows a strip may grow beyond its value range to let the taps route.
_MAX_GROW = 3
#: ripple columns an input may get when its taps do not route otherwise.
_MAX_RIPPLES = 4
_FULL = 0xFFFF


class LinearLayoutError(ValueError):
    """Arguments that the macro cannot lay out (bad shapes, weights out of int4...)."""


def linear_reference(weights: np.ndarray, bias: np.ndarray | None, x: np.ndarray, shift: int = 0,
                     out_bits: int | None = None) -> np.ndarray:
    """DESIGN §5 Linear for ``x`` of shape ``(tokens, d_in)``: the result ``(tokens,
    d_out)`` int64, computed by :func:`compiler.ir.reference` (the single source of
    truth) on the equivalent one-op graph."""
    from compiler.ir import Graph, reference

    w = np.asarray(weights, dtype=np.int64)
    xs = np.asarray(x, dtype=np.int64)
    bits = max(int(np.abs(xs).max(initial=0)).bit_length() + 1, 2)
    g = Graph()
    xv = g.input("x", dim=w.shape[1], bits=bits)
    g.output("y", g.linear(xv, w, bias, shift=shift, bits=out_bits))
    return np.asarray(reference(g, {"x": xs})["y"], dtype=np.int64)


def _signed_bits(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement word holding every value in [lo, hi]."""
    return max(max(hi, 0).bit_length(), max(-lo - 1, 0).bit_length()) + 1


#: widest x bit group one block lays out; a wider x is split into groups of this many
#: bits (unsigned, least significant first) and a signed top group. Measured: with 5-bit
#: x as one group, a 2x2 layer took 29 s and a 11x5 one 66 s in the tap router's search.
GROUP_BITS = 4


@dataclass(frozen=True)
class XGroup:
    """Bits ``first .. first + bits - 1`` of input ``i``, laid out as one block column
    group: a ``bits``-bit x, two's complement if ``signed`` (the top group), weighted
    by ``2**first``."""

    i: int
    first: int
    bits: int
    signed: bool


def x_groups(d_in: int, x_bits: int) -> tuple[XGroup, ...]:
    """The column groups of ``d_in`` inputs of ``x_bits`` bits, input by input (one
    group per input up to :data:`GROUP_BITS` bits)."""
    out = []
    for i in range(d_in):
        first = 0
        while x_bits - first > GROUP_BITS:
            out.append(XGroup(i, first, GROUP_BITS, False))
            first += GROUP_BITS
        out.append(XGroup(i, first, x_bits - first, True))
    return tuple(out)


@dataclass(frozen=True)
class _Strip:
    """One output's accumulator strip."""

    value_bits: int      # bits of rshift-input range (B_o)
    rows: int            # accumulator bits laid out (>= value_bits, + guard if sat)
    sat: bool
    top: int = 0         # fabric row of the strip's top (bit rows-1)

    def y_of(self, k: int) -> int:
        """Fabric row of accumulator bit k."""
        return self.top + self.rows - 1 - k


@dataclass(frozen=True)
class LinearPlan:
    """The floorplan: per-output strip rows, per-group (:func:`x_groups`) ripple columns
    and skews."""

    strips: tuple[_Strip, ...]
    groups: tuple[XGroup, ...]
    ripples: tuple[int, ...]
    extras: tuple[int, ...]
    routes: tuple[tuple[tuple[Route, ...], ...], ...]   # [o][group]


def _validate(weights: np.ndarray, bias: np.ndarray, x_bits: int, shift: int,
              out_bits: int | None) -> None:
    if weights.ndim != 2 or 0 in weights.shape:
        raise LinearLayoutError(f"weights must be a non-empty (d_out, d_in) matrix, got "
                                f"shape {weights.shape}")
    if weights.min() < -8 or weights.max() > 7:
        raise LinearLayoutError(f"weights must be signed int4 (-8..7), got range "
                                f"[{weights.min()}, {weights.max()}]")
    if bias.shape != (weights.shape[0],):
        raise LinearLayoutError(f"bias must have shape ({weights.shape[0]},), got {bias.shape}")
    if x_bits < 1:
        raise LinearLayoutError(f"x_bits must be >= 1, got {x_bits}")
    if shift < 0:
        raise LinearLayoutError(f"shift must be >= 0, got {shift}")
    if out_bits is not None and out_bits < 1:
        raise LinearLayoutError(f"out_bits must be >= 1 or None, got {out_bits}")


def linear_plan(weights: np.ndarray, bias: np.ndarray, x_bits: int, shift: int,
                out_bits: int | None, relu: bool = False) -> LinearPlan:
    """Size the strips, pick ripple columns and skew per column group (:func:`x_groups`:
    one per input of at most :data:`GROUP_BITS` bits), and route every block.

    ``relu``: saturation to an unsigned word (:func:`build_linear`); a strip whose
    values can be negative then needs the saturation tail.

    Strip o first gets the rows its value range needs (+1 guard row with saturation);
    a group gets 2 ripple columns when one of its input's weights has two CSD digits;
    then per group the smallest skew whose blocks all route is taken, and strips that no skew
    can route grow by one row (more room for the south hops) until everything routes.
    """
    d_out, d_in = weights.shape
    xmin, xmax = -(1 << (x_bits - 1)), (1 << (x_bits - 1)) - 1
    rnd = (1 << (shift - 1)) if shift else 0
    value_bits, sat, rows = [], [], []
    for o in range(d_out):
        w = weights[o]
        lo = int(np.minimum(w * xmin, w * xmax).sum()) + int(bias[o]) + rnd
        hi = int(np.maximum(w * xmin, w * xmax).sum()) + int(bias[o]) + rnd
        bits = max(_signed_bits(lo, hi), shift + 1)
        needs_sat = out_bits is not None and (out_bits < bits - shift or (relu and lo < 0))
        value_bits.append(bits)
        sat.append(needs_sat)
        rows.append(bits + (1 if needs_sat else 0))
    groups = x_groups(d_in, x_bits)
    ripples = [2 if any(len(csd_digits(int(v))) > 1 for v in weights[:, g.i]) else 1
               for g in groups]
    base_rows = list(rows)
    while True:
        extras: list[int] = []
        grow: set[int] = set()
        for i, g in enumerate(groups):
            failing = {e: {o for o in range(d_out)
                           if route_block(int(weights[o, g.i]), g.bits, rows[o], ripples[i],
                                          e, g.signed, g.first) is None}
                       for e in _EXTRAS}
            common = [e for e in _EXTRAS if not failing[e]]
            if common:
                extras.append(common[0])
                continue
            # No skew routes every strip. A larger skew gives more path shapes but needs
            # more rows above a tap, so aim at the largest skew that is some strip's
            # smallest working one, and grow the strips it fails in.
            smallest = [min(e for e in _EXTRAS if o not in failing[e]) for o in range(d_out)
                        if any(o not in failing[e] for e in _EXTRAS)]
            target = max(smallest, default=_EXTRAS[-1])
            grow = failing[target]
            break
        if not grow:
            break
        if any(rows[o] + 1 > base_rows[o] + _MAX_GROW for o in grow):
            # Rows alone do not help (wide x with two-digit weights crowds the rows
            # near the ripple columns): give input i one more ripple column instead.
            if ripples[i] >= _MAX_RIPPLES:
                g = groups[i]
                raise LinearLayoutError(f"input {g.i}: taps of x bits {g.first}.."
                                        f"{g.first + g.bits - 1} (of {x_bits}) do not route "
                                        f"with {ripples[i]} ripple columns")
            ripples[i] += 1
            rows = list(base_rows)
            continue
        for o in grow:
            rows[o] += 1
    strips, top = [], 0
    for o in range(d_out):
        strips.append(_Strip(value_bits[o], rows[o], sat[o], top))
        top += rows[o]
    routes = tuple(tuple(route_block(int(weights[o, g.i]), g.bits, rows[o], ripples[i],
                                     extras[i], g.signed, g.first) or ()
                         for i, g in enumerate(groups))
                   for o in range(d_out))
    return LinearPlan(tuple(strips), groups, tuple(ripples), tuple(extras), routes)


class _Grid:
    """Truth tables being assembled; refuses to drive one output twice."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.tables: dict[tuple[int, int], list[int]] = {}

    def set(self, x: int, y: int, side: int, table: int) -> None:
        cell = self.tables.setdefault((x, y), [0, 0, 0, 0])
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise AssertionError(f"cell ({x}, {y}) is outside the {self.width}x{self.height} "
                                 f"fabric")
        if cell[side]:
            raise AssertionError(f"cell ({x}, {y}) side {side} is driven twice")
        cell[side] = table

    def fn(self, x: int, y: int, side: int, f: Callable[[int, int, int, int], int]) -> None:
        self.set(x, y, side, table_of(f))

    def copy(self, x: int, y: int, side: int, src: int) -> None:
        self.set(x, y, side, copy_table(src))

    def configs(self) -> np.ndarray:
        cfg = np.zeros((self.height, self.width), dtype=np.uint64)
        for (x, y), t in self.tables.items():
            cfg[y, x] = make_config(t)
        return cfg


_SIDE = {"N": N, "E": E, "S": S, "W": W}


def _ripple_fn(acc_const: int | None, has_cin: bool, add_side: int | None, inverted: bool,
               carry: bool) -> Callable[[int, int, int, int], int]:
    """Sum (``carry=False``) or carry of ``acc + cin + tap`` as a LUT of (N, E, S, W)."""

    def f(n: int, e: int, s: int, w: int) -> int:
        ins = (n, e, s, w)
        acc = w if acc_const is None else acc_const
        cin = s if has_cin else 0
        add = (ins[add_side] ^ int(inverted)) if add_side is not None else 0
        return (acc + cin + add) >> 1 if carry else (acc ^ cin ^ add)

    return f


def build_linear(weights: Sequence[Sequence[int]] | np.ndarray,
                 bias: Sequence[int] | np.ndarray | None = None, x_bits: int = 4,
                 shift: int = 0, out_bits: int | None = None, x_name: str = "x",
                 y_name: str = "y", relu: bool = False) -> Bitstream:
    """Lay out ``y = sat(rshift(W @ x + b, shift), out_bits)`` (DESIGN §5 Linear).

    ``relu``: negative results become 0 and ``y`` is unsigned of ``out_bits - 1``
    bits, i.e. ``y = sat(rshift(W @ x + b, shift), out_bits - 1, unsigned)`` (the
    saturation tail's negative flag is the sign alone, and the always-0 sign bit is
    left off the output).

    ``weights`` is ``(d_out, d_in)`` signed int4, ``bias`` ``(d_out,)`` any ints (default
    0), x elements are signed ``x_bits``-bit words, ``out_bits=None`` keeps full
    precision (no saturation). Returns the bitstream with its I/O map: input word
    ``x[i]`` (``x`` if d_in == 1) bit j on ``south_in`` at a per-bit offset (the skew),
    output word ``y[o]`` (``y`` if d_out == 1), signed, on ``east_out``; one token per
    cycle, latency ``iomap.latency`` cycles. ``x_name``/``y_name`` rename the words.
    Deterministic: same arguments, same bytes.
    Raises :class:`LinearLayoutError` for arguments it cannot lay out. An x wider than
    :data:`GROUP_BITS` is laid out as column groups of at most that many bits
    (:func:`x_groups`), each routed like an input of its own.
    """
    w_arr = np.asarray(weights, dtype=np.int64)
    b_arr = (np.zeros(w_arr.shape[0] if w_arr.ndim == 2 else 0, np.int64) if bias is None
             else np.asarray(bias, dtype=np.int64))
    _validate(w_arr, b_arr, x_bits, shift, out_bits)
    if relu and (out_bits is None or out_bits < 2):
        raise LinearLayoutError(f"relu needs out_bits >= 2 (a sign bit and at least one "
                                f"bit of the unsigned result), got {out_bits}")
    plan = linear_plan(w_arr, b_arr, x_bits, shift, out_bits, relu)
    d_out, d_in = w_arr.shape

    groups = plan.groups
    block_x = []
    col = 0
    for i, g in enumerate(groups):
        block_x.append(col)
        col += plan.ripples[i] + g.bits
    blocks_w = col
    sat_strips = [s for s in plan.strips if s.sat]
    stubs = max((s.rows - 1 - shift for s in sat_strips), default=0)
    tail_w = (3 + stubs) if sat_strips else 0
    width = blocks_w + tail_w
    height = sum(s.rows for s in plan.strips)
    grid = _Grid(width, height)
    rnd = (1 << (shift - 1)) if shift else 0

    for o, strip in enumerate(plan.strips):
        mod = 1 << strip.rows
        start = int(b_arr[o]) + rnd
        for g in groups:
            start += weight_taps(int(w_arr[o, g.i]), g.bits, strip.rows, g.signed,
                                 g.first)[1]
        start %= mod
        for i, g in enumerate(groups):
            x0 = block_x[i]
            nr = plan.ripples[i]
            # x columns: bit j flows north; the accumulator passes east.
            for j in range(g.bits):
                for k in range(strip.rows):
                    y = strip.y_of(k)
                    grid.copy(x0 + nr + j, y, N, S)
                    grid.copy(x0 + nr + j, y, E, W)
            # tap paths
            fed: dict[tuple[int, int], tuple[int, bool]] = {}
            for route in plan.routes[o][i]:
                steps = list(route.cells(nr + route.tap.j))
                for c, k, side_in, side_out in steps:
                    xx, y = x0 + c, strip.y_of(k)
                    if side_out == "add":
                        fed[(c, k)] = (_SIDE[side_in], route.tap.inverted)
                        continue
                    out = S if side_out == SOUTH else W
                    grid.copy(xx, y, out, S if side_in == "src" else _SIDE[side_in])
            # ripple columns
            for c in range(nr):
                xx = x0 + c
                ks = [k for (cc, k) in fed if cc == c]
                k0 = min(ks) if ks else strip.rows
                for k in range(strip.rows):
                    y = strip.y_of(k)
                    acc_const = ((start >> k) & 1) if xx == 0 else None
                    if k < k0:
                        if acc_const is None:
                            grid.copy(xx, y, E, W)
                        elif acc_const:
                            grid.set(xx, y, E, _FULL)
                        continue
                    add_side, inv = fed.get((c, k), (None, False))
                    grid.fn(xx, y, E, _ripple_fn(acc_const, k > k0, add_side, inv, False))
                    if k < strip.rows - 1:
                        grid.fn(xx, y, N, _ripple_fn(acc_const, k > k0, add_side, inv, True))

    # Tail: saturation for the strips that need it, plain east passes for the others.
    first_out = shift
    out_psi: dict[tuple[int, int], int] = {}   # (o, k) -> psi of the output bit at the east
    for o, strip in enumerate(plan.strips):
        top_k = strip.value_bits - 1
        if not strip.sat:
            for k in range(first_out, top_k + 1):
                out_psi[(o, k)] = 0
                for xx in range(blocks_w, width):
                    grid.copy(xx, strip.y_of(k), E, W)
            continue
        ob = _tail_bits(strip, shift, out_bits, relu)
        _sat_tail(grid, strip, blocks_w, stubs, shift, ob, relu)
        t_row = strip.rows - 1
        m0 = shift + ob - 1
        for k in range(first_out, m0 + 1):
            out_psi[(o, k)] = 2 * (t_row - k)

    # I/O map: psi = 0 for the accumulator; x_j of input i is 2*D_j earlier.
    x_last = width - 1
    in_t: dict[tuple[int, int], int] = {}     # (group, j) -> cycle
    for i, g in enumerate(groups):
        nr = plan.ripples[i]
        for j in range(g.bits):
            xx = block_x[i] + nr + j
            depth = nr + j + plan.extras[i]
            in_t[(i, j)] = -2 * depth + xx - height
    t0 = min(in_t.values())
    in_bits: dict[int, list[PortBit]] = {i: [] for i in range(d_in)}
    for k, g in enumerate(groups):           # groups of an input in bit order
        in_bits[g.i] += [PortBit("south_in", block_x[k] + plan.ripples[k] + j,
                                 in_t[(k, j)] - t0) for j in range(g.bits)]
    inputs = {word_name(x_name, i, d_in): tuple(in_bits[i]) for i in range(d_in)}
    outputs = {}
    for o, strip in enumerate(plan.strips):
        top_k = (shift + _tail_bits(strip, shift, out_bits, relu) - 1 if strip.sat
                 else strip.value_bits - 1)
        if relu:          # the sign bit is 0: an unsigned word of out_bits - 1 bits
            top_k = max(first_out, min(top_k - 1, shift + int(out_bits) - 2))
        outputs[word_name(y_name, o, d_out)] = tuple(
            PortBit("east_out", strip.y_of(k), out_psi[(o, k)] + x_last - strip.y_of(k) - t0)
            for k in range(first_out, top_k + 1))
    latency = max(pb.offset for bits in outputs.values() for pb in bits)
    iomap = IOMap(inputs, outputs, latency, frozenset() if relu else frozenset(outputs))
    return Bitstream(grid.configs(), iomap)


def _tail_bits(strip: _Strip, shift: int, out_bits: int | None, relu: bool) -> int:
    """The saturation width of a strip's tail: ``out_bits``, or in ReLU mode no more
    than the strip's value needs (a strip saturated only to zero its negative values
    may hold fewer bits than ``out_bits``)."""
    if relu:
        return min(int(out_bits or 0), strip.value_bits - shift)
    return int(out_bits or 0)


def _sat_tail(grid: _Grid, strip: _Strip, x_a: int, stubs: int, shift: int,
              out_bits: int, relu: bool = False) -> None:
    """Saturation tail of one strip (see the module docstring); columns A, stubs, B, P.
    ``relu``: the flag that zeroes the bits is the sign alone (every negative value,
    not only an overflowing one)."""
    t_row = strip.rows - 1
    m0 = shift + out_bits - 1
    s0 = shift
    x_b = x_a + 1 + stubs
    x_p = x_b + 1
    y = strip.y_of
    # Column A: pass the outputs, start the reference, send adjacent differences.
    for k in range(s0, t_row + 1):
        if k <= m0 or k == t_row:
            grid.copy(x_a, y(k), E, W)
        else:
            grid.fn(x_a, y(k), E, lambda n, e, s, w: w ^ s)
        if m0 <= k < t_row - 1:
            grid.copy(x_a, y(k), N, W)
    # Stub columns: output row k is delayed by 2 cycles in each of its first t_row-k.
    for u in range(stubs):
        xx = x_a + 1 + u
        for k in range(s0, t_row + 1):
            if k <= m0 and u < t_row - k:
                grid.copy(xx, y(k), N, W)        # up one row ...
                grid.copy(xx, y(k + 1), S, S)    # ... and straight back
                grid.copy(xx, y(k), E, N)
            else:
                grid.copy(xx, y(k), E, W)
    # Column B: overflow chain north, flags at the top, ovf_neg south, first gate.
    for k in range(s0, t_row + 1):
        if k == t_row:
            grid.fn(x_b, y(k), E, lambda n, e, s, w: s & (1 - w))   # ovf_pos = neq & ~sign
            if relu:
                grid.copy(x_b, y(k), S, W)                          # neg = sign
            else:
                grid.fn(x_b, y(k), S, lambda n, e, s, w: s & w)     # ovf_neg = neq & sign
        elif k > m0:
            if k == m0 + 1:
                grid.copy(x_b, y(k), N, W)
            else:
                grid.fn(x_b, y(k), N, lambda n, e, s, w: w | s)
            grid.copy(x_b, y(k), S, N)
        else:
            if k < m0 or relu:               # relu: a negative value is all zeros
                grid.fn(x_b, y(k), E, lambda n, e, s, w: w & (1 - n))
            else:
                grid.fn(x_b, y(k), E, lambda n, e, s, w: w | n)
            if k > s0:
                grid.copy(x_b, y(k), S, N)
    # Column P: ovf_pos south, second gate.
    for k in range(s0, t_row + 1):
        if k == t_row:
            grid.copy(x_p, y(k), S, W)
        elif k > m0:
            grid.copy(x_p, y(k), S, N)
        else:
            if k < m0:
                grid.fn(x_p, y(k), E, lambda n, e, s, w: w | n)
            else:
                grid.fn(x_p, y(k), E, lambda n, e, s, w: w & (1 - n))
            if k > s0:
                grid.copy(x_p, y(k), S, N)


@dataclass(frozen=True)
class LinearStats:
    """Cell accounting of a laid-out program (all counts in cells)."""

    area: int          # H * W, the bounding box actually occupied
    used: int          # cells that are not idle (fabric.usage)
    compute: int       # cells with an output that is neither constant nor a copy
    route_only: int    # used - compute: cells that only move bits
    weights: int       # d_out * d_in

    @property
    def cells_per_weight(self) -> float:
        """Bounding area per weight."""
        return self.area / self.weights

    @property
    def route_overhead(self) -> float:
        """Cells used per computing cell."""
        return self.used / max(self.compute, 1)

    @property
    def route_only_share(self) -> float:
        """Share of the used cells that only move bits."""
        return self.route_only / max(self.used, 1)


def cells_used(bitstream: Bitstream, weights: int) -> LinearStats:
    """Area, used, computing and routing-only cells of ``bitstream`` as
    :func:`fabric.usage.usage` counts them (the one count every report uses);
    ``weights`` is the number of weights it holds (for the per-weight figure)."""
    from fabric.usage import usage

    u = usage(bitstream)
    return LinearStats(bitstream.width * bitstream.height, u.used, u.compute, u.route_only,
                       weights)
