"""Surviving defect maps really work: a compiled program on the defective physical fabric.

The yield study (:mod:`fabric.yield_study`) counts a chip as good when no row has more
than ``S`` defective cells. This module backs that count with simulation: it draws
per-cell defect maps at probability ``p`` for a compiled program's own fabric, keeps
the ones that survive, and streams the program through the numpy simulator's
*physical* engine on each (defective and unused cells load fresh random bits every
cycle, unmapped inputs carry garbage). Every output of every token must equal the
defect-free run of the same tokens, and the program's reference. A map with ``S + 1``
defects in a row must be refused, naming the row.

The functions that run on Dask workers (:func:`check_example_on_map`) take an example
*name* and compile it there (once per worker process), so no compiled program has to
travel over the network.
"""

from __future__ import annotations

import functools

import numpy as np

from fabric.defects import DefectError, DefectMap, check_defects
from fabric.yield_study import random_defect_map
from sim.check import run_program
from sim.numpy_sim import FabricSim


@functools.lru_cache(maxsize=8)
def compiled_example(name: str):  # -> compiler.program.Program
    """The built-in example ``name`` (:data:`compiler.examples.EXAMPLES`), compiled with
    seed 0; cached per process. Raises ``ValueError`` for an unknown name."""
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program

    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; choose from {', '.join(EXAMPLES)}")
    return compile_program(EXAMPLES[name](), name)


def surviving_maps(width: int, height: int, spares: int, p: float, count: int,
                   seed: int = 0, max_draws: int = 100_000) -> tuple[list[DefectMap], int]:
    """Draw per-cell defect maps ``bool (height, width + spares)`` at probability ``p``
    (:func:`fabric.yield_study.random_defect_map`) until ``count`` of them survive.

    Returns ``(maps, draws)``: the surviving maps in draw order and how many maps were
    drawn. Raises ``ValueError`` when fewer than ``count`` survive in ``max_draws``
    draws (p too high for these spares).
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = np.random.default_rng(seed)
    maps: list[DefectMap] = []
    draws = 0
    while len(maps) < count:
        if draws >= max_draws:
            raise ValueError(f"only {len(maps)} of {max_draws} random {width}x{height} maps "
                             f"with {spares} spare column(s) survive at p={p:g}; "
                             f"{count} were asked for")
        dm = random_defect_map(width, height, spares, p, rng)
        draws += 1
        try:
            check_defects(dm, width)
        except DefectError:
            continue
        maps.append(dm)
    return maps, draws


def check_on_map(program, defects: DefectMap, spares: int, tokens: int = 200,
                 seed: int = 0) -> int:
    """Stream ``tokens`` random tokens through ``program`` on the physical fabric with
    ``defects`` (``bool (H, W + spares)`` for the program's W x H) and on the logical,
    defect-free fabric, with the same tokens and the same input garbage.

    Raises ``AssertionError`` naming the first output word and token where the two runs
    differ, or where either differs from the program's reference; returns the number
    of defective cells in the map.
    """
    clean, toks = run_program(program, "numpy", tokens, seed)
    dirty, toks2 = run_program(program, "numpy", tokens, seed, defects=defects, spares=spares)
    assert all(np.array_equal(toks[w], toks2[w]) for w in toks)
    for word in sorted(clean):
        bad = np.flatnonzero(np.asarray(clean[word]) != np.asarray(dirty[word]))
        if bad.size:
            raise AssertionError(
                f"{program.name} on a map with {int(defects.sum())} defective cells: output "
                f"{word!r} of token {int(bad[0])} is {int(dirty[word][bad[0]])}, the "
                f"defect-free run gives {int(clean[word][bad[0]])} ({bad.size} tokens differ)")
    program.check(clean, toks)
    return int(defects.sum())


def check_example_on_map(name: str, defects: DefectMap, spares: int, tokens: int = 200,
                         seed: int = 0) -> int:
    """:func:`check_on_map` for the built-in example ``name`` (a Dask job)."""
    return check_on_map(compiled_example(name), defects, spares, tokens, seed)


def overfull_map(width: int, height: int, spares: int, row: int, seed: int = 0) -> DefectMap:
    """A defect map ``bool (height, width + spares)`` whose row ``row`` has ``spares + 1``
    defective cells (random columns) and every other row at most ``spares``."""
    if not 0 <= row < height:
        raise ValueError(f"row {row} is outside 0..{height - 1}")
    rng = np.random.default_rng(seed)
    n = width + spares
    dm = np.zeros((height, n), dtype=np.bool_)
    for y in range(height):
        k = spares + 1 if y == row else int(rng.integers(0, spares + 1))
        dm[y, rng.choice(n, size=k, replace=False)] = True
    return dm


def refusal(program, spares: int, row: int, seed: int = 0) -> DefectError:
    """Try to put ``program`` on a map with ``spares + 1`` defects in ``row``; return the
    :class:`~fabric.defects.DefectError` the physical simulator raises (it names the row).
    Raises ``AssertionError`` if the map is accepted."""
    bs = program.bitstream
    dm = overfull_map(bs.width, bs.height, spares, row, seed)
    try:
        FabricSim(bs.configs, defects=dm, spares=spares, noise_seed=seed)
    except DefectError as exc:
        return exc
    raise AssertionError(f"a map with {spares + 1} defects in row {row} was accepted")
