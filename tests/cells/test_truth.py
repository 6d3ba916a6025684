"""Property tests of the cell truth model (cells/truth.py, DESIGN §1)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cells.truth import (
    CONFIG_MASK,
    TABLE_MASK,
    E,
    N,
    S,
    W,
    cell_next,
    cell_next_array,
    copy_table,
    lut_address,
    make_config,
    split_config,
    table_of,
)

configs = st.integers(0, CONFIG_MASK)
tables = st.integers(0, TABLE_MASK)
bit = st.integers(0, 1)
inputs4 = st.tuples(bit, bit, bit, bit)
ALL_INPUTS = list(itertools.product((0, 1), repeat=4))


def test_side_numbering() -> None:
    assert (N, E, S, W) == (0, 1, 2, 3)


@given(st.tuples(tables, tables, tables, tables))
def test_make_split_round_trip(ts: tuple[int, int, int, int]) -> None:
    cfg = make_config(ts)
    assert 0 <= cfg <= CONFIG_MASK
    assert split_config(cfg) == ts
    # bits 16*d .. 16*d+15 are side d's table
    for d in range(4):
        assert (cfg >> (16 * d)) & TABLE_MASK == ts[d]


@given(configs)
def test_split_make_round_trip(cfg: int) -> None:
    assert make_config(split_config(cfg)) == cfg


def test_address_formula() -> None:
    addrs = set()
    for n, e, s, w in ALL_INPUTS:
        a = lut_address(n, e, s, w)
        assert a == n | e << 1 | s << 2 | w << 3
        addrs.add(a)
    assert addrs == set(range(16))


@given(st.integers(0, 3), st.integers(0, 15), inputs4)
def test_single_bit_config_fires_at_its_address_only(d: int, a: int,
                                                     ins: tuple[int, ...]) -> None:
    out = cell_next(1 << (16 * d + a), ins)
    expect = [0, 0, 0, 0]
    expect[d] = int(lut_address(*ins) == a)
    assert list(out) == expect


@given(configs, inputs4)
def test_cell_next_reads_table_bit(cfg: int, ins: tuple[int, int, int, int]) -> None:
    a = ins[0] | ins[1] << 1 | ins[2] << 2 | ins[3] << 3
    assert cell_next(cfg, ins) == tuple((cfg >> (16 * d + a)) & 1 for d in range(4))


@given(st.permutations(range(4)))
def test_copy_tables_copy(perm: list[int]) -> None:
    # side d's output copies input perm[d]
    cfg = make_config([copy_table(perm[d]) for d in range(4)])
    for ins in ALL_INPUTS:
        assert cell_next(cfg, ins) == tuple(ins[perm[d]] for d in range(4))


@given(tables)
def test_table_of_inverts_lookup(table: int) -> None:
    def f(n: int, e: int, s: int, w: int) -> int:
        return (table >> lut_address(n, e, s, w)) & 1

    assert table_of(f) == table


@settings(max_examples=50)
@given(hnp.arrays(np.uint64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6)),
       st.integers(0, 2**32 - 1))
def test_cell_next_array_matches_cell_next(cfgs: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ins = [rng.integers(0, 2, cfgs.shape, dtype=np.uint8) for _ in range(4)]
    out = cell_next_array(cfgs, *ins)
    assert out.shape == cfgs.shape + (4,) and out.dtype == np.uint8
    for idx in np.ndindex(cfgs.shape):
        expect = cell_next(int(cfgs[idx]), [int(i[idx]) for i in ins])
        assert tuple(int(v) for v in out[idx]) == expect


def test_errors() -> None:
    with pytest.raises(ValueError, match="4 truth tables"):
        make_config([0, 0, 0])
    with pytest.raises(ValueError, match="side E"):
        make_config([0, 1 << 16, 0, 0])
    with pytest.raises(ValueError, match="64 bits"):
        cell_next(1 << 64, (0, 0, 0, 0))
    with pytest.raises(ValueError, match="64 bits"):
        cell_next(-1, (0, 0, 0, 0))
