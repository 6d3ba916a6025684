"""One way to get a simulator of a bitstream, whichever engine runs it.

Both engines take the *logical* configurations and, optionally, a physical defect
map; both expose ``run(inputs) -> outputs`` with the shapes of docs/ARCHITECTURE.md
§5, so :func:`sim.stream.stream_tokens` drives either.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from fabric.geometry import FabricShape
from fabric.iomap import IOMap
from sim.numpy_sim import FabricSim


class RTLSimulator:
    """The Verilator model of the fabric (built on first use, cached by Verilog hash),
    loaded through the configuration chains on every :meth:`run`.

    Each call to :meth:`run` loads, resets and streams from cycle 0, so unlike
    :class:`~sim.numpy_sim.FabricSim` it does not carry state across calls.
    ``style`` is the Verilog view: ``"tiles"`` (default, the hardware netlist),
    ``"sliced"`` (its bit-sliced simulation view; see :mod:`fabric.verilog_sliced`) or
    ``"hardened"`` (the program baked in, :mod:`fabric.verilog_hardened`: it needs the
    program's ``iomap`` and has no defect map, no spare columns and no waveform).
    """

    def __init__(self, configs: np.ndarray, defects: np.ndarray | None = None,
                 spares: int = 1, seed: int = 0,
                 build_dir: str | os.PathLike[str] | None = None,
                 style: str = "tiles", vcd: str | os.PathLike[str] | None = None,
                 iomap: IOMap | None = None) -> None:
        from fabric.verilog import check_style

        self.vcd = vcd  # write each run's waveform here (a tracing build)
        if style == "hardened":
            if iomap is None:
                raise ValueError("the hardened view needs the program's I/O map")
            if defects is not None or vcd is not None:
                raise ValueError("the hardened view is one hard-wired chip: it has no "
                                 "defect map or spare columns, and writes no waveform")
            self.style = style
        else:
            self.style = check_style(style)
        self.iomap = iomap
        self.configs = np.asarray(configs, dtype=np.uint64)
        h, w = self.configs.shape
        self.shape = FabricShape(w, h, spares)
        self.defects = defects
        self.seed = seed
        self.build_dir = build_dir
        self.last_run = None

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Load, reset and run ``len(inputs[...])`` cycles; return the output buses."""
        from sim.rtl_run import run_rtl_full  # cocotb is a heavy import

        full = {b: np.asarray(v, dtype=np.uint8) for b, v in inputs.items()}
        if self.style == "hardened":
            from sim.rtl_run import run_hardened

            assert self.iomap is not None
            self.last_run = run_hardened(self.configs, self.iomap, full,
                                         build_dir=self.build_dir, seed=self.seed)
            return self.last_run.outputs
        self.last_run = run_rtl_full(self.shape, self.configs, full, self.defects,
                                     build_dir=self.build_dir, seed=self.seed,
                                     style=self.style, vcd=self.vcd)
        return self.last_run.outputs


def make_simulator(engine: str, configs: np.ndarray, defects: np.ndarray | None = None,
                   spares: int = 1, seed: int = 0,
                   build_dir: str | os.PathLike[str] | None = None, style: str = "tiles",
                   vcd: str | os.PathLike[str] | None = None, iomap: IOMap | None = None
                   ) -> FabricSim | RTLSimulator:
    """``engine`` is ``"numpy"`` or ``"verilator"``; ``defects`` is a bool
    ``(H, W+spares)`` physical defect map or ``None`` (the logical fabric);
    ``style`` (``"tiles"``, ``"sliced"`` or ``"hardened"``, which needs ``iomap``) is
    the Verilog view Verilator runs and ``vcd`` a file for its waveform (Verilator
    only)."""
    if engine == "numpy":
        if defects is None:
            return FabricSim(configs)
        return FabricSim(configs, defects=defects, spares=spares, noise_seed=seed)
    if engine == "verilator":
        return RTLSimulator(configs, defects, spares, seed, build_dir, style, vcd, iomap)
    raise ValueError(f"unknown simulator engine {engine!r}: choose 'numpy' or 'verilator'")


def numpy_stage(defects: np.random.Generator | None = None, spares: int = 1,
                seed: int = 0):
    """A ``simulate(bitstream, words) -> output words`` for
    :meth:`compiler.compose.pipeline.Pipeline.run`: each fabric in the cycle-accurate
    numpy simulator, one token per cycle (:func:`sim.stream.stream_tokens`, garbage
    from ``seed`` on unmapped inputs), on the logical fabric or, given ``defects`` (a
    generator), on a tolerable random defect map of ``spares`` spare columns drawn from
    it for each fabric, garbage on the defective cells."""
    from fabric.defects import random_defects
    from sim.stream import stream_tokens

    def simulate(bs, words: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        dm = None if defects is None else random_defects(bs.height, bs.width, spares,
                                                         defects)
        sim = make_simulator("numpy", bs.configs, dm, spares, seed, iomap=bs.iomap)
        return stream_tokens(sim, bs.iomap, bs.width, bs.height, words, seed=seed + 1)
    return simulate
