"""compiler.compose.pipeline: a program as parts on fabrics in a row, against the
program's reference, with restarts."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from compiler.compose.pipeline import (
    PipelineFileError,
    compile_pipeline,
    cut_before_each,
    is_pipeline_file,
    load_pipeline,
    pipeline_bytes,
    save_pipeline,
)
from compiler.ir import FIRST, Graph, GraphError, reference
from compiler.lower import word_name
from compiler.window_lm import WindowLMParams, WindowLMSpec, token_words, window_lm_graph
from sim.simulators import numpy_stage

_numpy = numpy_stage(seed=4)      # garbage from seed 5 on unmapped inputs


def _before_first_linear(legal: Graph) -> list[int]:
    """One cut: the window (delays) on one fabric, the network on the next."""
    return [next(op.args[0] for op in legal.ops if op.kind == "linear")]


@pytest.fixture(scope="module")
def pipe():
    spec = WindowLMSpec(vocab=8, context=3, hidden=4, act_bits=4, logit_bits=5, shift1=1,
                        shift2=3)
    rng = np.random.default_rng(3)
    p = WindowLMParams(rng.integers(-8, 8, (4, spec.inputs)), rng.integers(-9, 9, 4),
                       rng.integers(-8, 8, (8, 4)), rng.integers(-30, 30, 8))
    g = window_lm_graph(spec, p)
    return compile_pipeline(g, "wlm", _before_first_linear,
                            time_budget=300)


@pytest.fixture
def good(pipe, tmp_path):
    """The pipeline saved as a file, to be damaged."""
    path = tmp_path / "good.lgp"
    save_pipeline(pipe, path)
    return path


def _check_stream(pipe, seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = 300
    ids = rng.integers(0, 8, T)
    first = (rng.random(T) < 0.05).astype(np.int64)
    first[0] = 1
    words = {word_name("tok", j, 3): (ids >> j) & 1 for j in range(3)}
    words[FIRST] = first
    got = pipe.run(words, _numpy)["next"]
    want = reference(pipe.graph, {"tok": token_words(ids, 3), FIRST: first})["next"][:, 0]
    assert np.array_equal(got, want), np.flatnonzero(got != want)[:5]


def test_a_window_model_runs_as_two_fabrics_exactly_with_restarts(pipe) -> None:
    assert len(pipe.bitstreams) == 2
    assert not any(op.kind == "linear" for op in pipe.parts[0].graph.ops)
    _check_stream(pipe, 3)


def test_the_pipeline_file_round_trips_and_runs_the_same(pipe, tmp_path) -> None:
    path = tmp_path / "wlm.lgp"
    save_pipeline(pipe, path)
    assert is_pipeline_file(path)
    back = load_pipeline(path)
    assert [bs.to_bytes() for bs in back.bitstreams] == \
        [bs.to_bytes() for bs in pipe.bitstreams]
    assert back.latency == pipe.latency and back.parts == ()
    assert pipeline_bytes(back) == path.read_bytes()     # deterministic, lossless
    _check_stream(back, 4)


def _rewrite(src, dst, change) -> None:
    """Copy pipeline file ``src`` to ``dst`` with ``change(name, data)`` applied to
    every entry (returning None drops it)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        for name in z.namelist():
            data = change(name, z.read(name))
            if data is not None:
                out.writestr(name, data)


@pytest.mark.parametrize("change, message", [
    (lambda n, d: None if n == "part1.lgb" else d, "'part1.lgb' is missing"),
    (lambda n, d: d.replace(b'"version": 2', b'"version": 9') if n == "pipeline.json"
     else d, "version 9"),
    (lambda n, d: d.replace(b'"parts": 2', b'"parts": 3') if n == "pipeline.json"
     else d, "'part2.lgb' is missing"),
    (lambda n, d: d[:100] if n == "part0.lgb" else d, "part0.lgb"),
    (lambda n, d: d.replace(b'"linear"', b'"lineer"', 1) if n == "model.json" else d,
     "lineer"),
    (lambda n, d: b"{" if n == "pipeline.json" else d, "not JSON"),
    (lambda n, d: b"[1, 2]" if n == "pipeline.json" else d, "format is not"),
    (lambda n, d: d.replace(b"lutgrid-pipeline", b"lutgrid-pipe") if n == "pipeline.json"
     else d, "format is not"),
    (lambda n, d: d.replace(b'"latency": ', b'"latency": 1') if n == "pipeline.json"
     else d, "the parts add up to"),
    (lambda n, d: d.replace(b'"next"', b'"nxt"') if n == "model.json" else d,
     "does not write the model's output 'nxt'"),
])
def test_a_mangled_pipeline_file_is_refused_with_its_problem_named(
        good, tmp_path, change, message) -> None:
    bad = tmp_path / "bad.lgp"
    _rewrite(good, bad, change)
    with pytest.raises(PipelineFileError, match=message):
        load_pipeline(bad)


