"""The configuration load protocol, cycle by cycle (docs/ARCHITECTURE.md §3).

A program reaches the RTL through two narrow per-row shift chains. This module
turns ``(configs, defects)`` into the exact sequence of values of the control
ports ``rst, defect_en, defect_in, cfg_en, cfg_in`` that the cocotb harness plays,
one entry per clock cycle, and holds a pure-Python model of the chains
(:func:`simulate_chains`) that the tests use to prove the sequence puts every
logical configuration into the physical cell the router expects.

Protocol, for a fabric of logical width W, height H and S spares (P = W + S):

1. ``defect_en = 1`` for P cycles; in cycle k ``defect_in[y] = defects[y, P-1-k]``.
2. one cycle with every enable low (the router's selects latch).
3. ``cfg_en = 1`` for 64·W cycles; in cycle k ``cfg_in[y]`` is bit
   ``63 - (k mod 64)`` of logical cell ``(W-1 - k div 64, y)``.
4. ``rst = 1`` for one cycle; streaming cycle 0 (§1) follows.

Multi-bit values are Python ints with bit ``y`` = row ``y`` (as the RTL ports);
:func:`load_arrays` gives the same sequence as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from cells.truth import CONFIG_BITS
from fabric.defects import as_defect_map, physical_columns

__all__ = ["LoadCycle", "load_cycles", "load_sequence", "load_arrays", "simulate_chains",
           "check_configs"]


class LoadCycle(NamedTuple):
    """Values of the control ports during one clock cycle of loading.

    ``defect_in`` and ``cfg_in`` are H-bit ints (bit y = row y); the others 0/1.
    """

    rst: int
    defect_en: int
    defect_in: int
    cfg_en: int
    cfg_in: int


IDLE = LoadCycle(0, 0, 0, 0, 0)


def load_cycles(width: int, spares: int) -> int:
    """Number of cycles of :func:`load_sequence`: ``(W+S) + 1 + 64·W + 1``."""
    return (width + spares) + 1 + CONFIG_BITS * width + 1


def check_configs(configs: object) -> npt.NDArray[np.uint64]:
    """Validate a logical configuration array and return it as ``uint64 (H, W)``.

    Accepts a 2-D numpy array of an integer dtype with values in ``0 .. 2**64 - 1``;
    raises ``TypeError``/``ValueError`` otherwise.
    """
    if not isinstance(configs, np.ndarray):
        raise TypeError(f"configs must be a numpy array, got {type(configs).__name__}")
    if configs.ndim != 2 or 0 in configs.shape:
        raise ValueError(f"configs must be a non-empty 2-D array (H, W), got shape "
                         f"{configs.shape}")
    if not np.issubdtype(configs.dtype, np.integer):
        raise TypeError(f"configs must have an integer dtype (uint64), got {configs.dtype}")
    if np.issubdtype(configs.dtype, np.signedinteger) and (configs < 0).any():
        raise ValueError("configs must be non-negative 64-bit values")
    return np.ascontiguousarray(configs, dtype=np.uint64)


def _prepare(configs: object, defects: object | None,
             spares: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    cfg = check_configs(configs)
    h, w = cfg.shape
    if defects is None:
        dm = np.zeros((h, w + spares), dtype=np.bool_)
    else:
        dm = as_defect_map(defects, width=w, height=h)
    physical_columns(dm, w)  # raises DefectError naming the first row over the limit
    return cfg, dm


def load_arrays(configs: object, defects: object | None = None, *,
                spares: int = 1) -> dict[str, npt.NDArray[np.uint8]]:
    """The load sequence as arrays over its ``n = load_cycles(W, S)`` cycles.

    ``configs``: ``uint64 (H, W)`` logical configurations. ``defects``: ``bool
    (H, W+S)`` (``S`` is taken from its shape), or ``None`` for a defect-free
    fabric with ``spares`` spare columns. Returns ``rst, defect_en, cfg_en``
    (``uint8 (n,)``) and ``defect_in, cfg_in`` (``uint8 (n, H)``, column y = row y).
    Raises ``DefectError`` naming the row when a row has more defects than spares.
    """
    cfg, dm = _prepare(configs, defects, spares)
    h, w = cfg.shape
    p = dm.shape[1]
    n = load_cycles(w, p - w)
    out = {name: np.zeros(n, dtype=np.uint8) for name in ("rst", "defect_en", "cfg_en")}
    out["defect_in"] = np.zeros((n, h), dtype=np.uint8)
    out["cfg_in"] = np.zeros((n, h), dtype=np.uint8)
    # 1. defect chain: cycle k carries column P-1-k.
    out["defect_en"][:p] = 1
    out["defect_in"][:p] = dm[:, ::-1].T
    # 2. one idle cycle at index p.  3. configuration chain.
    c0 = p + 1
    k = np.arange(CONFIG_BITS * w)
    cells = cfg[:, w - 1 - k // CONFIG_BITS]                       # (H, 64W)
    bits = (cells >> (CONFIG_BITS - 1 - k % CONFIG_BITS).astype(np.uint64)) & np.uint64(1)
    out["cfg_en"][c0:c0 + CONFIG_BITS * w] = 1
    out["cfg_in"][c0:c0 + CONFIG_BITS * w] = bits.T.astype(np.uint8)
    # 4. reset.
    out["rst"][n - 1] = 1
    return out


def _rows_to_ints(bits: npt.NDArray[np.uint8]) -> list[int]:
    """Pack each row of a 0/1 array ``(n, H)`` into an int, bit y = column y."""
    n, h = bits.shape
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed] if h else [0] * n


def load_sequence(configs: object, defects: object | None = None, *,
                  spares: int = 1) -> Iterator[LoadCycle]:
    """Yield the :class:`LoadCycle` of every clock cycle of the load protocol.

    Same arguments and errors as :func:`load_arrays` (errors are raised before the
    first value is yielded); yields exactly ``load_cycles(W, S)`` entries, the last
    one being the reset cycle.
    """
    arrays = load_arrays(configs, defects, spares=spares)
    defect_in = _rows_to_ints(arrays["defect_in"])
    cfg_in = _rows_to_ints(arrays["cfg_in"])
    rst = arrays["rst"].tolist()
    den = arrays["defect_en"].tolist()
    cen = arrays["cfg_en"].tolist()

    def gen() -> Iterator[LoadCycle]:
        for i in range(len(rst)):
            yield LoadCycle(rst[i], den[i], defect_in[i], cen[i], cfg_in[i])

    return gen()


def simulate_chains(sequence: list[LoadCycle], height: int, width: int, spares: int,
                    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint64]]:
    """Reference model of the RTL's load chains, for checking a sequence.

    Plays ``sequence`` on ``height`` rows of ``width + spares`` physical cells whose
    defect flags and configurations start at 0: on each cycle with ``defect_en``
    the per-row defect chain shifts east by one (bit entering at physical column 0);
    the working-cell mask is latched on every cycle without ``defect_en`` (the RTL
    latches on the idle cycle and keeps it); on each cycle with ``cfg_en`` every
    working cell does ``cfg <= {cfg[62:0], chain_in}`` where ``chain_in`` is
    ``cfg_in[y]`` for the row's first working cell and the previous working cell's
    ``cfg[63]`` otherwise. Returns ``(defects bool (H, P), configs uint64 (H, P))``
    as held by the physical cells at the end.
    """
    p = width + spares
    dflags = np.zeros((height, p), dtype=np.bool_)
    working = ~dflags
    cfgs = [[0] * p for _ in range(height)]
    top = 1 << (CONFIG_BITS - 1)
    mask = (1 << CONFIG_BITS) - 1
    for step in sequence:
        if step.defect_en:
            incoming = np.array([(step.defect_in >> y) & 1 for y in range(height)], dtype=bool)
            dflags = np.concatenate([incoming[:, None], dflags[:, :-1]], axis=1)
        else:
            working = ~dflags
        if step.cfg_en:
            for y in range(height):
                chain = (step.cfg_in >> y) & 1
                row = cfgs[y]
                for col in range(p):
                    if not working[y, col]:
                        continue
                    out = 1 if row[col] & top else 0
                    row[col] = ((row[col] << 1) | chain) & mask
                    chain = out
    return dflags, np.array(cfgs, dtype=np.uint64)
