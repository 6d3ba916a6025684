"""``lutgrid compile --cut-before`` writes a pipeline file; ``lutgrid run`` streams it
(random tokens, --text, --defects), checked against the model in the file; refusals."""

from __future__ import annotations

import re

import pytest

from compiler.compose.hierarchy import WIRING
from compiler.compose.pipeline import load_pipeline
from fabric.verilog_hardened import generate_hardened_verilog
from lutgrid.cli import main


@pytest.fixture(scope="module")
def compiled(small_lm_file, tmp_path_factory):
    """The small window model file, its pipeline file, and what the compile printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("pipe") / "m.lgp"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["compile", str(small_lm_file), "--cut-before", "linear", "-o",
                     str(out), "--png", str(out.parent / "m.png")]) == 0
    return small_lm_file, out, buf.getvalue()


def test_compile_writes_a_checked_pipeline_file(compiled, capsys) -> None:
    model, out, printed = compiled
    assert printed.count("every output bit equals the reference") == 1
    pipe = load_pipeline(out)
    assert len(pipe.bitstreams) == 3        # the window, then a fabric per linear
    assert all((out.parent / f"m.part{k}.png").stat().st_size > 1000 for k in range(3))


def test_info_describes_every_fabric(compiled, capsys) -> None:
    _model, out, _printed = compiled
    assert main(["info", str(out)]) == 0
    got = capsys.readouterr().out
    assert "a pipeline of 3 fabrics in a row" in got
    assert "part 0: " in got and "part 2: " in got
    assert re.search(r"in +v\d+\[0\]", got) and "next" in got   # a value between fabrics


def test_run_streams_text_through_the_pipeline_checked(compiled, capsys) -> None:
    _model, out, _printed = compiled
    assert main(["run", str(out), "--text", "The cat, the hat."]) == 0
    got = capsys.readouterr().out
    assert "text  |he cat, the hat.|" in got
    assert "17 symbols, one per cycle, every prediction equal to the integer" in got


def test_run_random_tokens_with_defects(compiled, capsys) -> None:
    _model, out, _printed = compiled
    assert main(["run", str(out), "--tokens", "200", "--defects", "--seed", "3"]) == 0
    got = capsys.readouterr().out
    assert "a random defect map per fabric: 200 tokens" in got
    assert got.count("every output equal to the reference") == 2


def test_run_names_a_pipeline_that_differs_from_its_model(compiled, tmp_path,
                                                         capsys) -> None:
    """The check can fail: the same fabrics with the last layer's biases changed in the
    file's model."""
    import json
    import zipfile

    _model, out, _printed = compiled
    bad = tmp_path / "bad.lgp"
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(bad, "w") as w:
        for name in z.namelist():
            data = z.read(name)
            if name == "model.json":
                doc = json.loads(data)
                last = [op for op in doc["ops"] if op["op"] == "linear"][-1]
                last["b"] = [v + 9 * (i % 3) for i, v in enumerate(last["b"])]
                data = json.dumps(doc).encode()
            w.writestr(name, data)
    assert main(["run", str(bad), "--tokens", "300"]) == 2
    assert "output 'next' of token" in capsys.readouterr().err


def test_refusals(compiled, tmp_path, capsys) -> None:
    model, out, _printed = compiled
    assert main(["run", str(out), "--rtl", "--vcd", str(tmp_path / "w.vcd")]) == 2
    assert "--vcd runs one bitstream" in capsys.readouterr().err
    assert main(["compile", str(model), "--cut-before", "all", "--cut-before", "linear",
                 "-o", str(tmp_path / "z.lgp")]) == 2
    assert "drop --cut-before linear" in capsys.readouterr().err
    assert main(["compile", str(model), "--cut-before", "dot",
                 "-o", str(tmp_path / "x.lgp")]) == 2
    assert "no dot op" in capsys.readouterr().err
    assert not (tmp_path / "x.lgp").exists()
    assert main(["compile", "--example", "adder8", "--cut-before", "linear",
                 "-o", str(tmp_path / "y.lgp")]) == 2
    assert "no linear op" in capsys.readouterr().err
    assert main(["run", str(out), "--text", "ab", "--tokens", "5"]) == 2
    assert "drop --tokens" in capsys.readouterr().err


