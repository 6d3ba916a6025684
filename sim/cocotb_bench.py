"""The cocotb test module that runs a lutgrid fabric under Verilator.

It is started by :func:`sim.verilator.run_bench` (``COCOTB_TEST_MODULES =
sim.cocotb_bench``) and talks to it through two ``.npz`` files: the *job*, named by
the environment variable ``LUTGRID_BENCH_JOB`` (or the plusarg
``+lutgrid_job=<path>``), and the *result*, whose path the job carries.

One test, :func:`fabric_stream`:

1. starts a 10 ns clock (cocotb's C-level clock; low at time 0);
2. plays the load protocol of :mod:`fabric.loader` (defect chain, idle cycle,
   configuration chain, one reset cycle), one :class:`~fabric.loader.LoadCycle`
   per clock cycle, with every edge input at 0;
3. streams: for cycle t = 0 .. T-1 it drives ``inputs[t]`` on the four input buses
   and reads the four output buses (``outputs[t]``), i.e. a **new input vector
   every cycle** and **every output bus recorded every cycle**
   (docs/ARCHITECTURE.md §1: row t is what the ports show during cycle t).

All driving happens at falling clock edges: at the falling edge inside cycle t
the registered outputs hold ``S_t`` and the inputs written there are sampled by
the next rising edge (edge t). With a fault-injection build, the ``noise`` port
gets fresh random bits (seeded) every cycle, loading included.

Modes: ``"stream"`` takes the inputs from the job and returns every output bit;
``"throughput"`` draws random inputs for ``cycles`` cycles inside the bench (same
per-cycle work: drive four buses, read four buses) and returns only timing, plus
the raw rate of the clock running free without Python work per cycle.

Job keys: ``width, height, spares, fault_injection, seed, mode, configs (uint64 (H, W)),
defects (bool (H, W+S)), cycles``, optionally ``hardened`` (the model is the hardened
view of :mod:`fabric.verilog_hardened`: no load protocol, one reset cycle instead)
and, in stream mode, ``in_<bus> (uint8 (T, n))`` for each input bus. Result keys:
``out_<bus> (uint8 (T, n))`` (stream mode), ``cycles``, ``load_seconds``,
``stream_seconds``, ``cycles_per_s``, ``free_cycles_per_s`` (throughput mode; else 0).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
import numpy.typing as npt

from fabric.arch import INPUT_BUSES, OUTPUT_BUSES, Arch, bus_width

JOB_ENV = "LUTGRID_BENCH_JOB"
PERIOD_NS = 10
#: Cycles of the free-running clock measured in throughput mode.
FREE_RUN_CYCLES = 2000


def write_job(path: os.PathLike[str] | str, job: Mapping[str, Any],
              result_path: os.PathLike[str] | str) -> None:
    """Store ``job`` (keys in the module docstring) and the result path as ``.npz``."""
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in job.items()}
    arrays["result_path"] = np.asarray(str(result_path))
    np.savez(path, **arrays)


def read_job(path: os.PathLike[str] | str) -> dict[str, Any]:
    """Load a job written by :func:`write_job`; scalars come back as Python values."""
    with np.load(path, allow_pickle=False) as data:
        return {k: (data[k].item() if data[k].ndim == 0 else data[k]) for k in data.files}


def read_result(path: os.PathLike[str] | str) -> dict[str, Any]:
    """Load the bench's result file (same conversion as :func:`read_job`)."""
    return read_job(path)


def ints_to_bits(values: list[int], n: int) -> npt.NDArray[np.uint8]:
    """``uint8 (len(values), n)`` 0/1 array; column i = bit i of each int."""
    nbytes = max(1, (n + 7) // 8)
    raw = b"".join(v.to_bytes(nbytes, "little") for v in values)
    packed = np.frombuffer(raw, dtype=np.uint8).reshape(len(values), nbytes)
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :n].copy()


