"""The survival plot: a PNG, the same bytes for the same points, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabric.yield_plot import SweepPoint, plot_survival
from fabric.yield_study import chip_survival, monte_carlo


def _points() -> list[SweepPoint]:
    pts = []
    for size in (8, 32):
        for s in (0, 1):
            for p in (1e-4, 1e-3, 1e-2):
                mc = monte_carlo(size, size, s, p, 300, seed=1)
                pts.append(SweepPoint(size, s, p, chip_survival(size, size, s, p),
                                      mc.estimate, mc.stderr, mc.trials))
    return pts


def test_png_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    plot_survival(_points(), a)
    plot_survival(_points(), b)
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]


def test_bad_target(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder .*nowhere does not exist"):
        plot_survival(_points(), tmp_path / "nowhere" / "x.png")
    with pytest.raises(ValueError, match="no sweep points"):
        plot_survival([], tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []
