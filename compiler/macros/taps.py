"""Signed-digit taps of a constant weight and their exact-length routes in one block.

A weight ``w`` times a signed ``n``-bit ``x`` is a sum of single x bits placed at
bit positions (the "taps"), plus one constant: with the canonical signed-digit
(CSD / NAF) form ``w = sum(sigma * 2**p)`` and ``x = x_0 + 2 x_1 + ... - 2**(n-1) x_{n-1}``,
every product term ``c * x_j * 2**(p+j)`` with ``c = +-1`` is either ``x_j`` at position
``p+j`` (``c = +1``) or ``(1 - x_j)`` at that position minus ``2**(p+j)`` (``c = -1``).
So a tap is ``(position, j, inverted)`` and the subtracted powers fold into the
accumulator's start constant: sign extension costs no cell at all.

Routing model (see :mod:`compiler.macros.linear` for the whole layout). One block is
the rectangle where one input's x bits cross one output's accumulator strip: columns
``.. R2 R1 x_0 .. x_{n-1}`` (one to four ripple columns; local column 0 is the
west-most), rows = accumulator bits ``k = 0 .. rows-1`` (bit 0 south-most). ``R``
columns are ripple adders, ``x_j`` columns carry bit j northwards. A tap at position k
is a path from the x_j column to an ``R`` cell on row k made of *exactly* ``D_j``
counter-flow hops (west or south): ``d`` west hops (the column distance) and ``s = D_j
- d`` south hops, so the path starts ``s`` rows above the tap. Each hop against the
wave delays the bit by two cycles relative to the accumulator, which is exactly what
makes the x bit, skewed by ``2 D_j`` at the fabric edge, meet the accumulator bit of
the same token. Every cell carries at most one path per port, and an ``R`` cell takes
at most one tap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

#: move letters of a path: one hop west or one hop south (towards lower bits).
WEST, SOUTH = "W", "S"


def csd_digits(w: int) -> tuple[tuple[int, int], ...]:
    """Non-adjacent form of ``w``: ``((position, sign), ...)`` with ``sign = +-1``,
    lowest position first; ``sum(sign << position) == w`` and no two adjacent digits
    are non-zero (an int4 weight has at most two)."""
    digits = []
    p = 0
    while w != 0:
        if w & 1:
            d = 2 - (w & 3)  # +1 when w = 1 mod 4, -1 when w = 3 mod 4
            digits.append((p, d))
            w -= d
        w >>= 1
        p += 1
    return tuple(digits)


@dataclass(frozen=True)
class Tap:
    """One x bit added at one accumulator bit: ``x_j`` (or ``1 - x_j`` when
    ``inverted``) times ``2**pos``."""

    pos: int
    j: int
    inverted: bool


def weight_taps(w: int, x_bits: int, rows: int, signed: bool = True,
                offset: int = 0) -> tuple[tuple[Tap, ...], int]:
    """Taps of ``w * x * 2**offset`` for an ``x_bits``-bit x (two's complement when
    ``signed``, else unsigned), reduced modulo ``2**rows``, and the constant ``c`` such
    that ``w * x * 2**offset == sum(taps) + c (mod 2**rows)``.

    Taps at positions ``>= rows`` vanish modulo ``2**rows`` and are dropped. (A wide x
    is laid out as groups of bits, each an unsigned or signed x of its own at an
    ``offset``: :mod:`compiler.macros.linear`.)
    """
    taps: list[Tap] = []
    const = 0
    for p, sign in csd_digits(w):
        for j in range(x_bits):
            coef = -sign if signed and j == x_bits - 1 else sign
            pos = p + j + offset
            if coef < 0:
                const -= 1 << pos
            if pos < rows:
                taps.append(Tap(pos, j, coef < 0))
    return tuple(sorted(taps, key=lambda t: (t.pos, t.j))), const % (1 << rows)


@dataclass(frozen=True)
class Route:
    """A routed tap: ``moves`` from the x_j column at row ``tap.pos + s`` to the ripple
    column ``target`` (local column) at row ``tap.pos``."""

    tap: Tap
    target: int
    moves: str

    def cells(self, x_col: int) -> Iterator[tuple[int, int, str, str]]:
        """``(col, row, in_side, out_side)`` of every cell on the path, start to end;
        the start cell has ``in_side == "src"``, the target ``out_side == "add"``."""
        col, row = x_col, self.tap.pos + self.moves.count(SOUTH)
        entering = "src"
        for m in self.moves:
            yield col, row, entering, m
            if m == WEST:
                col, entering = col - 1, "E"
            else:
                row, entering = row - 1, "N"
        yield col, row, entering, "add"


def _orders(d: int, s: int) -> list[str]:
    """All move strings with ``d`` west and ``s`` south hops; south-first ones first
    (they keep the crowded rows near the ripple columns free longest)."""
    out = []
    for south_at in combinations(range(d + s), s):
        out.append("".join(SOUTH if i in south_at else WEST for i in range(d + s)))
    return out


#: search nodes allowed per block before giving up (a failing search would
#: otherwise enumerate every path order; the caller then tries more skew or rows).
SEARCH_BUDGET = 1000


@lru_cache(maxsize=4096)
def route_block(w: int, x_bits: int, rows: int, ripples: int, extra: int,
                signed: bool = True, offset: int = 0) -> tuple[Route, ...] | None:
    """Route every tap of weight ``w`` inside one block, or ``None`` if impossible
    (``signed``, ``offset``: the x bit group, :func:`weight_taps`).

    The block has ``rows`` rows and local columns ``R_ripples .. R1, x_0 .. x_{n-1}``
    (``ripples`` ripple columns, then the x columns); x_j arrives
    ``D_j = col(x_j) - col(west-most R) + extra`` counter-flow hops early.
    Deterministic depth-first search with backtracking; results are cached, since a
    block's routing depends only on these arguments.
    """
    taps, _ = weight_taps(w, x_bits, rows, signed, offset)
    ripple_cols = tuple(range(ripples))
    first_x = ripples

    def x_col(j: int) -> int:
        return first_x + j

    budget = [SEARCH_BUDGET]

    used_in: set[tuple[int, int, str]] = set()
    used_out: set[tuple[int, int, str]] = set()
    fed: set[tuple[int, int]] = set()
    # Crowded rows first: rows with two taps decide the layout.
    per_row: dict[int, int] = {}
    for t in taps:
        per_row[t.pos] = per_row.get(t.pos, 0) + 1
    order = sorted(taps, key=lambda t: (-per_row[t.pos], -t.pos, t.j))
    chosen: list[Route] = []

    def fits(route: Route) -> list[tuple[str, tuple[int, int, str]]] | None:
        claims: list[tuple[str, tuple[int, int, str]]] = []
        for col, row, side_in, side_out in route.cells(x_col(route.tap.j)):
            if row >= rows:
                return None
            if side_in != "src":
                key = (col, row, side_in)
                if key in used_in:
                    return None
                claims.append(("in", key))
            if side_out != "add":
                key = (col, row, side_out)
                if key in used_out:
                    return None
                claims.append(("out", key))
        return claims

    def search(i: int) -> bool:
        if i == len(order):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        tap = order[i]
        depth = x_col(tap.j) - ripple_cols[0] + extra
        for target in reversed(ripple_cols):
            if (target, tap.pos) in fed:
                continue
            d = x_col(tap.j) - target
            s = depth - d
            if tap.pos + s >= rows:
                continue
            for moves in _orders(d, s):
                route = Route(tap, target, moves)
                claims = fits(route)
                if claims is None:
                    continue
                for kind, key in claims:
                    (used_in if kind == "in" else used_out).add(key)
                fed.add((target, tap.pos))
                chosen.append(route)
                if search(i + 1):
                    return True
                chosen.pop()
                fed.discard((target, tap.pos))
                for kind, key in claims:
                    (used_in if kind == "in" else used_out).discard(key)
        return False

    if not search(0):
        return None
    return tuple(sorted(chosen, key=lambda r: (r.tap.pos, r.tap.j)))
