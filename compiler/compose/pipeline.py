"""A program as a pipeline of fabrics: its parts composed each on its own fabric, the
output edge of one wired to the input edge of the next.

The stitcher joins the parts of a program onto one fabric (:mod:`compiler.compose.
hierarchy`); where that does not route yet, the parts can still run as a chain of
fabrics, each streaming one token per cycle, part ``k``'s cut value (a few words) on
wires to part ``k+1``. The chain computes what the program computes (each part is a
program of DESIGN §5 ops whose output is the cut value, :func:`~compiler.compose.
hierarchy.part_split`) and streams one token per cycle; its latency is the sum of the
parts'. This is the demo language model's form today (docs/DEMO_LM.md): its window of
delays composes in seconds, the network after it in about a minute, and the two do
not yet stitch onto one fabric.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from compiler.compose.hierarchy import part_split
from compiler.compose.phase import legalise_phases
from compiler.ir import FIRST, Graph, GraphError, reference
from compiler.lower import word_name

__all__ = ["Pipeline", "compile_pipeline", "cut_before_first"]


def cut_before_first(graph: Graph, kind: str) -> list[int]:
    """The cut at the operand of ``graph``'s first op of ``kind``, as a one-element
    list (:func:`~compiler.compose.hierarchy.part_split` refuses a cut that later ops
    read across). Raises ``GraphError`` when there is no such op."""
    ops = [i for i, op in enumerate(graph.ops) if op.kind == kind]
    if not ops:
        raise GraphError(f"pipeline: the graph has no {kind} op to cut before")
    return [graph.ops[ops[0]].args[0]]


@dataclass(frozen=True)
class Pipeline:
    """Compiled parts in dataflow order (:class:`compiler.program.Program` each) and the
    program they compute together."""

    graph: Graph
    stages: tuple
    compile_s: float

    @property
    def latency(self) -> int:
        """Cycles from a token into the first fabric to its outputs out of the last."""
        return sum(p.bitstream.iomap.latency for p in self.stages)

    @property
    def used_cells(self) -> int:
        """Cells used over all fabrics."""
        return sum(p.usage.used for p in self.stages)

    def expected(self, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The program's reference outputs for token words ``tokens`` (``(T, dim)``
        arrays by input name, and ``first``)."""
        return reference(self.graph, tokens)

    def run(self, tokens: Mapping[str, np.ndarray], simulate: Callable) -> dict:
        """Stream token words ``tokens`` (by token word, as the simulators take them)
        through the chain: ``simulate(program, words)`` runs one fabric and returns its
        output words; part ``k+1`` reads part ``k``'s cut words ``y[j]`` as ``i0[j]``.
        Returns the last part's output words."""
        words = dict(tokens)
        for k, prog in enumerate(self.stages):
            got = simulate(prog, prog.port_tokens(words))
            if k + 1 == len(self.stages):
                return got
            nxt = {w: v for w, v in words.items() if w == FIRST}
            ins = self.stages[k + 1].graph.inputs
            if "i0" in ins:
                dim = ins["i0"].dim
                for j in range(dim):
                    nxt[word_name("i0", j, dim)] = np.asarray(got[word_name("y", j, dim)])
            nxt.update({w: v for w, v in tokens.items() if w != FIRST})
            words = nxt
        raise AssertionError("empty pipeline")


def compile_pipeline(graph: Graph, name: str, cuts: Callable[[Graph], list[int]],
                     time_budget: float | None = None,
                     progress: Callable[[str], None] | None = None) -> Pipeline:
    """Compose ``graph`` as parts, each on its own fabric: ``cuts(legal)`` picks the cut
    values in the phase-legal graph (:func:`cut_before_first`, for example). Raises
    what :func:`compiler.program.compile_program` raises for a part."""
    from compiler.program import compile_program

    start = time.perf_counter()
    legal, _ = legalise_phases(graph)
    outer = part_split(legal, cuts(legal))
    stages = []
    for k, inst in enumerate(outer.instances):
        left = None if time_budget is None else max(1.0, time_budget
                                                    - (time.perf_counter() - start))
        if progress is not None:
            progress(f"part {k} of {len(outer.instances)}: {len(inst.graph.ops)} ops")
        if any(op.kind == "delay" for op in inst.graph.ops):
            inst.graph.first()       # its delays read the restart flag (a token word)
        stages.append(compile_program(inst.graph, f"{name}.part{k}", compose=True,
                                      time_budget=left))
    return Pipeline(graph, tuple(stages), time.perf_counter() - start)
