"""The ``lutgrid`` command: generate the fabric, compile programs, stream tokens."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fabric.iomap import IOMap

#: Exit status of a refused command (bad arguments, bad input files): one line on stderr.
EXIT_USAGE = 2
#: Exit status when a check fails (a simulation disagrees with the reference).
EXIT_CHECK = 1
#: Exit status of an unexpected failure, a bug (BSD ``EX_SOFTWARE``); ``--debug`` shows
#: its traceback.
EXIT_INTERNAL = 70
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status when the reader of stdout went away (128 + SIGPIPE), e.g. ``| head``.
EXIT_BROKEN_PIPE = 141
#: The most tokens one command streams (arrays are tokens x edge-bus bits per port).
MAX_TOKENS = 1_000_000


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


def _say(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- arguments

def _int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``low..high`` (argparse names the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lutgrid")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


# ----------------------------------------------------------------------------- outputs

def _check_outputs(paths: Sequence[str | None], force: bool) -> list[Path]:
    """Check, before any long work, that every output path can be written; raise
    :class:`CLIError` naming the first path that cannot (empty, a folder, a missing or
    unwritable folder, a read-only file without ``force``, given twice)."""
    checked: list[Path] = []
    for raw in paths:
        if raw is None:
            continue
        if not raw.strip():
            raise CLIError("an output file name is empty")
        path = Path(raw)
        if raw.endswith(os.sep) or path.is_dir():
            raise CLIError(f"output {raw} is a folder, not a file name")
        folder = path.parent
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise CLIError(f"output folder {folder} {what} (for {raw})")
        if path.exists() and not path.stat().st_mode & 0o222 and not force:
            raise CLIError(f"output {raw} is read-only; --force replaces it")
        _probe_writable(folder, raw)
        if any(path.resolve() == other.resolve() for other in checked):
            raise CLIError(f"output {raw} is named twice")
        checked.append(path)
    return checked


def _probe_writable(folder: Path, raw: str) -> None:
    """Create and remove a temporary file in ``folder``: the one test of permission
    that holds for every user (root too) and every file system (read-only ones too)."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".lutgrid-probe-", dir=folder)
    except OSError as exc:
        raise CLIError(f"cannot write in {folder} (for {raw}): {exc.strerror}") from exc
    os.close(fd)
    os.unlink(tmp)


