"""The numpy fabric simulator against a reference stepper built on cells.truth.cell_next.

Covers ARCHITECTURE §1 (cycle convention), §2 (buses), §5 (API) and DESIGN §4 (the
physical fabric with defects gives the logical fabric's outputs exactly).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cells.truth import E, N, S, W, cell_next, copy_table, make_config
from fabric.arch import INPUT_BUSES, OUTPUT_BUSES
from fabric.defects import DefectError, random_defects
from sim.numpy_sim import FabricSim, anf_configs

WIDTHS = [1, 2, 3, 5, 63, 64, 65, 129]


# --------------------------------------------------------------------------- reference


class RefFabric:
    """Obviously-correct logical fabric: Python loops over cells, cells.truth.cell_next."""

    def __init__(self, configs: np.ndarray) -> None:
        self.cfg = [[int(c) for c in row] for row in configs]
        self.h, self.w = configs.shape
        self.out = [[(0, 0, 0, 0) for _ in range(self.w)] for _ in range(self.h)]

    def run(self, ins: dict[str, np.ndarray], t_len: int) -> dict[str, np.ndarray]:
        h, w = self.h, self.w
        res: dict[str, list[list[int]]] = {k: [] for k in OUTPUT_BUSES}
        for t in range(t_len):
            o = self.out
            res["west_out"].append([o[y][0][W] for y in range(h)])
            res["east_out"].append([o[y][w - 1][E] for y in range(h)])
            res["north_out"].append([o[0][x][N] for x in range(w)])
            res["south_out"].append([o[h - 1][x][S] for x in range(w)])
            nxt = []
            for y in range(h):
                row = []
                for x in range(w):
                    in_n = o[y - 1][x][S] if y > 0 else int(ins["north_in"][t, x])
                    in_e = o[y][x + 1][W] if x < w - 1 else int(ins["east_in"][t, y])
                    in_s = o[y + 1][x][N] if y < h - 1 else int(ins["south_in"][t, x])
                    in_w = o[y][x - 1][E] if x > 0 else int(ins["west_in"][t, y])
                    row.append(cell_next(self.cfg[y][x], (in_n, in_e, in_s, in_w)))
                nxt.append(row)
            self.out = nxt
        widths = {"west_out": h, "east_out": h, "north_out": w, "south_out": w}
        return {k: np.array(v, dtype=np.uint8).reshape(t_len, widths[k])
                for k, v in res.items()}

    def state(self) -> np.ndarray:
        return np.array(self.out, dtype=np.uint8).transpose(2, 0, 1)


def random_inputs(rng: np.random.Generator, h: int, w: int, t: int) -> dict[str, np.ndarray]:
    return {
        "west_in": rng.integers(0, 2, (t, h), dtype=np.uint8),
        "east_in": rng.integers(0, 2, (t, h), dtype=np.uint8),
        "north_in": rng.integers(0, 2, (t, w), dtype=np.uint8),
        "south_in": rng.integers(0, 2, (t, w), dtype=np.uint8),
    }


def random_configs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Random configs; some cells get biased tables so that signals survive long paths."""
    cfg = rng.integers(0, 2**64, size=(h, w), dtype=np.uint64)
    copies = np.array([make_config([copy_table(int(s)) for s in rng.permutation(4)])
                       for _ in range(8)], dtype=np.uint64)
    mask = rng.random((h, w)) < 0.4
    cfg[mask] = copies[rng.integers(0, 8, size=int(mask.sum()))]
    return cfg


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert set(a) == set(b) == set(OUTPUT_BUSES)
    for k in OUTPUT_BUSES:
        assert a[k].dtype == np.uint8 and a[k].shape == b[k].shape, k
        assert np.array_equal(a[k], b[k]), f"{k} differs first at cycle " \
            f"{int(np.argmax((a[k] != b[k]).any(axis=1)))}"


