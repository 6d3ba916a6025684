"""A character model over a fixed window of past symbols, made of DESIGN §5 ops.

The demo language model (issue 10, part 3). A token is a symbol id of ``id_bits``
bits; it enters the fabric as ``id_bits`` one-bit signed words (bit ``k`` of the id
set reads as -1, clear as 0), so that the first layer is a Linear on one-bit words,
the cheapest Linear the macro lays out. Exactly::

    x_0   = tok;  x_j = Delay(x_{j-1}, 1)     = Delay(tok, j), j < context
    c     = Concat(x_0, ..., x_{context-1})   context * id_bits one-bit words
    (with ``embed > 0``, c is replaced by the embeddings of its symbols:)
    c     = sat(rshift(diag(W_e, .., W_e) c + (b_e, .., b_e), s_e), E, unsigned)
    h     = sat(rshift(W_1 c + b_1, s_1), a)  Linear, int4 weights, a-bit signed
    r     = table_relu[h]                     Table: max(0, h); with an embedding the
                                              same as the Linear's unsigned saturation
                                              sat(.., a - 1, unsigned)
    z     = sat(rshift(W_2 r + b_2, s_2), L)  Linear, int4 weights: one logit per symbol
    next  = Argmax(z)                         the lowest id on ties

with ``a = act_bits``, ``L = logit_bits`` and ``E = embed_bits``. The embedding is one
Linear with a block-diagonal weight matrix (the same ``W_e`` for every symbol of the
window; its zero weights cost the macro only crossings) saturating to an unsigned word
(a ReLU, the macro's ReLU mode): a learnt, nonlinear code of each symbol. Embedding
after the delays keeps the delayed words narrow (docs/DEMO_LM.md: delay rows of the
embeddings did not compose). (``max(0, sat(v, a))`` is also
``sat(v, a - 1, unsigned)``, a Linear the macro lays out alone; measured, the channel
router joins two linears more easily through the ReLU's table blocks.) It is a neural
n-gram model (Bengio et al. 2003) over the id bits rather than a transformer: its
context is a fixed window, mixed by the hidden layer. The transformer blocks of
:mod:`compiler.transformer` compose, but at d_model 2 they take 4-8 minutes and would
predict little; this model compiles from the same ops in a fraction of that
(docs/DEMO_LM.md).

Delays zero their word across a ``first``; a zero word is the id 0, so a window
reaching before the start of a stream sees symbol 0 there. The training script
(:mod:`lutgrid.train_demo`) pads its windows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compiler.ir import Graph, GraphError

__all__ = ["WindowLMParams", "WindowLMSpec", "relu_table", "token_words", "window_lm_graph"]


@dataclass(frozen=True)
class WindowLMSpec:
    """Shape of the model: ``vocab`` symbols, a window of ``context`` symbols (the
    current one included), ``hidden`` units of ``act_bits`` bits, logits of
    ``logit_bits`` bits, the two layers' right shifts ``shift1`` and ``shift2``; with
    ``embed > 0``, an embedding of each symbol of ``embed`` unsigned words of
    ``embed_bits`` bits after a right shift ``shift_e``."""

    vocab: int = 32
    context: int = 4
    hidden: int = 32
    act_bits: int = 4
    logit_bits: int = 6
    shift1: int = 1
    shift2: int = 4
    embed: int = 0
    embed_bits: int = 3
    shift_e: int = 1

    def __post_init__(self) -> None:
        checks = ((2 <= self.vocab <= 32, f"vocab must be 2..32, got {self.vocab}"),
                  (self.context >= 1, f"context must be >= 1, got {self.context}"),
                  (self.hidden >= 1, f"hidden must be >= 1, got {self.hidden}"),
                  (2 <= self.act_bits <= 8, f"act_bits must be 2..8, got {self.act_bits}"),
                  (2 <= self.logit_bits <= 16,
                   f"logit_bits must be 2..16, got {self.logit_bits}"),
                  (self.embed >= 0, f"embed must be >= 0, got {self.embed}"),
                  (1 <= self.embed_bits <= 7,
                   f"embed_bits must be 1..7, got {self.embed_bits}"),
                  (min(self.shift1, self.shift2, self.shift_e) >= 0,
                   f"shifts must be >= 0, got {self.shift1}, {self.shift2}, "
                   f"{self.shift_e}"))
        for ok, msg in checks:
            if not ok:
                raise GraphError(f"window language model: {msg}")

    @property
    def id_bits(self) -> int:
        """Width of a token id (bits)."""
        return max(1, (self.vocab - 1).bit_length())

    @property
    def params(self) -> int:
        """Trained integers: every weight and bias (the embedding's once, though its
        block-diagonal Linear repeats them for each symbol of the window)."""
        n = self.hidden * (self.inputs + 1) + self.vocab * (self.hidden + 1)
        return n + (self.embed * (self.id_bits + 1) if self.embed else 0)

    @property
    def inputs(self) -> int:
        """Words the hidden layer reads: ``context * (embed or id_bits)``."""
        return self.context * (self.embed or self.id_bits)


@dataclass(frozen=True)
class WindowLMParams:
    """Integer parameters: ``w1`` ``(hidden, inputs)`` and ``w2`` ``(vocab, hidden)`` in
    -8..7, biases ``b1`` ``(hidden,)`` and ``b2`` ``(vocab,)``; with an embedding,
    ``we`` ``(embed, id_bits)`` in -8..7 and ``be`` ``(embed,)`` (else ``None``)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    we: np.ndarray | None = None
    be: np.ndarray | None = None


