"""Widening a near-miss floorplan where nets still collided (compiler/compose/stitch.py,
floorplan.widened), and the history costs a retiming round hands to the next one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose.channels import ChannelRouter
from compiler.compose.floorplan import Floorplan, shelf_floorplan, widened
from compiler.compose.stitch import WIDEN_CELLS, _widen_where_shared


def _overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=8),
       st.integers(1, 4),
       st.dictionaries(st.integers(0, 60), st.integers(1, 8), max_size=4),
       st.dictionaries(st.integers(0, 60), st.integers(1, 8), max_size=4))
def test_widened_moves_blocks_apart_and_keeps_them_on_the_fabric(sizes, margin, cols,
                                                                  rows) -> None:
    fp = shelf_floorplan(sizes, margin)
    out = widened(fp, sizes, cols, rows)
    rects = [(x, y, w, h) for (x, y), (w, h) in zip(out.pos, sizes, strict=True)]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not _overlap(a, b)
        x, y, w, h = a
        assert x + w < out.width and y + h < out.height
    for (x0, y0), (x1, y1) in zip(fp.pos, out.pos, strict=True):
        assert x1 - x0 == sum(k for c, k in cols.items() if c <= x0)
        assert y1 - y0 == sum(k for r, k in rows.items() if r <= y0)


def test_a_congested_corridor_gets_the_tracks_it_lacked() -> None:
    """Three nets too many going south in column 10 (rows 3-5) and one too many going
    east in row 20: columns go in beside the corridor, rows below the row."""
    sizes = [(4, 4), (4, 4)]
    fp = Floorplan(40, 40, [(2, 2), (14, 2)])
    shared = [(10, y, 2) for y in (3, 4, 5) for _ in range(3)] + [(5, 20, 1)]
    out = _widen_where_shared(fp, [_Blk(*s) for s in sizes], shared)
    # the block east of the corridor moves by the corridor's excess (3 nets on one cell
    # at most: clamped to at least WIDEN_CELLS)
    assert out.pos[0] == (2, 2)
    assert out.pos[1] == (14 + max(WIDEN_CELLS, 3), 2)
    assert out.height == fp.height + WIDEN_CELLS


class _Blk:
    def __init__(self, w: int, h: int) -> None:
        self.width, self.height = w, h


def test_router_starts_from_the_history_it_is_given() -> None:
    blocked = np.zeros((6, 6), dtype=bool)
    hist = np.zeros((6, 6, 4))
    hist[2, 3, 1] = 7.0
    r = ChannelRouter(6, 6, blocked, set(), hist=hist)
    assert r.hist[2, 3, 1] == 7.0
    r.hist[2, 3, 1] = 1.0                       # a copy: the caller's array is kept
    assert hist[2, 3, 1] == 7.0
    assert not ChannelRouter(6, 6, blocked, set()).hist.any()
