"""Stream tokens through a compiled program, one new token every cycle.

This is the bridge between the token view (word values per token) and the port
view (edge-bus bits per cycle) of a program, through its :class:`~fabric.iomap.IOMap`:
bit ``b`` of token ``n``'s word is on ``port[index]`` during cycle ``n + offset``
(docs/ARCHITECTURE.md §1 and §6). An input word ``x@TAG`` is an extra feed of
token word ``x`` and receives its values.

Every edge-input bit that the I/O map does not claim for a real token — unmapped
port bits, and mapped ones in the cycles before the first or after the last token —
is driven with seeded random garbage, so a program that leans on an idle input, or
on a neighbouring token, fails its check instead of passing by luck.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from fabric.iomap import INPUT_PORTS, OUTPUT_PORTS, IOMap, base_word, port_width


class Simulator(Protocol):
    """Anything that runs cycles of a fabric: ``run(inputs[T]) -> outputs[T]``."""

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run ``T`` cycles (ARCHITECTURE §5 shapes); row t of the result is cycle t."""
        ...


class StreamError(ValueError):
    """Tokens that do not match the program's I/O map."""


def stream_cycles(iomap: IOMap, n_tokens: int) -> int:
    """Cycles needed to read every output of ``n_tokens`` tokens (cycle 0 = token 0)."""
    return n_tokens + iomap.latency + 1


def encode_tokens(iomap: IOMap, width: int, height: int, tokens: Mapping[str, np.ndarray],
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Edge-input bits, cycle by cycle, that carry ``tokens`` (word -> int array over
    tokens, two's complement for negative values); everything else is garbage."""
    wanted = {base_word(w) for w in iomap.inputs}
    missing = sorted(wanted - set(tokens))
    extra = sorted(set(tokens) - wanted)
    if missing or extra:
        raise StreamError(f"token words {sorted(tokens)} do not match the program's inputs "
                          f"{sorted(wanted)} (missing {missing}, unknown {extra})")
    lengths = {w: len(np.asarray(v)) for w, v in tokens.items()}
    if len(set(lengths.values())) > 1:
        raise StreamError(f"token words have different lengths: {lengths}")
    n_tokens = next(iter(lengths.values()), 0)
    cycles = stream_cycles(iomap, n_tokens)
    inputs = {p: rng.integers(0, 2, size=(cycles, port_width(p, width, height)), dtype=np.uint8)
              for p in INPUT_PORTS}
    for word, bits in iomap.inputs.items():
        values = np.asarray(tokens[base_word(word)], dtype=np.int64)
        for b, pb in enumerate(bits):
            column = ((values >> b) & 1).astype(np.uint8)
            inputs[pb.port][pb.offset:pb.offset + n_tokens, pb.index] = column
    return inputs


def decode_outputs(iomap: IOMap, outputs: Mapping[str, np.ndarray],
                   n_tokens: int) -> dict[str, np.ndarray]:
    """Token words (int64 per token) read from edge-output bits at ``n + offset``;
    words named in ``iomap.signed`` are sign-extended from their carried bits (so
    also to a larger declared width, ``iomap.widths``)."""
    words: dict[str, np.ndarray] = {}
    for word, bits in iomap.outputs.items():
        value = np.zeros(n_tokens, dtype=np.int64)
        for b, pb in enumerate(bits):
            if pb.port not in OUTPUT_PORTS:
                raise StreamError(f"output word {word!r} bit {b} is on {pb.port!r}")
            column = outputs[pb.port][pb.offset:pb.offset + n_tokens, pb.index]
            if len(column) != n_tokens:
                raise StreamError(f"output word {word!r} bit {b}: the run has too few cycles")
            value |= column.astype(np.int64) << b
        if word in iomap.signed and bits:
            top = len(bits) - 1
            value = value - ((value >> top) & 1) * (1 << len(bits))
        words[word] = value
    return words


def stream_tokens(simulator: Simulator, iomap: IOMap, width: int, height: int,
                  tokens: Mapping[str, np.ndarray], seed: int = 0) -> dict[str, np.ndarray]:
    """Run ``tokens`` through ``simulator`` (already configured and reset), one token
    per cycle, and return the output words of every token."""
    rng = np.random.default_rng(seed)
    inputs = encode_tokens(iomap, width, height, tokens, rng)
    n_tokens = len(next(iter(tokens.values()))) if tokens else 0
    outputs = simulator.run(inputs)
    return decode_outputs(iomap, outputs, n_tokens)
