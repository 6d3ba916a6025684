"""Cycle-accurate numpy simulator of the lutgrid fabric (ARCHITECTURE §1, §2, §5).

>>> sim = FabricSim(configs)                                  # logical fabric
>>> sim = FabricSim(configs, defects=dm, spares=1, noise_seed=7)  # physical fabric
>>> out = sim.run({"west_in": w})   # dict bus -> uint8 (T, n); missing buses are 0
>>> sim.reset()                     # every cell output register back to 0

Cycle convention (ARCHITECTURE §1): during cycle ``t`` the output registers hold
``S_t`` (``S_0 = 0``) and the edge inputs hold ``I_t``; the edge after cycle ``t``
computes ``S_{t+1} = F(S_t, I_t)``. Row ``t`` of every ``*_out`` array returned by
:meth:`FabricSim.run` is what the port shows during cycle ``t``, i.e. ``G(S_t)``;
``inputs[t]`` only shows up from row ``t + 1`` on. ``run`` may be called repeatedly;
the state carries over.

Two engines sit behind the one class:

* **logical** (no defect map): bit-sliced. Each cell's 64-bit configuration is turned
  into its algebraic normal form (per side, the XOR of 16 monomials of the four input
  bits), stored as 64 bit-planes of shape ``(H, ceil(W/64))`` ``uint64`` (bit ``j``
  of word ``k`` = column ``64k + j``). A cycle is: neighbour exchange by whole-plane
  shifts (rows for N/S, bit shifts with word carries for E/W), the 16 monomial planes
  from 11 ANDs, then ``out_d = XOR_m (monomial_m & coef_{m,d})`` over all cells at
  once. No Python loop over cells.
* **physical** (with a defect map, ``(H, W + S)``): index gather over the
  ``W + S`` physical columns, modelling the router of DESIGN §4 exactly: a cell's
  ``in_W``/``in_E`` comes from the nearest used cell to the west/east (or
  ``west_in``/``east_in``), ``in_N``/``in_S`` from the physical cell holding the same
  logical column in the row above/below (or ``north_in``/``south_in``), the edge
  outputs from the first/last used cell of a row and the cells of logical column x in
  rows 0 and H-1. Defective cells — and working spare cells east of logical column
  ``W - 1``, which hold no configuration (see :func:`fabric.defects.used_cells`) —
  load fresh random bits from ``numpy.random.default_rng(noise_seed)`` into their
  four output registers on every edge.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from fabric.arch import INPUT_BUSES, OUTPUT_BUSES, E, N, S, W, bus_width
from fabric.defects import as_defect_map, physical_columns, used_cells
from fabric.loader import check_configs

_U64 = np.uint64
_ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
#: (shift, mask) pairs of the Möbius (truth table -> ANF) transform, applied to the
#: four 16-bit tables of a configuration at once.
_MOBIUS = ((1, 0x5555_5555_5555_5555), (2, 0x3333_3333_3333_3333),
           (4, 0x0F0F_0F0F_0F0F_0F0F), (8, 0x00FF_00FF_00FF_00FF))
#: words per row chunk in the logical kernel (keeps the temporaries cache-sized).
_CHUNK_WORDS = 4096


def anf_configs(configs: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Algebraic normal form of each of the four 16-bit truth tables of every config.

    Bit ``16*d + m`` of the result is the coefficient of the monomial ``m`` (bit ``i``
    of ``m`` set = input ``i`` is a factor; inputs ``N, E, S, W`` = bits 0..3, as in
    the LUT address) in ``out_d``, so that
    ``out_d = XOR over m of coef[16*d + m] & prod_{i in m} in_i``.
    """
    a = np.array(configs, dtype=np.uint64, copy=True)
    for shift, mask in _MOBIUS:
        a ^= (a & _U64(mask)) << _U64(shift)
    return a


def _pack_bits(bits: npt.NDArray[np.uint8], words: int) -> npt.NDArray[np.uint64]:
    """Pack 0/1 ``(..., n)`` into ``uint64 (..., words)``, bit ``j`` of word ``k`` = ``64k+j``."""
    n = bits.shape[-1]
    padded = np.zeros(bits.shape[:-1] + (words * 64,), dtype=np.uint8)
    padded[..., :n] = bits
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def _unpack_bits(words: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.uint8]:
    """Inverse of :func:`_pack_bits`: ``uint64 (..., k)`` -> 0/1 ``uint8 (..., n)``."""
    raw = np.ascontiguousarray(words.astype("<u8")).view(np.uint8)
    return np.unpackbits(raw, axis=-1, bitorder="little")[..., :n]