def relu_table(bits: int) -> list[int]:
    """``max(0, v)`` for every signed ``bits``-bit ``v``, indexed by ``v mod 2**bits``."""
    half = 1 << (bits - 1)
    return [v if v < half else 0 for v in range(1 << bits)]


def token_words(ids: np.ndarray, id_bits: int) -> np.ndarray:
    """The fabric input of a stream of symbol ids: ``(T, id_bits)`` one-bit signed words,
    -1 where bit ``k`` of the id is set. Raises ``ValueError`` on an id out of range."""
    a = np.asarray(ids, dtype=np.int64).ravel()
    if a.size and (a.min() < 0 or a.max() >= 1 << id_bits):
        bad = int(np.flatnonzero((a < 0) | (a >= 1 << id_bits))[0])
        raise ValueError(f"token {bad}: id {int(a[bad])} does not fit {id_bits} bits")
    return -((a[:, None] >> np.arange(id_bits)) & 1)


def window_lm_graph(spec: WindowLMSpec, p: WindowLMParams) -> Graph:
    """The model as a graph: input ``tok`` (:func:`token_words`), output ``next`` (the
    predicted id of the following symbol). Raises ``GraphError`` naming a parameter of
    the wrong shape."""
    want = {"w1": (spec.hidden, spec.inputs), "b1": (spec.hidden,),
            "w2": (spec.vocab, spec.hidden), "b2": (spec.vocab,)}
    if spec.embed:
        want.update(we=(spec.embed, spec.id_bits), be=(spec.embed,))
    elif p.we is not None or p.be is not None:
        raise GraphError("window language model: we/be given, but the spec has no "
                         "embedding (embed = 0)")
    for name, shape in want.items():
        got = np.shape(getattr(p, name))
        if got != shape:
            raise GraphError(f"window language model: {name} has shape {got}, expected "
                             f"{shape}")
    g = Graph()
    tok = g.input("tok", dim=spec.id_bits, bits=1, signed=True)
    taps = [tok]
    for _ in range(1, spec.context):          # a chain of one-token delays: one row each
        taps.append(g.delay(taps[-1], 1))
    window = g.concat(taps)
    if spec.embed:                            # one block-diagonal linear for every symbol
        n, e = spec.id_bits, spec.embed
        wide = np.zeros((spec.context * e, spec.context * n), dtype=np.int64)
        for j in range(spec.context):
            wide[j * e:(j + 1) * e, j * n:(j + 1) * n] = p.we
        window = g.linear(window, wide, b=np.tile(p.be, spec.context), shift=spec.shift_e,
                          bits=spec.embed_bits, signed=False)
    a = spec.act_bits
    if spec.embed:       # the ReLU as the linear's unsigned saturation: one macro per part
        r = g.linear(window, p.w1, b=p.b1, shift=spec.shift1, bits=a - 1, signed=False)
    else:
        h = g.linear(window, p.w1, b=p.b1, shift=spec.shift1, bits=a)
        r = g.table(h, relu_table(a), bits=a)
    z = g.linear(r, p.w2, b=p.b2, shift=spec.shift2, bits=spec.logit_bits)
    g.output("next", g.argmax(z))
    return g
