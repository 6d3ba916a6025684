"""``Delay(x, 1)`` gated by ``first`` (DESIGN §5), laid out as one row of cells.

``y_t = 0 if first_t else x_{t-1}``: cell ``k`` reads bit ``k`` of the previous token's
``x`` from the north and this token's ``first`` from the west, sends ``first`` on east
and ``x_k AND NOT first`` south (so rows chain straight down)::

    north_in:  x0      x1      x2    ...   (bit k at offset k + 1: the token before)
    row 0:  f-> [G0] -> [G1] -> [G2] -> ...   (f: west_in[0] at offset 0)
    south_out: y0      y1      y2    ...   (bit k at offset k + 1)

The previous token is one cycle earlier on the same port, so the row reads ``x`` one
offset later than ``first``: the odd difference is why ``first`` enters in the other
phase (its own feed, DESIGN §3). A stream's first token reads no previous token: the
gate makes its 0, whatever the fabric held after reset. ``Delay(x, k)`` is ``k`` such
rows in a chain (a ``first`` within the last ``k`` tokens zeroes one of them). ``m``
cells, latency ``m`` cycles.
"""

from __future__ import annotations

from cells.truth import S, table_of
from compiler.ir import FIRST
from compiler.lower import word_name
from compiler.macros.select import control_row
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["DelayLayoutError", "delay_bitstream"]


class DelayLayoutError(ValueError):
    """Widths the delay row does not take."""


def delay_bitstream(m: int, *, x_name: str = "x", y_name: str = "y",
                    signed_out: bool = True, words: int = 1) -> Bitstream:
    """The gated one-token delay row (module docstring) of ``words`` words of ``m``
    bits each (word ``j``: ``word_name(x_name, j, words)``, its bits side by side); the
    ``first`` flag is the token word ``"first"``. Raises :class:`DelayLayoutError` for
    ``m < 1`` or ``words < 1``."""
    if m < 1 or words < 1:
        raise DelayLayoutError(f"width must be >= 1, got m={m} (and words={words})")
    n = m * words
    configs = control_row(n, S, table_of(lambda nn, e, s, w: nn & (1 - w)))
    xs = {word_name(x_name, j, words): tuple(PortBit("north_in", k, k + 1)
                                             for k in range(j * m, (j + 1) * m))
          for j in range(words)}
    ys = {word_name(y_name, j, words): tuple(PortBit("south_out", k, k + 1)
                                             for k in range(j * m, (j + 1) * m))
          for j in range(words)}
    iomap = IOMap(
        inputs={FIRST: (PortBit("west_in", 0, 0),), **xs},
        outputs=ys,
        latency=n,
        signed=frozenset(ys) if signed_out else frozenset())
    iomap.validate(n, 1)
    return Bitstream(configs, iomap)
