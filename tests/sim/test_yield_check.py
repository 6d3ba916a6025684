"""Compiled programs on surviving defect maps of the physical fabric (issue 9, part 3)."""

from __future__ import annotations

import numpy as np
import pytest

import sim.numpy_sim
from fabric.defects import DefectError
from sim.yield_check import (
    check_example_on_map,
    check_on_map,
    compiled_example,
    overfull_map,
    refusal,
    surviving_maps,
)


@pytest.mark.parametrize("name,spares,p", [("linear4x4", 1, 0.01), ("mul4x4", 2, 0.03)])
def test_surviving_maps_give_the_defect_free_outputs(name: str, spares: int, p: float) -> None:
    prog = compiled_example(name)
    bs = prog.bitstream
    maps, drawn = surviving_maps(bs.width, bs.height, spares, p, 4, seed=2)
    assert len(maps) == 4 and drawn >= 4
    assert all(m.shape == (bs.height, bs.width + spares) for m in maps)
    # the maps are really defective, some rows use every spare
    assert sum(int(m.sum()) for m in maps) >= 8
    assert any((m.sum(axis=1) == spares).any() for m in maps)
    for i, dm in enumerate(maps):
        assert check_on_map(prog, dm, spares, tokens=150, seed=i) == int(dm.sum())


def test_check_fails_when_a_used_cell_turns_to_garbage(monkeypatch) -> None:
    """The check can fail: a physical fabric that feeds noise into one cell the program
    uses (as if the router had skipped it) must be caught."""
    prog = compiled_example("mul4x4")
    bs = prog.bitstream
    maps, _ = surviving_maps(bs.width, bs.height, 1, 0.02, 1, seed=4)
    real = sim.numpy_sim.used_cells
    used_prog = np.flatnonzero(bs.configs.ravel() != 0)
    y, x = divmod(int(used_prog[len(used_prog) // 2]), bs.width)

    def broken(defects, width):
        used = real(defects, width)
        cols = np.flatnonzero(used[y])
        used[y, cols[x]] = False                   # logical (x, y) now loads noise
        return used

    monkeypatch.setattr(sim.numpy_sim, "used_cells", broken)
    with pytest.raises(AssertionError, match="defect-free run gives"):
        check_on_map(prog, maps[0], 1, tokens=150, seed=0)


@pytest.mark.parametrize("row", [0, 9, 16])
def test_overfull_row_is_refused_by_name(row: int) -> None:
    prog = compiled_example("mul4x4")
    err = refusal(prog, 1, row, seed=row)
    assert isinstance(err, DefectError) and err.row == row
    assert str(err).startswith(f"row {row} has 2 defective cells but only 1 spare column")
    dm = overfull_map(prog.bitstream.width, prog.bitstream.height, 1, row, seed=row)
    assert dm.sum(axis=1)[row] == 2 and (np.delete(dm.sum(axis=1), row) <= 1).all()


def test_job_form_and_bad_input() -> None:
    prog = compiled_example("mul4x4")
    bs = prog.bitstream
    maps, _ = surviving_maps(bs.width, bs.height, 1, 0.02, 1, seed=8)
    assert check_example_on_map("mul4x4", maps[0], 1, 50, 0) == int(maps[0].sum())
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        compiled_example("nope")
    with pytest.raises(ValueError, match="survive at p=0.5"):
        surviving_maps(bs.width, bs.height, 1, 0.5, 1, max_draws=20)
    with pytest.raises(ValueError, match="row 99 is outside"):
        overfull_map(4, 4, 1, 99)
