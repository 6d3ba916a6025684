"""Cycle-accurate numpy model of a chip of several fabrics (:mod:`fabric.chip`).

Every fabric runs in the cycle-accurate simulator (:class:`sim.numpy_sim.FabricSim`)
for the whole stream, in chip order (a fabric reads only earlier ones, so each can run
all its cycles at once); the bits between fabrics go through their wires' delays, 0
before cycle 0 as after reset. This is the Verilog of :mod:`fabric.verilog_chip`,
cycle for cycle, without Verilator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from fabric.arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from fabric.chip import ChipPlan, Wire
from sim.numpy_sim import FabricSim
from sim.stream import decode_outputs, encode_tokens, stream_cycles

__all__ = ["run_chip_cycles", "stream_chip"]


def _delayed(rows: npt.NDArray[np.uint8], delay: int) -> npt.NDArray[np.uint8]:
    """``rows`` seen ``delay`` cycles later (zeros first)."""
    if delay == 0:
        return rows
    out = np.zeros_like(rows)
    if delay < len(rows):
        out[delay:] = rows[:len(rows) - delay]
    return out


def run_chip_cycles(plan: ChipPlan, west_in: npt.ArrayLike) -> dict[str, npt.NDArray[np.uint8]]:
    """Run the chip for ``len(west_in)`` cycles from reset: ``west_in`` is its token
    input bus, ``uint8 (T, port_rows)``, row ``t`` during cycle ``t``. Returns its four
    output buses like :meth:`FabricSim.run` (only ``east_out`` carries bits)."""
    ins = np.asarray(west_in, dtype=np.uint8)
    rows = plan.port_rows
    if ins.ndim != 2 or ins.shape[1] != rows:
        raise ValueError(f"west_in must be (cycles, {rows}), got {ins.shape}")
    cycles = ins.shape[0]
    cols = plan.input_ports()
    outs: list[dict[str, npt.NDArray[np.uint8]]] = []

    def bit(wire: Wire) -> npt.NDArray[np.uint8]:
        src = wire.source
        if src[0] == "const":
            return np.full(cycles, src[1], dtype=np.uint8)
        if src[0] == "token":
            col = ins[:, cols[src[1]][src[2]]]
        else:
            col = outs[src[1]][src[2]][:, src[3]]
        return _delayed(col, wire.delay)

    for bs, wiring in zip(plan.parts, plan.part_inputs, strict=True):
        h, w = bs.configs.shape
        buses = {b: np.zeros((cycles, bus_width(b, w, h)), dtype=np.uint8)
                 for b in INPUT_BUSES}
        for (bus, index), wire in wiring.items():
            buses[bus][:, index] = bit(wire)
        outs.append(FabricSim(bs.configs).run(buses))
    result = {b: np.zeros((cycles, bus_width(b, 1, rows)), dtype=np.uint8)
              for b in OUTPUT_BUSES}
    for word, wires in plan.outputs.items():
        for wire, col in zip(wires, plan.output_ports()[word], strict=True):
            result["east_out"][:, col] = bit(wire)
    return result


def stream_chip(plan: ChipPlan, tokens: Mapping[str, np.ndarray], seed: int = 0
                ) -> dict[str, np.ndarray]:
    """Stream raw token words ``tokens`` through the chip, one token per cycle, and
    return its output words for every token (as :func:`sim.stream.stream_tokens`)."""
    iomap = plan.iomap()
    rng = np.random.default_rng(seed)
    ins = encode_tokens(iomap, 1, plan.port_rows, tokens, rng)
    n_tokens = len(next(iter(tokens.values()))) if tokens else 0
    assert ins["west_in"].shape[0] == stream_cycles(iomap, n_tokens)
    return decode_outputs(iomap, run_chip_cycles(plan, ins["west_in"]), n_tokens)
