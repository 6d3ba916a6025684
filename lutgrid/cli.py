"""The ``lutgrid`` command: generate the fabric, compile programs, stream tokens."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


def _say(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- verilog

def cmd_verilog(args: argparse.Namespace) -> int:
    """Write the programmable fabric as Verilog."""
    from fabric.geometry import FabricShape
    from fabric.verilog import write_verilog

    shape = FabricShape(args.width, args.height, args.spares)
    start = time.perf_counter()
    path = write_verilog(args.output, shape, fault_injection=args.fault_injection,
                         style=args.style)
    size = Path(path).stat().st_size
    what = "tiles" if args.style == "tiles" else "cells, bit-sliced simulation view"
    _say(f"wrote {path}: {shape.width}x{shape.height} logical, {shape.physical_width} "
         f"physical columns, {shape.physical_cells} {what}, {size:,} bytes in "
         f"{time.perf_counter() - start:.1f} s")
    return 0


# ----------------------------------------------------------------------------- compile

def _load_source(spec: str | None, example: str | None):  # -> Graph | Netlist, name
    from compiler.examples import EXAMPLES

    if example is not None:
        if example not in EXAMPLES:
            raise CLIError(f"unknown example {example!r}; choose from {', '.join(EXAMPLES)}")
        return EXAMPLES[example](), example
    if spec is None:
        raise CLIError("give a source FILE.py[:FUNCTION] or --example NAME")
    file, _, func = spec.partition(":")
    path = Path(file)
    if not path.is_file():
        raise CLIError(f"source file {file} does not exist")
    mod_spec = importlib.util.spec_from_file_location(path.stem, path)
    assert mod_spec is not None and mod_spec.loader is not None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    func = func or "build"
    if not hasattr(module, func):
        raise CLIError(f"{file} has no function {func!r} (name it FILE.py:FUNCTION)")
    source = getattr(module, func)()
    from compiler.ir import Graph
    from compiler.netlist import Netlist

    if not isinstance(source, Graph | Netlist):
        raise CLIError(f"{file}:{func}() returned a {type(source).__name__}, expected a "
                       f"compiler.ir.Graph or a compiler.netlist.Netlist")
    return source, path.stem


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (so a caller that
    swaps stderr, like a test capturing it, sees the messages)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _show_progress(verbose: bool) -> None:
    """Print the flow's layout tries (and, verbose, every router iteration) on stderr:
    a general-flow compile can take minutes."""
    levels = (("compiler.flow", logging.INFO),
              ("compiler.route", logging.DEBUG if verbose else logging.WARNING))
    for name, level in levels:
        log = logging.getLogger(name)
        log.setLevel(level)
        if not any(isinstance(h, _StderrHandler) for h in log.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("  %(message)s"))
            log.addHandler(handler)


def cmd_compile(args: argparse.Namespace) -> int:
    """Compile a program to a bitstream, check it in the numpy simulator, report."""
    from compiler.errors import FitError
    from compiler.program import compile_program
    from fabric.usage import heatmap_png

    source, name = _load_source(args.source, args.example)
    if (args.width is None) != (args.height is None):
        raise CLIError("give both --width and --height, or neither (automatic size)")
    _say(f"compiling {name} ...")
    _show_progress(args.verbose)
    try:
        program = compile_program(source, name, args.width, args.height, args.seed,
                                  macros=not args.no_macros)
    except FitError as exc:
        raise CLIError(f"does not fit: {exc}") from exc
    _say(program.summary())
    if args.check:
        from sim.check import check_program

        secs = check_program(program, "numpy", args.check, args.seed)
        _say(f"checked {args.check} tokens, one per cycle, in the numpy simulator: every "
             f"output bit equals the reference ({secs:.1f} s)")
    output = args.output or f"{name}.lgb"
    program.bitstream.save(output)
    _say(f"wrote {output}")
    if args.report:
        from fabric.bitstream import atomic_write_bytes

        atomic_write_bytes(args.report, (program.summary() + "\n").encode())
        _say(f"wrote {args.report}")
    if args.png:
        heatmap_png(program.usage, args.png)
        _say(f"wrote {args.png} (red: compute, blue: route-only, grey: idle)")
    return 0


# ----------------------------------------------------------------------------- run / info

def cmd_run(args: argparse.Namespace) -> int:
    """Stream random tokens through a bitstream; compare engines and defect maps."""
    from fabric.bitstream import Bitstream
    from fabric.defects import random_defects
    from fabric.iomap import base_word
    from sim.simulators import make_simulator
    from sim.stream import stream_tokens

    bs = Bitstream.load(args.bitstream)
    if bs.iomap is None:
        raise CLIError(f"{args.bitstream} has no I/O map: nothing to stream")
    rng = np.random.default_rng(args.seed)
    widths: dict[str, int] = {}
    for w, bits in sorted(bs.iomap.inputs.items()):  # a word is as wide as its widest feed
        widths[base_word(w)] = max(widths.get(base_word(w), 0), len(bits))
    tokens = {w: rng.integers(0, 1 << n, size=args.tokens) for w, n in widths.items()}
    if "first" in tokens:  # a stream starts a sequence (DESIGN §5)
        tokens["first"][0] = 1
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
    if args.rtl:
        runs.append(("verilator", runs[-1][1]))
    results = []
    for engine, dm in runs:
        where = f"{int(dm.sum())} defective cells" if dm is not None else "no defects"
        what = f"{engine}, {where}"
        start = time.perf_counter()
        sim = fast if engine == "fast" else make_simulator(engine, bs.configs, dm,
                                                           args.spares, args.seed)
        got = stream_tokens(sim, bs.iomap, bs.width, bs.height, tokens, seed=args.seed + 1)
        _say(f"{what}: {args.tokens} tokens in {time.perf_counter() - start:.1f} s")
        results.append((what, got))
    base_what, base = results[0]
    for what, got in results[1:]:
        for word in base:
            bad = np.flatnonzero(base[word] != got[word])
            if bad.size:
                raise CLIError(f"{what} differs from {base_what}: output {word!r} of token "
                               f"{int(bad[0])} ({bad.size} tokens differ)")
        _say(f"{what}: identical to {base_what} on every output of every token")
    shown = min(args.show, args.tokens)
    words_in, words_out = sorted(tokens), sorted(base)
    _say("token  " + "  ".join(words_in) + "  ->  " + "  ".join(words_out))
    for t in range(shown):
        _say(f"{t:5d}  " + "  ".join(str(int(tokens[w][t])) for w in words_in) + "  ->  "
             + "  ".join(str(int(base[w][t])) for w in words_out))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Describe a bitstream file."""
    from fabric.bitstream import Bitstream
    from fabric.usage import usage

    bs = Bitstream.load(args.bitstream)
    _say(f"{args.bitstream}: {bs.width}x{bs.height} logical fabric")
    _say("  " + usage(bs).text())
    if bs.iomap is None:
        _say("  no I/O map")
        return 0
    _say(f"  latency {bs.iomap.latency} cycles, one token per cycle")
    for kind, words in (("in ", bs.iomap.inputs), ("out", bs.iomap.outputs)):
        for word, bits in words.items():
            ports = sorted({pb.port for pb in bits})
            offs = [pb.offset for pb in bits]
            _say(f"  {kind} {word}: {len(bits)} bits on {', '.join(ports)}, offsets "
                 f"{min(offs)}..{max(offs)}")
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
    """Synthesise the programmable fabric (its tile, and a W x H fabric) and the FPGA
    anchor (a 16x16 int4 matvec in Amaranth) with Yosys synth_ecp5 and nextpnr-ecp5;
    report LUT4s, flip-flops and Fmax, LUT4 per weight, and the projected tokens/s."""
    from fabric.geometry import FabricShape
    from fabric.synth import SynthError, SynthOptions
    from lutgrid.synth_run import run_synth

    FabricShape(args.width, args.height, args.spares)  # bad sizes fail before any tool runs
    try:
        opts = SynthOptions(args.device, args.package, args.speed, args.freq, args.seed)
        run_synth(args.width, args.height, args.spares, anchor=not args.no_anchor,
                  options=opts, use_cache=not args.no_cache, keep=args.keep, say=_say)
    except SynthError as exc:
        raise CLIError(str(exc)) from exc
    return 0


