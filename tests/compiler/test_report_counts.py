"""One count of compute, route-only and idle cells in every report; one compile time;
heat maps with a legend."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from compiler.examples import EXAMPLES
from compiler.macros import cells_used
from compiler.program import compile_program
from fabric.usage import _COLOURS, COMPUTE, IDLE, ROUTE, heatmap_png_bytes, usage


@pytest.mark.parametrize("name", ["mul4x4", "table16", "linear4x4", "running_sum", "adder8"])
def test_every_report_states_one_count(name: str) -> None:
    program = compile_program(EXAMPLES[name](), name)
    u = usage(program.bitstream)
    text = program.summary()
    # the cell classes appear once, and are the bitstream's
    assert len(re.findall(r"\bcompute\b", text)) == 1, text
    assert len(re.findall(r"\bidle\b", text)) == 1, text
    assert f"{u.compute} compute, {u.route_only} route-only" in text
    assert f"{u.idle} idle" in text
    # one compile time
    assert len(re.findall(r"compile", text)) == 1, text
    rep = program.report
    if program.flow in ("table gather", "ripple adder"):
        # a one-row macro has no stages to report; the summary's count is the one above
        assert rep is None
        return
    assert rep is not None and "stages" in rep.text()
    if hasattr(rep, "compute_cells"):
        assert (rep.compute_cells, rep.route_only_cells, rep.idle_cells) == \
            (u.compute, u.route_only, u.idle)
    if program.flow == "linear macro":
        stats = cells_used(program.bitstream, 16)
        assert (stats.compute, stats.route_only, stats.used) == (u.compute, u.route_only, u.used)
        assert "cells per weight" in rep.text()


def test_heat_map_has_a_legend_and_the_same_bytes_twice() -> None:
    program = compile_program(EXAMPLES["table16"](), "table16")
    u = usage(program.bitstream)
    png = heatmap_png_bytes(u, title="table16")
    assert png == heatmap_png_bytes(u, title="table16")
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert img.shape[0] > 2 * u.height and img.shape[1] > 2 * u.width
    colours = {tuple(int(c) for c in px) for px in img.reshape(-1, 3)}
    for kind in (COMPUTE, ROUTE, IDLE):
        assert _COLOURS[kind] in colours, kind
    # axes and text: black pixels (the grid itself has none)
    assert (0, 0, 0) in colours