def bits_to_ints(bits: npt.NDArray[np.uint8]) -> list[int]:
    """Inverse of :func:`ints_to_bits`: pack each row, bit i = column i."""
    t, n = bits.shape
    if n == 0:
        return [0] * t
    packed = np.packbits(np.asarray(bits, dtype=np.uint8) & 1, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _job_path() -> str:
    path = os.environ.get(JOB_ENV) or cocotb.plusargs.get("lutgrid_job")
    if not path or not isinstance(path, str):
        raise RuntimeError(f"no job: set {JOB_ENV} or +lutgrid_job=<file.npz>")
    return path


def _reader(handle: Any) -> Any:
    """A fast ``() -> int`` reader of an output port (all its bits are 0/1)."""
    raw = handle._handle  # the GPI object; avoids building a LogicArray per read

    def read() -> int:
        return int(raw.get_signal_val_binstr(), 2)

    return read


@cocotb.test()
async def fabric_stream(dut: Any) -> None:
    """Load the job's program and defect map, reset, stream, write the result."""
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, FallingEdge

    from fabric.loader import load_sequence

    job = read_job(_job_path())
    width, height, spares = int(job["width"]), int(job["height"]), int(job["spares"])
    fault = bool(job["fault_injection"])
    hardened = bool(job.get("hardened", False))
    mode = str(job["mode"])
    rng = random.Random(int(job["seed"]))

    in_handles = [getattr(dut, b) for b in INPUT_BUSES]
    readers = [_reader(getattr(dut, b)) for b in OUTPUT_BUSES]
    noise = dut.noise if fault else None
    noise_bits = Arch.REGS_PER_CELL * (width + spares) * height

    # --- load ---------------------------------------------------------------------
    for h in in_handles:
        h.value = 0
    dut.rst.value = 0
    if noise is not None:
        noise.value = rng.getrandbits(noise_bits)
    if hardened:  # the program is baked in: nothing to load, one reset cycle
        ctrl: tuple[Any, ...] = (dut.rst,)
        steps: Any = [(1,)]
    else:
        ctrl = (dut.rst, dut.defect_en, dut.defect_in, dut.cfg_en, dut.cfg_in)
        steps = load_sequence(job["configs"], job["defects"])
    clock = Clock(dut.clk, PERIOD_NS, unit="ns")
    clock.start(start_high=False)
    fe = FallingEdge(dut.clk)
    t0 = time.perf_counter()
    first = True
    for step in steps:
        if not first:
            await fe
        first = False
        for h, v in zip(ctrl, step, strict=True):
            h.value = v
        if noise is not None:
            noise.value = rng.getrandbits(noise_bits)
    load_seconds = time.perf_counter() - t0

    # --- stream -------------------------------------------------------------------
    if mode == "stream":
        cycles = int(np.asarray(job["in_west_in"]).shape[0])
        columns = [bits_to_ints(np.asarray(job[f"in_{b}"]).reshape(cycles, -1))
                   for b in INPUT_BUSES]
        drive = list(zip(*columns, strict=True))
    elif mode == "throughput":
        cycles = int(job["cycles"])
        widths = [bus_width(b, width, height) for b in INPUT_BUSES]
        drive = [tuple(rng.getrandbits(n) for n in widths) for _ in range(cycles)]
    else:
        raise ValueError(f"unknown bench mode {mode!r}")
    recorded: list[tuple[int, ...]] = []
    record = recorded.append
    wi, ei, ni, si = in_handles
    rw, re, rn, rs = readers
    t0 = time.perf_counter()
    await fe
    dut.rst.value = 0
    for t in range(cycles):
        if t:
            await fe
        record((rw(), re(), rn(), rs()))
        a, b, c, d = drive[t]
        wi.value = a
        ei.value = b
        ni.value = c
        si.value = d
        if noise is not None:
            noise.value = rng.getrandbits(noise_bits)
    stream_seconds = time.perf_counter() - t0

    result: dict[str, Any] = {
        "cycles": cycles, "load_seconds": load_seconds, "stream_seconds": stream_seconds,
        "cycles_per_s": cycles / stream_seconds if stream_seconds > 0 else 0.0,
        "free_cycles_per_s": 0.0,
    }
    if mode == "stream":
        for i, bus in enumerate(OUTPUT_BUSES):
            n = bus_width(bus, width, height)
            result[f"out_{bus}"] = ints_to_bits([r[i] for r in recorded], n)
    else:
        t0 = time.perf_counter()
        await ClockCycles(dut.clk, FREE_RUN_CYCLES)
        result["free_cycles_per_s"] = FREE_RUN_CYCLES / (time.perf_counter() - t0)
    clock.stop()
    np.savez(Path(str(job["result_path"])), **{k: np.asarray(v) for k, v in result.items()})