# ----------------------------------------------------------------------------- demo

def cmd_demo(args: argparse.Namespace) -> int:
    """The tour: fabric Verilog, a hand-placed adder and a compiled program, each
    streamed one token per cycle in numpy and Verilator, with and without defects."""
    from lutgrid.demo import run_demo

    return run_demo(Path(args.out), tokens=args.tokens, seed=args.seed, rtl=not args.no_rtl)


# ----------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lutgrid`` command."""
    p = argparse.ArgumentParser(
        prog="lutgrid",
        description="A grid of clocked LUT cells: generate it, compile integer programs "
                    "onto it, and prove in simulation that it streams one token per cycle.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="generate, compile, stream and check built-in examples",
                       description=cmd_demo.__doc__)
    d.add_argument("--out", default="lutgrid-demo", help="output folder (default %(default)s)")
    d.add_argument("--tokens", type=int, default=300, help="tokens per stream (default 300)")
    d.add_argument("--seed", type=int, default=1, help="seed of tokens and defect maps")
    d.add_argument("--no-rtl", action="store_true", help="skip the Verilator runs")
    d.set_defaults(func=cmd_demo)

    v = sub.add_parser("verilog", help="write the programmable fabric as Verilog",
                       description=cmd_verilog.__doc__)
    v.add_argument("--width", type=int, required=True, help="logical columns W")
    v.add_argument("--height", type=int, required=True, help="rows H")
    v.add_argument("--spares", type=int, default=1, help="spare columns S (default 1)")
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
                       "compiler.netlist.Netlist.")
    c.add_argument("source", nargs="?", help="FILE.py[:FUNCTION]")
    c.add_argument("--example", help="a built-in example instead (see compiler/examples.py)")
    c.add_argument("-o", "--output", help="bitstream file (default NAME.lgb)")
    c.add_argument("--width", type=int, help="fabric width (default: sized automatically)")
    c.add_argument("--height", type=int, help="fabric height")
    c.add_argument("--seed", type=int, default=0, help="placement/routing seed (default 0)")
    c.add_argument("--check", type=int, default=300, metavar="TOKENS",
                   help="stream this many random tokens in numpy and check (0: skip)")
    c.add_argument("--report", help="write the text report here")
    c.add_argument("--png", help="write a heat map of the grid here")
    c.add_argument("--no-macros", action="store_true",
                   help="use general place and route even where a macro fits")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="also print every router iteration (registers still shared)")
    c.set_defaults(func=cmd_compile)

    r = sub.add_parser("run", help="stream random tokens through a bitstream",
                       description=cmd_run.__doc__)
    r.add_argument("bitstream")
    r.add_argument("--tokens", type=int, default=300)
    r.add_argument("--rtl", action="store_true", help="also run in Verilator and compare")
    r.add_argument("--defects", action="store_true",
                   help="also run on a random tolerable defect map and compare")
    r.add_argument("--engine", choices=("auto", "fast", "cycle"), default="auto",
                   help="first run: fast = the extracted netlist (sim/fastsim.py, "
                        "feed-forward programs), cycle = the cycle-accurate numpy "
                        "simulator, auto = fast where it applies (default)")
    r.add_argument("--spares", type=int, default=1, help="spare columns (default 1)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--show", type=int, default=8, help="tokens to print (default 8)")
    r.set_defaults(func=cmd_run)

    y = sub.add_parser("yield", help="defect yield: closed form, Monte Carlo, fabric check",
                       description=cmd_yield.__doc__)
    y.add_argument("--width", type=int, required=True, help="logical columns W")
    y.add_argument("--height", type=int, required=True, help="rows H")
    y.add_argument("--spares", type=int, required=True, help="spare columns S")
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
    y.add_argument("--tokens", type=int, default=200, help="tokens per checked map")
    y.add_argument("--png", help="also sweep p for S = 0,1,2,4 at 64x64 and 1024x1024 "
                                 "and plot survival here")
    y.add_argument("--sweep-trials", type=int, default=2000,
                   help="Monte Carlo chips per point of that sweep (default %(default)s)")
    y.add_argument("--scheduler", metavar="ADDR",
                   help="address of a running Dask scheduler (default: a local cluster)")
    y.add_argument("--workers", type=int, help="local Dask worker processes (default: cores)")
    y.set_defaults(func=cmd_yield)

    sy = sub.add_parser("synth", help="synthesise the fabric and the FPGA anchor (ECP5)",
                        description=cmd_synth.__doc__)
    sy.add_argument("--width", type=int, default=4, help="fabric columns (default 4)")
    sy.add_argument("--height", type=int, default=4, help="fabric rows (default 4)")
    sy.add_argument("--spares", type=int, default=1, help="spare columns (default 1)")
    sy.add_argument("--device", default="25k", help="ECP5 device: 12k, 25k, 45k, 85k "
                                                   "(default 25k)")
    sy.add_argument("--package", default="CABGA256", help="package (default CABGA256)")
    sy.add_argument("--speed", type=int, default=6, help="speed grade 6, 7, 8 (default 6)")
    sy.add_argument("--freq", type=float, default=100.0, help="target clock, MHz (default 100)")
    sy.add_argument("--seed", type=int, default=1, help="nextpnr placer seed (default 1)")
    sy.add_argument("--no-anchor", action="store_true", help="skip the FPGA anchor")
    sy.add_argument("--no-cache", action="store_true",
                    help="run the tools even when a cached result exists")
    sy.add_argument("--keep", metavar="DIR",
                    help="leave the fabric's Verilog, netlist JSON and nextpnr log here")
    sy.set_defaults(func=cmd_synth)

    i = sub.add_parser("info", help="describe a bitstream file", description=cmd_info.__doc__)
    i.add_argument("bitstream")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lutgrid`` command; returns the exit status."""
    from fabric.bitstream import BitstreamError
    from fabric.defects import DefectError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, BitstreamError, DefectError, ValueError) as exc:
        print(f"lutgrid {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except AssertionError as exc:  # a simulation disagreed with the reference
        print(f"lutgrid {args.command}: CHECK FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
