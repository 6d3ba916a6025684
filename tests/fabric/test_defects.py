"""Defect maps, the logical → physical column map and the >S error (ARCHITECTURE §4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fabric.defects import (
    DefectError,
    as_defect_map,
    physical_columns,
    random_defects,
    used_cells,
)


def test_hand_example() -> None:
    dm = np.array([
        [0, 0, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 0, 1],
    ], dtype=bool)
    cols = physical_columns(dm, 4)
    assert cols.tolist() == [[0, 1, 2, 3], [1, 2, 3, 4], [0, 1, 3, 4], [0, 1, 2, 3]]
    assert cols.shape == (4, 4) and np.issubdtype(cols.dtype, np.integer)
    used = used_cells(dm, 4)
    assert used.tolist() == [
        [1, 1, 1, 1, 0], [0, 1, 1, 1, 1], [1, 1, 0, 1, 1], [1, 1, 1, 1, 0]]


def test_integer_map_accepted() -> None:
    dm = np.array([[0, 1, 0]], dtype=np.uint8)
    assert physical_columns(dm, 2).tolist() == [[0, 2]]


def test_row_error_names_row() -> None:
    dm = np.zeros((5, 9), dtype=bool)
    dm[3, [1, 4]] = True
    with pytest.raises(DefectError) as info:
        physical_columns(dm, 8)
    assert str(info.value) == "row 3 has 2 defective cells but only 1 spare column"
    assert (info.value.row, info.value.defects, info.value.spares) == (3, 2, 1)
    assert isinstance(info.value, ValueError)


def test_row_error_lists_other_rows_and_plurals() -> None:
    dm = np.zeros((6, 6), dtype=bool)
    dm[1, :3] = True
    dm[4, :4] = True
    with pytest.raises(DefectError, match=r"^row 1 has 3 defective cells but only 2 spare "
                       r"columns \(rows 4 are over the limit too\)$") as info:
        physical_columns(dm, 4)
    assert info.value.bad_rows == (1, 4)
    # no spares: a single defect is fatal
    with pytest.raises(DefectError, match="row 0 has 1 defective cell but only 0 spare columns"):
        physical_columns(np.array([[False, True]]), 2)


@pytest.mark.parametrize("bad, exc, msg", [
    ([[0, 1]], TypeError, "numpy array"),
    (np.zeros(4, dtype=bool), ValueError, "2-D"),
    (np.zeros((2, 4), dtype=float), TypeError, "dtype bool"),
    (np.full((2, 4), 2, dtype=np.int64), ValueError, "only 0 and 1"),
    (np.zeros((2, 2), dtype=bool), ValueError, "fewer than the logical width 3"),
])
def test_validation(bad: object, exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=msg):
        physical_columns(bad, 3)


def test_height_and_width_checks() -> None:
    with pytest.raises(ValueError, match="3 rows but the fabric has 4"):
        as_defect_map(np.zeros((3, 5), dtype=bool), width=4, height=4)
    with pytest.raises(ValueError, match="width must be >= 1"):
        physical_columns(np.zeros((3, 5), dtype=bool), 0)


@given(st.integers(1, 12), st.integers(1, 40), st.integers(0, 3), st.integers(0, 2**32))
def test_random_defects_are_tolerable(h: int, w: int, s: int, seed: int) -> None:
    dm = random_defects(h, w, s, np.random.default_rng(seed))
    assert dm.shape == (h, w + s) and dm.dtype == np.bool_
    assert (dm.sum(axis=1) <= s).all()
    cols = physical_columns(dm, w)
    assert cols.shape == (h, w)
    assert (np.diff(cols, axis=1) > 0).all()           # strictly west → east
    xs = np.arange(w)[None, :]
    assert ((cols >= xs) & (cols <= xs + s)).all()     # offset 0..S
    assert not np.take_along_axis(dm, cols, axis=1).any()
    # every working cell west of the last used one is used
    used = used_cells(dm, w)
    assert (used.sum(axis=1) == w).all() and not (used & dm).any()
    for y in range(h):
        last = cols[y, -1]
        assert (used[y, : last + 1] == ~dm[y, : last + 1]).all()


def test_random_defects_deterministic_and_covers_counts() -> None:
    a = random_defects(200, 10, 2, 5)
    b = random_defects(200, 10, 2, np.random.default_rng(5))
    assert (a == b).all()
    assert set(a.sum(axis=1).tolist()) == {0, 1, 2}
    assert a.any(axis=0).all()                         # defects land in every column


def test_random_defects_bad_args() -> None:
    with pytest.raises(ValueError, match="spares"):
        random_defects(2, 2, -1, 0)
    with pytest.raises(ValueError, match="height"):
        random_defects(0, 2, 1, 0)
