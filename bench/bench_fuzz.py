"""Fuzz the file loader through the command: mangled bitstreams into ``lutgrid info``
and ``lutgrid run``.

Every input is an intact file (the hand-placed adder, a general-flow program with
extra feeds, a linear-macro program) damaged once by :func:`fabric.mangle.mangle`
(byte flips, truncations, insertions, header fields, re-sealed payload and JSON
damage), from a fixed seed. Each goes through both commands in-process. Figures:

* ``fuzz_inputs_tried``: damaged files tried (goal >= 10,000 in the full run);
* ``fuzz_tracebacks``: commands where an exception escaped or an internal error was
  reported (goal 0);
* ``fuzz_partial_outputs``: runs that left a file beside the input (goal 0);
* ``fuzz_refused_share``: share of files refused at load (the rest load and stream);
* ``fuzz_slowest_s``: the slowest single command (a hang would show here).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

SEED = 8


def _bases() -> list[bytes]:
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program
    from fabric.bitstream import Bitstream
    from fabric.examples import ripple_adder

    ex = ripple_adder(4)
    out = [Bitstream(ex.configs, ex.iomap).to_bytes()]
    for name in ("running_sum", "linear4x4"):
        out.append(compile_program(EXAMPLES[name](), name).bitstream.to_bytes())
    return out


def fuzz(n_inputs: int, seed: int = SEED, run_every: int = 1) -> dict[str, float]:
    """Try ``n_inputs`` damaged files through ``info``, and through ``run`` every file
    that loads plus every ``run_every``-th one; return the counts of the module doc."""
    from fabric.mangle import mangle
    from lutgrid.selfcheck import new_files, run_cli

    bases = _bases()
    rng = np.random.default_rng(seed)
    counts: Counter[str] = Counter()
    slowest = 0.0
    examples: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lutgrid-fuzz-") as tmp:
        path = Path(tmp) / "f.lgb"
        for i in range(n_inputs):
            kind, data = mangle(bases[i % len(bases)], rng)
            path.write_bytes(data)
            before = {path.name}
            got = None
            for argv in (["info", str(path)], ["run", str(path), "--tokens", "4", "--show", "1"]):
                if got is not None and got.status != 0 and i % run_every:
                    continue  # info refused it: run loads it through the same loader
                start = time.perf_counter()
                got = run_cli(argv)
                slowest = max(slowest, time.perf_counter() - start)
                if got.crashed:
                    counts["tracebacks"] += 1
                    if len(examples) < 5:
                        examples.append(f"{kind} {argv[0]}: {got.escaped or got.stderr.strip()}")
                if argv[0] == "info":
                    counts["refused"] += got.status != 0
            left = new_files(tmp, before)
            if left:
                counts["partial"] += 1
                for name in left:
                    (Path(tmp) / name).unlink()
    for line in examples:
        print(f"  traceback: {line}")
    return {"tried": n_inputs, "tracebacks": counts["tracebacks"],
            "partial": counts["partial"], "refused_share": counts["refused"] / n_inputs,
            "slowest_s": slowest}


def run(quick: bool) -> list[tuple[str, float, str]]:
    """Quick: 1,500 files (``run`` on every fifth refused one); full: 30,000 files
    through both commands."""
    n = 1_500 if quick else 30_000
    start = time.perf_counter()
    got = fuzz(n, run_every=5 if quick else 1)
    print(f"  {n} damaged files through lutgrid info and run in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return [("fuzz_inputs_tried", got["tried"], "files"),
            ("fuzz_tracebacks", got["tracebacks"], "commands"),
            ("fuzz_partial_outputs", got["partial"], "files"),
            ("fuzz_refused_share", got["refused_share"], "ratio"),
            ("fuzz_slowest_s", got["slowest_s"], "s")]
