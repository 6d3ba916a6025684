"""The load protocol of docs/ARCHITECTURE.md §3, checked against a model of the chains."""

from __future__ import annotations

import numpy as np
import pytest

from cells.truth import CONFIG_BITS
from fabric.defects import DefectError, physical_columns, random_defects
from fabric.loader import (
    LoadCycle,
    load_arrays,
    load_cycles,
    load_sequence,
    simulate_chains,
)


def _random_configs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return rng.integers(0, 2**63, size=(h, w), dtype=np.uint64) * np.uint64(2) \
        + rng.integers(0, 2, size=(h, w), dtype=np.uint64)


def test_cycle_count_and_phases() -> None:
    h, w, s = 3, 4, 2
    cfg = _random_configs(np.random.default_rng(0), h, w)
    seq = list(load_sequence(cfg, spares=s))
    assert len(seq) == load_cycles(w, s) == (w + s) + 1 + CONFIG_BITS * w + 1
    assert [c.defect_en for c in seq] == [1] * (w + s) + [0] * (len(seq) - w - s)
    assert seq[w + s] == LoadCycle(0, 0, 0, 0, 0)
    assert [c.cfg_en for c in seq] == [0] * (w + s + 1) + [1] * (CONFIG_BITS * w) + [0]
    assert [c.rst for c in seq] == [0] * (len(seq) - 1) + [1]
    assert all(c.cfg_in == 0 for c in seq if not c.cfg_en)


def test_first_bits_follow_the_documented_formula() -> None:
    h, w = 2, 3
    cfg = _random_configs(np.random.default_rng(1), h, w)
    dm = np.zeros((h, w + 1), dtype=bool)
    dm[1, 2] = True
    arrays = load_arrays(cfg, dm)
    p = w + 1
    for k in range(p):
        for y in range(h):
            assert arrays["defect_in"][k, y] == dm[y, p - 1 - k]
    for k in range(CONFIG_BITS * w):
        for y in range(h):
            cell = int(cfg[y, w - 1 - k // CONFIG_BITS])
            assert arrays["cfg_in"][p + 1 + k, y] == (cell >> (63 - k % 64)) & 1


@pytest.mark.parametrize("seed", range(6))
def test_chains_put_every_config_where_the_router_reads_it(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    s = int(rng.integers(0, 3))
    cfg = _random_configs(rng, h, w)
    dm = random_defects(h, w, s, rng)
    loaded_defects, phys_cfg = simulate_chains(list(load_sequence(cfg, dm)), h, w, s)
    np.testing.assert_array_equal(loaded_defects, dm)
    cols = physical_columns(dm, w)
    np.testing.assert_array_equal(np.take_along_axis(phys_cfg, cols, axis=1), cfg)


def test_defect_free_default_uses_the_first_columns() -> None:
    cfg = _random_configs(np.random.default_rng(2), 2, 3)
    _, phys = simulate_chains(list(load_sequence(cfg, spares=1)), 2, 3, 1)
    np.testing.assert_array_equal(phys[:, :3], cfg)


def test_row_with_too_many_defects_is_refused_before_any_cycle() -> None:
    cfg = np.zeros((3, 4), dtype=np.uint64)
    dm = np.zeros((3, 5), dtype=bool)
    dm[2, [0, 3]] = True
    with pytest.raises(DefectError, match="row 2 has 2 defective cells"):
        load_sequence(cfg, dm)


def test_bad_configs_are_refused() -> None:
    with pytest.raises(TypeError):
        load_arrays([[1, 2]])
    with pytest.raises(ValueError):
        load_arrays(np.zeros(3, dtype=np.uint64))
    with pytest.raises(ValueError):
        load_arrays(np.full((1, 1), -1, dtype=np.int64))
    with pytest.raises(ValueError):
        load_arrays(np.zeros((2, 2), dtype=np.uint64), np.zeros((3, 3), dtype=bool))
