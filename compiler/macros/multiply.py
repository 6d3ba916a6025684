"""Structured layout of a variable x variable multiply (``Graph.mul`` of two words), and
of a dot product (``Graph.dot`` of two vectors) as the same array.

The general flow lowers ``a * b`` to a compressor tree whose wires run everywhere; its
band placement does not route at 8x8. This macro instead builds a ripple array whose
every wire is short and points east or south, places it by hand, and leaves the
exact-latency routing to the negotiated router (:class:`compiler.route.Router`)::

    north_in:      b0      b1      b2           (b_j runs south beside stage j)
                   |       |       |
    row 0    R00 ->|       |       |
    row 1    R01 ->| R11 ->|       |
    row 2    R02 ->| R12 ->| R22 ->|   ...   -> east_out (high bits)
     ...      v       v       v
           stage 0  stage 1  stage 2 ...   (a_i enters on west_in and runs south-east)

* Stage ``j`` adds partial-product row ``j`` to the accumulator: cell ``R(j, k)`` (one
  cell, two LUT outputs) adds the accumulator bit of weight ``k`` (from stage ``j-1``,
  west), the carry of weight ``k`` (from ``R(j, k-1)``, north) and the partial product
  ``a_{k-j} b_j``; it sends the sum east and the carry south. Stage 0 starts from a
  constant folded into its tables.
* Signed operands use Baugh-Wooley: a partial product whose sign is negative enters
  complemented and the missing ``-2^w`` terms fold into that start constant (its top
  bit, ``2^(m-1)``, is a flip of the top output bit), so every cell is an unsigned full
  adder. Everything is modulo ``2^m`` (``m`` = output bits;
  the match only accepts outputs whose range holds every product, so no saturation).
* Stages sit ``col_step`` columns apart and weights ``row_step`` rows apart. Every cell
  then computes at ``t = lag + x + y`` with one lag for the whole array (DESIGN §3: east
  and south hops keep the lag), so the sum, the carry and the diagonal ``a_i`` wire
  between stages need no detour. ``a_i`` and ``b_j`` come in on the east/south sides of
  their readers, one counter-flow hop, which is free for token inputs: the router picks
  their entry cycle (:class:`~compiler.route.Router`).
* Stage ``j`` covers weights ``j`` up to its top partial product (stage 0 also up to the
  start constant's top bit); its top carry is the next weight's accumulator bit, which
  the next stage picks up, so an ``n x n`` array has ``n * n`` cells, or ``n * (n + 1)``
  when the start constant has a bit at weight ``n`` (two signed operands: 72 at 8x8).
  A product bit leaves by the nearest edge port in a straight line from its cell: an
  output's offset is free, so a west or north exit costs cycles, not cells.

Every stage moves as many bits east (accumulator, ``a``) and south (carry, ``b``,
``a``) as three columns by two rows of cells have registers, so the default spacing
``(3, 2)`` is as dense as this dataflow gets. The result goes through the same emit and
checks as the general flow.

A dot product ``sum_p a_p * b_p`` (:func:`build_dot`) is the same array with the stages
of every product one after the other on one accumulator: stage ``(p, j)`` adds
``a_p * b_pj << j``, the start constant is the sum of every product's Baugh-Wooley
constant, and the accumulator spans the bits of the dot's range. So a dot costs no
adder tree and no channel between its products.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from compiler.emit import emit
from compiler.errors import RouteError
from compiler.ir import WordType, type_of_range
from compiler.lower import word_name
from compiler.pack import Cluster, MLut, OutBit, Packed
from compiler.placement import Placement
from compiler.report import Report, make_report
from compiler.route import Routes, route
from compiler.schedule import schedule
from fabric.arch import arch_of, manhattan
from fabric.bitstream import Bitstream

__all__ = ["MultiplyLayout", "MultiplyLayoutError", "build_dot", "build_multiply", "dot_range",
           "start_constant"]


class MultiplyLayoutError(ValueError):
    """Arguments the multiply macro cannot lay out (widths, shape of the output)."""


@dataclass
class MultiplyLayout:
    """The macro's result: bitstream (with I/O map), report and the routed placement."""

    bitstream: Bitstream
    report: Report
    placement: Placement
    routes: Routes