class _BitSliceEngine:
    """Logical fabric, bit-sliced along x. State: ``uint64 (4, H, nw)`` output planes."""

    def __init__(self, configs: npt.NDArray[np.uint64]) -> None:
        h, w = configs.shape
        nw = (w + 63) // 64
        self.h, self.w, self.nw = h, w, nw
        self.last_bit = (w - 1) % 64
        anf = anf_configs(configs)
        bits = np.unpackbits(anf.astype("<u8").view(np.uint8).reshape(h, w, 8),
                             axis=-1, bitorder="little")          # (H, W, 64)
        planes = _pack_bits(bits.transpose(2, 0, 1), nw)           # (64, H, nw)
        # coef[m, d] = plane 16*d + m; padding columns are all-zero, so padding
        # cells always output 0 (in particular into in_E of column W-1).
        self.coef = np.ascontiguousarray(planes.reshape(4, 16, h, nw).transpose(1, 0, 2, 3))
        self.state = np.zeros((4, h, nw), dtype=np.uint64)
        self._next = np.zeros_like(self.state)
        # Monomial planes; [m, 0] is prod of inputs in m; [0] stays all-ones.
        self._mono = np.empty((16, 1, h, nw), dtype=np.uint64)
        self._mono[0] = _ALL_ONES
        rows = max(1, _CHUNK_WORDS // nw)
        self._chunks = [slice(r, min(h, r + rows)) for r in range(0, h, rows)]
        self._tmp = np.empty((16, 4, min(h, rows), nw), dtype=np.uint64)

    def reset(self) -> None:
        self.state[...] = 0

    def cells_state(self) -> npt.NDArray[np.uint8]:
        return _unpack_bits(self.state, self.w)

    def run(self, ins: dict[str, npt.NDArray[np.uint8]], t_len: int
            ) -> dict[str, npt.NDArray[np.uint8]]:
        h, nw = self.h, self.nw
        north = _pack_bits(ins["north_in"], nw)                     # (T, nw)
        south = _pack_bits(ins["south_in"], nw)
        west = ins["west_in"].astype(np.uint64)                     # (T, H), bit 0
        east = ins["east_in"].astype(np.uint64) << _U64(self.last_bit)
        rec_n = np.empty((t_len, nw), dtype=np.uint64)
        rec_s = np.empty((t_len, nw), dtype=np.uint64)
        rec_w = np.empty((t_len, h), dtype=np.uint64)
        rec_e = np.empty((t_len, h), dtype=np.uint64)
        mono, coef, tmp = self._mono, self.coef, self._tmp
        in_n, in_e, in_s, in_w = mono[1, 0], mono[2, 0], mono[4, 0], mono[8, 0]
        for t in range(t_len):
            st = self.state
            rec_n[t] = st[N, 0]
            rec_s[t] = st[S, h - 1]
            rec_w[t] = st[W, :, 0]
            rec_e[t] = st[E, :, nw - 1]
            # neighbour exchange
            in_n[1:] = st[S, :-1]
            in_n[0] = north[t]
            in_s[:-1] = st[N, 1:]
            in_s[h - 1] = south[t]
            np.left_shift(st[E], _U64(1), out=in_w)
            if nw > 1:
                in_w[:, 1:] |= st[E, :, :-1] >> _U64(63)
            in_w[:, 0] |= west[t]
            np.right_shift(st[W], _U64(1), out=in_e)
            if nw > 1:
                in_e[:, :-1] |= st[W, :, 1:] << _U64(63)
            in_e[:, nw - 1] |= east[t]
            # monomials: 3 = NE, 5..7 = {1..3} & S, 9..15 = {1..7} & W
            np.bitwise_and(in_n, in_e, out=mono[3, 0])
            np.bitwise_and(mono[1:4], in_s, out=mono[5:8])
            np.bitwise_and(mono[1:8], in_w, out=mono[9:16])
            nxt = self._next
            for rs in self._chunks:
                k = rs.stop - rs.start
                prod = np.bitwise_and(mono[:, :, rs], coef[:, :, rs], out=tmp[:, :, :k])
                np.bitwise_xor.reduce(prod, axis=0, out=nxt[:, rs])
            self.state, self._next = nxt, st
        return {
            "north_out": _unpack_bits(rec_n, self.w),
            "south_out": _unpack_bits(rec_s, self.w),
            "west_out": (rec_w & _U64(1)).astype(np.uint8),
            "east_out": ((rec_e >> _U64(self.last_bit)) & _U64(1)).astype(np.uint8),
        }


class _GatherEngine:
    """Physical fabric with a defect map. State: ``uint8 (4, H, W+S)`` output registers.

    The registers live in the head of one flat ``uint8`` vector ``V``, followed by
    the current edge inputs (west H, east H, north W, south W), so that the router is
    one precomputed index array ``src (4, H, W)`` into ``V``: ``src[d, y, x]`` is
    where logical cell ``(x, y)`` reads its input from side ``d``.
    """

    def __init__(self, configs: npt.NDArray[np.uint64], defects: npt.NDArray[np.bool_],
                 noise_seed: int | None) -> None:
        h, w = configs.shape
        p = defects.shape[1]
        self.h, self.w, self.p = h, w, p
        cols = physical_columns(defects, w)                        # (H, W)
        self.cols = cols
        self.used = used_cells(defects, w)
        plane = h * p
        self.off_west = 4 * plane
        self.off_east = self.off_west + h
        self.off_north = self.off_east + h
        self.off_south = self.off_north + w
        self.v = np.zeros(self.off_south + w, dtype=np.uint8)
        ys = np.arange(h)[:, None]
        xs = np.arange(w)[None, :]
        cell = ys * p + cols                                       # flat (y, p) of (x, y)

        def reg(d: int, flat: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
            return d * plane + flat

        src = np.empty((4, h, w), dtype=np.intp)
        # in_N: out_S of the cell of logical column x in the row above, or north_in[x]
        src[N, 1:] = reg(S, cell[:-1])
        src[N, 0] = self.off_north + xs[0]
        # in_S: out_N of the cell of logical column x in the row below, or south_in[x]
        src[S, :-1] = reg(N, cell[1:])
        src[S, h - 1] = self.off_south + xs[0]
        # in_W: out_E of the nearest used cell to the west, or west_in[y]
        src[W, :, 1:] = reg(E, cell[:, :-1])
        src[W, :, 0] = self.off_west + ys[:, 0]
        # in_E: out_W of the nearest used cell to the east, or east_in[y]
        src[E, :, :-1] = reg(W, cell[:, 1:])
        src[E, :, w - 1] = self.off_east + ys[:, 0]
        self.src = src
        self.dst = np.stack([reg(d, cell) for d in range(4)])      # (4, H, W)
        idle = np.flatnonzero(~self.used)                          # flat (y, p)
        self.noise_dst = np.concatenate([reg(d, idle) for d in range(4)])
        self.out_idx = {
            "west_out": reg(W, cell[:, 0]),
            "east_out": reg(E, cell[:, w - 1]),
            "north_out": reg(N, cell[0]),
            "south_out": reg(S, cell[h - 1]),
        }
        self.tables = np.ascontiguousarray(configs, dtype=np.uint64)
        self.rng = np.random.default_rng(noise_seed)

    def reset(self) -> None:
        self.v[: self.off_west] = 0

    def cells_state(self) -> npt.NDArray[np.uint8]:
        return self.v[: self.off_west].reshape(4, self.h, self.p).copy()

    def run(self, ins: dict[str, npt.NDArray[np.uint8]], t_len: int
            ) -> dict[str, npt.NDArray[np.uint8]]:
        v = self.v
        out = {k: np.empty((t_len, idx.size), dtype=np.uint8) for k, idx in self.out_idx.items()}
        spans = {"west_in": (self.off_west, self.off_east), "east_in": (self.off_east,
                 self.off_north), "north_in": (self.off_north, self.off_south),
                 "south_in": (self.off_south, v.size)}
        noise = self.rng.integers(0, 2, size=(t_len, self.noise_dst.size), dtype=np.uint8)
        cfg = self.tables
        for t in range(t_len):
            for k, idx in self.out_idx.items():
                out[k][t] = v[idx]
            for k, (lo, hi) in spans.items():
                v[lo:hi] = ins[k][t]
            i = v[self.src]                                        # (4, H, W)
            addr = (i[N] | (i[E] << 1) | (i[S] << 2) | (i[W] << 3)).astype(np.uint64)
            sel = cfg >> addr                                      # table bit a at 16*d
            nxt = np.empty((4, self.h, self.w), dtype=np.uint8)
            for d in range(4):
                nxt[d] = (sel >> _U64(16 * d)) & _U64(1)
            v[self.dst] = nxt
            v[self.noise_dst] = noise[t]
        return out


class FabricSim:
    """Cycle-accurate simulator of a lutgrid fabric (ARCHITECTURE §5).

    ``configs``: logical configuration, ``uint64 (H, W)`` (row y, column x), bits
    ``16*d .. 16*d+15`` = truth table of side ``d`` (DESIGN §1).

    ``defects``: ``None`` for the logical fabric, or a defect map ``bool
    (H, W + spares)`` for the physical fabric (spare-column router, DESIGN §4). A
    row with more than ``spares`` defects raises
    :class:`fabric.defects.DefectError` naming the row. ``noise_seed`` seeds the
    random bits that defective (and unused spare) cells load every cycle.
    """

    def __init__(self, configs: npt.ArrayLike, defects: npt.ArrayLike | None = None,
                 spares: int = 1, noise_seed: int | None = 0) -> None:
        cfg = check_configs(configs)
        self.height, self.width = cfg.shape
        self.spares = spares
        self.cycle = 0  #: cycles simulated since construction / the last reset
        self._engine: _BitSliceEngine | _GatherEngine
        if defects is None:
            self._engine = _BitSliceEngine(cfg)
        else:
            if int(spares) != spares or spares < 0:
                raise ValueError(f"spares must be an integer >= 0, got {spares!r}")
            dm = as_defect_map(defects, width=self.width, height=self.height)
            if dm.shape[1] != self.width + spares:
                raise ValueError(f"defect map has {dm.shape[1]} physical columns; a "
                                 f"{self.width}-wide fabric with {spares} spare column(s) "
                                 f"has {self.width + spares}")
            self._engine = _GatherEngine(cfg, dm, noise_seed)

    @property
    def mode(self) -> str:
        """``"logical"`` or ``"physical"``."""
        return "logical" if isinstance(self._engine, _BitSliceEngine) else "physical"

    @property
    def physical_columns(self) -> npt.NDArray[np.intp] | None:
        """Physical mode: ``int (H, W)`` physical column of each logical cell; else None."""
        return self._engine.cols if isinstance(self._engine, _GatherEngine) else None

    def bus_width(self, bus: str) -> int:
        """Width of an edge bus: H for west/east, W for north/south
        (:func:`fabric.arch.bus_width`; ``ValueError`` for an unknown bus)."""
        return bus_width(bus, self.width, self.height)

    @property
    def state(self) -> npt.NDArray[np.uint8]:
        """Copy of the output registers, ``uint8 (4, H, cols)`` indexed ``[side, y, col]``.

        ``cols`` is W (logical columns) in logical mode, W + S (physical columns) in
        physical mode. Sides N, E, S, W = 0..3.
        """
        return self._engine.cells_state()

    def reset(self) -> None:
        """Clear every output register (``S = 0``); configuration is kept."""
        self._engine.reset()
        self.cycle = 0

    def run(self, inputs: Mapping[str, npt.ArrayLike] | None = None,
            cycles: int | None = None) -> dict[str, npt.NDArray[np.uint8]]:
        """Simulate ``T`` cycles and return the four output buses, ``uint8 (T, n)``.

        ``inputs`` maps input bus names to 0/1 arrays ``(T, n)`` (``n`` = H for
        west/east, W for north/south); missing buses are held at 0. ``T`` is taken
        from the arrays, or from ``cycles`` when no bus is given (both, if given,
        must agree). Row ``t`` of each output is the port value during cycle ``t``,
        before the edge that samples ``inputs[t]`` (ARCHITECTURE §1).
        """
        ins, t_len = self._check_inputs(inputs or {}, cycles)
        out = self._engine.run(ins, t_len)
        self.cycle += t_len
        return {k: out[k] for k in OUTPUT_BUSES}

    def _check_inputs(self, inputs: Mapping[str, npt.ArrayLike], cycles: int | None
                      ) -> tuple[dict[str, npt.NDArray[np.uint8]], int]:
        unknown = sorted(set(inputs) - set(INPUT_BUSES))
        if unknown:
            raise ValueError(f"unknown input bus(es) {unknown}; inputs are {INPUT_BUSES}")
        arrays: dict[str, npt.NDArray[np.uint8]] = {}
        t_len = cycles
        if cycles is not None and (int(cycles) != cycles or cycles < 0):
            raise ValueError(f"cycles must be an integer >= 0, got {cycles!r}")
        for bus in INPUT_BUSES:
            if bus not in inputs:
                continue
            a = np.asarray(inputs[bus])
            n = self.bus_width(bus)
            if a.ndim != 2 or a.shape[1] != n:
                raise ValueError(f"{bus} must have shape (T, {n}), got {a.shape}")
            if not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer)):
                raise TypeError(f"{bus} must hold 0/1 integers, got dtype {a.dtype}")
            if a.size and not ((a == 0) | (a == 1)).all():
                raise ValueError(f"{bus} must hold only 0 and 1")
            if t_len is None:
                t_len = a.shape[0]
            elif a.shape[0] != t_len:
                raise ValueError(f"{bus} has {a.shape[0]} cycles, expected {t_len}")
            arrays[bus] = a.astype(np.uint8)
        if t_len is None:
            raise ValueError("no input bus given: pass cycles=T")
        for bus in INPUT_BUSES:
            if bus not in arrays:
                arrays[bus] = np.zeros((t_len, self.bus_width(bus)), dtype=np.uint8)
        return arrays, int(t_len)
