"""The physical fabric (fabric.rtl.Fabric) in Amaranth's simulator.

A small fabric is loaded through the documented protocol (ARCHITECTURE §3)
with a random logical bitstream and random tolerable defect maps, then
streamed with random edge inputs; every output bit of every cycle must equal
a pure-Python model of the *logical* fabric built on cells.truth.cell_next.
Defective cells drive fresh random noise (fault injection).
"""

from __future__ import annotations

import random

import pytest
from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from cells.truth import cell_next
from fabric.geometry import FabricShape
from fabric.rtl import Fabric, Tile


def _logical_run(configs, inputs):
    """Logical fabric model: configs[y][x] ints; inputs: list of dicts of bit lists."""
    h, w = len(configs), len(configs[0])
    state = [[(0, 0, 0, 0)] * w for _ in range(h)]
    outs = []
    for ins in inputs:
        outs.append({
            "west_out": [state[y][0][3] for y in range(h)],
            "east_out": [state[y][w - 1][1] for y in range(h)],
            "north_out": [state[0][x][0] for x in range(w)],
            "south_out": [state[h - 1][x][2] for x in range(w)],
        })
        nxt = []
        for y in range(h):
            row = []
            for x in range(w):
                i_n = state[y - 1][x][2] if y else ins["north_in"][x]
                i_e = state[y][x + 1][3] if x + 1 < w else ins["east_in"][y]
                i_s = state[y + 1][x][0] if y + 1 < h else ins["south_in"][x]
                i_w = state[y][x - 1][1] if x else ins["west_in"][y]
                row.append(cell_next(configs[y][x], (i_n, i_e, i_s, i_w)))
            nxt.append(row)
        state = nxt
    return outs


def _bits(value: int, n: int) -> list[int]:
    return [(value >> i) & 1 for i in range(n)]


def _word(bits) -> int:
    return sum(b << i for i, b in enumerate(bits))


def _run_physical(shape: FabricShape, configs, defects, inputs, seed: int):
    rng = random.Random(seed)
    w, h, pw = shape.width, shape.height, shape.physical_width
    dut = Fabric(shape, fault_injection=True)
    m = Module()
    m.domains.sync = sync = ClockDomain()
    m.submodules.dut = dut
    outs = []

    async def testbench(ctx) -> None:
        ctx.set(sync.rst, 0)
        # 1. defect chains: in cycle k, defect_in[y] = defect[y][W+S-1-k]
        ctx.set(dut.defect_en, 1)
        for k in range(pw):
            ctx.set(dut.defect_in, _word(defects[y][pw - 1 - k] for y in range(h)))
            await ctx.tick()
        # 2. idle cycle: selects latch
        ctx.set(dut.defect_en, 0)
        await ctx.tick()
        # 3. configuration: cfg_in[y] = bit 63 - (k mod 64) of cell (W-1-(k div 64), y)
        ctx.set(dut.cfg_en, 1)
        for k in range(64 * w):
            x, b = w - 1 - k // 64, 63 - k % 64
            ctx.set(dut.cfg_in, _word((configs[y][x] >> b) & 1 for y in range(h)))
            ctx.set(dut.noise, rng.getrandbits(shape.noise_bits))
            await ctx.tick()
        ctx.set(dut.cfg_en, 0)
        # 4. one reset cycle
        ctx.set(sync.rst, 1)
        await ctx.tick()
        ctx.set(sync.rst, 0)
        for ins in inputs:
            for name in ("west_in", "east_in", "north_in", "south_in"):
                ctx.set(getattr(dut, name), _word(ins[name]))
            ctx.set(dut.noise, rng.getrandbits(shape.noise_bits))
            outs.append({name: _bits(ctx.get(getattr(dut, name)), h if name[0] in "we" else w)
                         for name in ("west_out", "east_out", "north_out", "south_out")})
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    return outs


def _random_defects(rng: random.Random, shape: FabricShape, count=None):
    pw = shape.physical_width
    rows = []
    for _ in range(shape.height):
        k = rng.randint(0, shape.spares) if count is None else count
        cols = set(rng.sample(range(pw), k))
        rows.append([int(p in cols) for p in range(pw)])
    return rows


@pytest.mark.parametrize(("w", "h", "s", "seed"), [
    (3, 3, 1, 1),
    (3, 2, 2, 2),
    (2, 3, 0, 3),
])
def test_physical_fabric_matches_logical_model(w: int, h: int, s: int, seed: int) -> None:
    rng = random.Random(seed)
    shape = FabricShape(w, h, s)
    configs = [[rng.getrandbits(64) for _ in range(w)] for _ in range(h)]
    cycles = 40
    inputs = [{"west_in": _bits(rng.getrandbits(h), h), "east_in": _bits(rng.getrandbits(h), h),
               "north_in": _bits(rng.getrandbits(w), w),
               "south_in": _bits(rng.getrandbits(w), w)} for _ in range(cycles)]
    want = _logical_run(configs, inputs)
    maps = [_random_defects(rng, shape, 0), _random_defects(rng, shape, s),
            _random_defects(rng, shape)]
    for i, defects in enumerate(maps):
        got = _run_physical(shape, configs, defects, inputs, seed=100 * seed + i)
        for t, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g == e, f"defects={defects} cycle {t}: {g} != {e}"


def test_fabric_argument_errors() -> None:
    with pytest.raises(TypeError, match="FabricShape"):
        Fabric((4, 4))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fault_injection"):
        Fabric(FabricShape(2, 2), fault_injection="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="65535"):
        Fabric(FabricShape(128, 128), fault_injection=True)
    with pytest.raises(ValueError, match="spares"):
        Tile(-1)
    with pytest.raises(TypeError, match="spares"):
        Tile(1.5)  # type: ignore[arg-type]
