"""lutgrid.demo_lm: the shipped model and its files, streaming text through a compiled
window model, and the throughput measure."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from compiler.program import compile_program
from compiler.window_lm import WindowLMParams, WindowLMSpec, window_lm_graph
from lutgrid.corpus import ALPHABET, load
from lutgrid.demo_lm import load_demo_model, reference_predictions, stream_text, text_ids


def test_the_shipped_model_is_what_training_measured() -> None:
    """The model file's integers, run by the numpy reference on the whole held-out
    part, score exactly the integer accuracy the training script measured with its own
    (torch) rounded network and wrote beside them."""
    model = load_demo_model()
    spec = WindowLMSpec(**model.meta["spec"])
    g = model.graph
    assert g.inputs["tok"].dim == spec.id_bits and set(g.outputs) == {"next"}
    lin = [np.asarray(op.params["W"]) for op in g.ops if op.kind == "linear"]
    bias = [np.asarray(op.params["b"]) for op in g.ops if op.kind == "linear"]
    assert [w.shape for w in lin[-2:]] == [(spec.hidden, spec.inputs),
                                           (spec.vocab, spec.hidden)]
    counted = sum(w.size + b.size for w, b in zip(lin[-2:], bias[-2:], strict=True))
    if spec.embed:      # one block-diagonal linear: the same block for every symbol
        e, n, c = spec.embed, spec.id_bits, spec.context
        wide = lin[0]
        assert wide.shape == (c * e, c * n)
        block = wide[:e, :n]
        assert np.array_equal(wide, np.kron(np.eye(c, dtype=int), block))
        assert np.array_equal(bias[0], np.tile(bias[0][:e], c))
        counted += block.size + e
    assert model.params == counted
    held = np.asarray(load().held_out, dtype=np.int64)
    pred = reference_predictions(g, held)
    acc = float(np.mean(pred[:-1] == held[1:]))
    assert round(acc, 4) == model.meta["accuracy_qat"]
    assert acc > 0.3273, "the model must beat the 1-symbol-context baseline"


def test_text_is_folded_to_symbol_ids() -> None:
    ids = text_ids("Hi,  World!\n")
    assert "".join(ALPHABET[i] for i in ids) == 'hi, world# '   # the newline: a space


@pytest.fixture(scope="module")
def small_program():
    spec = WindowLMSpec(vocab=8, context=2, hidden=4, act_bits=4, logit_bits=5, shift1=1,
                        shift2=3)
    rng = np.random.default_rng(11)
    p = WindowLMParams(rng.integers(-8, 8, (4, spec.inputs)), rng.integers(-9, 9, 4),
                       rng.integers(-8, 8, (8, 4)), rng.integers(-30, 30, 8))
    return compile_program(window_lm_graph(spec, p), "wlm", compose=True, time_budget=300)


def test_a_stream_delivers_one_checked_prediction_per_cycle(small_program) -> None:
    ids = np.random.default_rng(2).integers(0, 8, 200)
    res = stream_text(small_program, ids, seed=3)
    assert np.array_equal(res.pred, res.want)
    assert res.tokens_per_cycle == 1.0


def test_a_broken_fabric_delivers_fewer(small_program) -> None:
    """The throughput counts only predictions equal to the reference: a fabric whose
    output cells are cut shows it."""
    bs = small_program.bitstream
    cfg = bs.configs.copy()
    for pb in bs.iomap.outputs["next"]:       # cut one output bit's last cell
        if pb.port == "east_out":
            cfg[pb.index, -1] = 0
        elif pb.port == "north_out":
            cfg[0, pb.index] = 0
        elif pb.port == "south_out":
            cfg[-1, pb.index] = 0
        else:
            cfg[pb.index, 0] = 0
        break
    broken = dataclasses.replace(small_program,
                                 bitstream=dataclasses.replace(bs, configs=cfg))
    ids = np.random.default_rng(2).integers(0, 8, 200)
    res = stream_text(broken, ids, seed=3)
    assert res.tokens_per_cycle < 1.0


def test_the_demo_model_on_the_fabric_is_the_reference_on_the_demo_stretch() -> None:
    """What ``lutgrid demo`` shows (seed 1, 300 held-out symbols): compiled as the demo
    compiles it, streamed one symbol per cycle in the cycle-accurate simulator, every
    prediction equal to the integer reference's."""
    from lutgrid.demo_lm import compile_demo_model

    pipe = compile_demo_model(load_demo_model())
    held = load().held_out
    start = int(np.random.default_rng(1).integers(0, len(held) - 300))
    ids = np.asarray(held[start:start + 300], dtype=np.int64)
    res = stream_text(pipe, ids, seed=1)
    assert np.array_equal(res.pred, res.want)
    assert res.tokens_per_cycle == 1.0
