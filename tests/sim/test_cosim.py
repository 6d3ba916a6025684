"""Co-simulation: the generated RTL under Verilator against the numpy simulator.

DESIGN §6 / issue 2: on random bitstreams and random edge inputs, every output bit
of every edge bus, every cycle, is equal in both simulators; the same logical
bitstream on the physical fabric with random defect maps (≤ S per row, defective
cells loading random noise every cycle) gives exactly the defect-free outputs; and a
hand-placed streaming program takes one new token every cycle and gives the
reference result at cycle n + offset in both simulators.

The RTL tests share two Verilator builds of the 8×8 (S = 1) fabric per session
(plain and fault-injection; see ``conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fabric.arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from fabric.defects import random_defects
from fabric.examples import random_tokens, ripple_adder
from fabric.geometry import FabricShape
from sim.numpy_sim import FabricSim
from sim.rtl_run import run_rtl
from sim.stream import decode_outputs, encode_tokens

SHAPE = FabricShape(8, 8, spares=1)
CYCLES = 300


def random_configs(rng: np.random.Generator, shape: FabricShape) -> np.ndarray:
    """Uniformly random 64-bit configurations ``uint64 (H, W)``."""
    return rng.integers(0, 2**64, size=(shape.height, shape.width), dtype=np.uint64,
                        endpoint=False)


def random_inputs(rng: np.random.Generator, shape: FabricShape, cycles: int
                  ) -> dict[str, np.ndarray]:
    """Random 0/1 on every input bus, every cycle."""
    return {b: rng.integers(0, 2, size=(cycles, bus_width(b, shape.width, shape.height)),
                            dtype=np.uint8) for b in INPUT_BUSES}


def defect_in_every_row(rng: np.random.Generator, shape: FabricShape) -> np.ndarray:
    """A defect map with one defective cell in every row at a random column, row 0's
    in the first physical column and row 1's in the last (the edge-port cases)."""
    p = shape.physical_width
    full = np.zeros((shape.height, p), dtype=bool)
    full[np.arange(shape.height), rng.integers(0, p, size=shape.height)] = True
    full[0, :] = False
    full[0, 0] = True
    full[1, :] = False
    full[1, p - 1] = True
    return full


def assert_same_outputs(got: dict[str, np.ndarray], want: dict[str, np.ndarray],
                        what: str) -> None:
    """Every bit of every output bus, every cycle; names the first difference."""
    for bus in OUTPUT_BUSES:
        assert got[bus].shape == want[bus].shape, f"{what}: {bus} shape"
        diff = np.argwhere(got[bus] != want[bus])
        if diff.size:
            t, i = diff[0]
            pytest.fail(f"{what}: {bus}[{i}] differs first at cycle {t} "
                        f"({len(diff)} differing bits in all)")


@pytest.mark.rtl
@pytest.mark.parametrize("seed", [1, 2])
def test_random_bitstream_matches_numpy(rtl_build_dir: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    configs = random_configs(rng, SHAPE)
    inputs = random_inputs(rng, SHAPE, CYCLES)
    rtl = run_rtl(SHAPE, configs, inputs, build_dir=rtl_build_dir, seed=seed)
    ref = FabricSim(configs).run(inputs)
    assert not any(ref[b].all() or not ref[b].any() for b in OUTPUT_BUSES), \
        "degenerate random program: an output bus is constant"
    assert_same_outputs(rtl, ref, f"seed {seed}")


@pytest.mark.rtl
def test_defect_maps_do_not_change_results(rtl_build_dir: Path) -> None:
    rng = np.random.default_rng(7)
    configs = random_configs(rng, SHAPE)
    inputs = random_inputs(rng, SHAPE, CYCLES)
    ref = FabricSim(configs).run(inputs)
    maps = [random_defects(SHAPE.height, SHAPE.width, SHAPE.spares, rng) for _ in range(2)]
    maps.append(defect_in_every_row(rng, SHAPE))
    for k, dm in enumerate(maps):
        what = f"defect map {k} ({int(dm.sum())} defects)"
        sim = FabricSim(configs, defects=dm, spares=SHAPE.spares, noise_seed=k)
        assert_same_outputs(sim.run(inputs), ref, f"numpy, {what}")
        rtl = run_rtl(SHAPE, configs, inputs, dm, build_dir=rtl_build_dir, seed=100 + k,
                      fault_injection=True)
        assert_same_outputs(rtl, ref, f"Verilator with fault injection, {what}")


@pytest.mark.rtl
def test_adder_streams_one_token_per_cycle(rtl_build_dir: Path) -> None:
    example = ripple_adder(4, SHAPE)
    n_tokens = 256
    tokens = random_tokens(example, n_tokens, 3)
    want = example.reference(tokens)["s"]
    inputs = encode_tokens(example.iomap, SHAPE.width, SHAPE.height, tokens,
                           np.random.default_rng(4))
    dm = random_defects(SHAPE.height, SHAPE.width, SHAPE.spares, 5)
    runs = {
        "numpy": FabricSim(example.configs).run(inputs),
        "Verilator": run_rtl(SHAPE, example.configs, inputs, build_dir=rtl_build_dir),
        "Verilator, defects": run_rtl(SHAPE, example.configs, inputs, dm,
                                      build_dir=rtl_build_dir, fault_injection=True),
    }
    for name, outputs in runs.items():
        got = decode_outputs(example.iomap, outputs, n_tokens)["s"]
        bad = np.flatnonzero(got != want)
        assert not bad.size, (f"{name}: token {bad[0]} gave {got[bad[0]]}, expected "
                              f"{want[bad[0]]} (latency {example.iomap.latency})")
