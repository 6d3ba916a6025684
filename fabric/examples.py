"""Hand-placed example programs: the first programs that stream on the fabric.

Each example is a logical bitstream written cell by cell with the truth-table
helpers of :mod:`cells.truth`, an :class:`~fabric.iomap.IOMap` saying where every
token bit enters and leaves and when, and a numpy reference function. ``lutgrid
demo`` runs :func:`ripple_adder`; the tests run it in both simulators, one new
token every cycle, and check token n's result at cycle ``n + offset`` (≤ n + L).

The ripple-carry adder (``bits`` = k, on a fabric at least k+1 wide):

* full adder i sits in cell ``(i, 0)``: ``in_N`` = a_i (``north_in[i]``), ``in_S``
  = b_i, ``in_W`` = carry from cell ``(i-1, 0)`` (``west_in[0]`` = cin for i = 0);
  ``out_N`` = sum bit (``north_out[i]``), ``out_E`` = carry to the next adder;
* b_i enters on ``south_in[i]`` and climbs column i through H-1 pass-through cells
  (``out_N = in_S``);
* cell ``(k, 0)`` turns the last carry north: ``north_out[k]`` = sum bit k.

Timing (ARCHITECTURE §1: a path through c cells has latency c): adder i holds
token n's result during cycle ``n + H + i``, so the inputs carry a per-bit skew —
b_i at offset i, a_i at offset ``H-1+i``, cin at ``H-1`` — and sum bit i leaves at
offset ``H + i``; the latency is ``L = H + k``. Every other cell is all-zero, and
no mapped output depends on an unmapped edge input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from fabric.geometry import FabricShape
from fabric.iomap import IOMap, PortBit

Reference = Callable[[Mapping[str, npt.ArrayLike]], dict[str, npt.NDArray[np.int64]]]


@dataclass(frozen=True)
class Example:
    """A hand-made program: ``configs uint64 (H, W)`` for ``shape``, its I/O map, and
    ``reference(tokens) -> outputs`` (word -> int64 array over tokens)."""

    name: str
    description: str
    shape: FabricShape
    configs: npt.NDArray[np.uint64]
    iomap: IOMap
    reference: Reference


def _cell(n: int = 0, e: int = 0, s: int = 0, w: int = 0) -> np.uint64:
    tables = [0, 0, 0, 0]
    tables[N], tables[E], tables[S], tables[W] = n, e, s, w
    return np.uint64(make_config(tables))


def ripple_adder(bits: int = 4, shape: FabricShape | None = None) -> Example:
    """A ``bits``-bit ripple-carry adder ``s = a + b + cin`` (``bits + 1`` output bits).

    ``shape`` defaults to 8×8 (1 spare); it needs width ≥ ``bits + 1`` and height ≥ 1.
    Input words ``a``, ``b`` (``bits`` bits each) and ``cin`` (1 bit), output word
    ``s``; latency ``H + bits`` cycles. Raises ``ValueError`` if it does not fit.
    """
    shape = shape or FabricShape(8, 8)
    if bits < 1:
        raise ValueError(f"an adder needs at least 1 bit, got {bits}")
    if shape.width < bits + 1:
        raise ValueError(f"a {bits}-bit adder needs a fabric at least {bits + 1} wide, "
                         f"got {shape.width}")
    h = shape.height
    configs = np.zeros((h, shape.width), dtype=np.uint64)
    sum_table = table_of(lambda n, e, s, w: n ^ s ^ w)
    carry_table = table_of(lambda n, e, s, w: (n & s) | (n & w) | (s & w))
    for i in range(bits):
        configs[0, i] = _cell(n=sum_table, e=carry_table)
        for y in range(1, h):
            configs[y, i] = _cell(n=copy_table(S))
    configs[0, bits] = _cell(n=copy_table(W))

    iomap = IOMap(
        inputs={
            "a": tuple(PortBit("north_in", i, h - 1 + i) for i in range(bits)),
            "b": tuple(PortBit("south_in", i, i) for i in range(bits)),
            "cin": (PortBit("west_in", 0, h - 1),),
        },
        outputs={"s": tuple(PortBit("north_out", i, h + i) for i in range(bits + 1))},
        latency=h + bits,
    )
    iomap.validate(shape.width, shape.height)
    mask = (1 << bits) - 1

    def reference(tokens: Mapping[str, npt.ArrayLike]) -> dict[str, npt.NDArray[np.int64]]:
        a = np.asarray(tokens["a"], dtype=np.int64) & mask
        b = np.asarray(tokens["b"], dtype=np.int64) & mask
        c = np.asarray(tokens["cin"], dtype=np.int64) & 1
        return {"s": a + b + c}

    return Example(f"adder{bits}", f"{bits}-bit ripple-carry adder s = a + b + cin, "
                   f"latency {h + bits} cycles, one token per cycle", shape, configs,
                   iomap, reference)


def random_tokens(example: Example, n_tokens: int,
                  rng: np.random.Generator | int | None = None) -> dict[str, npt.NDArray[np.int64]]:
    """Uniformly random unsigned token words for ``example``'s inputs (int64 arrays)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return {word: gen.integers(0, 1 << len(bits), size=n_tokens, dtype=np.int64)
            for word, bits in example.iomap.inputs.items()}


#: Examples by name, for ``lutgrid demo``.
EXAMPLES: dict[str, Callable[[], Example]] = {"adder4": ripple_adder}
