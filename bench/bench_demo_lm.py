"""The demo language model on the fabric (issue 10): compile, stream, accuracy.

The shipped model (``lutgrid/data/demo_lm.json``, :mod:`compiler.window_lm`) is
composed as fabrics in a row (:mod:`compiler.compose.pipeline`: the window of
delays, then each layer on its own fabric, compiled side by side), 300 held-out
symbols are streamed through the cycle-accurate numpy simulator one per cycle, and
the whole held-out part through the fast simulator (equal to the cycle-accurate one
by its tests); every prediction is checked against the integer reference. Figures::

    FIGURE demo_compile_s            composing the model (blocks, floorplan, routing)
    FIGURE demo_cells                cells used on all its fabrics
    FIGURE demo_params               weights and biases
    FIGURE demo_cells_per_param
    FIGURE demo_latency_cycles       symbol in to its prediction out, fabric after fabric
    FIGURE demo_chip_latency_cycles  the same as one chip, the fabrics overlapping in time
    FIGURE demo_chip_balance_ffs     flip-flops of the chip's delay lines between fabrics
    FIGURE demo_tokens_per_cycle     predictions equal to the reference per cycle of
                                     the output window (numpy, 300 symbols)
    FIGURE demo_numpy_stream_s       those 300 symbols in the cycle-accurate simulator
    FIGURE demo_accuracy_float       the float network, at training time (meta file)
    FIGURE demo_accuracy_reference   the integer reference on the whole held-out part
    FIGURE demo_accuracy_fabric      the compiled program on the whole held-out part

The n-gram baselines on the same split are :mod:`bench_corpus`'s figures.
"""

from __future__ import annotations

import time

import numpy as np

from lutgrid.corpus import load
from lutgrid.demo_lm import (
    compile_demo_model,
    fabric_accuracy,
    load_demo_model,
    next_symbol_accuracy,
    reference_predictions,
    stream_text,
)

Figure = tuple[str, float, str]


def run(quick: bool = False) -> list[Figure]:
    """Every figure of this module (the same in --quick)."""
    model = load_demo_model()
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if "floorplan" in msg or "failed" in msg:
            print(f"  {msg[:140]} ({time.perf_counter() - t0:.0f} s)", flush=True)

    pipe = compile_demo_model(model, progress)
    compile_s = time.perf_counter() - t0
    used = pipe.used_cells
    print(f"demo model: {model.params:,} parameters; compiled in {compile_s:.0f} s as "
          f"{len(pipe.parts)} fabrics: " + "; ".join(p.usage.text() for p in pipe.parts)
          + f"; latency {pipe.latency}", flush=True)
    held = np.asarray(load().held_out, dtype=np.int64)
    res = stream_text(pipe, held[:300], seed=1)
    res.check()
    print(f"300 held-out symbols, one per cycle, in the cycle-accurate numpy simulator: "
          f"{res.seconds:.1f} s, every prediction equal to the reference", flush=True)
    from compiler.compose.chain import chip_plan
    from lutgrid.demo_lm import stream_words
    from sim.chip_sim import stream_chip

    t1 = time.perf_counter()
    plan = chip_plan(pipe)
    words = stream_words(pipe.graph, held[:300])
    pipe.check(stream_chip(plan, words, seed=1), words, "demo model as one chip")
    print(f"as one chip (every wire between fabrics timed by a delay line): latency "
          f"{plan.latency} cycles, {plan.balance_flip_flops:,} flip-flops in the wires; the "
          f"same 300 symbols cycle by cycle equal the reference "
          f"({time.perf_counter() - t1:.1f} s)", flush=True)
    t1 = time.perf_counter()
    acc_fabric, _pred = fabric_accuracy(pipe, held)
    ref = reference_predictions(pipe.graph, held)
    acc_ref = next_symbol_accuracy(ref, held)
    print(f"whole held-out part ({len(held):,} symbols) in the fast simulator: "
          f"{time.perf_counter() - t1:.1f} s; accuracy fabric {acc_fabric:.4f}, integer "
          f"reference {acc_ref:.4f}, float {model.meta['accuracy_float']:.4f} (at "
          f"training)", flush=True)
    return [("demo_compile_s", round(compile_s, 1), "s"),
            ("demo_cells", used, "cells"),
            ("demo_params", model.params, "params"),
            ("demo_cells_per_param", round(used / model.params, 2), "cells/param"),
            ("demo_latency_cycles", pipe.latency, "cycles"),
            ("demo_chip_latency_cycles", plan.latency, "cycles"),
            ("demo_chip_balance_ffs", plan.balance_flip_flops, "FF"),
            ("demo_tokens_per_cycle", round(res.tokens_per_cycle, 4), "tokens/cycle"),
            ("demo_numpy_stream_s", round(res.seconds, 2), "s"),
            ("demo_accuracy_float", model.meta["accuracy_float"], "fraction"),
            ("demo_accuracy_reference", round(acc_ref, 4), "fraction"),
            ("demo_accuracy_fabric", round(acc_fabric, 4), "fraction")]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"FIGURE {name} {value:.6g} {unit}")
