"""The survival-vs-p plot of the yield study (matplotlib, written atomically).

One panel per fabric size; per spare count S a closed-form curve
(:func:`fabric.yield_study.chip_survival`) and the Monte Carlo points with error bars of
two standard errors.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fabric.yield_study import chip_survival


@dataclass(frozen=True)
class SweepPoint:
    """One Monte Carlo point of a sweep: a ``size`` x ``size`` fabric with ``spares``
    spare columns at per-cell defect probability ``p``."""

    size: int
    spares: int
    p: float
    closed: float      # closed-form chip survival
    estimate: float    # Monte Carlo chip survival
    stderr: float      # its standard error
    trials: int


def plot_survival(points: Sequence[SweepPoint], path: str | os.PathLike[str],
                  p_range: tuple[float, float] = (1e-7, 1e-2)) -> Path:
    """Plot chip survival against ``p`` (log axis) for every (size, spares) in ``points``
    and write a PNG to ``path`` (temporary file + rename). Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(f"cannot write {target}: folder {directory} does not exist")
    sizes = sorted({pt.size for pt in points})
    if not sizes:
        raise ValueError("no sweep points to plot")
    spares = sorted({pt.spares for pt in points})
    ps = np.logspace(np.log10(p_range[0]), np.log10(p_range[1]), 200)
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, size in zip(axes[0], sizes, strict=True):
        for i, s in enumerate(spares):
            c = colours[i % len(colours)]
            ax.plot(ps, [chip_survival(size, size, s, float(p)) for p in ps], color=c,
                    label=f"S = {s} (closed form)")
            mine = [pt for pt in points if pt.size == size and pt.spares == s]
            if mine:
                ax.errorbar([pt.p for pt in mine], [pt.estimate for pt in mine],
                            yerr=[2 * pt.stderr for pt in mine], fmt="o", ms=3, color=c,
                            capsize=2, label=f"S = {s} Monte Carlo (±2 SE)")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("per-cell defect probability p")
        ax.set_ylabel("chip survival (every row has <= S defects)")
        ax.set_title(f"{size}x{size} logical cells, S spare columns")
        ax.grid(True, which="both", alpha=0.3)
    # one legend below both panels: inside, it would hide a curve in one of them
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(spares), fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".png", dir=directory)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)
    return target