def start_constant(a_bits: int, b_bits: int, a_signed: bool, b_signed: bool, m: int) -> int:
    """Baugh-Wooley start constant modulo ``2^m``: minus the weights of the partial
    products that enter complemented (those carrying exactly one sign bit)."""
    c = 0
    for i in range(a_bits):
        for j in range(b_bits):
            if _negative(i, j, a_bits, b_bits, a_signed, b_signed):
                c -= 1 << (i + j)
    return c % (1 << m)


def _negative(i: int, j: int, na: int, nb: int, sa: bool, sb: bool) -> bool:
    return (sa and i == na - 1) != (sb and j == nb - 1)


def _output_ports(packed: Packed, cell_of: list[tuple[int, int]], rows: list[int],
                  width: int, height: int) -> list[tuple[str, int]]:
    """Edge output port of every product bit: the nearest free port in a straight line
    from its driver's cell (an output's offset is free, so a counter-flow exit only
    costs cycles, not cells); a constant bit takes ``east_out`` on its row."""
    arch = arch_of(width, height)
    used: set[tuple[str, int]] = set()
    ports = []
    for o, row in zip(packed.outputs, rows, strict=True):
        if o.ref is None:
            cands = [(0, ("east_out", row))]
        else:
            cell = cell_of[packed.cluster_of[o.ref[0]]]
            x, y = cell
            cands = [(manhattan(cell, arch.port_cell(*q)), q)
                     for q in (("east_out", y), ("south_out", x), ("north_out", x),
                               ("west_out", y), ("east_out", row))]
        # east_out on the bit's own row (rows differ per bit) is always free
        port = min(c for c in cands if c[1] not in used)
        used.add(port[1])
        ports.append(port[1])
    return ports


def _fa_tables(roles: list[str], acc_const: int, neg: bool) -> tuple[int, int]:
    """Sum and carry tables of ``acc + carry + (a & b ^ neg)`` over the inputs ``roles``
    (input ``i`` of the table is ``roles[i]``); absent terms are 0 (``acc`` is
    ``acc_const`` when it is not an input)."""
    s_tab = c_tab = 0
    for addr in range(1 << len(roles)):
        v = {r: (addr >> i) & 1 for i, r in enumerate(roles)}
        acc = v.get("acc", acc_const)
        pp = 0
        if "a" in v:
            pp = (v["a"] & v["b"]) ^ int(neg)
        total = acc + v.get("carry", 0) + pp
        s_tab |= (total & 1) << addr
        c_tab |= (total >> 1) << addr
    return s_tab, c_tab


#: (col_step, row_step) spacings tried in turn, densest first
SPACINGS = ((3, 2), (3, 3), (4, 4))


def build_multiply(a_bits: int, b_bits: int, out_bits: int, *, a_signed: bool = True,
                   b_signed: bool = True, a_name: str = "a", b_name: str = "b",
                   y_name: str = "y", spacings: tuple[tuple[int, int], ...] = SPACINGS,
                   max_iters: int = 60) -> MultiplyLayout:
    """Lay out ``y = (a * b) mod 2^out_bits`` (two's complement when signed) and route it.

    ``a`` (``a_bits`` bits) enters on ``west_in``, ``b`` on ``north_in``, each bit of
    ``y`` leaves by the nearest edge port (:func:`_output_ports`); output bits above
    ``a_bits + b_bits`` repeat the sign, or are 0 for two unsigned operands. Each
    ``(col_step, row_step)`` of ``spacings`` (cells between stages and between weights)
    is tried in turn until one routes within
    ``max_iters`` router iterations. Deterministic. Raises :class:`MultiplyLayoutError`
    on bad widths or spacings and :class:`~compiler.errors.RouteError` if no spacing
    routes.
    """
    _check_widths(a_bits, b_bits, out_bits)
    return _first_that_routes(
        spacings, f"the {a_bits}x{b_bits} multiply array",
        lambda cs, rs: _build(a_bits, b_bits, out_bits, a_signed, b_signed, a_name, b_name,
                              y_name, cs, rs, max_iters))


