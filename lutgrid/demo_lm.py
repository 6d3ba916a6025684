"""The demo language model on the fabric (issue 10, parts 3 and 4).

:func:`load_demo_model` reads the model shipped in the package (``lutgrid/data/
demo_lm.json``, written by :mod:`lutgrid.train_demo`), :func:`compile_demo_model`
composes it as fabrics in a row (:data:`DEMO_CUTS`), and :func:`stream_text` streams
a text through them one symbol per cycle in the cycle-accurate numpy simulator, beside the integer
reference's predictions (:func:`reference_predictions`).
:func:`fabric_accuracy` measures the next-symbol accuracy of the compiled program on
the whole held-out part with the fast simulator (:mod:`sim.fastsim`, held equal to the
cycle-accurate one by its tests).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from compiler.compose.pipeline import Pipeline
from compiler.ir import FIRST, Graph
from compiler.lower import word_name
from compiler.model_file import loads_model
from lutgrid.corpus import ALPHABET, Corpus, fold

if TYPE_CHECKING:
    from compiler.program import Program

__all__ = ["DEMO_CUTS", "DemoModel", "StreamResult", "check_predictions",
           "compile_demo_model", "demo_parts", "fabric_accuracy", "load_demo_model",
           "next_symbol_accuracy", "reference_predictions", "side_by_side", "stream_text",
           "stream_words", "text_ids"]

MODEL = "demo_lm.json"
META = "demo_lm_meta.json"
#: the demo model's fabrics: cut before every op of these kinds (the window of delays,
#: then each linear, then the argmax, each on a fabric of its own: a part that is one
#: macro compiles in seconds, where stitching two of them took minutes)
DEMO_CUTS = ("linear", "argmax")
#: the time budget of the demo model's composition (seconds)
COMPILE_BUDGET_S = 1200.0


@dataclass(frozen=True)
class DemoModel:
    """The shipped model: its graph, its parameter count (weights and biases) and what
    the training script recorded (``meta``: shape, seed, float and integer held-out
    accuracy at training time)."""

    graph: Graph
    params: int
    meta: dict


def load_demo_model() -> DemoModel:
    """The model shipped in the package."""
    data = resources.files("lutgrid.data")
    graph = loads_model(data.joinpath(MODEL).read_text(), source=MODEL)
    meta = json.loads(data.joinpath(META).read_text())
    from compiler.window_lm import WindowLMSpec

    return DemoModel(graph, WindowLMSpec(**meta["spec"]).params, meta)


def text_ids(text: str) -> np.ndarray:
    """``text`` folded to the 32 symbols (:func:`lutgrid.corpus.fold`) as ids."""
    return np.array([ALPHABET.index(ch) for ch in fold(text)], dtype=np.int64)


def _id_bits(graph: Graph) -> int:
    return graph.inputs["tok"].dim


def _first(n: int) -> np.ndarray:
    """The ``first`` flags of one stream of ``n`` symbols: set on the first only."""
    first = np.zeros(n, dtype=np.int64)
    first[:1] = 1
    return first


def next_symbol_accuracy(pred: np.ndarray, ids: np.ndarray) -> float:
    """Share of the symbols after the first that ``pred`` predicted (``pred[t]``
    follows ``ids[t]``)."""
    return float(np.mean(np.asarray(pred)[:-1] == np.asarray(ids)[1:]))


def stream_words(graph: Graph | int, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The token words of a stream of symbol ids (a ``first`` on symbol 0) for the model
    ``graph`` (or ``graph`` id bits): one word per id bit (:func:`compiler.window_lm.
    token_words`), as the unsigned bit patterns the simulators take."""
    n = graph if isinstance(graph, int) else _id_bits(graph)
    words = {word_name("tok", j, n): (ids >> j) & 1 for j in range(n)}
    words[FIRST] = _first(len(ids))
    return words


def reference_predictions(graph: Graph, ids: np.ndarray) -> np.ndarray:
    """The integer reference's prediction after every symbol of ``ids`` (a ``first`` on
    symbol 0)."""
    from compiler.ir import reference
    from compiler.window_lm import token_words

    out = reference(graph, {"tok": token_words(ids, _id_bits(graph)),
                            FIRST: _first(len(ids))})
    return out["next"][:, 0]


def demo_parts(model: DemoModel | None = None) -> int:
    """How many fabrics :func:`compile_demo_model` makes of ``model`` (default: the
    shipped one), without compiling."""
    from compiler.compose.pipeline import count_parts, cut_before_each

    graph = (model or load_demo_model()).graph
    return count_parts(graph, lambda legal: cut_before_each(legal, *DEMO_CUTS))


def compile_demo_model(model: DemoModel, progress: Callable[[str], None] | None = None
                       ) -> Pipeline:
    """The model composed as a pipeline of fabrics (:mod:`compiler.compose.pipeline`),
    cut before every op of :data:`DEMO_CUTS`: the window of delays, then each layer on a
    fabric of its own, compiled side by side. Returns a
    :class:`~compiler.compose.pipeline.Pipeline`."""
    import logging

    from compiler.compose.pipeline import compile_pipeline, cut_before_each

    log = logging.getLogger("compiler.compose")
    handler, level = None, log.level
    if progress is not None:
        handler = logging.Handler()
        handler.emit = lambda rec: progress(rec.getMessage())  # type: ignore[method-assign]
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        return compile_pipeline(model.graph, "demo_lm",
                                lambda legal: cut_before_each(legal, *DEMO_CUTS),
                                time_budget=COMPILE_BUDGET_S, progress=progress)
    finally:
        if handler is not None:
            log.removeHandler(handler)
            log.setLevel(level)


