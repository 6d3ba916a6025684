"""A hand-made chip for the chip tests: the table16 example twice in a row, the second
reading the low four bits of the first's output, timed by hand from the I/O maps (not
by the compiler's chain scheduler). It computes ``T[T[x] mod 16]``."""

from __future__ import annotations

import numpy as np

from compiler.examples import EXAMPLES
from compiler.ir import reference
from compiler.program import compile_program
from fabric.chip import ChipPlan, Wire


def table_twice() -> tuple[ChipPlan, np.ndarray]:
    """The plan, and the table (16 signed 8-bit entries)."""
    g = EXAMPLES["table16"]()
    bs = compile_program(g, "table16", seed=1).bitstream
    table = reference(g, {"x": np.arange(16)})["y"].reshape(-1)
    io = bs.iomap
    x_in, y_out = io.inputs["x"], io.outputs["y"]
    # fabric 1 starts as soon as every bit it reads from fabric 0 is there
    s1 = max(y_out[b].offset - x_in[b].offset for b in range(4))
    first = {(pb.port, pb.index): Wire(("token", "x", b), pb.offset)
             for b, pb in enumerate(x_in)}
    second = {(pb.port, pb.index): Wire(("part", 0, y_out[b].port, y_out[b].index),
                                         s1 + pb.offset - y_out[b].offset)
              for b, pb in enumerate(x_in)}
    latency = s1 + max(pb.offset for pb in y_out)
    outputs = {"y": tuple(Wire(("part", 1, pb.port, pb.index), latency - s1 - pb.offset)
                          for pb in y_out)}
    plan = ChipPlan((bs, bs), (0, s1), (first, second), {"x": 4}, outputs, latency,
                    frozenset({"y"}))
    return plan, table