def test_damaged_entries_are_named_not_crashes(good, tmp_path) -> None:
    """Corrupt deflate data, an unknown compression method, an encrypted flag: each a
    PipelineFileError naming the entry."""
    data = good.read_bytes()
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("part1.lgb")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    corrupt = bytearray(data)
    corrupt[start + 40:start + 80] = bytes(40)           # inside the deflate stream
    header = bytearray(data)
    header[info.header_offset + 8] = 99                  # local header: method 99
    cdir = data.rfind(b"PK\x01\x02" + data[info.header_offset + 4:info.header_offset + 6])
    for k in range(3):                                   # central dir entry of part1.lgb
        cdir = data.find(b"PK\x01\x02", cdir + (1 if k else 0))
        if data[cdir + 46:cdir + 46 + len(info.filename)] == info.filename.encode():
            break
    method = bytearray(data)
    method[cdir + 10] = 99
    crypt = bytearray(data)
    crypt[cdir + 8] |= 1
    for name, blob, msg in (("corrupt", corrupt, "'part1.lgb'"),
                            ("method", method, "compression method 99"),
                            ("crypt", crypt, "encrypted")):
        bad = tmp_path / f"{name}.lgp"
        bad.write_bytes(bytes(blob))
        with pytest.raises(PipelineFileError, match=msg):
            load_pipeline(bad)


def test_parts_that_read_what_no_one_writes_are_refused(good, tmp_path) -> None:
    with zipfile.ZipFile(good) as z:
        part1 = z.read("part1.lgb")
    one = tmp_path / "one.lgp"           # the network alone: it reads v-words no one writes
    _rewrite(good, one, lambda n, d: None if n == "part1.lgb" else
             part1 if n == "part0.lgb" else
             d.replace(b'"parts": 2', b'"parts": 1') if n == "pipeline.json" else d)
    with pytest.raises(PipelineFileError, match=r"part0 reads \['v\d+.*neither the model's "
                       r"inputs nor values an earlier part writes"):
        load_pipeline(one)
    from fabric.bitstream import Bitstream

    bare = Bitstream.from_bytes(part1, "p1")
    nomap = tmp_path / "nomap.lgp"
    _rewrite(good, nomap, lambda n, d: Bitstream(bare.configs, None).to_bytes()
             if n == "part1.lgb" else d)
    with pytest.raises(PipelineFileError, match="part1.lgb has no I/O map"):
        load_pipeline(nomap)


def test_parts_in_the_wrong_order_do_not_chain(good, tmp_path) -> None:
    with zipfile.ZipFile(good) as z:
        part0, part1 = z.read("part0.lgb"), z.read("part1.lgb")
    bad = tmp_path / "bad.lgp"
    _rewrite(good, bad, lambda n, d: part0 if n == "part1.lgb" else
             part1 if n == "part0.lgb" else d)
    with pytest.raises(PipelineFileError, match="do not chain"):
        load_pipeline(bad)


def test_a_truncated_or_foreign_file_is_not_a_pipeline(pipe, good, tmp_path) -> None:
    cut = tmp_path / "cut.lgp"
    cut.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    with pytest.raises(PipelineFileError, match="cut.lgp"):
        load_pipeline(cut)
    other = tmp_path / "x.lgb"
    pipe.bitstreams[0].save(other)
    assert not is_pipeline_file(other)
    with pytest.raises(PipelineFileError, match="not a pipeline file"):
        load_pipeline(other)


def test_a_cut_needs_its_op() -> None:
    g = Graph()
    g.output("y", g.add(g.input("x", bits=4), g.input("z", bits=4)))
    with pytest.raises(GraphError, match="no linear op"):
        cut_before_each(g, "linear")
    with pytest.raises(GraphError, match="concat ops are wiring"):
        cut_before_each(g, "concat")
