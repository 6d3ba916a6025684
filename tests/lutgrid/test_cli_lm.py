"""``lutgrid lm``: text through a window language model on the fabric, and refusals."""

from __future__ import annotations

import numpy as np

from compiler.model_file import save_model
from compiler.window_lm import WindowLMParams, WindowLMSpec, window_lm_graph
from lutgrid.cli import main


def test_text_streams_through_a_small_model_file(small_lm_file, capsys) -> None:
    path = small_lm_file
    assert main(["lm", "--text", "The cat, the hat.", "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert "text  |he cat, the hat.|" in out
    assert "17 symbols, one per cycle, every prediction equal" in out


def test_refusals(tmp_path, capsys) -> None:
    assert main(["lm", "--text", "a"]) == 2
    assert "folds to 1 symbol" in capsys.readouterr().err
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    assert main(["lm", "--text", "ab", "--model", str(bad)]) == 2
    assert "not a lutgrid model file" in capsys.readouterr().err
    spec = WindowLMSpec(vocab=8, context=2, hidden=2)
    rng = np.random.default_rng(1)
    small = tmp_path / "s.json"
    save_model(window_lm_graph(spec, WindowLMParams(
        rng.integers(-8, 8, (2, spec.inputs)), np.zeros(2, int),
        rng.integers(-8, 8, (8, 2)), np.zeros(8, int))), small)
    assert main(["lm", "--text", "ab", "--model", str(small)]) == 2
    assert "3 id bits" in capsys.readouterr().err


def test_a_model_without_an_argmax_is_named(tmp_path, capsys) -> None:
    from compiler.ir import Graph

    g = Graph()
    tok = g.input("tok", dim=5, bits=1, signed=True)
    g.output("next", g.linear(tok, np.ones((2, 5), int), bits=4))
    path = tmp_path / "m.json"
    save_model(g, path)
    assert main(["lm", "--text", "hello", "--model", str(path)]) == 2
    assert "no argmax op to cut before" in capsys.readouterr().err