# --------------------------------------------------------------------------- logical


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.sampled_from(WIDTHS), st.integers(0, 14), st.integers(0, 2**32))
def test_bitslice_matches_reference(h: int, w: int, t_len: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cfg = random_configs(rng, h, w)
    ins = random_inputs(rng, h, w, t_len)
    sim = FabricSim(cfg)
    assert sim.mode == "logical"
    ref = RefFabric(cfg)
    assert_same(sim.run(ins), ref.run(ins, t_len))
    assert np.array_equal(sim.state, ref.state())
    assert sim.cycle == t_len


@pytest.mark.parametrize("h, w", [(1, 1), (1, 70), (7, 1), (6, 130), (3, 64)])
def test_bitslice_matches_reference_fixed(h: int, w: int) -> None:
    rng = np.random.default_rng(h * 1000 + w)
    cfg = random_configs(rng, h, w)
    ins = random_inputs(rng, h, w, 30)
    assert_same(FabricSim(cfg).run(ins), RefFabric(cfg).run(ins, 30))


def test_run_in_pieces_and_reset() -> None:
    rng = np.random.default_rng(3)
    cfg = random_configs(rng, 5, 67)
    ins = random_inputs(rng, 5, 67, 24)
    whole = FabricSim(cfg).run(ins)
    sim = FabricSim(cfg)
    parts = [sim.run({k: v[a:b] for k, v in ins.items()}) for a, b in ((0, 7), (7, 7), (7, 24))]
    assert_same({k: np.concatenate([p[k] for p in parts]) for k in OUTPUT_BUSES}, whole)
    sim.reset()
    assert sim.cycle == 0 and not sim.state.any()
    assert_same(sim.run(ins), whole)


def test_missing_buses_are_zero_and_cycles() -> None:
    rng = np.random.default_rng(4)
    cfg = random_configs(rng, 3, 9)
    ins = random_inputs(rng, 3, 9, 10)
    only_west = {"west_in": ins["west_in"]}
    full = {k: np.zeros_like(v) for k, v in ins.items()} | only_west
    assert_same(FabricSim(cfg).run(only_west), FabricSim(cfg).run(full))
    zeros = {k: np.zeros_like(v) for k, v in ins.items()}
    assert_same(FabricSim(cfg).run(cycles=10), FabricSim(cfg).run(zeros))
    empty = FabricSim(cfg).run(cycles=0)
    assert empty["west_out"].shape == (0, 3) and empty["north_out"].shape == (0, 9)


def test_anf_reproduces_truth_tables() -> None:
    rng = np.random.default_rng(5)
    cfgs = rng.integers(0, 2**64, size=200, dtype=np.uint64)
    anf = anf_configs(cfgs)
    for c, f in zip(cfgs.tolist(), anf.tolist(), strict=True):
        for a in range(16):
            ins = [(a >> i) & 1 for i in range(4)]
            got = []
            for d in range(4):
                v = 0
                for m in range(16):
                    if all(ins[i] for i in range(4) if m >> i & 1):
                        v ^= (f >> (16 * d + m)) & 1
                got.append(v)
            assert tuple(got) == cell_next(c, ins)


# --------------------------------------------------------------------------- pass-through


def fill(h: int, w: int, tables: tuple[int, int, int, int]) -> np.ndarray:
    return np.full((h, w), make_config(tables), dtype=np.uint64)


def sims(cfg: np.ndarray, seed: int = 0) -> list[FabricSim]:
    h, w = cfg.shape
    rng = np.random.default_rng(seed)
    return [FabricSim(cfg),
            FabricSim(cfg, defects=random_defects(h, w, 1, rng), spares=1, noise_seed=seed),
            FabricSim(cfg, defects=random_defects(h, w, 2, rng), spares=2, noise_seed=seed + 1)]


def test_single_cell_latency_one() -> None:
    """ARCHITECTURE §1: 1-wide pass-through west_in -> east_out: east_out[t] = west_in[t-1]."""
    cfg = fill(1, 1, (0, copy_table(W), 0, 0))
    x = np.random.default_rng(6).integers(0, 2, (40, 1), dtype=np.uint8)
    for sim in sims(cfg):
        out = sim.run({"west_in": x})
        assert out["east_out"][0, 0] == 0
        assert np.array_equal(out["east_out"][1:], x[:-1])


@pytest.mark.parametrize("w", [1, 2, 5, 64, 70])
def test_eastward_row_latency_w(w: int) -> None:
    h = 3
    cfg = fill(h, w, (0, copy_table(W), 0, 0))
    x = np.random.default_rng(w).integers(0, 2, (w + 40, h), dtype=np.uint8)
    for sim in sims(cfg, seed=w):
        out = sim.run({"west_in": x})["east_out"]
        assert not out[:w].any()
        assert np.array_equal(out[w:], x[:-w])


@pytest.mark.parametrize("w", [1, 3, 65])
def test_westward_row_latency_w(w: int) -> None:
    cfg = fill(2, w, (0, 0, 0, copy_table(E)))
    x = np.random.default_rng(w).integers(0, 2, (w + 30, 2), dtype=np.uint8)
    for sim in sims(cfg, seed=w):
        out = sim.run({"east_in": x})["west_out"]
        assert not out[:w].any()
        assert np.array_equal(out[w:], x[:-w])


@pytest.mark.parametrize("h", [1, 4, 9])
def test_vertical_columns_latency_h(h: int) -> None:
    """Southward and northward pass-through columns, across diagonal links in physical mode."""
    w = 66
    cfg = fill(h, w, (copy_table(S), 0, copy_table(N), 0))
    rng = np.random.default_rng(h)
    down = rng.integers(0, 2, (h + 30, w), dtype=np.uint8)
    up = rng.integers(0, 2, (h + 30, w), dtype=np.uint8)
    for sim in sims(cfg, seed=h):
        out = sim.run({"north_in": down, "south_in": up})
        assert np.array_equal(out["south_out"][h:], down[:-h])
        assert np.array_equal(out["north_out"][h:], up[:-h])
        assert not out["south_out"][:h].any() and not out["north_out"][:h].any()


# --------------------------------------------------------------------------- physical


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.sampled_from(WIDTHS), st.integers(1, 2), st.integers(0, 25),
       st.integers(0, 2**32))
