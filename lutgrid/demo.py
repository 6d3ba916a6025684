"""``lutgrid demo``: the whole chain on built-in examples, checked at every step.

1. the programmable fabric as Verilog (8x8 logical, one spare column);
2. a hand-placed 4-bit ripple-carry adder streamed one token per cycle in the numpy
   simulator, on a random defect map, and in Verilator on that defect map with the
   defective cells driving fresh garbage every cycle;
3. a 4x4 int4 constant matrix-vector product compiled by the linear macro, a 4x4-bit
   variable multiply compiled by the multiply macro, and a running sum over a
   sequence (delays gated by the ``first`` flag) compiled by general place and route,
   each checked against the numpy reference of DESIGN §5, token by token, in both
   simulators;
4. the shipped language model (:mod:`lutgrid.demo_lm`) compiled as fabrics in a
   row, held-out text streamed through them one symbol per cycle in the numpy
   simulator, every prediction checked against the integer reference, the text shown
   beside the predictions with the accuracies and the n-gram baselines
   (``--no-lm`` skips it).

Every check compares every output bit of every token; any mismatch stops the demo
with a non-zero exit status.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

SPARES = 1
#: The compiled programs of step 3, in order.
PROGRAMS = ("linear4x4", "mul4x4", "running_sum")


def demo_files(lm: bool = True) -> list[str]:
    """Names of the files the demo leaves in its output folder (``lm``: with the
    language model's)."""
    from lutgrid.demo_lm import demo_parts

    lm_files = ["demo_lm.txt", "demo_lm.lgp"] + [f"demo_lm_part{k}.png"
                                                 for k in range(demo_parts() if lm else 0)]
    return (["fabric_8x8.v", "adder4.lgb"]
            + [f"{name}.{ext}" for name in PROGRAMS for ext in ("lgb", "txt", "png")]
            + (lm_files if lm else []))


def _line(msg: str) -> None:
    print(msg, flush=True)


def _check_words(what: str, got: dict, want: dict) -> None:
    for word in sorted(want):
        bad = np.flatnonzero(np.asarray(got[word]) != np.asarray(want[word]))
        if bad.size:
            raise AssertionError(f"{what}: output {word!r} of token {int(bad[0])} is "
                                 f"{int(got[word][bad[0]])}, expected {int(want[word][bad[0]])}")


#: The Verilog view the demo's Verilator runs simulate: the bit-sliced view builds
#: several times faster than the tile netlist and is held equal to it (and to numpy)
#: by the co-simulation tests.
RTL_STYLE = "sliced"
#: Build-time estimate when the cache holds no earlier sliced build to learn from:
#: what a small sliced fabric took on the project's 2-core machine.
DEFAULT_BUILD_ESTIMATE_S = 40.0


def shared_rtl_shape(programs) -> tuple[int, int]:
    """``(width, height)`` of the one Verilator model every demo program runs on: the
    largest fabric among them and the 8x8 adder."""
    return (max([8] + [p.bitstream.width for p in programs]),
            max([8] + [p.bitstream.height for p in programs]))


def build_estimate() -> str:
    """How long a Verilator build of the demo's model will take here, in words: the
    median of the earlier sliced builds in the cache, else
    :data:`DEFAULT_BUILD_ESTIMATE_S` on 2 idle cores."""
    from sim.verilator import past_build_seconds

    past = past_build_seconds(style=RTL_STYLE)
    if past:
        return f"about {float(np.median(past)):.0f} s, as earlier builds here took"
    return (f"about {DEFAULT_BUILD_ESTIMATE_S:.0f} s on 2 idle cores, longer on a busy "
            f"machine")


def _note_build(width: int, height: int, defects: np.ndarray | None) -> bool:
    """Say, before a Verilator run, whether it must build its model first (only then),
    and how long that will take. Returns True if it builds."""
    from fabric.geometry import FabricShape
    from sim.verilator import is_built

    fault = defects is not None and bool(defects.any())
    if is_built(FabricShape(width, height, SPARES), fault_injection=fault, style=RTL_STYLE):
        return False
    _line(f"  (Verilator: building the model of the {width}x{height} fabric, {RTL_STYLE} "
          f"view, first run only: {build_estimate()}; later runs reuse the cached build)")
    return True


def _stream_everywhere(name: str, bitstream, tokens: dict, check, seed: int,
                       rtl_shape: tuple[int, int] | None) -> list[str]:
    """Stream ``tokens`` through ``bitstream`` on the logical numpy fabric, on a random
    defect map in numpy and (unless ``rtl_shape`` is None) in Verilator, on the
    ``(width, height)`` fabric every demo program shares there (the bitstream padded
    east and south, :func:`fabric.pad.pad_bitstream`, so that one model serves all);
    ``check(got)`` raises on any mismatch. Returns one line per run."""
    from fabric.defects import random_defects
    from fabric.pad import pad_bitstream
    from sim.simulators import make_simulator
    from sim.stream import stream_tokens

    n = len(next(iter(tokens.values())))
    rng = np.random.default_rng(seed)
    dm = random_defects(bitstream.height, bitstream.width, SPARES, rng)
    rows = []
    runs = [("numpy", bitstream, None), ("numpy", bitstream, dm)]
    if rtl_shape is not None:
        big = pad_bitstream(bitstream, *rtl_shape)
        runs.append(("verilator", big, random_defects(big.height, big.width, SPARES, rng)))
    for engine, bs, defects in runs:
        start = time.perf_counter()
        builds = engine == "verilator" and _note_build(bs.width, bs.height, defects)
        sim = make_simulator(engine, bs.configs, defects, SPARES, seed, style=RTL_STYLE)
        got = stream_tokens(sim, bs.iomap, bs.width, bs.height, tokens, seed=seed + 1)
        if builds and getattr(sim, "last_run", None) is not None:
            _line(f"  (built in {sim.last_run.build.build_seconds:.0f} s)")
        check(got)
        where = (f"{int(defects.sum())} defective cells" if defects is not None
                 else "no defects")
        rows.append(f"  {name:11s} {engine:9s}  {where:22s}  {n} tokens OK "
                    f"({time.perf_counter() - start:.1f} s)")
        _line(rows[-1])
    return rows


def _adder(out: Path, tokens: int, seed: int, rtl_shape: tuple[int, int] | None) -> list[str]:
    from fabric.bitstream import Bitstream
    from fabric.examples import random_tokens, ripple_adder

    ex = ripple_adder(4)
    bs = Bitstream(ex.configs, ex.iomap)
    bs.save(out / "adder4.lgb")
    toks = random_tokens(ex, tokens, seed)
    want = ex.reference(toks)
    return _stream_everywhere("adder4", bs, toks,
                              lambda got: _check_words("adder4", got, want), seed, rtl_shape)


def _program(out: Path, program, tokens: int, seed: int,
             rtl_shape: tuple[int, int] | None) -> list[str]:
    from fabric.bitstream import atomic_write_bytes
    from fabric.usage import heatmap_png

    name = program.name
    bs = program.bitstream
    bs.save(out / f"{name}.lgb")
    atomic_write_bytes(out / f"{name}.txt", (program.summary() + "\n").encode())
    heatmap_png(program.usage, out / f"{name}.png", title=name)
    _line("  " + program.summary().replace("\n", "\n  "))
    toks = program.random_tokens(tokens, seed=seed)
    return _stream_everywhere(name, bs, program.port_tokens(toks),
                              lambda got: program.check(got, toks), seed, rtl_shape)


def _language_model(out: Path, tokens: int, seed: int) -> list[str]:
    """Compile the shipped model, stream ``tokens`` held-out symbols through the numpy
    fabrics, check every prediction, print the text and the figures."""
    from compiler.compose.pipeline import save_pipeline
    from compiler.window_lm import WindowLMSpec
    from fabric.bitstream import atomic_write_bytes
    from fabric.usage import heatmap_png
    from lutgrid.corpus import load, ngram_accuracy
    from lutgrid.demo_lm import (
        DEMO_CUTS,
        compile_demo_model,
        load_demo_model,
        side_by_side,
        stream_text,
    )

    model = load_demo_model()
    m = model.meta
    spec = WindowLMSpec(**m["spec"])
    code = (f"each embedded as {spec.embed} words of {spec.embed_bits} bits"
            if spec.embed else f"as {spec.id_bits} one-bit words each")
    _line(f"  model: lutgrid/data/demo_lm.json, a window of {spec.context} symbols (the "
          f"current one included), {code}, {spec.hidden} hidden "
          f"units, {spec.vocab} logits, argmax; {model.params:,} parameters (int4 weights "
          f"and integer biases), trained by python -m lutgrid.train_demo")
    _line(f"  compiling as fabrics in a row, cut before every {' and '.join(DEMO_CUTS)}: "
          f"the window (delays), then each layer on its own fabric, compiled side by "
          f"side (a minute or two) ...")
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if msg.startswith("part ") or "floorplan" in msg:
            _line(f"    {msg[:150]} ({time.perf_counter() - t0:.0f} s)")

    pipe = compile_demo_model(model, progress)
    compile_s = time.perf_counter() - t0
    summary = []
    save_pipeline(pipe, out / "demo_lm.lgp")
    for k, prog in enumerate(pipe.parts):
        heatmap_png(prog.usage, out / f"demo_lm_part{k}.png", title=f"demo_lm part {k}")
        summary.append(f"part {k}: " + prog.summary())
    atomic_write_bytes(out / "demo_lm.txt", ("\n\n".join(summary) + "\n").encode())
    _line(f"  compiled in {compile_s:.0f} s:")
    for text in summary:
        _line("    " + text.replace("\n", "\n    "))
    corpus = load()
    if not 2 <= tokens < len(corpus.held_out):
        tokens = min(max(tokens, 2), len(corpus.held_out) - 1)
        _line(f"  (streaming {tokens} symbols: the held-out part has "
              f"{len(corpus.held_out):,})")
    start = int(np.random.default_rng(seed).integers(0, len(corpus.held_out) - tokens))
    ids = np.asarray(corpus.held_out[start:start + tokens], dtype=np.int64)
    res = stream_text(pipe, ids, seed=seed)
    res.check()
    _line(f"  held-out symbols {start}..{start + tokens - 1}, one per cycle through all "
          f"fabrics in the cycle-accurate simulator ({res.seconds:.1f} s), every prediction "
          f"equal to the integer reference's. Each pair of lines: the text, then the "
          f"fabric's guess for each symbol from the symbols before it ('^' marks a hit)")
    for line in side_by_side(ids, res.pred, symbols=192):
        _line("    " + line)
    base = {n: ngram_accuracy(corpus.train, corpus.held_out, n) for n in (2, 3, 4)}
    _line(f"  next-symbol accuracy on these {tokens - 1}: fabric {res.accuracy:.3f} (the "
          f"reference: the same predictions)")
    _line(f"  on the whole held-out part ({len(corpus.held_out):,} symbols): integer model "
          f"{m['accuracy_qat']:.3f}, float network {m['accuracy_float']:.3f} (both "
          f"measured at training); most-frequent-follower baselines: 1 symbol of context "
          f"{base[2]:.3f}, 2 symbols {base[3]:.3f}, 3 symbols {base[4]:.3f}")
    _line(f"  fabrics {pipe.sizes()}, {pipe.used_cells:,} cells used "
          f"({pipe.used_cells / model.params:.1f} per parameter), latency {pipe.latency} "
          f"cycles, {res.tokens_per_cycle:.2f} checked predictions per cycle over the "
          f"{res.window_cycles} cycles after the pipeline filled, compiled in "
          f"{compile_s:.0f} s")
    return [f"  {'demo_lm':11s} {'numpy':9s}  {'no defects':22s}  {tokens} tokens OK "
            f"({res.seconds:.1f} s)"]


def run_demo(out: Path, tokens: int = 300, seed: int = 1, rtl: bool = True,
             lm: bool = True) -> int:
    """Run the demo, writing its files (:func:`demo_files`) into ``out``; return the
    exit status (0 = all checks passed). The files are written into a temporary folder
    inside ``out`` and moved into place only when every check has passed: a failing
    or interrupted demo leaves no new file (and no ``out`` folder it created)."""
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".demo-", dir=out))
    try:
        status = _run_steps(stage, tokens, seed, rtl, lm)
        for name in demo_files(lm):
            (stage / name).replace(out / name)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    shutil.rmtree(stage, ignore_errors=True)
    _line(f"files in {out}/")
    return status


