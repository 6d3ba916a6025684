"""Defect yield of a fabric with spare columns: closed form and Monte Carlo (issue 9, part 3).

The defect model: every physical cell of a ``W x H`` logical fabric with ``S`` spare
columns (``W + S`` physical cells per row) is defective independently with probability
``p``. A row holds its ``W`` logical columns when at most ``S`` of its ``W + S`` cells are
defective (:func:`fabric.defects.physical_columns`); the chip survives when every row
does. So

    row survival   r = P(Binomial(W + S, p) <= S)
    chip survival  q = r ** H

This module computes ``q`` in closed form, estimates it by Monte Carlo (with its
standard error), finds the spare columns a yield target needs, and draws the per-cell
defect maps that :mod:`sim.yield_check` runs programs on. It is pure numpy: the
parallel sweep (:mod:`lutgrid.sweep`), the physical-fabric check
(:mod:`sim.yield_check`) and the plot (:mod:`fabric.yield_plot`) live beside it.

Units: widths, heights and spares are cells (columns or rows); probabilities are per
cell (``p``), per row (``r``) or per chip (``q``); trials are chips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fabric.defects import DefectMap

#: Largest number of per-cell random draws held in memory at once by :func:`monte_carlo`.
_MAX_DRAWS = 1 << 22


def _check_args(width: int, height: int, spares: int, p: float) -> None:
    for name, v, lo in (("width", width, 1), ("height", height, 1), ("spares", spares, 0)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if not isinstance(p, int | float | np.floating) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"defect probability p must be a number in [0, 1], got {p!r}")


def row_failure(width: int, spares: int, p: float) -> float:
    """``P(Binomial(W + S, p) > S)``: the probability that a row has too many defects.

    Summed term by term from ``k = S + 1`` (log-space binomial terms, ``math.fsum``)
    rather than as ``1 - P(<= S)``, so that failures of 1e-15 are not lost to rounding.
    """
    _check_args(width, 1, spares, p)
    n = width + spares
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    lg_n = math.lgamma(n + 1)
    terms = [math.exp(lg_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq)
             for k in range(spares + 1, n + 1)]
    return min(1.0, math.fsum(terms))


def row_survival(width: int, spares: int, p: float) -> float:
    """``r = P(Binomial(W + S, p) <= S)``: a row of ``W + S`` cells holds its ``W`` columns."""
    return 1.0 - row_failure(width, spares, p)


def chip_survival(width: int, height: int, spares: int, p: float) -> float:
    """``q = r ** H``: every one of the ``H`` rows survives (rows are independent).

    Computed as ``exp(H * log1p(-row_failure))`` so that tiny per-row failure
    probabilities over 1024 rows keep their precision.
    """
    _check_args(width, height, spares, p)
    fail = row_failure(width, spares, p)
    if fail >= 1.0:
        return 0.0
    return math.exp(height * math.log1p(-fail))


def spares_for_yield(width: int, height: int, p: float, target: float = 0.99) -> int:
    """The fewest spare columns ``S`` with ``chip_survival(W, H, S, p) >= target``.

    Raises ``ValueError`` when even ``S = W`` (as many spares as logical columns) does
    not reach ``target``.
    """
    _check_args(width, height, 0, p)
    if not 0.0 < target < 1.0:
        raise ValueError(f"yield target must be in (0, 1), got {target!r}")
    for s in range(width + 1):
        if chip_survival(width, height, s, p) >= target:
            return s
    raise ValueError(f"a {width}x{height} fabric at p={p:g} does not reach {target:.0%} "
                     f"yield even with {width} spare columns")


@dataclass(frozen=True)
class MonteCarlo:
    """``survived`` of ``trials`` random chips survived their defect maps."""

    trials: int
    survived: int

    @property
    def estimate(self) -> float:
        """Estimated chip survival ``survived / trials``."""
        return self.survived / self.trials

    @property
    def stderr(self) -> float:
        """Standard error of :attr:`estimate`, ``sqrt(q (1 - q) / trials)`` at the estimate."""
        q = self.estimate
        return math.sqrt(q * (1.0 - q) / self.trials)

    def z_score(self, exact: float) -> float:
        """``(estimate - exact) / sqrt(exact (1 - exact) / trials)``: the deviation in
        standard errors *under the closed form* (finite even when the estimate is 0 or 1;
        ``inf`` when the closed form is 0 or 1 and the estimate differs)."""
        se = math.sqrt(exact * (1.0 - exact) / self.trials)
        diff = self.estimate - exact
        if se == 0.0:
            return 0.0 if diff == 0.0 else math.inf
        return diff / se

    def __add__(self, other: MonteCarlo) -> MonteCarlo:
        return MonteCarlo(self.trials + other.trials, self.survived + other.survived)


def random_defect_map(width: int, height: int, spares: int, p: float,
                      rng: np.random.Generator | int | None = None) -> DefectMap:
    """A per-cell defect map ``bool (height, width + spares)``: each cell defective with
    probability ``p``, independently. It may or may not be tolerable (see
    :func:`fabric.defects.check_defects`); :func:`fabric.defects.random_defects` draws
    only tolerable ones."""
    _check_args(width, height, spares, p)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return gen.random((height, width + spares)) < p


def monte_carlo(width: int, height: int, spares: int, p: float, trials: int,
                seed: int | np.random.SeedSequence = 0, method: str = "rows") -> MonteCarlo:
    """Draw ``trials`` random chips and count those whose every row has ``<= S`` defects.

    ``method="rows"`` draws each row's defect count as ``Binomial(W + S, p)``. This is
    exact, not an approximation: a row's fate depends on its cells only through the
    number of defective ones, and the sum of ``W + S`` independent ``Bernoulli(p)`` cells
    *is* ``Binomial(W + S, p)``; rows share no cells, so their counts are independent.
    It costs ``H`` draws per chip instead of ``H (W + S)``, which makes 1024x1024 chips
    cheap. ``method="cells"`` draws the full per-cell map (:func:`random_defect_map`'s
    model) and counts per row; it exists to test the shortcut on small fabrics.

    Deterministic for a given ``seed`` (an int or a ``numpy.random.SeedSequence``);
    memory is bounded by drawing the chips in chunks.
    """
    _check_args(width, height, spares, p)
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    if method not in ("rows", "cells"):
        raise ValueError(f"unknown Monte Carlo method {method!r}: choose 'rows' or 'cells'")
    rng = np.random.default_rng(seed)
    n = width + spares
    per_chip = height if method == "rows" else height * n
    chunk = max(1, _MAX_DRAWS // per_chip)
    survived = 0
    done = 0
    while done < trials:
        k = min(chunk, trials - done)
        if method == "rows":
            counts = rng.binomial(n, p, size=(k, height))
        else:
            counts = (rng.random((k, height, n)) < p).sum(axis=2)
        survived += int((counts.max(axis=1) <= spares).sum())
        done += k
    return MonteCarlo(int(trials), survived)


def chunked_trials(trials: int, chunk: int) -> list[int]:
    """Split ``trials`` into jobs of at most ``chunk`` chips (the split depends on
    ``trials`` and ``chunk`` only, so the result of a seeded sweep does not depend on
    how many workers ran it)."""
    if trials < 1 or chunk < 1:
        raise ValueError(f"trials and chunk must be >= 1, got {trials} and {chunk}")
    return [min(chunk, trials - i) for i in range(0, trials, chunk)]