def _write_outputs(files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> None:
    """Write every ``(path, data)`` or none: each goes to a temporary file first, and
    only when all are complete are they renamed into place (a failure, Ctrl-C or a
    full disk removes the temporary files and any file this call already renamed)."""
    from fabric.bitstream import temp_write_bytes

    staged: list[tuple[str, Path]] = []
    done: list[Path] = []
    try:
        for path, data in files:
            staged.append((temp_write_bytes(path, data), Path(path)))
        for tmp, path in staged:
            os.replace(tmp, path)
            done.append(path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for path in done:
            path.unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- verilog

def cmd_verilog(args: argparse.Namespace) -> int:
    """Write the programmable fabric as Verilog (--width/--height), or with
    --bitstream PROG the hardened view of that compiled program: the fabric with the
    program baked in (LUT contents as constants; no configuration, defect or router
    logic; idle, unused and always-0 registers gone), the Verilog of a hard-wired chip;
    of a pipeline file, every fabric's hardened view in one chip, the wires between
    them timed by delay lines (fabric/verilog_chip.py)."""
    from fabric.geometry import FabricShape
    from fabric.verilog import write_verilog

    if args.bitstream is not None:
        return _write_hardened(args)
    if args.width is None or args.height is None:
        raise CLIError("give --width and --height (the programmable fabric), or "
                       "--bitstream PROG (the hardened view of a compiled program)")
    shape = FabricShape(args.width, args.height, args.spares)
    _check_outputs([args.output], args.force)
    start = time.perf_counter()
    path = write_verilog(args.output, shape, fault_injection=args.fault_injection,
                         style=args.style)
    size = Path(path).stat().st_size
    what = "tiles" if args.style == "tiles" else "cells, bit-sliced simulation view"
    _say(f"wrote {path}: {shape.width}x{shape.height} logical, {shape.physical_width} "
         f"physical columns, {shape.physical_cells} {what}, {size:,} bytes in "
         f"{time.perf_counter() - start:.1f} s")
    return 0


def _hardened_program(path: str):
    """The bitstream at ``path`` and its hardened view (Verilog text, figures); a
    :class:`CLIError` for a bitstream without an I/O map or with a feedback loop."""
    from compiler.compose.pipeline import is_pipeline_file
    from fabric.bitstream import Bitstream
    from fabric.extract import ExtractError
    from fabric.verilog_hardened import generate_hardened_verilog

    if is_pipeline_file(path):
        raise CLIError(f"{path} is a pipeline file: synthesis takes one bitstream (write "
                       f"the pipeline's chip with `lutgrid verilog --bitstream {path}`)")
    bs = Bitstream.load(path)
    if bs.iomap is None:
        raise CLIError(f"{path} has no I/O map: a hardened view keeps only what the "
                       f"program's outputs need")
    try:
        text, stats = generate_hardened_verilog(bs.configs, bs.iomap)
    except ExtractError as exc:
        raise CLIError(f"{path}: {exc}") from exc
    return bs, text, stats


def _pipeline_chip(path: str, pipe=None):
    """The pipeline file at ``path`` (``pipe``, if it is loaded already) as one chip: its
    plan (fabric/chip.py), Verilog text and figures; a :class:`CLIError` naming the file
    for one that cannot be read or made a chip."""
    from compiler.compose.chain import chip_plan
    from compiler.compose.pipeline import load_pipeline

    try:     # PipelineFileError, GraphError and ExtractError are ValueErrors
        from fabric.verilog_chip import generate_chip_verilog

        plan = chip_plan(load_pipeline(path) if pipe is None else pipe)
        text, stats = generate_chip_verilog(plan)
    except ValueError as exc:
        raise CLIError(f"{path}: {exc}") from exc
    return plan, text, stats


def _write_hardened(args: argparse.Namespace) -> int:
    from fabric.bitstream import atomic_write_bytes

    given = [f for f, v in (("--width", args.width), ("--height", args.height),
                            ("--fault-injection", args.fault_injection)) if v]
    if given or args.style != "tiles":
        given += ["--style"] if args.style != "tiles" else []
        raise CLIError(f"--bitstream writes the hardened view of that program on its own "
                       f"fabric: drop {', '.join(given)}")
    _check_outputs([args.output], args.force)
    start = time.perf_counter()
    from compiler.compose.pipeline import is_pipeline_file

    if is_pipeline_file(args.bitstream):
        plan, text, stats = _pipeline_chip(args.bitstream)
        path = Path(args.output)
        atomic_write_bytes(path, text.encode("utf-8"))
        _say(f"wrote {path}: {args.bitstream} as one hard-wired chip (token bits on "
             f"west_in[0..{sum(plan.inputs.values()) - 1}], outputs on east_out "
             f"{plan.latency} cycles later), {path.stat().st_size:,} bytes in "
             f"{time.perf_counter() - start:.1f} s")
        _say(f"  {stats.text()}")
        return 0
    bs, text, stats = _hardened_program(args.bitstream)
    path = Path(args.output)
    atomic_write_bytes(path, text.encode("utf-8"))
    size = Path(path).stat().st_size
    _say(f"wrote {path}: the hardened view of {args.bitstream} ({bs.width}x{bs.height} "
         f"logical fabric, latency {bs.iomap.latency} cycles), {size:,} bytes in "
         f"{time.perf_counter() - start:.1f} s")
    _say(f"  {stats.text()}")
    return 0


# ----------------------------------------------------------------------------- compile

def _load_source(spec: str | None, example: str | None):  # -> Graph | Netlist, name
    """The program to compile and its name: a built-in example, or what
    ``FILE.py[:FUNCTION]`` returns. Every way a source can fail (missing, a syntax
    error, an exception on import or in the call, not callable, needs arguments, the
    wrong return type) is a :class:`CLIError` naming the file; the original exception
    is its ``__cause__`` (``--debug`` prints its traceback)."""
    from compiler.examples import EXAMPLES

    if example is not None and spec is not None:
        raise CLIError(f"give a source FILE.py[:FUNCTION] or --example NAME, not both "
                       f"({spec} and --example {example})")
    if example is not None:
        if example not in EXAMPLES:
            raise CLIError(f"unknown example {example!r}; choose from {', '.join(EXAMPLES)}")
        return EXAMPLES[example](), example
    if spec is None:
        raise CLIError("give a source FILE.py[:FUNCTION] or --example NAME")
    if spec.endswith(".json"):
        return _load_model_file(spec)
    file, _, func = spec.partition(":")
    path = _existing_file(file, "source file")
    func = func or "build"
    if not func.isidentifier():
        raise CLIError(f"{spec}: {func!r} is not a Python function name")
    mod_spec = importlib.util.spec_from_file_location(f"lutgrid_source_{path.stem}", path)
    if mod_spec is None or mod_spec.loader is None:
        raise CLIError(f"{file} cannot be loaded as a Python module (name it FILE.py)")
    module = importlib.util.module_from_spec(mod_spec)
    try:
        mod_spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise CLIError(f"{file}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except Exception as exc:  # noqa: BLE001 - any failure of the user's module is theirs
        raise CLIError(f"{file}: importing it raised {type(exc).__name__}: {exc}") from exc
    if not hasattr(module, func):
        raise CLIError(f"{file} has no function {func!r} (name it FILE.py:FUNCTION)")
    builder = getattr(module, func)
    if not callable(builder):
        raise CLIError(f"{file}:{func} is a {type(builder).__name__}, not a function")
    import inspect

    try:
        inspect.signature(builder).bind()
    except TypeError as exc:
        raise CLIError(f"{file}:{func}() must take no arguments: {exc}") from exc
    except ValueError:  # a builtin without a signature: let the call decide
        pass
    try:
        source = builder()
    except Exception as exc:  # noqa: BLE001
        raise CLIError(f"{file}:{func}() raised {type(exc).__name__}: {exc}") from exc
    from compiler.ir import Graph
    from compiler.netlist import Netlist

    if not isinstance(source, Graph | Netlist):
        raise CLIError(f"{file}:{func}() returned a {type(source).__name__}, expected a "
                       f"compiler.ir.Graph or a compiler.netlist.Netlist")
    if not source.inputs:
        raise CLIError(f"{file}:{func}() built a program with no inputs: no token could "
                       f"enter it")
    if not source.outputs:
        raise CLIError(f"{file}:{func}() built a program with no outputs: nothing to compute")
    return source, path.stem


def _existing_file(name: str, what: str) -> Path:
    """``name`` as a path, or a :class:`CLIError` saying it is a folder or missing."""
    path = Path(name)
    if not path.is_file():
        raise CLIError(f"{what} {name} {'is a folder' if path.is_dir() else 'does not exist'}")
    return path


def _load_model_file(spec: str):  # -> Graph, name
    """The graph of model file ``spec`` (``compiler.model_file``; JSON only, no code
    runs) and its name; a :class:`CLIError` names the file, op and problem."""
    from compiler.model_file import ModelFileError, load_model

    path = _existing_file(spec, "model file")
    try:
        graph = load_model(path)
    except ModelFileError as exc:
        raise CLIError(str(exc)) from exc
    return graph, path.name.removesuffix(".json")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (so a caller that
    swaps stderr, like a test capturing it, sees the messages)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _show_progress(verbose: bool) -> None:
    """Print the flow's layout tries (and, verbose, every router iteration) on stderr:
    a general-flow compile can take minutes."""
    levels = (("compiler.flow", logging.INFO), ("compiler.compose", logging.INFO),
              ("compiler.route", logging.DEBUG if verbose else logging.WARNING))
    for name, level in levels:
        log = logging.getLogger(name)
        log.setLevel(level)
        if not any(isinstance(h, _StderrHandler) for h in log.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("  %(message)s"))
            log.addHandler(handler)


def cmd_lm(args: argparse.Namespace) -> int:
    """Compile a window language model (the shipped demo model, or MODEL.json from
    compiler/window_lm.py) as fabrics in a row, stream TEXT through them one symbol
    per cycle in the numpy simulator, check every prediction against the integer
    reference, and print the text beside the predictions (docs/DEMO_LM.md)."""
    import time as _time

    from compiler.ir import GraphError
    from compiler.model_file import load_model
    from lutgrid.demo_lm import DemoModel, compile_demo_model, load_demo_model, stream_text

    ids = _text_ids(args.text)
    if args.model:
        try:
            graph = load_model(args.model)
        except (OSError, GraphError) as exc:
            raise CLIError(str(exc)) from exc
        tok = graph.inputs.get("tok")
        if tok is None or tok.bits != 1 or set(graph.outputs) != {"next"} or \
                not any(op.kind == "linear" for op in graph.ops):
            raise CLIError(f"{args.model}: not a window language model (input 'tok' of "
                           f"one-bit words, output 'next', a linear layer; "
                           f"compiler/window_lm.py)")
        if (1 << tok.dim) < 32:
            raise CLIError(f"{args.model}: 'tok' has {tok.dim} id bits, the 32-symbol "
                           f"alphabet needs 5")
        model = DemoModel(graph, 0, {})
    else:
        model = load_demo_model()
    _say("compiling (fabrics in a row, compiled side by side: a minute or two) ...")
    t0 = _time.perf_counter()
    from compiler.errors import FitError

    try:
        pipe = compile_demo_model(model)
    except (GraphError, FitError) as exc:
        raise CLIError(f"{args.model or 'the demo model'}: {exc}") from exc
    _say(f"compiled in {_time.perf_counter() - t0:.0f} s: "
         + pipe.sizes() + f" cells, {pipe.used_cells:,} used, latency {pipe.latency} cycles")
    res = stream_text(pipe, ids, seed=args.seed)
    res.check()
    _show_text(ids, res.pred, checked=True)
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    """Write a model file (docs/MODEL_FORMAT.md) of a transformer block, or of a
    language model with --vocab, with weights drawn from --seed. (Compile it with
    ``--cut-before all``, one op (element) per fabric, in seconds; on one fabric, ``--compose``,
    the smallest block, d_model 2, takes about four minutes on two cores.)"""
    from compiler.ir import GraphError
    from compiler.model_file import save_model
    from compiler.transformer import BlockSpec, LMSpec, block_graph, lm_graph, random_lm_params

    _check_outputs([args.output], args.force)
    try:
        spec = BlockSpec(args.d_model, args.heads, args.window, args.mlp, args.act_bits,
                         args.weights, args.attention, args.norm)
        if args.vocab:
            lm = LMSpec(args.vocab, spec, args.blocks)
            graph = lm_graph(lm, random_lm_params(lm, args.seed))
        else:
            if args.blocks != 1:
                raise CLIError("--blocks needs --vocab (a language model); a single block "
                               "has input x and output y")
            graph = block_graph(spec, args.seed)
    except GraphError as exc:
        raise CLIError(str(exc)) from exc
    save_model(graph, args.output)
    params = sum(int(np.asarray(op.params[k]).size) for op in graph.ops
                 for k in ("W", "table") if k in op.params)
    _say(f"wrote {args.output}: {len(graph.ops)} ops, {params} integer parameters "
         f"(weights and table entries); `lutgrid compile {args.output} --cut-before all` "
         f"compiles it as a row of fabrics, one op each, in seconds (`--compose`, on one "
         f"fabric, takes about four minutes for a d_model-2 block on two cores; larger "
         f"ones may not compose yet: give it a --time-budget)")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    """Compile a program to a bitstream, check it in the numpy simulator, report."""
    from compiler.errors import FitError
    from compiler.program import compile_program
    from fabric.usage import heatmap_png_bytes

    if (args.width is None) != (args.height is None):
        raise CLIError("give both --width and --height, or neither (automatic size)")
    source, name = _load_source(args.source, args.example)
    if args.cut_before is not None:
        return _compile_pipeline(args, source, name)
    output = args.output if args.output is not None else f"{name}.lgb"
    _check_outputs([output, args.report, args.png], args.force)
    _say(f"compiling {name} ...")
    _show_progress(args.verbose)
    try:
        program = compile_program(source, name, args.width, args.height, args.seed,
                                  macros=not args.no_macros, compose=args.compose,
                                  time_budget=args.time_budget)
    except FitError as exc:
        raise CLIError(f"does not fit: {exc}") from exc
    _say(program.summary())
    if not args.no_check:
        from sim.check import check_program

        secs = check_program(program, "numpy", args.check, args.seed)
        _say(f"checked {args.check} tokens, one per cycle, in the numpy simulator: every "
             f"output bit equals the reference ({secs:.1f} s)")
    files = [(output, program.bitstream.to_bytes())]
    if args.report:
        files.append((args.report, (program.summary() + "\n").encode()))
    if args.png:
        files.append((args.png, heatmap_png_bytes(program.usage, title=name)))
    _write_outputs(files)  # all of them or none
    for path, _ in files:
        _say(f"wrote {path}")
    return 0


def _compile_pipeline(args: argparse.Namespace, source, name: str) -> int:
    """``compile --cut-before OP [--cut-before OP2 ...]``: the program as fabrics in a
    row, cut right before every op of those kinds (``all``: before every computed op;
    compiler/compose/pipeline.py), the parts compiled side by side, checked in the numpy
    simulator and written as one pipeline file (NAME.lgp)."""
    from compiler.compose.pipeline import (
        compile_pipeline,
        count_parts,
        cut_before_each,
        cut_before_every_op,
        pipeline_bytes,
    )
    from compiler.errors import FitError
    from compiler.ir import Graph, GraphError
    from fabric.usage import heatmap_png_bytes, usage

    if not isinstance(source, Graph):
        raise CLIError("--cut-before cuts a graph (a model file or a Graph builder); "
                       f"{name} is a netlist")
    for flag, given in (("--width/--height", args.width is not None),
                        ("--no-macros", args.no_macros)):
        if given:
            raise CLIError(f"{flag} does not apply to a pipeline (each part is composed "
                           f"on a fabric of its own size)")
    output = args.output if args.output is not None else f"{name}.lgp"
    kinds = list(dict.fromkeys(args.cut_before))
    if "all" in kinds and len(kinds) > 1:
        raise CLIError(f"--cut-before all already cuts before every op; drop "
                       f"--cut-before {' '.join(k for k in kinds if k != 'all')}")

    def cuts(g: Graph) -> list[int]:
        return cut_before_every_op(g) if "all" in kinds else cut_before_each(g, *kinds)

    def png(k: int) -> str:
        return str(Path(args.png).with_suffix(f".part{k}.png"))

    elements = "all" in kinds      # one op, or one element of an elementwise op, each
    try:
        n = count_parts(source, cuts, elements)
    except GraphError as exc:
        raise CLIError(f"--cut-before {' '.join(kinds)}: {exc}") from exc
    _check_outputs([output, args.report] + ([png(k) for k in range(n)] if args.png else []),
                   args.force)
    what = "op" if "all" in kinds else " and every ".join(kinds)
    _say(f"compiling {name} as {n} fabrics in a row, cut before every {what} ...")
    _show_progress(args.verbose)
    start = time.perf_counter()
    try:
        pipe = compile_pipeline(source, name, cuts, time_budget=args.time_budget,
                                progress=lambda msg: _say("  " + msg), seed=args.seed,
                                elements=elements)
    except (FitError, GraphError) as exc:
        raise CLIError(f"does not fit: {exc}") from exc
    summary = "\n".join(f"part {k}: {p.summary()}" for k, p in enumerate(pipe.parts))
    _say(summary)
    _say(f"{name}: fabrics {pipe.sizes()}, {pipe.used_cells:,} cells used, latency "
         f"{pipe.latency} cycles, compiled in {time.perf_counter() - start:.1f} s")
    if not args.no_check:
        from sim.simulators import numpy_stage

        t0 = time.perf_counter()
        tokens = pipe.random_tokens(args.check, args.seed)
        try:
            pipe.check(pipe.run(tokens, numpy_stage(seed=args.seed)), tokens, name)
        except AssertionError as exc:
            raise CLIError(f"the compiled pipeline differs from its reference: {exc}") \
                from exc
        _say(f"checked {args.check} tokens, one per cycle through every fabric, in the "
             f"numpy simulator: every output bit equals the reference "
             f"({time.perf_counter() - t0:.1f} s)")
        from compiler.compose.chain import chip_plan
        from sim.chip_sim import stream_chip

        t0 = time.perf_counter()
        plan = chip_plan(pipe)
        try:
            pipe.check(stream_chip(plan, tokens, args.seed), tokens, name)
        except AssertionError as exc:
            raise CLIError(f"the pipeline as one chip differs from its reference: {exc}") \
                from exc
        _say(f"as one chip, every wire between fabrics timed: latency {plan.latency} "
             f"cycles, {plan.balance_flip_flops:,} flip-flops in the wires; the same "
             f"{args.check} tokens cycle by cycle equal the reference "
             f"({time.perf_counter() - t0:.1f} s)")
    files = [(output, pipeline_bytes(pipe))]
    if args.report:
        files.append((args.report, (summary + "\n").encode()))
    if args.png:
        files += [(png(k), heatmap_png_bytes(usage(bs), title=f"{name} part {k}"))
                  for k, bs in enumerate(pipe.bitstreams)]
    _write_outputs(files)  # all of them or none
    for path, _ in files:
        _say(f"wrote {path}")
    return 0


# ----------------------------------------------------------------------------- run / info

def natural_key(word: str) -> list[object]:
    """Sort key that puts ``x[2]`` before ``x[10]`` (digit runs compare as numbers)."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", word)]


def random_token_values(iomap, n_tokens: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random values of every token input word, in its declared range (signed words
    ``-2^(b-1) .. 2^(b-1)-1``, others ``0 .. 2^b-1``); ``first`` is set on token 0."""
    from sim.token_file import token_words

    tokens = {}
    for word, (n, signed) in sorted(token_words(iomap).items(),
                                    key=lambda kv: natural_key(kv[0])):
        lo, hi = (-(1 << (n - 1)), 1 << (n - 1)) if signed else (0, 1 << n)
        tokens[word] = rng.integers(lo, hi, size=n_tokens, dtype=np.int64)
    if "first" in tokens:  # a stream starts a sequence (DESIGN §5)
        tokens["first"][0] = 1
    return tokens


def token_table(tokens: dict[str, np.ndarray], outputs: dict[str, np.ndarray],
                shown: int) -> list[str]:
    """Lines of a table: token number, input words, ``->``, output words, naturally
    sorted, every column right-aligned to its widest entry."""
    words_in = sorted(tokens, key=natural_key)
    words_out = sorted(outputs, key=natural_key)
    columns = [("token", [str(t) for t in range(shown)])]
    columns += [(w, [str(int(v)) for v in tokens[w][:shown]]) for w in words_in]
    columns += [("->", ["->"] * shown)]
    columns += [(w, [str(int(v)) for v in outputs[w][:shown]]) for w in words_out]
    widths = [max(len(head), *(len(c) for c in cells)) for head, cells in columns]
    rows = [[head for head, _ in columns]] + [[cells[t] for _, cells in columns]
                                             for t in range(shown)]
    return ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def cmd_run(args: argparse.Namespace) -> int:
    """Stream random tokens (or --text, through a language model) through a bitstream;
    compare engines and defect maps. Signed words (as the I/O map declares them) are
    drawn and shown as signed. A pipeline file (.lgp) streams through its fabrics in
    turn, every output checked against the model it holds."""
    from fabric.bitstream import Bitstream
    from fabric.defects import random_defects
    from sim.simulators import make_simulator
    from sim.stream import stream_tokens

    if args.vcd is not None and not args.rtl:
        raise CLIError("--vcd writes the Verilator run's waveform: add --rtl")
    if args.hardened and not args.rtl:
        raise CLIError("--hardened picks the Verilog view --rtl simulates: add --rtl")
    if args.hardened and args.vcd is not None:
        raise CLIError("--vcd traces the programmable fabric's load and run: drop "
                       "--hardened or --vcd")
    if args.tokens_file is not None and args.tokens_given:
        raise CLIError("give --tokens N or --tokens-file FILE, not both")
    if args.text is not None and (args.tokens_file is not None or args.tokens_given):
        raise CLIError("--text streams the text's symbols: drop --tokens/--tokens-file")
    _check_outputs([args.vcd], args.force)
    from compiler.compose.pipeline import is_pipeline_file

    if is_pipeline_file(args.bitstream):
        return _run_pipeline(args)
    bs = Bitstream.load(args.bitstream)
    if bs.iomap is None:
        raise CLIError(f"{args.bitstream} has no I/O map: nothing to stream")
    rng = np.random.default_rng(args.seed)
    ids = None
    if args.text is not None:
        ids, tokens = _text_tokens(args.text, bs.iomap, bs.iomap, args.bitstream)
    elif args.tokens_file is not None:
        from sim.token_file import read_token_file

        tokens = read_token_file(args.tokens_file, bs.iomap, MAX_TOKENS)
    else:
        tokens = random_token_values(bs.iomap, args.tokens, rng)
    n_tokens = len(next(iter(tokens.values())))
    fast, first = None, "numpy"
    if args.engine != "cycle":  # the fast simulator where it applies (sim/fastsim.py)
        from sim.fastsim import FastSim, FastSimError

        start = time.perf_counter()
        try:
            fast, first = FastSim(bs.configs, bs.iomap), "fast"
            _say(f"fast simulator: {fast.stats.text()} (extracted in "
                 f"{time.perf_counter() - start:.1f} s)")
        except FastSimError as exc:
            if args.engine == "fast":
                raise CLIError(f"the fast simulator does not apply: {exc}") from exc
            _say(f"the fast simulator does not apply ({exc}): using the cycle-accurate one")
    runs = [(first, None)]
    if args.defects:
        dm = random_defects(bs.height, bs.width, args.spares, rng)
        runs.append(("numpy", dm))
    if args.rtl:  # the hardened chip has no spare columns: it runs without defects
        runs.append(("verilator", None if args.hardened else runs[-1][1]))
    style = "hardened" if args.hardened else args.style
    results = []
    for engine, dm in runs:
        where = f"{int(dm.sum())} defective cells" if dm is not None else "no defects"
        what = f"{engine}, {where}" + (f", {style} view" if engine == "verilator" else "")
        start = time.perf_counter()
        builds = engine == "verilator" and _announce_build(bs, dm, args, style)
        sim = fast if engine == "fast" else make_simulator(
            engine, bs.configs, dm, args.spares, args.seed, style=style,
            vcd=args.vcd if engine == "verilator" else None, iomap=bs.iomap)
        got = stream_tokens(sim, bs.iomap, bs.width, bs.height, tokens, seed=args.seed + 1)
        if builds and getattr(sim, "last_run", None) is not None:
            _say(f"built the Verilator model in {sim.last_run.build.build_seconds:.1f} s")
        _say(f"{what}: {n_tokens} tokens in {time.perf_counter() - start:.1f} s")
        results.append((what, got))
    base_what, base = results[0]
    for what, got in results[1:]:
        for word in sorted(base, key=natural_key):
            bad = np.flatnonzero(base[word] != got[word])
            if bad.size:
                raise CLIError(f"{what} differs from {base_what}: output {word!r} of token "
                               f"{int(bad[0])} ({bad.size} tokens differ)")
        _say(f"{what}: identical to {base_what} on every output of every token")
    if args.vcd is not None:
        _say(f"wrote {args.vcd} (the Verilator run's waveform, configuration loading "
             f"included)")
    if ids is not None:
        _show_text(ids, np.asarray(base["next"]), checked=False)
        _say("(a bitstream holds no model to check the predictions against: compile the "
             "model with --cut-before into a pipeline file, or run `lutgrid lm`)")
        return 0
    for line in token_table(tokens, base, min(args.show, n_tokens)):
        _say(line)
    return 0


def _lm_words(first: IOMap, last: IOMap, source: str) -> int:
    """Id bits of a language model whose first fabric has I/O map ``first`` (inputs
    ``tok[j]`` of one bit) and last ``last`` (output ``next``); a :class:`CLIError`
    names what is missing."""
    from fabric.iomap import base_word

    toks = {base_word(w) for w in first.inputs if base_word(w) == "tok"
            or re.fullmatch(r"tok\[\d+\]", base_word(w))}
    n = len(toks)
    if "next" not in last.outputs or not toks or \
            toks != ({"tok"} if n == 1 else {f"tok[{j}]" for j in range(n)}) or \
            any(first.width(w) != 1 for w in toks):
        raise CLIError(f"{source}: --text needs a language model (one-bit input words "
                       f"tok[j], output next; compiler/window_lm.py)")
    if (1 << len(toks)) < 32:
        raise CLIError(f"{source}: 'tok' has {len(toks)} id bits, the 32-symbol alphabet "
                       f"needs 5")
    return len(toks)


def _text_tokens(text: str, first: IOMap, last: IOMap, source: str
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The symbol ids of ``text`` and their token words for a language model whose first
    and last fabrics have I/O maps ``first`` and ``last``; a :class:`CLIError` names what
    does not fit."""
    from lutgrid.demo_lm import stream_words

    n = _lm_words(first, last, source)
    ids = _text_ids(text)
    return ids, stream_words(n, ids)


def _text_ids(text: str) -> np.ndarray:
    """``text`` as symbol ids (:func:`lutgrid.demo_lm.text_ids`); a :class:`CLIError`
    if it folds to fewer than 2 symbols or more than ``MAX_TOKENS``."""
    from lutgrid.demo_lm import text_ids

    ids = text_ids(text)
    if len(ids) < 2:
        raise CLIError(f"--text folds to {len(ids)} symbol(s); give at least 2")
    if len(ids) > MAX_TOKENS:
        raise CLIError(f"--text folds to {len(ids):,} symbols; at most {MAX_TOKENS:,}")
    return ids


def _show_text(ids: np.ndarray, pred: np.ndarray, checked: bool) -> None:
    """Print the text beside the predictions ``pred`` (``pred[t]`` follows ``ids[t]``),
    the accuracy, and (``checked``) that every prediction equals the reference's."""
    from lutgrid.corpus import Corpus
    from lutgrid.demo_lm import next_symbol_accuracy, side_by_side

    for line in side_by_side(ids, pred, hits=False):
        _say(line)
    acc = next_symbol_accuracy(pred, ids)
    same = ", every prediction equal to the integer reference's" if checked else ""
    _say(f"{len(ids)} symbols, one per cycle{same}; next-symbol accuracy {acc:.3f}; after "
         f"the last symbol it predicts {Corpus.decode(pred[-1:])!r}")


def _run_pipeline(args: argparse.Namespace) -> int:
    """``run`` on a pipeline file: the tokens (random, or --text) through every fabric
    in turn, checked against the model's reference; --defects reruns every fabric on a
    random defect map of its own, --rtl every fabric in Verilator (its --style view),
    --rtl --hardened the whole pipeline as one chip of hardened views (one Verilator
    model), each run checked against the reference too."""
    from compiler.compose.pipeline import PipelineFileError, load_pipeline
    from compiler.ir import FIRST
    from compiler.lower import word_name
    from fabric.defects import random_defects
    from sim.simulators import make_simulator
    from sim.stream import stream_tokens

    for flag, given in (("--vcd", args.vcd), ("--tokens-file", args.tokens_file)):
        if given:
            raise CLIError(f"{flag} runs one bitstream; {args.bitstream} is a pipeline of "
                           f"fabrics (run a part with `lutgrid run`, after unzipping it)")
    try:
        pipe = load_pipeline(args.bitstream)
    except PipelineFileError as exc:
        raise CLIError(str(exc)) from exc
    n = len(pipe.bitstreams)
    _say(f"{args.bitstream}: {n} fabric{'s' * (n != 1)} in a row, {pipe.sizes()}, "
         f"{pipe.used_cells:,} cells used, latency {pipe.latency} cycles")
    ids = None
    if args.text is not None:
        if not set(pipe.graph.inputs) <= {"tok", FIRST}:
            raise CLIError(f"{args.bitstream}: --text needs a language model (inputs tok "
                           f"and first); this model reads "
                           f"{', '.join(sorted(pipe.graph.inputs))}")
        ids, tokens = _text_tokens(args.text, pipe.bitstreams[0].iomap,
                                   pipe.bitstreams[-1].iomap, args.bitstream)
    else:
        tokens = pipe.random_tokens(args.tokens, args.seed)
    n_tokens = len(next(iter(tokens.values())))
    rng = np.random.default_rng(args.seed)
    engines = {}

    style = "hardened" if args.hardened else args.style

    def simulate_with(engine: str, defects: bool):
        def simulate(bs, words):
            sim, built = None, False
            if engine == "verilator":
                engines[id(bs)] = f"verilator ({style} view)"
                built = _announce_build(bs, None, args, style)
                sim = make_simulator("verilator", bs.configs, None, args.spares, args.seed,
                                     style=style, iomap=bs.iomap)
            elif engine != "cycle" and not defects:
                from sim.fastsim import FastSim, FastSimError

                try:
                    sim = FastSim(bs.configs, bs.iomap)
                    engines[id(bs)] = "fast"
                except FastSimError as exc:
                    if engine == "fast":
                        raise CLIError(f"the fast simulator does not apply: {exc}") \
                            from exc
                    _say(f"the fast simulator does not apply to a part ({exc}): using "
                         f"the cycle-accurate one there")
            if sim is None:
                engines[id(bs)] = "numpy"
                dm = random_defects(bs.height, bs.width, args.spares, rng) if defects \
                    else None
                sim = make_simulator("numpy", bs.configs, dm, args.spares, args.seed,
                                     iomap=bs.iomap)
            got = stream_tokens(sim, bs.iomap, bs.width, bs.height, words,
                                seed=args.seed + 1)
            if built and getattr(sim, "last_run", None) is not None:
                _say(f"built the Verilator model in {sim.last_run.build.build_seconds:.1f} s")
            return got
        return simulate

    runs = [("auto" if args.engine == "auto" else args.engine, False)]
    if args.defects:
        runs.append(("cycle", True))
    if args.rtl:      # without defects: the defect maps are the numpy run's (--defects)
        runs.append(("chip" if args.hardened else "verilator", False))
    outs = []
    for engine, defects in runs:
        start = time.perf_counter()
        if engine == "chip":
            got = _run_chip_rtl(args, pipe, tokens)
            what = "verilator (the pipeline as one hard-wired chip), no defects"
        else:
            got = pipe.run(tokens, simulate_with(engine, defects))
            used = sorted({engines[id(bs)] for bs in pipe.bitstreams})
            what = (f"{'+'.join(used)}, " + ("a random defect map per fabric" if defects
                                             else "no defects"))
        try:
            pipe.check(got, tokens, args.bitstream)
        except AssertionError as exc:
            raise CLIError(f"{what}: {exc}") from exc
        _say(f"{what}: {n_tokens} tokens in {time.perf_counter() - start:.1f} s, every "
             f"output equal to the reference")
        outs.append(got)
    if ids is not None:
        _show_text(ids, np.asarray(outs[0]["next"]), checked=True)
        return 0
    from compiler.program import sign_extend

    shown = dict(tokens)               # inputs as the model reads them: signed ones signed
    for name, v in pipe.graph.inputs.items():
        if v.type.signed:
            for j in range(v.dim):
                w = word_name(name, j, v.dim)
                shown[w] = sign_extend(tokens[w], v.bits)
    for line in token_table(shown, outs[0], min(args.show, n_tokens)):
        _say(line)
    return 0


def _run_chip_rtl(args: argparse.Namespace, pipe, tokens: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """``run PIPELINE --rtl --hardened``: every fabric's hardened view in one Verilog
    chip, the wires between them timed by delay lines (fabric/verilog_chip.py), built
    once and streamed in Verilator; returns its output words."""
    from fabric.geometry import FabricShape
    from sim.rtl_run import stream_chip_verilog
    from sim.verilator import is_built

    plan, text, stats = _pipeline_chip(args.bitstream, pipe)
    _say(f"one chip: {stats.text()}; latency {plan.latency} cycles")
    if not is_built(FabricShape(1, plan.port_rows, 0), style="hardened", verilog=text):
        _say(f"building the Verilator model of the chip ({len(text):,} bytes of Verilog; "
             f"once, then cached) ...")
    got, run = stream_chip_verilog(plan, text, tokens, seed=args.seed)
    if not run.build.cached:
        _say(f"built the Verilator model in {run.build.build_seconds:.1f} s")
    return got


def _announce_build(bs, defects, args: argparse.Namespace, style: str) -> bool:
    """Before a Verilator run: say so if it must build its model first (only then).
    Returns True if it builds."""
    from fabric.geometry import FabricShape
    from sim.verilator import is_built

    fault = defects is not None and bool(defects.any())
    shape = FabricShape(bs.width, bs.height, 0 if style == "hardened" else args.spares)
    verilog = None
    if style == "hardened":
        from fabric.verilog_hardened import generate_hardened_verilog

        verilog, stats = generate_hardened_verilog(bs.configs, bs.iomap)
        _say(f"hardened view: {stats.text()}")
    if is_built(shape, fault_injection=fault, style=style, waves=args.vcd is not None,
                verilog=verilog):
        return False
    trace = ", with waveform tracing" if args.vcd is not None else ""
    what = ("program's hardened view" if style == "hardened" else
            f"fabric ({style} view{trace}; once, then cached; tiles take minutes on large "
            f"fabrics)")
    _say(f"building the Verilator model of the {bs.width}x{bs.height} {what} ...")
    return True


def cmd_info(args: argparse.Namespace) -> int:
    """Describe a bitstream file (or each fabric of a pipeline file): fabric, cell
    usage, latency, and every I/O word with its width, signedness, ports and cycle
    offsets."""
    from compiler.compose.pipeline import PipelineFileError, is_pipeline_file, load_pipeline
    from fabric.bitstream import Bitstream

    if is_pipeline_file(args.bitstream):
        try:
            pipe = load_pipeline(args.bitstream)
        except PipelineFileError as exc:
            raise CLIError(str(exc)) from exc
        ins = ", ".join(sorted(pipe.graph.inputs))
        outs = ", ".join(sorted(pipe.graph.outputs))
        n = len(pipe.bitstreams)
        _say(f"{args.bitstream}: a pipeline of {n} fabric{'s' * (n != 1)} in a row "
             f"({pipe.sizes()}), {pipe.used_cells:,} cells used, latency {pipe.latency} "
             f"cycles, one token per cycle; its model: {len(pipe.graph.ops)} ops, inputs "
             f"{ins}, outputs {outs}")
        for k, bs in enumerate(pipe.bitstreams):
            _describe(bs, f"part {k}")
        return 0
    _describe(Bitstream.load(args.bitstream), args.bitstream)
    return 0


def _describe(bs, label: str) -> None:
    from fabric.iomap import base_word
    from fabric.usage import usage

    _say(f"{label}: {bs.width}x{bs.height} logical fabric")
    _say("  " + usage(bs).text())
    if bs.iomap is None:
        _say("  no I/O map")
        return
    _say(f"  latency {bs.iomap.latency} cycles, one token per cycle")
    rows = []
    for kind, words in (("in", bs.iomap.inputs), ("out", bs.iomap.outputs)):
        for word in sorted(words, key=natural_key):
            bits = words[word]
            ports = sorted({pb.port for pb in bits})
            offs = [pb.offset for pb in bits]
            sign = "signed" if base_word(word) in bs.iomap.signed else "unsigned"
            declared = bs.iomap.widths.get(word, len(bits)) if kind == "out" else len(bits)
            width = f"{declared} bits" + (f" ({len(bits)} on ports)" if declared != len(bits)
                                          else "")
            rows.append((kind, word, width, sign, ", ".join(ports),
                         f"offsets {min(offs)}..{max(offs)}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _say("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
             .rstrip())


# ----------------------------------------------------------------------------- cache

def cmd_cache(args: argparse.Namespace) -> int:
    """Show the Verilator build cache (where, how many models, how big) or clean it."""
    from sim.verilator import cache_size, clear_cache, default_build_dir

    root = default_build_dir()
    models, size = cache_size(root)
    if args.clean:
        clear_cache(root)
        _say(f"removed {root}: {models} models, {size / 1e6:.0f} MB")
        return 0
    _say(f"{root}: {models} Verilator models, {size / 1e6:.0f} MB (set LUTGRID_BUILD_DIR to "
         f"move it; lutgrid cache --clean empties it)")
    return 0


# ----------------------------------------------------------------------------- yield

def cmd_yield(args: argparse.Namespace) -> int:
    """Chip survival under random per-cell defects: closed form vs Monte Carlo, a compiled
    program checked on surviving defect maps, the refusal of S + 1 defects in a row, the
    spare columns needed for 99% yield; jobs run through Dask."""
    from lutgrid.sweep import SweepError
    from lutgrid.yield_run import default_workers, run_yield

    if args.png and not args.png.endswith(".png"):
        raise CLIError(f"--png {args.png}: the plot is a PNG file, name it *.png")
    try:
        run_yield(args.width, args.height, args.spares, args.p, trials=args.trials,
                  seed=args.seed, program=args.program, maps=args.maps, check_p=args.check_p,
                  tokens=args.tokens, png=args.png, sweep_trials=args.sweep_trials,
                  scheduler=args.scheduler, workers=args.workers or default_workers(),
                  say=_say)
    except SweepError as exc:
        raise CLIError(str(exc)) from exc
    return 0


# ----------------------------------------------------------------------------- synth

def cmd_synth(args: argparse.Namespace) -> int:
    """Synthesise the programmable fabric (its tile, and a W x H fabric), the FPGA
    anchor (a 16x16 int4 matvec in Amaranth) and, with --bitstream, the hardened view
    of compiled programs, with Yosys synth_ecp5 and nextpnr-ecp5; report LUT4s,
    flip-flops and Fmax, LUT4 per weight, and the projected tokens/s."""
    from fabric.geometry import FabricShape
    from fabric.synth import SynthError, SynthOptions
    from lutgrid.synth_run import run_synth

    FabricShape(args.width, args.height, args.spares)  # bad sizes fail before any tool runs
    programs = []
    for path in args.bitstream or []:
        bs, _text, _stats = _hardened_program(path)  # refused before any tool runs
        programs.append((re.sub(r"\W", "_", Path(path).stem), bs))
    try:
        opts = SynthOptions(args.device, args.package, args.speed, args.freq, args.seed)
        run_synth(args.width, args.height, args.spares, anchor=not args.no_anchor,
                  options=opts, use_cache=not args.no_cache, keep=args.keep, say=_say,
                  programs=programs)
    except SynthError as exc:
        raise CLIError(str(exc)) from exc
    return 0


# ----------------------------------------------------------------------------- demo

def cmd_demo(args: argparse.Namespace) -> int:
    """The tour: fabric Verilog, a hand-placed adder and compiled programs, each
    streamed one token per cycle in numpy and Verilator, with and without defects;
    then the shipped language model compiled and fed held-out text one symbol per
    cycle, every prediction checked against the integer reference."""
    from lutgrid.demo import demo_files, run_demo

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"demo output {out} exists and is not a folder")
    if not out.parent.is_dir():
        raise CLIError(f"folder {out.parent} does not exist (for the demo output {out})")
    if out.is_dir():
        _check_outputs([str(out / name) for name in demo_files(not args.no_lm)],
                       args.force)
    else:
        _probe_writable(out.parent, str(out))
    return run_demo(out, tokens=args.tokens, seed=args.seed, rtl=not args.no_rtl,
                    lm=not args.no_lm)


# ----------------------------------------------------------------------------- parser

class _Parser(argparse.ArgumentParser):
    """argparse, but a refused argument is one line on stderr (no usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(force: bool) -> argparse.ArgumentParser:
    """Options every command takes (``--debug``), and ``--force`` for commands that
    write files."""
    parent = _Parser(add_help=False)
    parent.add_argument("--debug", action="store_true",
                        help="on an error, also print the Python traceback")
    if force:
        parent.add_argument("--force", action="store_true",
                            help="replace read-only output files")
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lutgrid`` command."""
    from compiler.examples import EXAMPLES
    from fabric.geometry import MAX_SIDE, MAX_SPARES

    side = _int_in(1, MAX_SIDE)
    spares = _int_in(0, MAX_SPARES)
    tokens = _int_in(1, MAX_TOKENS)
    reader, writer = _common(False), _common(True)
    p = _Parser(
        prog="lutgrid",
        description="A grid of clocked LUT cells: generate it, compile integer programs "
                    "onto it, and prove in simulation that it streams one token per cycle.",
        epilog="Exit status: 0 success, 1 a check failed, 2 refused input, 70 internal "
               "error, 130 interrupted, 141 output pipe closed.")
    p.add_argument("--version", action="version", version=f"lutgrid {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="generate, compile, stream and check built-in examples",
                       description=cmd_demo.__doc__, parents=[writer])
    d.add_argument("--out", default="lutgrid-demo", help="output folder (default %(default)s)")
    d.add_argument("--tokens", type=tokens, default=300,
                   help=f"tokens per stream, 1..{MAX_TOKENS} (default 300)")
    d.add_argument("--seed", type=int, default=1, help="seed of tokens and defect maps")
    d.add_argument("--no-rtl", action="store_true", help="skip the Verilator runs")
    d.add_argument("--no-lm", action="store_true",
                   help="skip the language model (step 4: a minute or two of compiling)")
    d.set_defaults(func=cmd_demo)

    v = sub.add_parser("verilog", help="write the fabric as Verilog (or a program's "
                       "hardened view)",
                       description=cmd_verilog.__doc__, parents=[writer])
    v.add_argument("--width", type=side, help=f"logical columns W, 1..{MAX_SIDE}")
    v.add_argument("--height", type=side, help=f"rows H, 1..{MAX_SIDE}")
    v.add_argument("--bitstream", metavar="PROG",
                   help="write the hardened view of this compiled program instead: the "
                        "fabric with the program baked in (no configuration or router "
                        "logic), the Verilog of a hard-wired chip; of a pipeline file "
                        "(.lgp), all its fabrics as one chip, the wires between them "
                        "timed by delay lines")
    v.add_argument("--spares", type=spares, default=1,
                   help=f"spare columns S, 0..{MAX_SPARES} (default 1)")
    v.add_argument("--fault-injection", action="store_true",
                   help="add the noise port that defective cells load (for tests)")
    v.add_argument("--style", choices=("tiles", "sliced"), default="tiles",
                   help="tiles: the hardware, one tile module instantiated per cell "
                        "(default); sliced: a bit-sliced simulation view of the same "
                        "fabric, same ports, much faster in Verilator")
    v.add_argument("-o", "--output", required=True, help="Verilog file to write")
    v.set_defaults(func=cmd_verilog)

    c = sub.add_parser("compile", help="compile a program to a bitstream",
                       description=cmd_compile.__doc__ + " SOURCE is FILE.py[:FUNCTION] "
                       "(default function 'build') returning a compiler.ir.Graph or a "
                       "compiler.netlist.Netlist, or a model file MODEL.json "
                       "(docs/MODEL_FORMAT.md; read as data, no code runs).",
                       epilog="built-in examples (--example NAME): " + ", ".join(EXAMPLES),
                       parents=[writer])
    c.add_argument("source", nargs="?", help="FILE.py[:FUNCTION] or MODEL.json")
    c.add_argument("--example", metavar="NAME",
                   help="a built-in example instead: " + ", ".join(EXAMPLES))
    c.add_argument("-o", "--output", help="bitstream file (default NAME.lgb)")
    c.add_argument("--width", type=side, help=f"fabric width, 1..{MAX_SIDE} (default: sized "
                                              f"automatically)")
    c.add_argument("--height", type=side, help=f"fabric height, 1..{MAX_SIDE}")
    c.add_argument("--seed", type=int, default=0, help="placement/routing seed (default 0)")
    c.add_argument("--check", type=tokens, default=300, metavar="TOKENS",
                   help=f"stream this many random tokens in numpy and check, 1..{MAX_TOKENS} "
                        f"(default 300)")
    c.add_argument("--no-check", action="store_true", help="skip the numpy check")
    c.add_argument("--report", help="write the text report here")
    c.add_argument("--png", help="write a heat map of the grid here (with --cut-before: "
                                 "one per fabric, PNG.part0.png, PNG.part1.png, ...)")
    c.add_argument("--no-macros", action="store_true",
                   help="use general place and route even where a macro fits")
    c.add_argument("--compose", action="store_true",
                   help="compile a graph of several ops as blocks (one per op, or per "
                        "element of an elementwise op; macros where they match) stitched "
                        "on one fabric by the channel router (compiler/compose/); "
                        "progress per block and per routing pass on stderr")
    c.add_argument("--cut-before", metavar="OP", action="append",
                   help="compile as fabrics in a row, cut right before every op of kind "
                        "OP (repeatable; e.g. --cut-before linear --cut-before argmax for "
                        "the demo language model: its delays, each linear and the argmax "
                        "each on a fabric of its own; `--cut-before all`: every op, and "
                        "every element of an elementwise op, on a fabric of its own, the "
                        "way transformer blocks compile in seconds), "
                        "compiled side by side; writes a pipeline file NAME.lgp that "
                        "`lutgrid run` streams")
    c.add_argument("--time-budget", type=float, metavar="S",
                   help="with --compose: give up after S seconds with an error naming what "
                        "was being compiled or routed (default: no limit)")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="also print every router iteration (registers still shared)")
    c.set_defaults(func=cmd_compile)

    lm = sub.add_parser("lm", help="stream text through the demo language model on the "
                        "fabric", description=cmd_lm.__doc__, parents=[writer])
    lm.add_argument("--text", required=True,
                    help="the text (folded to the 32-symbol alphabet: lower case, a-z, "
                         "space, . , - \" and # for anything else)")
    lm.add_argument("--model", metavar="MODEL.json",
                    help="a window language model file instead of the shipped one")
    lm.add_argument("--seed", type=int, default=1, help="seed of the garbage on unmapped "
                    "inputs (default 1)")
    lm.set_defaults(func=cmd_lm)

    mo = sub.add_parser("model", help="write a transformer block or language model file",
                        description=cmd_model.__doc__, parents=[writer])
    mo.add_argument("-o", "--output", required=True, help="model file to write (.json)")
    mo.add_argument("--vocab", type=int, default=0,
                    help="symbols of a language model, 2..32 (default 0: one block)")
    mo.add_argument("--blocks", type=int, default=1, help="blocks of the language model")
    mo.add_argument("--d-model", type=int, default=2, help="activation words (default 2)")
    mo.add_argument("--heads", type=int, default=1, help="attention heads (default 1)")
    mo.add_argument("--window", type=int, default=2,
                    help="tokens attended, the current one included (default 2)")
    mo.add_argument("--mlp", type=int, default=0, help="MLP hidden words (0: 2 x d-model)")
    mo.add_argument("--act-bits", type=int, default=4, help="activation bits, 2..8")
    mo.add_argument("--weights", default="int4", help="int4 or ternary")
    mo.add_argument("--attention", default="relu", help="relu or softmax")
    mo.add_argument("--norm", default="none", help="none or rms (before attention and MLP)")
    mo.add_argument("--seed", type=int, default=7, help="weight seed (default 7)")
    mo.set_defaults(func=cmd_model)

    r = sub.add_parser("run", help="stream random tokens or a text through a bitstream or "
                                   "a pipeline file",
                       description=cmd_run.__doc__, parents=[writer])
    r.add_argument("bitstream", help="a bitstream (.lgb) or a pipeline file (.lgp, from "
                                     "`lutgrid compile --cut-before`)")
    r.add_argument("--text", help="stream this text through a language model (32-symbol "
                                  "fold, one symbol per cycle) and print its predictions "
                                  "beside it; with a pipeline file, checked against the "
                                  "model's reference")
    r.add_argument("--tokens", type=tokens, default=None,
                   help=f"random tokens to stream, 1..{MAX_TOKENS} (default 300)")
    r.add_argument("--rtl", action="store_true", help="also run in Verilator and compare")
    r.add_argument("--defects", action="store_true",
                   help="also run on a random tolerable defect map and compare")
    r.add_argument("--engine", choices=("auto", "fast", "cycle"), default="auto",
                   help="first run: fast = the extracted netlist (sim/fastsim.py, "
                        "feed-forward programs), cycle = the cycle-accurate numpy "
                        "simulator, auto = fast where it applies (default)")
    r.add_argument("--spares", type=spares, default=1,
                   help=f"spare columns, 0..{MAX_SPARES} (default 1)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--show", type=tokens, default=8, help="tokens to print (default 8)")
    r.add_argument("--tokens-file", metavar="FILE",
                   help="stream these token values instead of random ones: CSV with a header "
                        "row of word names and one row per token, or JSON {word: [values]}")
    r.add_argument("--style", choices=("tiles", "sliced"), default="tiles",
                   help="the Verilog view --rtl simulates: tiles (the hardware, default) or "
                        "sliced (same behaviour, builds and runs much faster)")
    r.add_argument("--hardened", action="store_true",
                   help="with --rtl: simulate the hardened view (the program baked into "
                        "the Verilog, as `lutgrid verilog --bitstream` writes it) instead "
                        "of loading it into the programmable fabric; no defect map")
    r.add_argument("--vcd", metavar="FILE",
                   help="with --rtl: write the Verilator run's waveform here (a tracing "
                        "build of its own)")
    r.set_defaults(func=cmd_run)

    y = sub.add_parser("yield", help="defect yield: closed form, Monte Carlo, fabric check",
                       description=cmd_yield.__doc__, parents=[writer])
    y.add_argument("--width", type=side, required=True, help="logical columns W")
    y.add_argument("--height", type=side, required=True, help="rows H")
    y.add_argument("--spares", type=spares, required=True, help="spare columns S")
    y.add_argument("--p", type=float, required=True, help="per-cell defect probability")
    y.add_argument("--trials", type=int, default=100_000,
                   help="Monte Carlo chips (default %(default)s)")
    y.add_argument("--seed", type=int, default=0, help="seed of every random draw")
    y.add_argument("--program", default="linear4x4",
                   help="built-in example checked on surviving maps (default %(default)s)")
    y.add_argument("--maps", type=int, default=8,
                   help="surviving defect maps to check it on (default %(default)s)")
    y.add_argument("--check-p", type=float,
                   help="defect probability of those maps (default: --p)")
    y.add_argument("--tokens", type=tokens, default=200, help="tokens per checked map")
    y.add_argument("--png", help="also sweep p for S = 0,1,2,4 at 64x64 and 1024x1024 "
                                 "and plot survival here")
    y.add_argument("--sweep-trials", type=int, default=2000,
                   help="Monte Carlo chips per point of that sweep (default %(default)s)")
    y.add_argument("--scheduler", metavar="ADDR",
                   help="address of a running Dask scheduler (default: a local cluster)")
    y.add_argument("--workers", type=int, help="local Dask worker processes (default: cores)")
    y.set_defaults(func=cmd_yield)

    sy = sub.add_parser("synth", help="synthesise the fabric and the FPGA anchor (ECP5)",
                        description=cmd_synth.__doc__, parents=[reader])
    sy.add_argument("--width", type=side, default=4, help="fabric columns (default 4)")
    sy.add_argument("--height", type=side, default=4, help="fabric rows (default 4)")
    sy.add_argument("--spares", type=spares, default=1, help="spare columns (default 1)")
    sy.add_argument("--device", default="25k", help="ECP5 device: 12k, 25k, 45k, 85k "
                                                   "(default 25k)")
    sy.add_argument("--package", default="CABGA256", help="package (default CABGA256)")
    sy.add_argument("--speed", type=int, default=6, help="speed grade 6, 7, 8 (default 6)")
    sy.add_argument("--freq", type=float, default=100.0, help="target clock, MHz (default 100)")
    sy.add_argument("--seed", type=int, default=1, help="nextpnr placer seed (default 1)")
    sy.add_argument("--no-anchor", action="store_true", help="skip the FPGA anchor")
    sy.add_argument("--bitstream", metavar="PROG", action="append",
                    help="also synthesise the hardened view of this compiled program (the "
                         "program baked in; repeat for several)")
    sy.add_argument("--no-cache", action="store_true",
                    help="run the tools even when a cached result exists")
    sy.add_argument("--keep", metavar="DIR",
                    help="leave the fabric's Verilog, netlist JSON and nextpnr log here")
    sy.set_defaults(func=cmd_synth)

    k = sub.add_parser("cache", help="show or clean the Verilator build cache",
                       description=cmd_cache.__doc__, parents=[reader])
    k.add_argument("--clean", action="store_true", help="delete every cached model")
    k.set_defaults(func=cmd_cache)

    i = sub.add_parser("info", help="describe a bitstream or pipeline file",
                       description=cmd_info.__doc__, parents=[reader])
    i.add_argument("bitstream")
    i.set_defaults(func=cmd_info)
    return p


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not raise
    a second BrokenPipeError (the Python documentation's recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def _where_asserted(exc: BaseException) -> str:
    """What to say for an assertion without a message: where it failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "an assertion without a message failed"
    last = frames[-1]
    return (f"assertion `{last.line or '?'}` failed at {Path(last.filename).name}:"
            f"{last.lineno}")


def _one_line(text: str) -> str:
    """Messages are one line: a multi-line exception text is joined."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lutgrid`` command; returns the exit status (0 success,
    1 a check failed, 2 refused input, 70 internal error, 130 interrupted, 141 the
    reader of stdout went away). Every error is one line on stderr."""
    from fabric.bitstream import BitstreamError
    from fabric.defects import DefectError

    args = build_parser().parse_args(argv)
    if args.command == "run":  # --tokens has a default only when no file gives them
        args.tokens_given = args.tokens is not None
        args.tokens = 300 if args.tokens is None else args.tokens
    name = f"lutgrid {args.command}"
    try:
        return args.func(args)
    except (CLIError, BitstreamError, DefectError, ValueError) as exc:
        if args.debug:
            traceback.print_exception(exc.__cause__ or exc)
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a file that vanished or a disk that filled mid-command
        if args.debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{name}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except AssertionError as exc:  # a simulation disagreed with the reference
        print(f"{name}: CHECK FAILED: {_one_line(exc) or _where_asserted(exc)}",
              file=sys.stderr)
        return EXIT_CHECK
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so in one line; --debug shows where
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"{name}: internal error: {type(exc).__name__}: {_one_line(exc)} (a bug; "
              f"--debug shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