def test_a_transformer_block_model_file_compiles_one_op_per_fabric(tmp_path, capsys) -> None:
    """`lutgrid model` writes a block; `compile --cut-before all` puts every op on a
    fabric of its own (checked), and `run --defects` streams it checked again."""
    model, out = tmp_path / "b.json", tmp_path / "b.lgp"
    assert main(["model", "-o", str(model), "--d-model", "2", "--window", "2",
                 "--attention", "softmax"]) == 0
    assert main(["compile", str(model), "--cut-before", "all", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cut before every op" in printed
    assert "every output bit equals the reference" in printed
    pipe = load_pipeline(out)
    computed = sum(op.kind not in WIRING for op in pipe.graph.ops)
    assert len(pipe.bitstreams) >= computed > 5
    assert main(["run", str(out), "--tokens", "300", "--defects"]) == 0
    assert "defect map" in capsys.readouterr().out


def _block_lgp(tmp_path, *compile_args: str):
    """The d_model-2 block (window 2, seed 3) of the RTL tests, compiled with
    ``--cut-before all`` (and ``compile_args``) into ``b.lgp``; returns its path."""
    model, out = tmp_path / "b.json", tmp_path / "b.lgp"
    assert main(["model", "-o", str(model), "--d-model", "2", "--window", "2",
                 "--seed", "3"]) == 0
    assert main(["compile", str(model), "--cut-before", "all", "-o", str(out),
                 *compile_args]) == 0
    return out


def test_a_transformer_block_streams_through_verilator_as_one_chip(tmp_path, capsys) -> None:
    """Issue 10's RTL check: a d_model-2 block with a window of two tokens (restarts
    among the tokens), one op per fabric, every fabric's hardened view in one Verilog
    chip whose wires between fabrics are timed by delay lines (fabric/verilog_chip.py),
    built once and run in Verilator, a new token every cycle, every output checked
    against the model's reference. `lutgrid verilog --bitstream` writes the same chip."""
    out = _block_lgp(tmp_path)
    printed = capsys.readouterr().out
    chip_latency = int(re.search(r"as one chip, .*latency (\d+) cycles", printed).group(1))
    assert chip_latency < load_pipeline(out).latency   # the fabrics overlap in time
    assert main(["run", str(out), "--tokens", "300", "--rtl", "--hardened"]) == 0
    printed = capsys.readouterr().out
    assert "verilator (the pipeline as one hard-wired chip), no defects: 300 tokens" \
        in printed
    assert printed.count("every output equal to the reference") == 2   # numpy, Verilator
    assert main(["verilog", "--bitstream", str(out), "-o", str(tmp_path / "chip.v")]) == 0
    printed = capsys.readouterr().out
    n, distinct = map(int, re.search(r"(\d+) fabrics \((\d+) distinct\)", printed).groups())
    pipe = load_pipeline(out)
    assert n == len(pipe.bitstreams)
    # fabrics with the same hardened view (the elements of one op) share one module
    views = {generate_hardened_verilog(bs.configs, bs.iomap)[0] for bs in pipe.bitstreams}
    assert distinct == len(views) < n
    text = (tmp_path / "chip.v").read_text()
    assert text.count("module lutgrid_fabric") == distinct
    assert len(re.findall(r"^    lutgrid_fabric\d+ u\d+ \($", text, re.M)) == n
    assert f"east_out {chip_latency} cycles later" in text


@pytest.mark.slow
def test_a_transformer_block_streams_through_its_programmable_fabrics(tmp_path, capsys
                                                                       ) -> None:
    """The programmable counterpart of the chip test: the same d_model-2 block, every
    fabric's programmable (sliced) view built and streamed in Verilator in turn, every
    output checked against the reference. Slow: one Verilator build per fabric size
    (about 4 minutes on two cores with an empty build cache, ninth session)."""
    out = _block_lgp(tmp_path, "--no-check")
    capsys.readouterr()
    assert main(["run", str(out), "--tokens", "300", "--rtl", "--style", "sliced"]) == 0
    printed = capsys.readouterr().out
    assert "verilator (sliced view), no defects: 300 tokens" in printed
    assert printed.count("every output equal to the reference") == 2   # numpy, Verilator
