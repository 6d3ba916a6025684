"""Co-simulation of the bit-sliced Verilog view (``style="sliced"``) against numpy.

The sliced view (:mod:`fabric.verilog_sliced`) claims the ports and cycle
semantics of the tile netlist; these tests hold it to the same standard as
``test_cosim.py`` holds the tiles: on random bitstreams and random edge inputs
every output bit of every edge bus, every cycle, equals :class:`FabricSim`; and
with fault injection, on random defect maps (defective cells loading random
noise every cycle), the outputs equal the defect-free run. Two Verilator builds
of the 8×8 (S = 1) sliced fabric per session (plain and fault-injection), about
15-25 s each, cached like the tile builds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_cosim import (
    assert_same_outputs,
    defect_in_every_row,
    random_configs,
    random_inputs,
)

from fabric.defects import random_defects
from fabric.geometry import FabricShape
from sim.numpy_sim import FabricSim
from sim.rtl_run import run_rtl, run_rtl_full
from sim.simulators import make_simulator

SHAPE = FabricShape(8, 8, spares=1)
CYCLES = 250
STYLE = "sliced"


@pytest.mark.rtl
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_sliced_random_bitstream_matches_numpy(rtl_build_dir: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    configs = random_configs(rng, SHAPE)
    inputs = random_inputs(rng, SHAPE, CYCLES)
    run = run_rtl_full(SHAPE, configs, inputs, build_dir=rtl_build_dir, seed=seed,
                       style=STYLE)
    assert run.build.style == STYLE and run.build.directory.name.startswith("8x8s1-sliced-")
    ref = FabricSim(configs).run(inputs)
    assert not any(ref[b].all() or not ref[b].any() for b in ref), \
        "degenerate random program: an output bus is constant"
    assert_same_outputs(run.outputs, ref, f"sliced, seed {seed}")


@pytest.mark.rtl
def test_sliced_defect_maps_do_not_change_results(rtl_build_dir: Path) -> None:
    rng = np.random.default_rng(17)
    configs = random_configs(rng, SHAPE)
    inputs = random_inputs(rng, SHAPE, CYCLES)
    ref = FabricSim(configs).run(inputs)
    maps = [random_defects(SHAPE.height, SHAPE.width, SHAPE.spares, rng) for _ in range(3)]
    maps.append(defect_in_every_row(rng, SHAPE))
    # No defects: every spare cell is unused.
    maps.append(np.zeros((SHAPE.height, SHAPE.physical_width), dtype=bool))
    for k, dm in enumerate(maps):
        what = f"sliced with fault injection, defect map {k} ({int(dm.sum())} defects)"
        rtl = run_rtl(SHAPE, configs, inputs, dm, build_dir=rtl_build_dir, seed=200 + k,
                      fault_injection=True, style=STYLE)
        assert_same_outputs(rtl, ref, what)


@pytest.mark.rtl
def test_make_simulator_sliced(rtl_build_dir: Path) -> None:
    rng = np.random.default_rng(19)
    configs = random_configs(rng, SHAPE)
    inputs = random_inputs(rng, SHAPE, 60)
    dm = random_defects(SHAPE.height, SHAPE.width, SHAPE.spares, rng)
    sim = make_simulator("verilator", configs, dm, SHAPE.spares, 3, rtl_build_dir,
                         style=STYLE)
    assert_same_outputs(sim.run(inputs), FabricSim(configs).run(inputs),
                        "make_simulator(style='sliced')")
    assert sim.last_run is not None and sim.last_run.build.style == STYLE


def test_bad_style_is_refused(tmp_path: Path) -> None:
    from sim.verilator import build_fabric

    with pytest.raises(ValueError, match="style"):
        build_fabric(SHAPE, tmp_path, style="flat")
    with pytest.raises(ValueError, match="style"):
        make_simulator("verilator", np.zeros((8, 8), np.uint64), style="flat")
    assert not list(tmp_path.iterdir())
