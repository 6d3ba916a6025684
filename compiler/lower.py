"""Lowering of a word graph (:mod:`compiler.ir`) to a bit-level netlist.

Token word names: element ``i`` of an input or output vector ``name`` of dim ``d``
is netlist word ``name`` when ``d == 1`` and ``name[i]`` otherwise
(:func:`word_name`); bit ``b`` is bit ``b`` of its declared type (two's complement
for signed). The ``first`` flag is word ``"first"``, bit 0. Every declared input bit
exists in the netlist even if nothing reads it; every declared output bit is
driven (possibly by a constant).

Each IR value is lowered to one :class:`compiler.arith.Word` per element at the
minimal width of its exact range; the declared type only matters where DESIGN §5
says so (``sat``/``wrap`` fitting, the table index width, output bits).

``Lowered.run(tokens)`` evaluates the netlist on IR-style tokens and returns
IR-style outputs, to compare with :func:`compiler.ir.reference`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from compiler import arith
from compiler.arith import Word
from compiler.ir import FIRST, Graph, GraphError, Value, WordType, embed_rows
from compiler.netlist import Netlist, bits_to_words, collapse, evaluate

__all__ = ["Lowered", "lower", "word_name"]


def word_name(name: str, i: int, dim: int) -> str:
    """Netlist word of element ``i`` of a token vector ``name`` of ``dim`` elements."""
    return name if dim == 1 else f"{name}[{i}]"


@dataclass
class Lowered:
    """A lowered graph: the (pruned) netlist and the token-word naming."""

    graph: Graph
    netlist: Netlist

    def encode(self, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """IR tokens (name -> ``(T, dim)``) to netlist tokens (word -> ``(T,)`` values)."""
        out: dict[str, np.ndarray] = {}
        for name, v in self.graph.inputs.items():
            if name not in tokens:
                raise GraphError(f"token input {name!r} is missing")
            a = np.asarray(tokens[name]).astype(np.int64)
            if a.ndim == 1:
                a = a[:, None]
            if a.ndim != 2 or a.shape[1] != v.dim:
                raise GraphError(f"input {name!r} has shape {a.shape}, expected (T, {v.dim})")
            for i in range(v.dim):
                out[word_name(name, i, v.dim)] = a[:, i]
        return out

    def decode(self, bits: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Netlist output bits to IR outputs (name -> ``int64 (T, dim)``)."""
        out = {}
        for name, v in self.graph.outputs.items():
            cols = [bits_to_words(bits[word_name(name, i, v.dim)], v.signed)
                    for i in range(v.dim)]
            out[name] = np.stack(cols, axis=1)
        return out

    def run(self, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Evaluate the netlist on IR tokens; comparable with :func:`compiler.ir.reference`."""
        return self.decode(evaluate(self.netlist, self.encode(tokens)))


def lower(graph: Graph, method: str = "auto", optimize: bool = True) -> Lowered:
    """Lower ``graph`` to a netlist.

    ``method`` picks constant multiplies (``auto``/``csd``/``table``); ``optimize``
    runs :func:`compiler.netlist.collapse` (merge LUTs into consumers with spare
    inputs) on the result. The netlist is pruned either way.
    """
    if not graph.outputs:
        raise GraphError("lower: the graph has no outputs")
    nl = Netlist()
    words: list[list[Word]] = []
    gates: arith.FirstGate | None = None

    def fit(ws: list[Word], v: Value, mode: str) -> list[Word]:
        return [arith.fit_word(nl, w, v.type, mode) for w in ws]  # type: ignore[arg-type]

    early: list[Word] | None = None
    if FIRST in graph.inputs and any(op.kind == "delay"
                                     for op in graph.ops[:graph.inputs[FIRST].id]):
        # a graph whose flag is declared after its delays (a part of a program,
        # compiler.compose.pipeline): the flag's word first
        early = [arith.input_word(nl, FIRST, 1, False)]
        gates = arith.FirstGate(nl, early[0].bits[0])
    for op, v in zip(graph.ops, graph.values, strict=True):
        A = [words[i] for i in op.args]
        p = op.params
        mode = p.get("mode", "sat")
        k = op.kind
        try:
            if k == "input" and p["name"] == FIRST and early is not None:
                ws = early
            elif k == "input":
                name = p["name"]
                ws = [arith.input_word(nl, word_name(name, i, v.dim), v.bits, v.signed)  # type: ignore[arg-type]
                      for i in range(v.dim)]
                # an input declared with a narrower range than its type (a block of a
                # composed program, compiler.compose.split) spends no bit beyond it
                ws = [w if (w.lo, w.hi) == (lo, hi) else arith.make_word(w.bits, lo, hi)
                      for w, lo, hi in zip(ws, v.lo, v.hi, strict=True)]
                if name == FIRST:
                    gates = arith.FirstGate(nl, ws[0].bits[0])
            elif k == "const":
                ws = [arith.const_word(nl, c) for c in p["values"]]  # type: ignore[attr-defined]
            elif k in ("add", "sub"):
                sg = 1 if k == "add" else -1
                ws = [arith.sum_words(nl, [(a, 1), (b, sg)]) for a, b in zip(*A, strict=True)]
            elif k == "sum":
                ws = [arith.sum_words(nl, [(w, 1) for w in col]) for col in zip(*A, strict=True)]
            elif k == "const_mul":
                ws = [arith.const_mul_word(nl, a, c, p["shift"], method)  # type: ignore[arg-type]
                      for a, c in zip(A[0], p["c"], strict=True)]  # type: ignore[call-overload]
            elif k == "mul":
                ws = [arith.var_mul_word(nl, a, b, p["shift"])  # type: ignore[arg-type]
                      for a, b in zip(*A, strict=True)]
            elif k == "dot":
                ws = [arith.dot_word(nl, A[0], A[1], p["shift"])]  # type: ignore[arg-type]
            elif k == "linear":
                ws = arith.linear_words(nl, A[0], p["W"], p["b"], p["shift"], method)  # type: ignore[arg-type]
            elif k == "max":
                ws = []
                for col in zip(*A, strict=True):
                    cur = list(col)
                    while len(cur) > 1:  # balanced tree
                        nxt = [arith.max_word(nl, cur[j], cur[j + 1])
                               for j in range(0, len(cur) - 1, 2)]
                        if len(cur) % 2:
                            nxt.append(cur[-1])
                        cur = nxt
                    ws.append(cur[0])
            elif k == "select":
                ws = [arith.select_word(nl, c, a, b, lo, hi)
                      for c, a, b, lo, hi in zip(*A, v.lo, v.hi, strict=True)]
            elif k == "embed":
                iv = graph.values[op.args[0]]
                idx = A[0][0].ext(nl, max(iv.bits, A[0][0].width))[: iv.bits]
                rows = embed_rows(p["table"], iv.bits)  # type: ignore[arg-type]
                ws = [arith.table_word(nl, idx, [r[j] for r in rows], lo, hi)
                      for j, (lo, hi) in enumerate(zip(v.lo, v.hi, strict=True))]
            elif k == "argmax":
                ws = [arith.argmax_word(nl, A[0])]
            elif k == "table":
                xv = graph.values[op.args[0]]
                ws = [arith.table_word(nl, a.ext(nl, max(xv.bits, a.width))[: xv.bits],
                                       p["table"], lo, hi)  # type: ignore[arg-type]
                      for a, lo, hi in zip(A[0], v.lo, v.hi, strict=True)]
            elif k == "delay":
                assert gates is not None
                ws = [arith.delay_word(nl, a, p["k"], gates) for a in A[0]]  # type: ignore[arg-type]
            elif k == "rshift":
                ws = [arith.rshift_word(nl, a, p["s"]) for a in A[0]]  # type: ignore[arg-type]
            elif k == "fit":
                ws = A[0]
            elif k == "slice":
                ws = A[0][p["start"]:p["stop"]]  # type: ignore[misc]
            elif k == "concat":
                ws = [w for a in A for w in a]
            else:
                raise GraphError(f"lower: unsupported op {k!r}")
            if "mode" in p:
                ws = fit(ws, v, mode)  # type: ignore[arg-type]
        except GraphError:
            raise
        except Exception as e:  # pragma: no cover - internal invariant broken
            raise GraphError(f"lower: op {v.id} ({k}) "
                             f"failed: {e}") from e
        for w, lo, hi in zip(ws, v.lo, v.hi, strict=True):
            if not (lo <= w.lo and w.hi <= hi):
                raise GraphError(f"lower: op {v.id} ({k}) produced range [{w.lo}, {w.hi}], "
                                 f"expected within [{lo}, {hi}]")
        words.append(ws)
    for name, v in graph.outputs.items():
        _emit(nl, name, v.type, v.dim, words[v.id])
    # every declared input bit stays part of the token interface
    return Lowered(graph, collapse(nl) if optimize else nl.pruned())


def _emit(nl: Netlist, name: str, t: WordType, dim: int, ws: list[Word]) -> None:
    for i, w in enumerate(ws):
        bits = w.ext(nl, max(t.bits, w.width))[: t.bits]
        for b, s in enumerate(bits):
            nl.output(word_name(name, i, dim), b, s)
