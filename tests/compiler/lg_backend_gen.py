"""Shared helpers for the back-end tests: random netlists and a streaming check."""

from __future__ import annotations

import numpy as np

from compiler.flow import CompileResult
from compiler.netlist import Netlist, evaluate
from fabric.iomap import base_word
from sim.numpy_sim import FabricSim
from sim.stream import decode_outputs, encode_tokens


def random_netlist(rng: np.random.Generator, n_words: int = 2, wbits: int = 3,
                   n_luts: int = 8, n_out: int = 3, delays: bool = True) -> Netlist:
    """Random LUTs of 1-4 inputs over a few input words, with even delays
    (odd reconvergent delays are unmappable, see ParityError)."""
    nl = Netlist()
    sigs = [nl.input(f"x{w}", b) for w in range(n_words) for b in range(wbits)]
    for _ in range(n_luts):
        k = int(rng.integers(1, 5))
        pool = sigs[-8:] if rng.random() < 0.7 else sigs
        ins = [int(rng.choice(pool)) for _ in range(k)]
        s = nl.lut(ins, int(rng.integers(0, 1 << (1 << k))))
        if delays and rng.random() < 0.2:
            s = nl.delay(s, 2 * int(rng.integers(1, 3)))
        sigs.append(s)
    for o in range(n_out):
        nl.output("y", o, sigs[-1 - o])
    return nl


def cell_roles(res: CompileResult) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Compute and route-only cells of a compiled program, derived without the report:
    compute = the cells holding a cluster that is not a relay, or a constant output;
    route-only = every other cell whose configuration is not all zero."""
    pl = res.placement
    p = pl.packed
    compute = {pl.cell[c.index] for c in p.clusters if not set(c.luts) <= p.relays}
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            compute.add(pl.arch.port_cell(*pl.out_port[i]))
    ys, xs = np.nonzero(res.bitstream.configs)
    used = {(int(x), int(y)) for x, y in zip(xs, ys, strict=True)}
    return compute, used - compute


def max_delay(nl: Netlist) -> int:
    """Largest total delay (tokens) on any path: earlier tokens read pipeline garbage."""
    acc = [0] * len(nl.nodes)
    for i, n in enumerate(nl.nodes):
        base = max((acc[s] for s in n.inputs), default=0)
        acc[i] = base + (n.k if n.kind == "delay" else 0)
    return max(acc, default=0)


def stream_check(nl: Netlist, res: CompileResult, n_tokens: int = 300, seed: int = 0) -> None:
    """Drive a new random token every cycle (garbage on unmapped inputs) and compare
    every output bit of every token (after the delay warm-up) with ``evaluate``."""
    bs = res.bitstream
    iom = bs.iomap
    assert iom is not None
    rng = np.random.default_rng(seed)
    toks = {w: rng.integers(0, 1 << len(bits), size=n_tokens) for w, bits in iom.inputs.items()
            if w == base_word(w)}
    outs = FabricSim(bs.configs).run(encode_tokens(iom, bs.width, bs.height, toks, rng))
    got = decode_outputs(iom, outs, n_tokens)
    ref = evaluate(nl, toks)
    warm = max_delay(nl)
    for word, bits in ref.items():
        want = (bits.astype(np.int64) << np.arange(bits.shape[1])).sum(axis=1)
        bad = np.nonzero(want[warm:] != got[word][warm:])[0]
        assert len(bad) == 0, (f"output {word}: tokens {(bad[:8] + warm).tolist()} differ "
                               f"(want {want[warm:][bad[:8]].tolist()}, got "
                               f"{got[word][warm:][bad[:8]].tolist()})")
