"""Word widths and signedness end to end: every compile path records them in the I/O
map, and ``lutgrid run`` / ``info`` show signed words as signed, sorted naturally, in
aligned columns."""

from __future__ import annotations

import re

import numpy as np
import pytest

from compiler.examples import EXAMPLES
from compiler.ir import Graph
from compiler.program import compile_program, declared_words
from lutgrid.cli import natural_key, token_table
from lutgrid.selfcheck import run_cli


def _unsigned_table() -> Graph:
    g = Graph()
    x = g.input("x", bits=3, signed=False)
    g.output("y", g.table(x, [0, 1, 2, 3, 4, 5, 6, 7], bits=3, signed=False))
    return g


@pytest.mark.parametrize("name, flow", [("mul4x4", "multiply macro"),
                                        ("linear4x4", "linear macro"),
                                        ("adder8", "ripple adder"), ("table16", "table gather"),
                                        ("running_sum", "general"), ("unsigned", "table gather")])
def test_every_compile_path_records_declared_words(name: str, flow: str) -> None:
    graph = _unsigned_table() if name == "unsigned" else EXAMPLES[name]()
    program = compile_program(graph, name)
    assert program.flow.startswith(flow.split()[0])
    iomap = program.bitstream.iomap
    declared = declared_words(graph)
    mapped = {w.split("@")[0] for w in iomap.inputs} | set(iomap.outputs)
    assert iomap.signed == {w for w in mapped if declared[w][1]}
    for word in iomap.outputs:
        assert iomap.width(word) == declared[word][0], word
    for word in iomap.inputs:
        want = declared[word.split("@")[0]][0]
        if "@" in word:   # an extra feed carries the low bits its readers need
            assert len(iomap.inputs[word]) <= want, word
        else:
            assert len(iomap.inputs[word]) == want, word


def test_signed_multiply_is_shown_signed(tmp_path) -> None:
    out = tmp_path / "m.lgb"
    assert run_cli(["compile", "--example", "mul4x4", "-o", str(out), "--check", "50"]).status == 0
    got = run_cli(["run", str(out), "--tokens", "64", "--show", "64"])
    assert got.status == 0, got
    lines = got.stdout.splitlines()
    head = lines.index(next(line for line in lines if line.split()[:1] == ["token"]))
    assert lines[head].split() == ["token", "a", "b", "->", "y"]
    rows = [line.split() for line in lines[head + 1:]]
    assert len(rows) == 64
    values = np.array([[int(r[1]), int(r[2]), int(r[4])] for r in rows])
    assert values[:, :2].min() < 0 and values[:, :2].max() > 0   # both signs drawn
    assert values[:, :2].min() >= -8 and values[:, :2].max() <= 7
    assert np.array_equal(values[:, 0] * values[:, 1], values[:, 2])
    assert len({len(line) for line in lines[head:]}) == 1           # aligned columns
    info = run_cli(["info", str(out)])
    assert re.search(r"in\s+a\s+4 bits\s+signed", info.stdout)
    assert re.search(r"out\s+y\s+8 bits\s+signed", info.stdout)


def test_unsigned_words_stay_unsigned(tmp_path) -> None:
    out = tmp_path / "t.lgb"
    program = compile_program(EXAMPLES["table16"](), "table16")
    program.bitstream.save(out)
    got = run_cli(["run", str(out), "--tokens", "200", "--show", "200"])
    lines = got.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["token"])
    xs = [int(line.split()[1]) for line in lines[head + 1:]]
    assert min(xs) == 0 and max(xs) == 15  # x is unsigned 4-bit: 0..15


def test_natural_sort_and_alignment() -> None:
    words = [f"x[{i}]" for i in (10, 2, 0, 1, 11)] + ["first", "x@1"]
    assert sorted(words, key=natural_key) == ["first", "x@1", "x[0]", "x[1]", "x[2]",
                                              "x[10]", "x[11]"]
    toks = {f"x[{i}]": np.array([-(10 ** i), 3]) for i in range(12)}
    lines = token_table(toks, {"y": np.array([5, -123456])}, 2)
    assert lines[0].split()[1:4] == ["x[0]", "x[1]", "x[2]"]
    assert lines[0].split()[11:13] == ["x[10]", "x[11]"]
    assert len({len(line) for line in lines}) == 1
    assert lines[2].endswith("-123456")


def test_word_width_limit_is_named(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wide.py").write_text(
        "from compiler.ir import Graph\n\ndef build():\n    g = Graph()\n"
        "    x = g.input('x', bits=80)\n    g.output('y', x)\n    return g\n")
    got = run_cli(["compile", "wide.py"])
    assert got.status == 2 and got.one_line_error
    assert "word width 80 exceeds the supported 62 bits" in got.stderr
    (tmp_path / "wide_nl.py").write_text(
        "from compiler.netlist import Netlist\n\ndef build():\n    nl = Netlist()\n"
        "    for b in range(80):\n        nl.output('y', b, nl.input('x', b))\n"
        "    return nl\n")
    got = run_cli(["compile", "wide_nl.py"])
    assert got.status == 2 and got.one_line_error, got
    assert "input word 'x' has bit 62: words are at most 62 bits wide" in got.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.py", "wide_nl.py"]
