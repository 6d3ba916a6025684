"""Integer transformer blocks made of DESIGN §5 ops (issue 10, first part).

A block maps a token's ``d_model`` activations (signed ``act_bits``-bit words) to new
ones, attending causally over the last ``window`` tokens (the current one included)
with ReLU attention (arXiv 2309.08586: ``ReLU(s) / L`` in place of softmax), exactly::

    q, k, v = sat(rshift(W_q x, s_p), a), ...            Linear, int4 or ternary weights
    k_j, v_j = Delay(k, j), Delay(v, j)                  j = 0 .. window-1
    s_hj = sat(rshift(q_h . k_jh, s_s), a)               Dot per head h and lag j
    p_hj = table_relu[s_hj]                              Table: max(0, s), a-1 bits
    o_h[e] = sat(rshift(sum_j p_hj * v_jh[e], s_o), a)    Dot over the window
    x1 = sat(x + sat(rshift(W_o o, s_p), a), a)           Linear, residual Add
    y = sat(x1 + Linear(table_relu[Linear(x1, W_1)], W_2), a)    MLP, residual Add

with ``a = act_bits``, heads splitting ``d_model`` evenly (Slice/Concat), and every
shift the power of two that maps the largest possible magnitude of its sum back to
about ``a`` bits (:func:`sum_shift`), so that saturation is rare but exact when it
happens. The 1/L of ReLU attention is folded into the output shift. The builder only
builds a :class:`~compiler.ir.Graph`; its reference is the numpy reference of that
graph, and the compiler composes it from blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from compiler.ir import Graph, GraphError, Value

__all__ = ["BlockParams", "BlockSpec", "LMParams", "LMSpec", "block_graph", "exp_table",
           "lm_graph", "random_block_params", "random_lm_params", "recip_table", "rms_norm",
           "rms_shifts", "rsqrt_table", "sum_shift", "transformer_block"]

Weights = Literal["int4", "ternary"]
Attention = Literal["relu", "softmax"]
Norm = Literal["none", "rms"]


@dataclass(frozen=True)
class BlockSpec:
    """Shape of one block: widths in words, ``act_bits`` per activation word."""

    d_model: int
    heads: int = 1
    window: int = 2
    mlp: int = 0                  # 0: 2 * d_model
    act_bits: int = 4
    weights: Weights = "int4"
    attention: Attention = "relu"
    norm: Norm = "none"

    def __post_init__(self) -> None:
        if self.d_model < 1 or self.heads < 1 or self.d_model % self.heads:
            raise GraphError(f"transformer block: d_model {self.d_model} must be a positive "
                             f"multiple of heads {self.heads}")
        if self.window < 1:
            raise GraphError(f"transformer block: window must be >= 1, got {self.window}")
        if not 2 <= self.act_bits <= 8:
            raise GraphError(f"transformer block: act_bits must be 2..8, got {self.act_bits}")
        if self.weights not in ("int4", "ternary"):
            raise GraphError(f"transformer block: weights must be 'int4' or 'ternary', got "
                             f"{self.weights!r}")
        if self.norm not in ("none", "rms"):
            raise GraphError(f"transformer block: norm must be 'none' or 'rms', got "
                             f"{self.norm!r}")
        if self.attention not in ("relu", "softmax"):
            raise GraphError(f"transformer block: attention must be 'relu' or 'softmax', "
                             f"got {self.attention!r}")

    @property
    def weight_range(self) -> tuple[int, int]:
        """Least and largest weight (int4: -8, 7; ternary: -1, 1)."""
        return (-8, 7) if self.weights == "int4" else (-1, 1)

    @property
    def hidden(self) -> int:
        """Width of the MLP's hidden layer (words)."""
        return self.mlp or 2 * self.d_model


@dataclass(frozen=True)
class BlockParams:
    """Integer weights of one block: ``(d_out, d_in)`` matrices."""

    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def random_block_params(spec: BlockSpec, seed: int) -> BlockParams:
    """Weights drawn uniformly from the spec's range (int4: -8..7, ternary: -1..1),
    from ``seed``."""
    rng = np.random.default_rng(seed)
    lo, hi = spec.weight_range
    d, h = spec.d_model, spec.hidden

    def w(o: int, i: int) -> np.ndarray:
        return rng.integers(lo, hi + 1, size=(o, i))

    return BlockParams(w(d, d), w(d, d), w(d, d), w(d, d), w(h, d), w(d, h))


def sum_shift(terms: int, term_max: int, bits: int) -> int:
    """The right shift that brings a sum of ``terms`` terms of magnitude at most
    ``term_max`` to about ``bits`` signed bits: ``ceil(log2(terms * term_max)) -
    (bits - 1)``, at least 0."""
    top = max(1, terms * term_max)
    return max(0, (top - 1).bit_length() - (bits - 1))


