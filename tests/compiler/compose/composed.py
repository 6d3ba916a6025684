"""Shared checks of composed programs (imported by the tests beside it)."""

from __future__ import annotations

import numpy as np

from compiler.compose import ComposeResult, compose_graph
from compiler.compose.blocks import BlockLibrary
from compiler.compose.stitch import ComposeError
from compiler.ir import FIRST, Graph
from compiler.lower import lower
from compiler.program import Program
from fabric.defects import random_defects
from sim.check import check_program


def random_graph_tokens(g: Graph, rng: np.random.Generator, n: int
                        ) -> dict[str, np.ndarray]:
    """``n`` tokens for :func:`compiler.ir.reference` of ``g``: every input word random
    in its type's range, ``first`` on token 0 and then with probability 0.1."""
    toks: dict[str, np.ndarray] = {}
    for name, v in g.inputs.items():
        if name == FIRST:
            f = (rng.random(n) < 0.1).astype(np.int64)
            f[0] = 1
            toks[name] = f
        else:
            toks[name] = rng.integers(v.type.lo, v.type.hi + 1, size=(n, v.dim))
    return toks


def check_as_chip(pipe, tokens: dict[str, np.ndarray], name: str, seed: int = 5) -> None:
    """The pipeline ``pipe`` as one chip (:func:`compiler.compose.chain.chip_plan`),
    streamed cycle by cycle in numpy: every output of every token equals the
    reference."""
    from compiler.compose.chain import chip_plan
    from sim.chip_sim import stream_chip

    pipe.check(stream_chip(chip_plan(pipe), tokens, seed=seed), tokens, name)


def check_composed(g: Graph, res: ComposeResult, seed: int) -> None:
    """Stream 320 tokens (random restarts, garbage on unmapped inputs) through the
    composed program, on the logical fabric and on a random defect map: every output
    of every token must equal the reference."""
    prog = Program("composed", res.bitstream, lower(g).netlist, g, None, 0.0, 0, "composed")
    check_program(prog, tokens=320, seed=seed)
    bs = res.bitstream
    check_program(prog, tokens=320, seed=seed + 1,
                  defects=random_defects(bs.height, bs.width, 1,
                                         np.random.default_rng(seed + 1)))


def compose_checked_or_named(g: Graph, library: BlockLibrary, budget: float,
                             seed: int) -> ComposeResult | None:
    """Compose ``g`` within ``budget`` seconds and check it (:func:`check_composed`), or
    accept a refusal that names what failed (a block, a net, shared registers or the
    budget): never a wrong program, never another exception."""
    try:
        res = compose_graph(g, library, time_budget=budget)
    except ComposeError as exc:
        assert any(w in str(exc) for w in ("block", "net", "registers", "time budget"))
        return None
    check_composed(g, res, seed)
    return res