def test_physical_with_defects_equals_logical(h: int, w: int, spares: int, t_len: int,
                                              seed: int) -> None:
    rng = np.random.default_rng(seed)
    cfg = random_configs(rng, h, w)
    ins = random_inputs(rng, h, w, t_len)
    dm = random_defects(h, w, spares, rng)
    phys = FabricSim(cfg, defects=dm, spares=spares, noise_seed=seed)
    assert phys.mode == "physical"
    logical = FabricSim(cfg)
    assert_same(phys.run(ins), logical.run(ins))
    # the registers of every used cell equal the logical cell's
    cols = phys.physical_columns
    assert cols is not None
    pstate = np.take_along_axis(phys.state, np.broadcast_to(cols, (4, h, w)), axis=2)
    assert np.array_equal(pstate, logical.state)


def test_physical_reference_long_run() -> None:
    h, w = 6, 20
    rng = np.random.default_rng(11)
    cfg = random_configs(rng, h, w)
    ins = random_inputs(rng, h, w, 60)
    ref = RefFabric(cfg).run(ins, 60)
    for spares in (1, 2, 3):
        dm = random_defects(h, w, spares, rng)
        dm[0] = False
        dm[0, :spares] = True       # row 0 fully shifted, the rows below partly
        assert_same(FabricSim(cfg, defects=dm, spares=spares, noise_seed=spares).run(ins), ref)


def test_zero_defects_with_spares_and_no_spares() -> None:
    rng = np.random.default_rng(12)
    cfg = random_configs(rng, 4, 7)
    ins = random_inputs(rng, 4, 7, 30)
    ref = FabricSim(cfg).run(ins)
    for spares in (0, 1, 2):
        dm = np.zeros((4, 7 + spares), dtype=bool)
        assert_same(FabricSim(cfg, defects=dm, spares=spares).run(ins), ref)


def test_defective_cells_drive_garbage() -> None:
    h, w = 8, 8
    dm = random_defects(h, w, 1, 13)
    dm[2, 3] = True
    dm[2, np.arange(w + 1) != 3] = False
    sim = FabricSim(np.zeros((h, w), dtype=np.uint64), defects=dm, noise_seed=1)
    seen = []
    for _ in range(20):
        sim.run(cycles=1)
        seen.append(sim.state[:, 2, 3])
    seen_arr = np.array(seen)
    assert seen_arr.any() and not seen_arr.all()          # fresh random bits
    used = np.zeros((h, w + 1), dtype=bool)
    cols = sim.physical_columns
    assert cols is not None
    np.put_along_axis(used, cols, True, axis=1)
    assert not sim.state[:, used].any()                   # zero configs stay zero


