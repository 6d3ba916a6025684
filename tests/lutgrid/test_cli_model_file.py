"""``lutgrid compile MODEL.json``: a model file compiles like a Python source."""

from __future__ import annotations

import json

from compiler.ir import Graph
from compiler.model_file import save_model
from fabric.bitstream import Bitstream
from lutgrid.selfcheck import run_cli


def _model(tmp_path):
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.output("y", g.add(a, b, bits=4))          # saturates: an adder and a clamp
    path = tmp_path / "satadd.json"
    save_model(g, path)
    return path


def test_a_model_file_compiles_checks_and_writes(tmp_path) -> None:
    path = _model(tmp_path)
    out = tmp_path / "satadd.lgb"
    got = run_cli(["compile", str(path), "--compose", "-o", str(out)])
    assert got.status == 0, got
    assert "every output bit equals the reference" in got.stdout
    assert set(Bitstream.load(out).iomap.outputs) == {"y"}


def test_a_bad_model_file_is_named_and_writes_nothing(tmp_path) -> None:
    path = _model(tmp_path)
    doc = json.loads(path.read_text())
    doc["ops"][2]["mode"] = "round"
    path.write_text(json.dumps(doc))
    out = tmp_path / "satadd.lgb"
    got = run_cli(["compile", str(path), "--compose", "-o", str(out)])
    assert got.status != 0
    last = got.stderr.strip().splitlines()[-1]
    assert "satadd.json: op 2 (add): add: mode must be 'sat' or 'wrap', got 'round'" in last
    assert not out.exists()
    got = run_cli(["compile", str(tmp_path / "none.json")])
    assert "model file" in got.stderr and "does not exist" in got.stderr


def test_model_writes_a_language_model_that_loads(tmp_path) -> None:
    from compiler.ir import reference
    from compiler.model_file import load_model
    from compiler.transformer import BlockSpec, LMSpec, lm_graph, random_lm_params

    out = tmp_path / "lm.json"
    got = run_cli(["model", "-o", str(out), "--vocab", "20", "--attention", "softmax",
                   "--seed", "3"])
    assert got.status == 0, got
    g = load_model(out)
    spec = LMSpec(20, BlockSpec(2, attention="softmax"))
    want = lm_graph(spec, random_lm_params(spec, 3))
    toks = {"tok": [[i % 20] for i in range(40)], "first": [1] + [0] * 39}
    assert (reference(g, toks)["next"] == reference(want, toks)["next"]).all()
    bad = run_cli(["model", "-o", str(tmp_path / "b.json"), "--d-model", "3", "--heads", "2"])
    assert bad.status == 2 and "d_model 3 must be a positive multiple of heads 2" in bad.stderr
    assert not (tmp_path / "b.json").exists()
