"""Defect maps and the logical → physical column map (ARCHITECTURE §4, DESIGN §4).

A **defect map** is a ``bool`` array of shape ``(H, W + S)``: one flag per physical
cell, ``True`` = defective. In each row, logical column ``x`` lives in the ``x``-th
*working* physical column (west → east). A row with more than ``S`` defective cells
cannot hold a program; :func:`physical_columns` refuses it with a :class:`DefectError`
that names the row.

When a row has fewer than ``S`` defects, the working cells east of the one holding
logical column ``W - 1`` are *unused*: they hold no configuration and the router never
reads them (edge port ``east_*`` follows logical column ``W - 1``). :func:`used_cells`
gives the cells that do hold a logical column.

Pure numpy; no Amaranth.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: A defect map: ``bool`` array of shape ``(H, W + S)``; ``True`` marks a defective cell.
DefectMap = npt.NDArray[np.bool_]


class DefectError(ValueError):
    """A row has more defective cells than there are spare columns.

    Attributes: ``row`` (the first such row, 0-based from the north), ``defects``
    (its number of defective cells), ``spares`` (spare columns per row), and
    ``bad_rows`` (every row that is over the limit, ascending).
    """

    def __init__(self, row: int, defects: int, spares: int,
                 bad_rows: tuple[int, ...] = ()) -> None:
        self.row = row
        self.defects = defects
        self.spares = spares
        self.bad_rows = bad_rows or (row,)
        cells = "cell" if defects == 1 else "cells"
        cols = "column" if spares == 1 else "columns"
        msg = f"row {row} has {defects} defective {cells} but only {spares} spare {cols}"
        others = [r for r in self.bad_rows if r != row]
        if others:
            msg += f" (rows {', '.join(map(str, others))} are over the limit too)"
        super().__init__(msg)


def as_defect_map(defects: object, width: int | None = None,
                  height: int | None = None) -> DefectMap:
    """Validate ``defects`` and return it as a fresh ``bool`` array ``(H, W + S)``.

    Accepts a ``bool`` array or an integer array holding only 0/1. ``width`` is the
    logical width W (the map must have at least W columns); ``height``, when given,
    is the required number of rows. Raises ``TypeError`` for a non-array or a wrong
    dtype, ``ValueError`` for a wrong shape or values other than 0/1.
    """
    if not isinstance(defects, np.ndarray):
        raise TypeError(f"defect map must be a numpy array, got {type(defects).__name__}")
    if defects.ndim != 2:
        raise ValueError(f"defect map must be 2-D (rows, physical columns), "
                         f"got shape {defects.shape}")
    if defects.dtype == np.bool_:
        dm = defects.copy()
    elif np.issubdtype(defects.dtype, np.integer):
        if defects.size and not np.isin(defects, (0, 1)).all():
            raise ValueError("integer defect map must hold only 0 and 1")
        dm = defects.astype(np.bool_)
    else:
        raise TypeError(f"defect map must have dtype bool (or 0/1 integers), "
                        f"got {defects.dtype}")
    h, p = dm.shape
    if height is not None and h != height:
        raise ValueError(f"defect map has {h} rows but the fabric has {height}")
    if width is not None:
        if width < 1:
            raise ValueError(f"logical width must be >= 1, got {width}")
        if p < width:
            raise ValueError(f"defect map has {p} physical columns, fewer than the "
                             f"logical width {width}")
    return dm


def check_defects(defects: DefectMap, width: int) -> None:
    """Raise :class:`DefectError` if any row has more than ``S = P - width`` defects."""
    spares = defects.shape[1] - width
    counts = defects.sum(axis=1)
    bad = np.flatnonzero(counts > spares)
    if bad.size:
        row = int(bad[0])
        raise DefectError(row, int(counts[row]), spares, tuple(int(r) for r in bad))


def physical_columns(defects: object, width: int) -> npt.NDArray[np.intp]:
    """Return the physical column of every logical cell: ``int`` array ``(H, W)``.

    ``defects`` is a defect map ``(H, W + S)`` (``S = defects.shape[1] - width``
    spare columns); entry ``[y, x]`` of the result is the index of the ``x``-th
    working physical column of row ``y``, so it is strictly increasing along each
    row and ``x <= result[y, x] <= x + S``. Raises :class:`DefectError` naming the
    first row with more than ``S`` defects.
    """
    dm = as_defect_map(defects, width=width)
    check_defects(dm, width)
    # A stable sort puts the working (False) columns first, in west → east order.
    order = np.argsort(dm, axis=1, kind="stable")
    return np.ascontiguousarray(order[:, :width]).astype(np.intp)


def used_cells(defects: object, width: int) -> npt.NDArray[np.bool_]:
    """``bool`` ``(H, W + S)``: physical cells that hold a logical column.

    Exactly ``W`` per row; defective cells and working spares east of logical column
    ``W - 1`` are ``False``. Raises :class:`DefectError` like :func:`physical_columns`.
    """
    dm = as_defect_map(defects, width=width)
    cols = physical_columns(dm, width)
    used = np.zeros(dm.shape, dtype=np.bool_)
    np.put_along_axis(used, cols, True, axis=1)
    return used


def random_defects(height: int, width: int, spares: int,
                   rng: np.random.Generator | int | None = None) -> DefectMap:
    """Draw a tolerable defect map ``bool (height, width + spares)``.

    Each row independently gets a defect count uniform in ``0..spares`` and that
    many distinct defective columns, uniform among the ``width + spares``. ``rng``
    is a numpy ``Generator`` or a seed.
    """
    for name, v, lo in (("height", height, 1), ("width", width, 1), ("spares", spares, 0)):
        if int(v) != v or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    phys = width + spares
    counts = gen.integers(0, spares + 1, size=height)
    # A random permutation per row; the first counts[y] columns of it are defective.
    ranks = np.argsort(gen.random((height, phys)), axis=1).argsort(axis=1)
    return ranks < counts[:, None]