def _check_widths(a_bits: int, b_bits: int, out_bits: int) -> None:
    for what, v in (("a_bits", a_bits), ("b_bits", b_bits), ("out_bits", out_bits)):
        if not isinstance(v, int) or v < 1:
            raise MultiplyLayoutError(f"{what} must be an int >= 1, got {v!r}")


def _first_that_routes(spacings: tuple[tuple[int, int], ...], what: str,
                       build: Callable[[int, int], MultiplyLayout]) -> MultiplyLayout:
    """``build(col_step, row_step)`` at each spacing in turn until one routes."""
    if not spacings:
        raise MultiplyLayoutError("spacings is empty")
    for col_step, row_step in spacings:
        if col_step < 2 or row_step < 2:
            raise MultiplyLayoutError(f"spacing (col_step, row_step) must be >= 2 (room for "
                                      f"the operand wires), got ({col_step}, {row_step})")
    last: RouteError | None = None
    for col_step, row_step in spacings:
        try:
            return build(col_step, row_step)
        except RouteError as exc:
            last = exc
    assert last is not None
    raise RouteError(f"{what} did not route at spacings {list(spacings)}: {last}")


def dot_range(n: int, a_bits: int, b_bits: int, a_signed: bool, b_signed: bool
              ) -> tuple[int, int]:
    """Exact range of ``sum_p a_p * b_p`` over ``n`` products of the declared types."""
    ta, tb = WordType(a_bits, a_signed), WordType(b_bits, b_signed)
    corners = [x * y for x in (ta.lo, ta.hi) for y in (tb.lo, tb.hi)]
    return n * min(corners), n * max(corners)


def build_dot(n: int, a_bits: int, b_bits: int, out_bits: int, *, a_signed: bool = True,
              b_signed: bool = True, a_name: str = "a", b_name: str = "b",
              y_name: str = "y", spacings: tuple[tuple[int, int], ...] = SPACINGS,
              max_iters: int = 60) -> MultiplyLayout:
    """Lay out ``y = sum_p a[p] * b[p]`` over ``n`` products (modulo ``2^out_bits``, two's
    complement when signed): the multiply array (module docstring) with the stages of
    every product one after the other on one accumulator, so a dot product's sum costs
    no adder tree and no channel between products.

    ``a[0]`` enters on ``west_in`` and every ``b[p]`` on ``north_in`` as in the
    multiply; a later ``a[p]`` enters on ``north_in`` west of its first stage
    (:func:`_input_ports`). ``out_bits`` must hold :func:`dot_range`, so the top output
    bit is the sign. Deterministic. Raises :class:`MultiplyLayoutError` on bad
    arguments and :class:`~compiler.errors.RouteError` if no spacing routes."""
    if not isinstance(n, int) or n < 1:
        raise MultiplyLayoutError(f"n (products) must be an int >= 1, got {n!r}")
    _check_widths(a_bits, b_bits, out_bits)
    lo, hi = dot_range(n, a_bits, b_bits, a_signed, b_signed)
    out = WordType(out_bits, a_signed or b_signed)
    if lo < out.lo or hi > out.hi:
        raise MultiplyLayoutError(f"out_bits {out_bits} does not hold the dot product's "
                                  f"range [{lo}, {hi}]")
    return _first_that_routes(
        spacings, f"the {n}-product dot array of {a_bits}x{b_bits} bits",
        lambda cs, rs: _build(a_bits, b_bits, out_bits, a_signed, b_signed, a_name, b_name,
                              y_name, cs, rs, max_iters, n))


