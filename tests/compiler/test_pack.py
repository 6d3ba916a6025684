"""Packed derives its sinks and phases itself, from its clusters and outputs."""

from __future__ import annotations

import pytest

from compiler.errors import ParityError
from compiler.pack import Cluster, MLut, OutBit, Packed


def _packed(k_back: int) -> Packed:
    """Inputs a (driver 0), b (1); cluster 0 = LUT 2 reads (a, 0), (b, 1); cluster 1
    = LUT 3 reads (2, 0), (a, k_back); outputs y0 = (3, 0), y1 = (a, 1)."""
    luts = {2: MLut(2, ((0, 0), (1, 1)), 0b0110),
            3: MLut(3, ((0, k_back), (2, 0)), 0b1000)}
    clusters = [Cluster(0, (2,), ((0, 0), (1, 1))), Cluster(1, (3,), ((0, k_back), (2, 0)))]
    return Packed(inputs=[("a", 0, 0), ("b", 0, 1)], input_widths={"a": 1, "b": 1},
                  luts=luts, order=[2, 3], clusters=clusters, cluster_of={2: 0, 3: 1},
                  outputs=[OutBit("y", 0, (3, 0)), OutBit("y", 1, (0, 1))])


def test_sinks_and_phases_are_derived_at_construction() -> None:
    p = _packed(2)
    assert p.sinks == {0: [("c", 0, 0), ("c", 1, 2), ("o", 1, 1)], 1: [("c", 0, 1)],
                       2: [("c", 1, 0)], 3: [("o", 0, 0)]}
    # phase(reader) = phase(driver) + k (mod 2) along every edge (DESIGN §3)
    ph = p.phase
    assert ph[2] == ph[0] == ph[3] and ph[2] == ph[1] ^ 1


def test_odd_reconvergence_is_refused_at_construction() -> None:
    """LUT 3 meets a through LUT 2 (0 tokens back) and directly 1 token back."""
    with pytest.raises(ParityError, match="LUT signal 3"):
        _packed(1)