def test_noise_seed_reproducible() -> None:
    dm = random_defects(4, 4, 1, 0)
    cfg = np.zeros((4, 4), dtype=np.uint64)
    a, b = FabricSim(cfg, defects=dm, noise_seed=9), FabricSim(cfg, defects=dm, noise_seed=9)
    a.run(cycles=5)
    b.run(cycles=5)
    assert np.array_equal(a.state, b.state)


# --------------------------------------------------------------------------- errors


def test_too_many_defects_names_row() -> None:
    dm = np.zeros((4, 6), dtype=bool)
    dm[2, [0, 5]] = True
    with pytest.raises(DefectError, match="row 2 has 2 defective cells but only 1 spare column"):
        FabricSim(np.zeros((4, 5), dtype=np.uint64), defects=dm, spares=1)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(defects=np.zeros((4, 6), dtype=bool), spares=2), ValueError, "has 7"),
    (dict(defects=np.zeros((3, 6), dtype=bool)), ValueError, "3 rows"),
    (dict(defects=np.zeros((4, 6)), spares=1), TypeError, "dtype bool"),
    (dict(defects=np.zeros((4, 5), dtype=bool), spares=-1), ValueError, "spares"),
])
def test_bad_defect_args(kwargs: dict, exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=msg):
        FabricSim(np.zeros((4, 5), dtype=np.uint64), **kwargs)


@pytest.mark.parametrize("cfg, exc, msg", [
    ([[1, 2]], TypeError, "numpy array"),
    (np.zeros(3, dtype=np.uint64), ValueError, "2-D"),
    (np.zeros((0, 3), dtype=np.uint64), ValueError, "non-empty"),
    (np.zeros((2, 2)), TypeError, "integer dtype"),
    (np.array([[-1]]), ValueError, "non-negative"),
])
def test_bad_configs(cfg: object, exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=msg):
        FabricSim(cfg)  # type: ignore[arg-type]


@pytest.mark.parametrize("inputs, cycles, exc, msg", [
    ({"west": np.zeros((2, 3))}, None, ValueError, "unknown input bus"),
    ({"west_in": np.zeros((2, 4), dtype=np.uint8)}, None, ValueError, r"shape \(T, 3\)"),
    ({"north_in": np.zeros((2, 3), dtype=np.uint8)}, None, ValueError, r"shape \(T, 5\)"),
    ({"west_in": np.full((2, 3), 2, dtype=np.uint8)}, None, ValueError, "only 0 and 1"),
    ({"west_in": np.zeros((2, 3))}, None, TypeError, "dtype"),
    ({"west_in": np.zeros((2, 3), dtype=np.uint8),
      "east_in": np.zeros((3, 3), dtype=np.uint8)}, None, ValueError, "3 cycles, expected 2"),
    ({"west_in": np.zeros((2, 3), dtype=np.uint8)}, 5, ValueError, "2 cycles, expected 5"),
    ({}, None, ValueError, "cycles=T"),
    ({}, -1, ValueError, "cycles must be"),
])
def test_bad_inputs(inputs: dict, cycles: int | None, exc: type[Exception], msg: str) -> None:
    for sim in (FabricSim(np.zeros((3, 5), dtype=np.uint64)),
                FabricSim(np.zeros((3, 5), dtype=np.uint64),
                          defects=np.zeros((3, 6), dtype=bool))):
        with pytest.raises(exc, match=msg):
            sim.run(inputs, cycles=cycles)
        assert sim.cycle == 0


def test_bus_names() -> None:
    assert INPUT_BUSES == ("west_in", "east_in", "north_in", "south_in")
    assert OUTPUT_BUSES == ("west_out", "east_out", "north_out", "south_out")
    sim = FabricSim(np.zeros((3, 5), dtype=np.uint64))
    assert [sim.bus_width(b) for b in INPUT_BUSES + OUTPUT_BUSES] == [3, 3, 5, 5] * 2
    with pytest.raises(ValueError, match="unknown bus"):
        sim.bus_width("up_in")