def _build(a_bits: int, b_bits: int, out_bits: int, a_signed: bool, b_signed: bool,
           a_name: str, b_name: str, y_name: str, col_step: int, row_step: int,
           max_iters: int, n: int = 0) -> MultiplyLayout:
    """The array of ``sum_p a_p * b_p`` over ``max(n, 1)`` products; ``n == 0`` is the
    scalar multiply (words ``a``, ``b``), ``n >= 1`` the dot product of the vector words
    ``a[p]``, ``b[p]`` (:func:`compiler.lower.word_name`)."""
    t0 = time.perf_counter()
    terms = max(n, 1)
    m = out_bits
    # every product fits in a_bits + b_bits bits; a dot's sum in the bits of its range
    sign = a_signed or b_signed
    if n == 0:
        m0 = min(m, a_bits + b_bits)
    else:
        lo, hi = dot_range(n, a_bits, b_bits, a_signed, b_signed)
        sign = lo < 0
        m0 = min(m, type_of_range(lo, hi).bits)
    const = sum(start_constant(a_bits, b_bits, a_signed, b_signed, m0)
                for _ in range(terms)) % (1 << m0)
    flip_msb = (const >> (m0 - 1)) & 1    # + 2^(m0-1) modulo 2^m0 flips the top bit
    const &= (1 << (m0 - 1)) - 1
    a_id = [[p * (a_bits + b_bits) + i for i in range(a_bits)] for p in range(terms)]
    b_id = [[p * (a_bits + b_bits) + a_bits + j for j in range(b_bits)]
            for p in range(terms)]
    next_id = terms * (a_bits + b_bits)
    luts: dict[int, MLut] = {}
    clusters: list[Cluster] = []
    cell_of: list[tuple[int, int]] = []
    value: dict[int, int] = {}            # weight -> driver of the accumulator bit so far
    x0, y0 = 0, 1
    top = const.bit_length() - 1          # stage 0 must reach the start constant's top bit
    stages = [(p, j) for p in range(terms) for j in range(min(b_bits, m0))]
    for s, (p, j) in enumerate(stages):
        hi = min(m0 - 1, max(j + a_bits - 1, top))
        carry = None
        new_value: dict[int, int] = {}
        for k in range(j, hi + 1):
            roles: list[str] = []
            refs: list[tuple[int, int]] = []
            if s > 0 and k in value:
                roles.append("acc")
                refs.append((value[k], 0))
            if carry is not None:
                roles.append("carry")
                refs.append((carry, 0))
            i = k - j
            neg = False
            if i < a_bits:
                roles += ["a", "b"]
                refs += [(a_id[p][i], 0), (b_id[p][j], 0)]
                neg = _negative(i, j, a_bits, b_bits, a_signed, b_signed)
            acc_const = (const >> k) & 1 if s == 0 else 0
            s_tab, c_tab = _fa_tables(roles, acc_const, neg)
            sid = next_id
            luts[sid] = MLut(sid, tuple(refs), s_tab)
            members = [sid]
            new_value[k] = sid
            carry = None
            if k + 1 < m0:                 # the top row's carry is the next weight's bit
                carry = sid + 1
                luts[carry] = MLut(carry, tuple(refs), c_tab)
                members.append(carry)
            next_id += len(members)
            clusters.append(Cluster(len(clusters), tuple(members), tuple(sorted(refs))))
            cell_of.append((x0 + col_step * s, y0 + row_step * k))
        if carry is not None:
            new_value[hi + 1] = carry
        value.update(new_value)
        top = hi + 1
    if flip_msb:
        msb = luts[value[m0 - 1]]
        full = (1 << (1 << len(msb.inputs))) - 1
        luts[msb.id] = MLut(msb.id, msb.inputs, msb.table ^ full)
    out_rows = [y0 + row_step * min(k, m0 - 1) + max(0, k - m0 + 1) for k in range(m)]
    outputs = [OutBit(y_name, k, (value[min(k, m0 - 1)], 0)) if k < m0 or sign
               else OutBit(y_name, k, None, 0) for k in range(m)]
    a_word = [word_name(a_name, p, n) if n else a_name for p in range(terms)]
    b_word = [word_name(b_name, p, n) if n else b_name for p in range(terms)]
    inputs = [(a_word[p], i, a_id[p][i]) for p in range(terms) for i in range(a_bits)]
    inputs += [(b_word[p], j, b_id[p][j]) for p in range(terms) for j in range(b_bits)]
    cluster_of = {lut: c.index for c in clusters for lut in c.luts}
    widths = {w: a_bits for w in a_word} | {w: b_bits for w in b_word}
    packed = Packed(inputs=inputs, input_widths=widths, luts=luts,
                    order=[lut for c in clusters for lut in c.luts], clusters=clusters,
                    cluster_of=cluster_of, outputs=outputs, n_netlist_luts=len(luts))
    width = x0 + col_step * (len(stages) - 1) + 3
    height = max(out_rows[-1] + 2, y0 + row_step * (a_bits - 1) + 3)
    in_port = _input_ports(a_id, b_id, stages, x0, y0, col_step, row_step, width)
    pl = Placement(width, height, packed, cell_of, [0] * len(clusters), in_port, {},
                   _output_ports(packed, cell_of, out_rows, width, height), [0] * m)
    schedule(pl, 0)
    pl.stats["multiply macro" if n == 0 else "dot macro"] = 1.0
    t1 = time.perf_counter()
    routes = route(pl, max_iters=max_iters)
    t2 = time.perf_counter()
    bs = emit(pl, routes)
    t3 = time.perf_counter()
    rep = make_report(pl, routes, {"place": t1 - t0, "route": t2 - t1, "emit": t3 - t2}, bs)
    return MultiplyLayout(bs, rep, pl, routes)