def _run_steps(out: Path, tokens: int, seed: int, rtl: bool, lm: bool) -> int:
    from fabric.geometry import FabricShape
    from fabric.verilog import write_verilog

    start = time.perf_counter()
    _line("== 1. the fabric: 8x8 logical cells, 1 spare column, as Verilog")
    t0 = time.perf_counter()
    path = write_verilog(out / "fabric_8x8.v", FabricShape(8, 8, SPARES))
    _line(f"  wrote {path.name} ({path.stat().st_size:,} bytes, {time.perf_counter() - t0:.1f} s): "
          f"one lutgrid_tile module instantiated 72 times; the Verilator runs below "
          f"simulate its bit-sliced view ({RTL_STYLE}), held equal to it by the tests")
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program

    programs = [compile_program(EXAMPLES[name](), name, seed=seed) for name in PROGRAMS]
    rtl_shape = None
    if rtl:
        rtl_shape = shared_rtl_shape(programs)
        _line(f"  (Verilator runs every program below on one {rtl_shape[0]}x{rtl_shape[1]} "
              f"model; smaller programs are padded east and south with pass-through cells, "
              f"so one build serves all)")
    _line("== 2. a hand-placed 4-bit adder, one new token every cycle")
    rows = _adder(out, tokens, seed, rtl_shape)
    _line("== 3. compiled programs, one new token every cycle")
    for program in programs:
        rows += _program(out, program, tokens, seed, rtl_shape)
    if lm:
        _line("== 4. the demo language model: held-out text, one symbol every cycle")
        rows += _language_model(out, tokens, seed)
    _line("== summary: every output bit of every token matched the reference")
    for row in rows:
        _line(row)
    _line(f"demo took {time.perf_counter() - start:.0f} s")
    return 0
