"""lutgrid.scale_study: the measuring process against an in-process compile, the Dask
path, a budget that runs out, the growth fit and the projection's arithmetic."""

from __future__ import annotations

import pytest

from compiler.examples import mlp
from compiler.program import compile_program
from lutgrid.scale_study import (
    TRANSISTORS_PER_CELL,
    Point,
    fit_growth,
    measure,
    project,
    run_study,
)


def test_the_measuring_process_reports_what_an_in_process_compile_gives() -> None:
    p = measure("mlp", 2, 4, budget=120)
    prog = compile_program(mlp(2, 4), "mlp2x4", compose=True)
    assert not p.error
    assert (p.cells, p.latency) == (prog.usage.used, prog.bitstream.iomap.latency)
    # 2x4 + 4x2 weights, 4 + 2 biases
    assert p.params == 22
    assert p.compile_s > 0 and p.peak_mb > 10


def test_a_block_is_measured_as_its_row_of_fabrics() -> None:
    """The block family: cells and latency of the row of fabrics an in-process compile
    gives (one op, or one element of an elementwise op, per fabric), parameters counted
    by hand."""
    from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
    from compiler.transformer import BlockSpec, block_graph

    p = measure("block", 2, 0, budget=120)
    assert not p.error, p.error
    pipe = compile_pipeline(block_graph(BlockSpec(2, window=2), seed=7), "b",
                            cut_before_every_op, workers=1, elements=True)
    assert (p.cells, p.latency) == (pipe.used_cells, pipe.latency)
    # Q, K, V, O: 2x2 each; MLP 4x2 and 2x4; biases all zero but counted: 2+2+2+2+4+2
    assert p.params == 4 * 4 + 8 + 8 + 14


def test_an_unknown_family_is_named() -> None:
    with pytest.raises(RuntimeError, match="unknown family 'cnn'"):
        measure("cnn", 2, 0, budget=10)


def test_a_budget_that_runs_out_is_a_point_with_its_reason() -> None:
    p = measure("mlp", 4, 8, budget=0.01)
    assert "budget" in p.error and p.cells == 0


def test_run_study_goes_through_dask_in_order() -> None:
    pts = run_study([(2, 4)], budget=120, workers=1, progress=False)
    assert [(p.d, p.h) for p in pts] == [(2, 4)] and not pts[0].error


def _pt(params: int, cells: float, error: str = "") -> Point:
    return Point("mlp", 1, 2, params, int(round(cells)), 1, 1.0, 1.0, error)


def test_fit_recovers_a_power_law_and_ignores_failures() -> None:
    pts = [_pt(n, 50 * n ** 1.1) for n in (100, 1_000, 10_000, 100_000)]
    pts.append(_pt(1_000_000, 0, "did not compile"))
    g = fit_growth(pts)
    assert g.n == 4
    assert g.b == pytest.approx(1.1, abs=1e-3)
    assert g.per_param_exponent == pytest.approx(0.1, abs=1e-3)
    assert g.cells(1e6) == pytest.approx(50 * 1e6 ** 1.1, rel=1e-3)
    with pytest.raises(ValueError, match="two sizes"):
        fit_growth(pts[:1] + pts[-1:])


def test_projection_scales_cells_to_area_at_each_anchor_density() -> None:
    g = fit_growth([_pt(100, 6_500), _pt(10_000, 650_000)])     # 65 cells per param
    pr = project(g, 8e9)
    assert pr.cells == pytest.approx(65 * 8e9, rel=1e-6)
    # by hand: 5.2e11 cells x 720 transistors = 3.744e14, at 4e12 transistors on
    # 46,225 mm2: 3.744e14 * 46,225 / 4e12 = 4,326,660 mm2; the 8B chip's 53e9 on 815
    # mm2: 3.744e14 * 815 / 53e9 = 5,757,283 mm2
    assert TRANSISTORS_PER_CELL == 720 and pr.transistors == pytest.approx(3.744e14)
    assert pr.area_mm2["Cerebras WSE-3"] == pytest.approx(4_326_660, rel=1e-6)
    assert pr.area_mm2["hard-wired 8B chip"] == pytest.approx(5_757_283, rel=1e-6)
    assert all("PROJECTION" in line or "at the density" in line for line in pr.lines())
