"""The Amaranth cell against the truth model (cells.truth.cell_next)."""

from __future__ import annotations

import random

import pytest
from amaranth.back import verilog
from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from cells.cell import LUT_STYLES, Cell
from cells.truth import CONFIG_BITS, cell_next


def _run(cell: Cell, testbench) -> None:
    sim = Simulator(cell)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


async def _load(ctx, cell: Cell, cfg: int) -> None:
    """Shift ``cfg`` in, MSB first (64 cycles with cfg_en high)."""
    ctx.set(cell.cfg_en, 1)
    for i in range(CONFIG_BITS):
        ctx.set(cell.cfg_in, (cfg >> (CONFIG_BITS - 1 - i)) & 1)
        await ctx.tick()
    ctx.set(cell.cfg_en, 0)


@pytest.mark.parametrize("style", LUT_STYLES)
def test_cell_matches_truth_model(style: str) -> None:
    rng = random.Random(1234 + LUT_STYLES.index(style))
    cell = Cell(lut_style=style)
    configs = [rng.getrandbits(64) for _ in range(6)] + [0, (1 << 64) - 1]

    async def testbench(ctx) -> None:
        for cfg in configs:
            await _load(ctx, cell, cfg)
            assert ctx.get(cell.cfg) == cfg
            assert ctx.get(cell.cfg_out) == cfg >> 63
            for _ in range(40):
                ins = tuple(rng.getrandbits(1) for _ in range(4))
                for port, bit in zip((cell.in_n, cell.in_e, cell.in_s, cell.in_w), ins,
                                     strict=True):
                    ctx.set(port, bit)
                await ctx.tick()
                got = tuple(ctx.get(o) for o in (cell.out_n, cell.out_e, cell.out_s,
                                                 cell.out_w))
                assert got == cell_next(cfg, ins), (hex(cfg), ins)

    _run(cell, testbench)


def test_every_address_every_side() -> None:
    """A one-hot configuration per (side, address) lights exactly that output."""
    cell = Cell()

    async def testbench(ctx) -> None:
        for bit in range(0, 64, 5):
            cfg = 1 << bit
            await _load(ctx, cell, cfg)
            for a in range(16):
                ins = (a & 1, (a >> 1) & 1, (a >> 2) & 1, (a >> 3) & 1)
                for port, val in zip((cell.in_n, cell.in_e, cell.in_s, cell.in_w), ins,
                                     strict=True):
                    ctx.set(port, val)
                await ctx.tick()
                got = tuple(ctx.get(o) for o in (cell.out_n, cell.out_e, cell.out_s,
                                                 cell.out_w))
                assert got == cell_next(cfg, ins)

    _run(cell, testbench)


def test_reset_clears_outputs_not_configuration() -> None:
    cell = Cell()
    m = Module()
    m.domains.sync = sync = ClockDomain()
    m.submodules.cell = cell
    cfg = (1 << 64) - 1   # every output 1 whatever the inputs
    outs = (cell.out_n, cell.out_e, cell.out_s, cell.out_w)

    async def testbench(ctx) -> None:
        await _load(ctx, cell, cfg)
        await ctx.tick()
        assert all(ctx.get(o) == 1 for o in outs)
        ctx.set(sync.rst, 1)
        await ctx.tick()
        assert all(ctx.get(o) == 0 for o in outs)
        assert ctx.get(cell.cfg) == cfg
        ctx.set(sync.rst, 0)
        await ctx.tick()
        assert all(ctx.get(o) == 1 for o in outs)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


def test_cfg_en_low_holds_configuration() -> None:
    rng = random.Random(7)
    cell = Cell()
    cfg = rng.getrandbits(64)

    async def testbench(ctx) -> None:
        await _load(ctx, cell, cfg)
        for _ in range(10):
            ctx.set(cell.cfg_in, rng.getrandbits(1))
            await ctx.tick()
        assert ctx.get(cell.cfg) == cfg

    _run(cell, testbench)


def test_fault_injection_loads_noise() -> None:
    rng = random.Random(9)
    cell = Cell(fault_injection=True)
    cfg = rng.getrandbits(64)

    async def testbench(ctx) -> None:
        await _load(ctx, cell, cfg)
        for _ in range(30):
            fault = rng.getrandbits(1)
            noise = rng.getrandbits(4)
            ins = tuple(rng.getrandbits(1) for _ in range(4))
            ctx.set(cell.fault, fault)
            ctx.set(cell.noise, noise)
            for port, bit in zip((cell.in_n, cell.in_e, cell.in_s, cell.in_w), ins,
                                 strict=True):
                ctx.set(port, bit)
            await ctx.tick()
            got = tuple(ctx.get(o) for o in (cell.out_n, cell.out_e, cell.out_s, cell.out_w))
            want = tuple((noise >> d) & 1 for d in range(4)) if fault else cell_next(cfg, ins)
            assert got == want

    _run(cell, testbench)


def test_cell_argument_errors() -> None:
    with pytest.raises(ValueError, match="LUT style"):
        Cell(lut_style="rom")
    with pytest.raises(TypeError, match="fault_injection"):
        Cell(fault_injection=1)  # type: ignore[arg-type]


def test_cell_verilog_has_no_truncating_shift() -> None:
    text = verilog.convert(Cell(), name="lut_cell", emit_src=False, strip_internal_attrs=True)
    assert "module lut_cell" in text
    # every LUT read is a full-width (64-bit) shift, sliced afterwards
    assert text.count("wire [63:0] lut_") == 4