@dataclass(frozen=True)
class StreamResult:
    """One text streamed through the fabrics, a new symbol every cycle: the predictions
    (``pred[t]`` follows symbol ``t``), the reference's, the cycles the last fabric was
    simulated, the cycles of its output window, and the wall time."""

    ids: np.ndarray
    pred: np.ndarray
    want: np.ndarray
    cycles: int
    window_cycles: int
    seconds: float

    @property
    def tokens_per_cycle(self) -> float:
        """Predictions equal to the reference's per cycle of the output window (1.0
        when every cycle delivers a correct prediction)."""
        return int(np.sum(self.pred == self.want)) / self.window_cycles

    @property
    def accuracy(self) -> float:
        """Share of the symbols after the first predicted correctly."""
        return next_symbol_accuracy(self.pred, self.ids)

    def check(self) -> None:
        """Raise ``AssertionError`` naming the first prediction that differs from the
        reference's."""
        check_predictions(self.pred, self.want)


def check_predictions(pred: np.ndarray, want: np.ndarray) -> None:
    """Raise ``AssertionError`` naming the first symbol after which the fabric's
    prediction ``pred`` differs from the reference's ``want``, and how many differ."""
    bad = np.flatnonzero(np.asarray(pred) != np.asarray(want))
    if bad.size:
        raise AssertionError(f"the fabric predicts {int(pred[bad[0]])} after symbol "
                             f"{int(bad[0])}, the reference {int(want[bad[0]])} "
                             f"({bad.size} of {len(pred)} differ)")


def side_by_side(ids: np.ndarray, pred: np.ndarray, width: int = 64,
                 symbols: int | None = None, hits: bool = True) -> list[str]:
    """Lines showing the text after its first symbol above what was predicted for each
    of its symbols from the ones before (``pred[t]`` follows ``ids[t]``), ``width``
    symbols a line, at most ``symbols`` of them, a ``^`` under each hit."""
    real, guess = Corpus.decode(ids[1:]), Corpus.decode(pred[:-1])
    n = len(real) if symbols is None else min(len(real), symbols)
    lines = []
    for i in range(0, n, width):
        lines += [f"text  |{real[i:i + width]}|", f"model |{guess[i:i + width]}|"]
        if hits:
            lines.append("       " + "".join("^" if a == b else " " for a, b in
                                             zip(real[i:i + width], guess[i:i + width],
                                                 strict=True)))
    return lines


def stream_text(pipeline: Pipeline | Program, ids: np.ndarray, seed: int = 0
                ) -> StreamResult:
    """Stream ``ids`` through ``pipeline`` (a compiled program or a
    :class:`~compiler.compose.pipeline.Pipeline`) in the cycle-accurate numpy
    simulator, one symbol per cycle (garbage on unmapped inputs), beside the integer
    reference (the caller decides what a difference means:
    :meth:`StreamResult.tokens_per_cycle` counts only equal predictions)."""
    from sim.numpy_sim import FabricSim
    from sim.stream import decode_outputs, encode_tokens

    cycles = [0, 0]

    def simulate(bs, words):
        inputs = encode_tokens(bs.iomap, bs.width, bs.height, words,
                               np.random.default_rng(seed))
        raw = FabricSim(bs.configs).run(inputs)
        cycles[0] = next(iter(inputs.values())).shape[0]
        # the prediction after symbol t is read on cycle t + latency (the I/O map's
        # offsets): the output window is the cycles latency .. latency + T - 1
        cycles[1] = cycles[0] - bs.iomap.latency - 1
        return decode_outputs(bs.iomap, raw, len(ids))

    start = time.perf_counter()
    got = _as_pipeline(pipeline).run(stream_words(pipeline.graph, ids), simulate)
    seconds = time.perf_counter() - start
    return StreamResult(ids, np.asarray(got["next"]),
                        reference_predictions(pipeline.graph, ids), cycles[0], cycles[1],
                        seconds)


def _as_pipeline(program: Pipeline | Program) -> Pipeline:
    return program if isinstance(program, Pipeline) else Pipeline.of_program(program)


def fabric_accuracy(pipeline: Pipeline | Program, ids: np.ndarray
                    ) -> tuple[float, np.ndarray]:
    """Next-symbol accuracy of ``pipeline`` (a program or a pipeline) on the stream
    ``ids`` (a ``first`` on symbol 0) in the fast simulator, and its predictions;
    raises ``AssertionError`` where a prediction differs from the integer reference."""
    from sim.fastsim import FastSim
    from sim.stream import stream_tokens

    def simulate(bs, words):
        return stream_tokens(FastSim(bs.configs, bs.iomap), bs.iomap, bs.width, bs.height,
                             words)

    pred = np.asarray(_as_pipeline(pipeline).run(stream_words(pipeline.graph, ids),
                                                simulate)["next"])
    check_predictions(pred, reference_predictions(pipeline.graph, ids))
    return next_symbol_accuracy(pred, ids), pred
