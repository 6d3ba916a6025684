"""The FPGA anchor: a pipelined 16x16 int4 matvec in Amaranth, against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from fabric.anchor import MatVecAnchor, anchor_verilog, anchor_weights, simulate_anchor
from lutgrid.synth_run import check_anchor


def test_anchor_16x16_equals_numpy_every_token() -> None:
    w = anchor_weights()
    assert w.shape == (16, 16) and w.min() >= -8 and w.max() <= 7
    xs = np.random.default_rng(3).integers(-8, 8, size=(80, 16))
    xs[0] = -8                          # the extremes: full precision must hold them
    xs[1] = np.where(w[0] < 0, -8, 7)
    got = simulate_anchor(w, xs)
    np.testing.assert_array_equal(got, xs @ w.T)
    dut = MatVecAnchor(w)
    dut._MustUse__silence = True        # built only to read its latency and width
    assert dut.latency == 6             # x register, products, 4 adder levels
    assert (np.abs(xs @ w.T) < (1 << (dut.y_bits - 1))).all()


def test_odd_shapes_and_zero_rows() -> None:
    w = np.array([[0, 0, 0], [7, -8, 1], [-1, 0, 3]])
    xs = np.random.default_rng(4).integers(-8, 8, size=(30, 3))
    np.testing.assert_array_equal(simulate_anchor(w, xs), xs @ w.T)


def test_check_anchor_catches_a_wrong_design(monkeypatch) -> None:
    import fabric.anchor
    import lutgrid.synth_run

    real = fabric.anchor.simulate_anchor
    monkeypatch.setattr(lutgrid.synth_run, "simulate_anchor",
                        lambda w, xs: real(np.where(w == 7, 6, w), xs))
    w = anchor_weights()
    with pytest.raises(AssertionError, match="anchor: y"):
        check_anchor(w)


def test_verilog_is_deterministic() -> None:
    w = anchor_weights(4, 4)
    text = anchor_verilog(w)
    assert "module matvec_anchor" in text and text == anchor_verilog(w)


@pytest.mark.parametrize("w,msg", [
    (np.array([[9]]), "int4"), (np.zeros((0, 2), dtype=int), "non-empty"),
    (np.array([[0.5]]), "integer"),
])
def test_bad_weights(w, msg) -> None:
    with pytest.raises(ValueError, match=msg):
        MatVecAnchor(w)
