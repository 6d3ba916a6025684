"""Synthesis figures on a real FPGA flow (issue 9, part 2): Yosys synth_ecp5 + nextpnr-ecp5.

Runs :func:`lutgrid.synth_run.run_synth` (tile, 4x4 fabric, the Amaranth 16x16 int4
matvec anchor, checked in simulation first; lutgrid's Linear macro on the same weights,
checked in the numpy simulator) and prints::

    FIGURE tile_luts_ecp5 / tile_ffs_ecp5                      (one tile on its own)
    FIGURE fabric4x4_luts_ecp5 / fabric4x4_ffs_ecp5 / fabric4x4_fmax_mhz_ecp5
    FIGURE fpga_luts_per_weight_linear16x16_int4_ecp5          (the anchor)
    FIGURE lutgrid_luts_per_weight_linear16x16_int4            (4 x cells per weight)
    FIGURE demo_projected_tokens_per_s                         (a PROJECTION, see the print)
    FIGURE hardened_mul4x4_luts_ecp5 / _ffs_ecp5 / _fmax_mhz_ecp5 (a program baked in)
    FIGURE hardened_luts_per_weight_linear16x16_int4_ecp5      (full run: the anchor's
           weights laid out by lutgrid, hardened, on the 85k part; ~3 min of tools)
    FIGURE synth_s_<design>_<tool>                             (seconds of each tool run)

--quick reuses cached results (``fabric.synth``: keyed by the SHA-256 of the Verilog,
options and tool versions; a cold cache costs about 4 minutes of tool time); the full
run always runs the tools.
"""

from __future__ import annotations

from lutgrid.synth_run import run_synth

Figure = tuple[str, float, str]


def _mul4x4():
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program

    return compile_program(EXAMPLES["mul4x4"](), "mul4x4", seed=1).bitstream


def run(quick: bool = False) -> list[Figure]:
    """Synthesise, measure, return (and print) the figures."""
    res = run_synth(4, 4, 1, anchor=True, use_cache=quick, hardened_anchor=not quick,
                    programs=[("mul4x4", _mul4x4())])
    figs = list(res.figures)
    for tag, r in (("tile", res.tile), ("fabric4x4", res.fabric), ("anchor", res.anchor)):
        if r is None:
            continue
        how = "s_cached_run" if r.cached else "s"
        figs += [(f"synth_s_{tag}_yosys", r.yosys_s, how),
                 (f"synth_s_{tag}_nextpnr", r.nextpnr_s, how)]
    for name, value, unit in figs:
        print(f"FIGURE {name} {value:.6g} {unit}")
    return figs


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    run(parser.parse_args().quick)