def _input_ports(a_id: list[list[int]], b_id: list[list[int]], stages: list[tuple[int, int]],
                 x0: int, y0: int, col_step: int, row_step: int, width: int
                 ) -> dict[int, tuple[str, int]]:
    """Edge input port of every operand bit. ``b_pj`` enters on ``north_in`` above
    the column beside its stage; the first product's ``a_i`` on ``west_in`` on the free
    row below weight ``i``. A later product's ``a_i`` must reach its first stage in the
    middle of the array: it enters on ``north_in`` above a free column west of that
    stage (the free columns of the stages before it, nearest first), where the
    accumulator band of the stages before it has not reached row ``i`` yet; then east
    of it, then on ``south_in``."""
    ports: dict[int, tuple[str, int]] = {}
    for i, a in enumerate(a_id[0]):
        ports[a] = ("west_in", y0 + row_step * i + 1)
    taken = set()
    for s, (p, j) in enumerate(stages):
        col = min(width - 1, x0 + col_step * s + 1)
        ports[b_id[p][j]] = ("north_in", col)
        taken.add(col)
    south: list[int] = []
    for p in range(1, len(a_id)):
        first = x0 + col_step * stages.index((p, 0))
        # west of the first stage nearest first, then east of it (a counter-flow wire
        # only costs cycles: a token input's offset is free)
        cols = [c for c in range(first - 1, -1, -1) if c not in taken]
        cols += [c for c in range(first, width) if c not in taken]
        for i, a in enumerate(a_id[p]):
            if i < len(cols):
                ports[a] = ("north_in", cols[i])
                taken.add(cols[i])
            else:                      # more bits than north ports: the south edge
                ports[a] = ("south_in", width - 1 - len(south))
                south.append(a)
    return ports