def _linear(g: Graph, v: Value, w: np.ndarray, spec: BlockSpec) -> Value:
    """``lin(v, w) = sat(rshift(w @ v, sum_shift(dim v, M·A, a)), a)``: a layer of the
    spec's weights (largest magnitude ``M``) on ``a``-bit activations (``A = 2^(a-1)``)."""
    a = spec.act_bits
    m = max(-spec.weight_range[0], spec.weight_range[1])
    return g.linear(v, w, shift=sum_shift(v.dim, m * (1 << (a - 1)), a), bits=a)


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def _relu_table(bits: int) -> list[int]:
    """ReLU of a signed ``bits``-bit index, as a table (entries ``0 .. 2**(bits-1)-1``)."""
    n = 1 << bits
    return [i if i < n // 2 else 0 for i in range(n)]


def exp_table(a: int) -> list[int]:
    """``e[u] = round((2^a - 1) * 2^(-u / 2^(a-2)))`` (half up) for the unsigned
    ``a``-bit gap ``u = max - s`` between the window's largest score and a score:
    unsigned ``a``-bit entries, ``e[0] = 2^a - 1``."""
    top, temp = (1 << a) - 1, 2.0 ** (a - 2)
    return [_round_half_up(top * 2.0 ** (-u / temp)) for u in range(1 << a)]


def recip_table(a: int, bits: int) -> list[int]:
    """``r[z] = round((2^a - 1)^2 / z)`` for the unsigned ``bits``-bit sum ``z >= 1`` of
    the exponentials (at least ``e[0] = 2^a - 1``: ``r <= 2^a - 1``), ``2^a - 1`` for
    ``z = 0`` (never reached): unsigned ``a``-bit entries."""
    top = (1 << a) - 1
    return [top if z == 0 else min(top, (top * top + z // 2) // z) for z in range(1 << bits)]


def _softmax_probs(g: Graph, scores: list[Value], a: int) -> list[Value]:
    """Table softmax of one head's window of ``a``-bit scores: unsigned ``a - 1``-bit
    weights ``p_j = sat(rshift(e_j * r, a + 1), a - 1)`` with ``e_j = exp[max s - s_j]``
    and ``r = recip[sum_j e_j]`` (:func:`exp_table`, :func:`recip_table`). The gap
    ``max s - s_j`` lies in ``0 .. 2^a - 1``: an unsigned ``a``-bit index, so each
    exponential is one gather for ``a <= 4``."""
    m = g.max(*scores) if len(scores) > 1 else scores[0]
    es = [g.table(g.sub(m, s, bits=a, signed=False), exp_table(a), bits=a, signed=False)
          for s in scores]
    z = g.sum(es, bits=None) if len(es) > 1 else es[0]
    r = g.table(z, recip_table(a, z.bits), bits=a, signed=False)
    return [g.mul(e, r, shift=a + 1, bits=a - 1, signed=False) for e in es]


def rsqrt_table(a: int) -> list[int]:
    """``g[u] = min(2^a - 1, round((2^a - 1) / sqrt(u)))`` (half up) for the unsigned
    ``a``-bit index ``u``; ``g[0] = 2^a - 1``."""
    top = (1 << a) - 1
    return [top if u == 0 else min(top, _round_half_up(top / np.sqrt(u)))
            for u in range(1 << a)]


def rms_shifts(d: int, a: int) -> tuple[int, int]:
    """``(s_n, k)`` of :func:`rms_norm`: ``s_n`` brings the sum of squares of ``d``
    signed ``a``-bit words to an unsigned ``a``-bit index, ``k`` scales ``x · g`` so that
    a vector whose words all have magnitude ``r`` comes out at about ``2^(a-2)``."""
    amax = 1 << (a - 1)
    s_n = max(0, (d * amax * amax).bit_length() - a)
    # y = x * (2^a - 1) / sqrt(ss / 2^s_n) / 2^k with ss = d r^2: y = r * ... / 2^k
    scale = ((1 << a) - 1) * np.sqrt(2.0 ** s_n / d) / 2.0 ** (a - 2)
    return s_n, max(0, int(round(np.log2(scale))))


def rms_norm(g: Graph, x: Value) -> Value:
    """RMS norm of the signed ``a``-bit words of ``x`` (scales folded into the next
    weights): ``u = sat(rshift(x . x, s_n), a)`` unsigned, ``r = rsqrt[u]`` (a Table),
    ``y_i = sat(rshift(x_i · r, k), a)`` (:func:`rms_shifts`, :func:`rsqrt_table`)."""
    a = x.bits
    s_n, k = rms_shifts(x.dim, a)
    u = g.dot(x, x, shift=s_n, bits=a, signed=False)
    r = g.table(u, rsqrt_table(a), bits=a, signed=False)
    return g.mul(x, g.concat([r] * x.dim), shift=k, bits=a)


def transformer_block(g: Graph, x: Value, spec: BlockSpec, p: BlockParams) -> Value:
    """Append one block (module docstring) reading ``x`` (``d_model`` signed words of
    ``act_bits`` bits) to ``g``; its output has the same shape and type."""
    a, d = spec.act_bits, spec.d_model
    if x.dim != d or x.bits != a or not x.signed:
        raise GraphError(f"transformer block: x must be {d} signed {a}-bit words, got "
                         f"{x.dim} x {x.type}")
    amax = 1 << (a - 1)

    def linear(v: Value, w: np.ndarray) -> Value:
        return _linear(g, v, w, spec)

    xn = rms_norm(g, x) if spec.norm == "rms" else x
    q, k, v = linear(xn, p.wq), linear(xn, p.wk), linear(xn, p.wv)
    # Delay(Delay(k, 1), 1) is Delay(k, 2) (a first within the last two tokens zeroes
    # one of them), so the window is one chain of one-token delays
    ks, vs = [k], [v]
    for _ in range(1, spec.window):
        ks.append(g.delay(ks[-1], 1))
        vs.append(g.delay(vs[-1], 1))
    dh = d // spec.heads
    relu = _relu_table(a)
    heads = []
    for h in range(spec.heads):
        sl = (h * dh, (h + 1) * dh)
        qh = g.slice(q, *sl)
        scores = [g.dot(qh, g.slice(kj, *sl), shift=sum_shift(dh, amax * amax, a), bits=a)
                  for kj in ks]
        if spec.attention == "relu":
            probs = g.concat([g.table(s, relu, bits=a, signed=False) for s in scores])
            # ReLU(s) / L: the 1/L folded into the output shift
            out_shift = sum_shift(spec.window, amax * amax, a)
        else:
            probs = g.concat(_softmax_probs(g, scores, a))
            out_shift = a - 1          # the weights sum to about 2^(a-1)
        # o_h[e] = sum_j p_j * v_j[e]: one dot over the window per output word
        for e in range(sl[0], sl[1]):
            ve = g.concat([g.slice(vj, e, e + 1) for vj in vs])
            heads.append(g.dot(probs, ve, shift=out_shift, bits=a))
    att = g.concat(heads)
    x1 = g.add(x, linear(att, p.wo), bits=a)
    hid = g.table(linear(rms_norm(g, x1) if spec.norm == "rms" else x1, p.w1), relu, bits=a,
                  signed=True)
    return g.add(x1, linear(hid, p.w2), bits=a)


def block_graph(spec: BlockSpec, seed: int = 7) -> Graph:
    """A graph of one block with random weights (:func:`random_block_params`): input
    ``x`` (``d_model`` words), output ``y``."""
    g = Graph()
    x = g.input("x", dim=spec.d_model, bits=spec.act_bits)
    g.output("y", transformer_block(g, x, spec, random_block_params(spec, seed)))
    return g


@dataclass(frozen=True)
class LMSpec:
    """A language model: ``vocab`` symbols (at most 32), ``blocks`` transformer blocks
    of shape ``block``."""

    vocab: int
    block: BlockSpec
    blocks: int = 1

    def __post_init__(self) -> None:
        if not 2 <= self.vocab <= 32:
            raise GraphError(f"language model: vocab must be 2..32, got {self.vocab}")
        if self.blocks < 1:
            raise GraphError(f"language model: blocks must be >= 1, got {self.blocks}")

    @property
    def id_bits(self) -> int:
        """Width of a token id (bits, unsigned)."""
        return max(1, (self.vocab - 1).bit_length())


@dataclass(frozen=True)
class LMParams:
    """Integer parameters of a language model: the embedding ``(vocab, d_model)`` of
    ``act_bits``-bit entries, every block's weights, the head ``(vocab, d_model)``."""

    embed: np.ndarray
    blocks: tuple[BlockParams, ...]
    head: np.ndarray


def random_lm_params(spec: LMSpec, seed: int) -> LMParams:
    """Parameters drawn uniformly from their ranges, from ``seed``."""
    rng = np.random.default_rng(seed)
    b = spec.block
    amax = 1 << (b.act_bits - 1)
    lo, hi = b.weight_range
    emb = rng.integers(-amax, amax, size=(spec.vocab, b.d_model))
    blocks = tuple(random_block_params(b, int(rng.integers(1 << 30)))
                   for _ in range(spec.blocks))
    return LMParams(emb, blocks, rng.integers(lo, hi + 1, size=(spec.vocab, b.d_model)))


def lm_graph(spec: LMSpec, p: LMParams) -> Graph:
    """Next-token prediction: input ``tok`` (an unsigned id of :attr:`LMSpec.id_bits`),
    ``Embed`` to ``d_model`` words, the blocks, the head ``lin(x, head)`` (one logit per
    symbol) and ``Argmax`` (the lowest id on ties): output ``next``."""
    b = spec.block
    a = b.act_bits
    if p.embed.shape != (spec.vocab, b.d_model) or p.head.shape != (spec.vocab, b.d_model):
        raise GraphError(f"language model: embed and head must be ({spec.vocab}, "
                         f"{b.d_model}), got {p.embed.shape} and {p.head.shape}")
    if len(p.blocks) != spec.blocks:
        raise GraphError(f"language model: {len(p.blocks)} block parameter sets for "
                         f"{spec.blocks} blocks")
    g = Graph()
    tok = g.input("tok", bits=spec.id_bits, signed=False)
    x = g.embed(tok, p.embed, bits=a)
    for bp in p.blocks:
        x = transformer_block(g, x, b, bp)
    g.output("next", g.argmax(_linear(g, x, p.head, b)))
    return g
