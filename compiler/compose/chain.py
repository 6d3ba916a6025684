"""Lag matching on a chain: a pipeline of fabrics as one chip with exact timing.

A :class:`~compiler.compose.pipeline.Pipeline` says what each fabric computes; this
module says when. Fabric ``k`` starts at cycle ``S_k`` (the cycle its input offset 0
carries token 0), as early as every value it reads can be there: a bit that fabric
``j`` outputs at offset ``o_out`` and fabric ``k`` reads at offset ``o_in`` needs
``S_k + o_in >= S_j + o_out``, and it waits ``S_k + o_in - S_j - o_out`` cycles in a
line of flip-flops (a residual stream that skips fabrics waits the longest). Token bits
enter the chip in cycle ``n`` and wait ``S_k + o_in``. The outputs leave together, at
the chip's latency. Constant output bits of a fabric (depending on no input) become
constants, and input bits no output depends on are left undriven
(:func:`~compiler.compose.blocks.analyse`), so neither costs a flip-flop.

The result is a :class:`fabric.chip.ChipPlan`: the Verilog of the whole program as one
hard-wired chip (:mod:`fabric.verilog_chip`) and its cycle-accurate numpy model
(:mod:`sim.chip_sim`) are built from it. Where the row of fabrics leaves the wires
between fabrics untimed, the plan times them, and its ``balance_flip_flops`` is what
that costs.
"""

from __future__ import annotations

from compiler.compose.blocks import analyse, constant_values
from compiler.compose.pipeline import Pipeline
from compiler.ir import GraphError
from compiler.program import graph_input_words
from fabric.chip import ChipPlan, Source, Wire
from fabric.iomap import base_word

__all__ = ["chip_plan"]


def chip_plan(pipe: Pipeline) -> ChipPlan:
    """The chip that runs ``pipe``'s fabrics side by side with exact timing (module
    docstring). Raises ``GraphError`` naming a fabric that reads a word no token input
    and no earlier fabric provides, or a token bit beyond the token word's width.
    Deterministic."""
    tokens = graph_input_words(pipe.graph)
    # word -> the fabrics before the last that output it, in order; a reader takes it
    # from the latest one before itself, as Pipeline.run does
    made: dict[str, list[int]] = {}
    consts: list[dict[tuple[str, int], int]] = []
    lives: list[dict[str, list[bool]]] = []
    for k, bs in enumerate(pipe.bitstreams):
        assert bs.iomap is not None
        live, const_bits = analyse(bs)
        lives.append(live)
        consts.append(constant_values(bs, const_bits))
        if k + 1 < len(pipe.bitstreams):
            for word in bs.iomap.outputs:
                made.setdefault(word, []).append(k)
    starts: list[int] = []
    wirings: list[dict[tuple[str, int], Wire]] = []
    for k, bs in enumerate(pipe.bitstreams):
        iomap = bs.iomap
        assert iomap is not None
        live = lives[k]
        reads: list[tuple[tuple[str, int], Source, int, int]] = []   # port, src, ready, o_in
        for word, bits in iomap.inputs.items():
            base = base_word(word)
            for b, pb in enumerate(bits):
                if not live[word][b]:
                    continue
                src, ready = _source(pipe, starts, made, consts, tokens, k, base, b)
                reads.append(((pb.port, pb.index), src, ready, pb.offset))
        start = max([0] + [ready - o_in for _p, src, ready, o_in in reads
                           if src[0] == "part"])
        starts.append(start)
        wirings.append({port: Wire(src, 0 if src[0] == "const" else start + o_in - ready)
                        for port, src, ready, o_in in reads})
    last = pipe.bitstreams[-1].iomap
    assert last is not None
    k = len(pipe.bitstreams) - 1
    out_srcs: dict[str, list[tuple[Source, int]]] = {}
    for word, bits in last.outputs.items():
        out_srcs[word] = []
        for b, pb in enumerate(bits):
            if (word, b) in consts[k]:
                out_srcs[word].append((("const", consts[k][(word, b)]), 0))
            else:
                out_srcs[word].append((("part", k, pb.port, pb.index),
                                       starts[k] + pb.offset))
    latency = max([0] + [ready for srcs in out_srcs.values() for src, ready in srcs
                         if src[0] != "const"])
    outputs = {word: tuple(Wire(src, 0 if src[0] == "const" else latency - ready)
                           for src, ready in srcs) for word, srcs in out_srcs.items()}
    return ChipPlan(tuple(pipe.bitstreams), tuple(starts), tuple(wirings), tokens, outputs,
                    latency, frozenset(w for w in last.signed if w in last.outputs),
                    {w: n for w, n in last.widths.items() if w in last.outputs})


def _source(pipe: Pipeline, starts: list[int], made: dict[str, list[int]],
            consts: list[dict[tuple[str, int], int]], tokens: dict[str, int], k: int,
            word: str, b: int) -> tuple[Source, int]:
    """Where bit ``b`` of word ``word`` that fabric ``k`` reads comes from, and the cycle
    token 0's value of it is there (0 for a token bit; constants: any cycle)."""
    if word in tokens:
        if b >= tokens[word]:
            raise GraphError(f"fabric {k} reads bit {b} of token word {word}, which has "
                             f"{tokens[word]} bits")
        return ("token", word, b), 0
    j = max((m for m in made.get(word, ()) if m < k), default=None)
    if j is None:
        raise GraphError(f"fabric {k} reads {word}, which no token input and no earlier "
                         f"fabric provides")
    out = pipe.bitstreams[j].iomap
    assert out is not None
    bits = out.outputs[word]
    if b >= len(bits):           # above the carried bits: the sign, or zero
        if word not in out.signed:
            return ("const", 0), 0
        b = len(bits) - 1
    if (word, b) in consts[j]:
        return ("const", consts[j][(word, b)]), 0
    pb = bits[b]
    return ("part", j, pb.port, pb.index), starts[j] + pb.offset
