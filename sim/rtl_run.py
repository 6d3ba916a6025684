"""Run the generated RTL under Verilator with the numpy simulator's interface.

:func:`run_rtl` takes the same configurations, defect map and input buses as
:class:`sim.numpy_sim.FabricSim` and returns the same output dictionary, so tests
compare the two simulators directly::

    out_np = FabricSim(configs).run(inputs)
    out_rtl = run_rtl(FabricShape(8, 8), configs, inputs)

Contract (docs/ARCHITECTURE.md §1, §5): ``inputs`` maps input-bus names to
``uint8 (T, n)`` arrays of 0/1 (missing buses are 0); the result maps the four
output buses to ``uint8 (T, n)``, row t being what the ports show during cycle t
after the load protocol and one reset cycle (so row 0 is all zeros). Each call
starts from a fresh load and reset: unlike ``FabricSim.run`` no state carries over.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fabric.arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from fabric.chip import ChipPlan
from fabric.defects import as_defect_map, physical_columns
from fabric.iomap import IOMap
from fabric.loader import check_configs
from sim.verilator import FabricBuild, ShapeLike, build_fabric, run_bench


@dataclass(frozen=True)
class RTLRun:
    """Outputs of one RTL run and how long it took (wall-clock seconds)."""

    outputs: dict[str, npt.NDArray[np.uint8]]
    build: FabricBuild
    load_seconds: float
    stream_seconds: float
    cycles_per_s: float


def _check_inputs(shape: ShapeLike, inputs: Mapping[str, npt.ArrayLike]
                  ) -> dict[str, npt.NDArray[np.uint8]]:
    unknown = sorted(set(inputs) - set(INPUT_BUSES))
    if unknown:
        raise ValueError(f"unknown input buses {unknown}; expected some of {INPUT_BUSES}")
    lengths = {b: np.asarray(v).shape[0] for b, v in inputs.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"input buses have different numbers of cycles: {lengths}")
    cycles = next(iter(lengths.values()), 0)
    out: dict[str, npt.NDArray[np.uint8]] = {}
    for bus in INPUT_BUSES:
        n = bus_width(bus, shape.width, shape.height)
        arr = np.asarray(inputs.get(bus, np.zeros((cycles, n), dtype=np.uint8)))
        if arr.shape != (cycles, n):
            raise ValueError(f"{bus} must have shape ({cycles}, {n}), got {arr.shape}")
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{bus} must hold only 0 and 1")
        out[bus] = arr.astype(np.uint8)
    return out


def run_rtl_full(shape: ShapeLike, configs: npt.ArrayLike,
                 inputs: Mapping[str, npt.ArrayLike], defects: npt.ArrayLike | None = None,
                 *, build_dir: os.PathLike[str] | str | None = None, seed: int = 0,
                 fault_injection: bool | None = None, work_dir: os.PathLike[str] | str | None
                 = None, style: str = "tiles",
                 vcd: os.PathLike[str] | str | None = None) -> RTLRun:
    """Like :func:`run_rtl`, returning an :class:`RTLRun` with timings and the build.
    ``vcd`` writes the run's waveform (every top-level port, every cycle, loading
    included) to that file, atomically; it needs a tracing build of its own."""
    cfg = check_configs(np.asarray(configs))
    if cfg.shape != (shape.height, shape.width):
        raise ValueError(f"configs have shape {cfg.shape}, the fabric is "
                         f"({shape.height}, {shape.width})")
    p = shape.width + shape.spares
    if defects is None:
        dm = np.zeros((shape.height, p), dtype=np.bool_)
    else:
        dm = as_defect_map(np.asarray(defects), width=shape.width, height=shape.height)
        if dm.shape[1] != p:
            raise ValueError(f"defect map has {dm.shape[1]} physical columns, the fabric "
                             f"has {p}")
    physical_columns(dm, shape.width)
    if fault_injection is None:
        fault_injection = bool(dm.any())
    ins = _check_inputs(shape, inputs)
    cycles = ins["west_in"].shape[0]
    build = build_fabric(shape, build_dir, fault_injection=fault_injection, style=style,
                         waves=vcd is not None)
    job = {"width": shape.width, "height": shape.height, "spares": shape.spares,
           "fault_injection": fault_injection, "seed": seed, "mode": "stream",
           "configs": cfg, "defects": dm, "cycles": cycles,
           **{f"in_{b}": v for b, v in ins.items()}}
    with tempfile.TemporaryDirectory(prefix="lutgrid-rtl-",
                                     dir=work_dir) as tmp:
        result = run_bench(build, job, Path(tmp), seed=seed, waves=vcd is not None)
        if vcd is not None:
            from fabric.bitstream import atomic_write_bytes

            atomic_write_bytes(vcd, (Path(tmp) / "dump.vcd").read_bytes())
    outputs = {b: np.asarray(result[f"out_{b}"], dtype=np.uint8).reshape(
        cycles, bus_width(b, shape.width, shape.height)) for b in OUTPUT_BUSES}
    return RTLRun(outputs, build, float(result["load_seconds"]),
                  float(result["stream_seconds"]), float(result["cycles_per_s"]))


def run_hardened(configs: npt.ArrayLike, iomap: IOMap, inputs: Mapping[str, npt.ArrayLike],
                 *, build_dir: os.PathLike[str] | str | None = None, seed: int = 0,
                 work_dir: os.PathLike[str] | str | None = None) -> RTLRun:
    """Stream ``inputs`` through the hardened view of the program ``configs`` (logical
    ``uint64 (H, W)``) with I/O map ``iomap`` (:mod:`fabric.verilog_hardened`) under
    Verilator: one reset cycle, then the same rows as :func:`run_rtl_full` (row t is
    what the ports show during cycle t; row 0 all zeros). Output bits the I/O map does
    not name read 0. The model is cached by its Verilog like every other build."""
    from fabric.verilog_hardened import generate_hardened_verilog

    cfg = check_configs(np.asarray(configs))
    h, w = cfg.shape
    text, _stats = generate_hardened_verilog(cfg, iomap)
    return run_hardened_verilog(text, w, h, inputs, build_dir=build_dir, seed=seed,
                                work_dir=work_dir)


def run_hardened_verilog(text: str, width: int, height: int,
                         inputs: Mapping[str, npt.ArrayLike], *,
                         build_dir: os.PathLike[str] | str | None = None, seed: int = 0,
                         work_dir: os.PathLike[str] | str | None = None) -> RTLRun:
    """Stream ``inputs`` through Verilog ``text`` whose top module is
    ``lutgrid_hardened`` with the edge buses of a ``width`` x ``height`` fabric (a
    hardened view, or a chip of several, :mod:`fabric.verilog_chip`), as
    :func:`run_hardened` does."""
    from fabric.geometry import FabricShape

    shape = FabricShape(width, height, 0)
    ins = _check_inputs(shape, inputs)
    cycles = ins["west_in"].shape[0]
    build = build_fabric(shape, build_dir, verilog=text, style="hardened")
    job = {"width": width, "height": height, "spares": 0, "fault_injection": False,
           "seed": seed, "mode": "stream", "hardened": True,
           "configs": np.zeros((height, width), dtype=np.uint64),
           "defects": np.zeros((height, width), dtype=np.bool_), "cycles": cycles,
           **{f"in_{b}": v for b, v in ins.items()}}
    with tempfile.TemporaryDirectory(prefix="lutgrid-rtl-", dir=work_dir) as tmp:
        result = run_bench(build, job, Path(tmp), seed=seed)
    outputs = {b: np.asarray(result[f"out_{b}"], dtype=np.uint8).reshape(
        cycles, bus_width(b, width, height)) for b in OUTPUT_BUSES}
    return RTLRun(outputs, build, float(result["load_seconds"]),
                  float(result["stream_seconds"]), float(result["cycles_per_s"]))


def stream_chip_verilog(plan: ChipPlan, text: str, tokens: Mapping[str, npt.ArrayLike], *,
                        build_dir: os.PathLike[str] | str | None = None, seed: int = 0
                        ) -> tuple[dict[str, np.ndarray], RTLRun]:
    """Stream raw token words ``tokens`` through ``text``, the Verilog of chip ``plan``
    (:func:`fabric.verilog_chip.generate_chip_verilog`), in Verilator, one token per
    cycle (garbage from ``seed`` on the unused input bits); returns its output words
    for every token (as :func:`sim.stream.stream_tokens`) and the run."""
    from sim.stream import decode_outputs, encode_tokens

    iomap = plan.iomap()
    n_tokens = len(next(iter(tokens.values()))) if tokens else 0
    ins = encode_tokens(iomap, 1, plan.port_rows,
                        {w: np.asarray(v) for w, v in tokens.items()},
                        np.random.default_rng(seed))
    run = run_hardened_verilog(text, 1, plan.port_rows, ins, build_dir=build_dir, seed=seed)
    return decode_outputs(iomap, run.outputs, n_tokens), run


def run_rtl(shape: ShapeLike, configs: npt.ArrayLike, inputs: Mapping[str, npt.ArrayLike],
            defects: npt.ArrayLike | None = None, *,
            build_dir: os.PathLike[str] | str | None = None, seed: int = 0,
            fault_injection: bool | None = None, style: str = "tiles"
            ) -> dict[str, npt.NDArray[np.uint8]]:
    """Load ``configs`` (``uint64 (H, W)``) on the Verilator model of ``shape`` and run.

    ``defects``: ``bool (H, W+S)`` physical defect map (``None`` = none). Unless
    ``fault_injection`` says otherwise, a map with defects uses the fault-injection
    build, whose defective cells load fresh random bits (from ``seed``) into their
    outputs every cycle. ``build_dir`` is the Verilator build cache
    (:func:`sim.verilator.build_fabric`; default ``$LUTGRID_BUILD_DIR`` or
    ``~/.cache/lutgrid/verilator``). ``style`` is the Verilog view simulated:
    ``"tiles"`` (default, the hardware netlist) or ``"sliced"`` (its bit-sliced
    simulation view, same semantics, much faster to build and run). Returns the
    four output buses, ``uint8 (T, n)``.
    Raises ``DefectError`` for a row with more defects than spares, ``ValueError``
    for malformed arrays, ``BuildError``/``BenchError`` when Verilator fails.
    """
    return run_rtl_full(shape, configs, inputs, defects, build_dir=build_dir, seed=seed,
                        fault_injection=fault_injection, style=style).outputs
