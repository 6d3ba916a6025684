"""The yield study's closed form and Monte Carlo (issue 9, part 3)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from fabric.defects import DefectError, check_defects
from fabric.yield_study import (
    MonteCarlo,
    chip_survival,
    monte_carlo,
    random_defect_map,
    row_failure,
    spares_for_yield,
)


def _enumerated_survival(width: int, height: int, spares: int, p: float) -> float:
    """Chip survival by summing the probability of every tolerable per-cell map."""
    total = 0.0
    n = height * (width + spares)
    for bits in itertools.product((0, 1), repeat=n):
        dm = np.array(bits, dtype=bool).reshape(height, width + spares)
        try:
            check_defects(dm, width)
        except DefectError:
            continue
        k = int(dm.sum())
        total += p ** k * (1 - p) ** (n - k)
    return total


@pytest.mark.parametrize("w,h,s,p", [(2, 2, 1, 0.3), (3, 2, 0, 0.1), (1, 3, 2, 0.6)])
def test_closed_form_equals_enumeration(w: int, h: int, s: int, p: float) -> None:
    assert chip_survival(w, h, s, p) == pytest.approx(_enumerated_survival(w, h, s, p),
                                                      rel=1e-12)


def test_closed_form_64x64_s1() -> None:
    # S = 1 by hand: a row of 65 cells survives with 0 or 1 defects.
    p = 1e-3
    r = (1 - p) ** 65 + 65 * p * (1 - p) ** 64
    assert chip_survival(64, 64, 1, p) == pytest.approx(r ** 64, rel=1e-12)
    assert abs(chip_survival(64, 64, 1, p) - 0.880) < 0.001


def test_row_failure_keeps_tiny_tails() -> None:
    # 1 - P(<= S) would round to 0 here; the leading term C(n, S+1) p^(S+1) dominates.
    p, n, s = 1e-9, 1030, 6
    lead = math.comb(n, s + 1) * p ** (s + 1)
    assert row_failure(1024, s, p) == pytest.approx(lead, rel=1e-5)
    assert row_failure(4, 0, 0.0) == 0.0 and row_failure(4, 0, 1.0) == 1.0


@pytest.mark.parametrize("w,h,s,p,trials,method", [
    (64, 64, 1, 1e-3, 50_000, "rows"),
    (1024, 1024, 2, 1.5e-4, 4_000, "rows"),
    (16, 16, 1, 1e-2, 20_000, "cells"),      # the per-cell model the rows shortcut replaces
])
def test_monte_carlo_within_3_standard_errors(w, h, s, p, trials, method) -> None:
    exact = chip_survival(w, h, s, p)
    assert 0.05 < exact < 0.95           # a setting where the test has power
    mc = monte_carlo(w, h, s, p, trials, seed=11, method=method)
    assert mc.trials == trials
    assert abs(mc.z_score(exact)) < 3, (mc.estimate, exact, mc.stderr)


def test_monte_carlo_is_seeded_and_chunk_independent() -> None:
    a = monte_carlo(32, 32, 1, 2e-3, 5000, seed=3)
    assert a == monte_carlo(32, 32, 1, 2e-3, 5000, seed=3)
    assert MonteCarlo(10, 4) + MonteCarlo(5, 5) == MonteCarlo(15, 9)
    assert MonteCarlo(100, 80).stderr == pytest.approx(0.04)


@pytest.mark.parametrize("p", [1e-4, 1e-3])
def test_spares_for_99pct_yield_is_the_smallest(p: float) -> None:
    s = spares_for_yield(1024, 1024, p)
    assert chip_survival(1024, 1024, s, p) >= 0.99
    assert s == 0 or chip_survival(1024, 1024, s - 1, p) < 0.99


def test_random_defect_map_rate() -> None:
    dm = random_defect_map(200, 100, 2, 0.05, rng=1)
    assert dm.shape == (100, 202) and dm.dtype == np.bool_
    assert abs(dm.mean() - 0.05) < 0.005


@pytest.mark.parametrize("call,match", [
    (lambda: chip_survival(8, 8, 1, 1.5), "defect probability p"),
    (lambda: chip_survival(0, 8, 1, 0.1), "width"),
    (lambda: chip_survival(8, 8, -1, 0.1), "spares"),
    (lambda: monte_carlo(8, 8, 1, 0.1, 0), "trials"),
    (lambda: monte_carlo(8, 8, 1, 0.1, 10, method="dice"), "method"),
    (lambda: spares_for_yield(4, 4, 0.9), "does not reach"),
])
def test_bad_arguments(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
