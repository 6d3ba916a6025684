"""End-to-end gate: random netlists streamed through the numpy fabric, bit exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lg_backend_gen import cell_roles, random_netlist, stream_check

from compiler.errors import FitError, ParityError
from compiler.flow import compile_netlist
from compiler.netlist import Netlist


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_luts=st.integers(1, 7), n_words=st.integers(1, 3))
def test_random_netlists_stream_bit_exact(seed: int, n_luts: int, n_words: int) -> None:
    rng = np.random.default_rng(seed)
    nl = random_netlist(rng, n_words=n_words, wbits=2, n_luts=n_luts, n_out=3)
    res = compile_netlist(nl)
    stream_check(nl, res, n_tokens=300, seed=seed)


@pytest.mark.parametrize("seed", [0, 3, 9, 16])
def test_fixed_random_netlists(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nl = random_netlist(rng, n_luts=int(rng.integers(2, 9)))
    res = compile_netlist(nl)
    stream_check(nl, res)
    rep = res.report
    compute, route = cell_roles(res)
    assert (rep.compute_cells, rep.route_only_cells) == (len(compute), len(route))
    assert rep.idle_cells == rep.width * rep.height - len(compute | route)


def test_adder_chain_on_fixed_fabric() -> None:
    nl = Netlist()
    a = [nl.input("a", b) for b in range(4)]
    b = [nl.input("b", i) for i in range(4)]
    carry = None
    for i in range(4):
        if carry is None:
            s = nl.lut([a[i], b[i]], 0b0110)
            carry = nl.lut([a[i], b[i]], 0b1000)
        else:
            s = nl.lut([a[i], b[i], carry], 0b10010110)
            carry = nl.lut([a[i], b[i], carry], 0b11101000)
        nl.output("s", i, s)
    nl.output("s", 4, carry)
    res = compile_netlist(nl, width=12, height=12)
    assert res.bitstream.width == 12 and res.bitstream.height == 12
    stream_check(nl, res)


def test_determinism_same_bytes() -> None:
    nl = random_netlist(np.random.default_rng(5), n_luts=6)
    one = compile_netlist(nl, seed=1).bitstream.to_bytes()
    two = compile_netlist(nl, seed=1).bitstream.to_bytes()
    assert one == two


def test_too_big_raises_fit_error() -> None:
    nl = random_netlist(np.random.default_rng(1), n_luts=30, n_out=8)
    with pytest.raises(FitError, match=r"needs at least \d+ cells.*has 3x3 = 9") as info:
        compile_netlist(nl, width=3, height=3)
    assert info.value.needed is not None and info.value.needed > 9
    assert info.value.available == 9


def test_cli_too_big_writes_nothing(tmp_path, capsys) -> None:
    """`lutgrid compile` on a fabric that is too small names the shortage and leaves no
    file (neither the bitstream nor a temporary one)."""
    from lutgrid.cli import main

    out = tmp_path / "prog.lgb"
    status = main(["compile", "--example", "mul8x8", "--width", "4", "--height", "4",
                   "-o", str(out)])
    assert status == 2
    assert "does not fit" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_determinism_across_processes(tmp_path) -> None:
    """Same program and seed, two interpreters with different hash seeds: same bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"p{hash_seed}.lgb"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "lutgrid.cli", "compile", "--example",
                        "running_sum", "--no-check", "-o", str(out)], check=True, env=env,
                       capture_output=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def _odd_reconvergent() -> Netlist:
    nl = Netlist()
    x = nl.input("x", 0)
    y = nl.input("x", 1)
    a = nl.lut([x, y], 0b0110)
    nl.output("y", 0, nl.lut([a, nl.delay(a, 1)], 0b0110))
    return nl


def test_odd_reconvergent_delay_is_refused_without_legalising() -> None:
    with pytest.raises(ParityError):
        compile_netlist(_odd_reconvergent(), legalise=False)


def test_odd_reconvergent_delay_is_legalised() -> None:
    """compile_netlist runs legalise_parity: the odd delay gets a second feed x@1."""
    nl = _odd_reconvergent()
    res = compile_netlist(nl)
    assert res.bitstream.iomap is not None and "x@1" in res.bitstream.iomap.inputs
    stream_check(nl, res)


def test_feeds_stream_bit_exact() -> None:
    """A netlist whose input bits fan out widely compiles with extra feeds ``x@TAG``
    and streams bit-exact."""
    nl = random_netlist(np.random.default_rng(5), n_luts=16, n_out=4)
    res = compile_netlist(nl, seed=0)
    iom = res.bitstream.iomap
    assert iom is not None
    stream_check(nl, res)


@pytest.mark.slow
def test_general_flow_routes_the_8x8_multiply() -> None:
    """The compressor tree of an 8x8 signed multiply (75 clusters) through general place
    and route (no macro), streamed and checked: about 8 minutes, so `pytest -m slow`."""
    from compiler.examples import mul8x8
    from compiler.program import compile_program
    from sim.check import check_program

    program = compile_program(mul8x8(), "mul8x8", macros=False)
    assert program.flow == "general"
    check_program(program, "numpy", 300, seed=1)


def test_cli_compile_shows_progress(tmp_path, capsys) -> None:
    """`lutgrid compile` prints each layout it tries on stderr, and with -v every router
    iteration; the bitstream is still written."""
    from lutgrid.cli import main

    out = tmp_path / "t.lgb"
    assert main(["compile", "--example", "table16", "--no-macros", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "layout (3, 3, 2)" in err and "iteration 1:" not in err
    assert main(["compile", "--example", "table16", "--no-macros", "-v", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "layout (3, 3, 2)" in err and "iteration 1:" in err
    assert out.exists()
