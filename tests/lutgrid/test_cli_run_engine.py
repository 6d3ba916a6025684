"""``lutgrid run --engine``: the fast simulator by default where it applies, the
cycle-accurate one where it does not (or when asked), same tokens either way."""

from __future__ import annotations

import numpy as np

from cells.truth import W, copy_table, make_config, table_of
from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit
from lutgrid.cli import main


def _token_table(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("token"))
    return lines[start:]


def test_run_uses_the_fast_simulator_and_matches_the_cycle_one(tmp_path, capsys) -> None:
    path = tmp_path / "rs.lgb"
    compile_program(EXAMPLES["running_sum"](), "running_sum", seed=1).bitstream.save(path)
    assert main(["run", str(path), "--tokens", "200", "--defects", "--show", "20"]) == 0
    fast = capsys.readouterr().out
    assert "fast simulator: " in fast and "LUT nodes" in fast
    assert "identical to fast, no defects on every output of every token" in fast
    assert main(["run", str(path), "--tokens", "200", "--engine", "cycle", "--show",
                 "20"]) == 0
    cycle = capsys.readouterr().out
    assert "fast" not in cycle
    assert _token_table(fast) == _token_table(cycle)


def _loop_bitstream(path) -> None:
    """north_out[0] = in_N ^ in_E of cell 0, whose in_E comes from a two-cell loop that
    keeps folding north_in[0] into itself."""
    xor = table_of(lambda n, e, s, w: n ^ e)
    cfg = np.array([[make_config([xor, xor, 0, 0]), make_config([0, 0, 0, copy_table(W)])]],
                   dtype=np.uint64)
    iomap = IOMap({"a": (PortBit("north_in", 0, 0),)}, {"y": (PortBit("north_out", 0, 1),)}, 1)
    Bitstream(cfg, iomap).save(path)


def test_a_loop_falls_back_to_the_cycle_simulator(tmp_path, capsys) -> None:
    path = tmp_path / "loop.lgb"
    _loop_bitstream(path)
    assert main(["run", str(path), "--tokens", "50"]) == 0
    out = capsys.readouterr().out
    assert "the fast simulator does not apply (output north_out[0] depends on a feedback " \
           "loop through cell (x=" in out
    assert "numpy, no defects: 50 tokens" in out
    assert main(["run", str(path), "--tokens", "50", "--engine", "fast"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: the fast simulator does not apply" in err
