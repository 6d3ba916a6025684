"""Run every lutgrid benchmark and print its figures side by side.

    python bench/run.py            # everything (the 64x64 Verilator build takes minutes)
    python bench/run.py --quick    # the CI-sized subset, a few minutes on 2 cores
    python bench/run.py --only fabric,numpy_sim

Each benchmark module in ``bench/`` exposes ``run(quick: bool) -> list[Figure]`` where a
figure is ``(name, value, unit)``. Every figure is printed as one line
``FIGURE <name> <value> <unit>`` so that runs of different versions can be compared by
a script; ratios measured within one run are the figures to trust on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: name -> module in bench/; order is the order they run in.
BENCHMARKS: dict[str, str] = {
    "numpy_sim": "bench_numpy_sim",
    "fabric": "bench_fabric",
    "compiler": "bench_compiler",
    "linear_macro": "bench_linear_macro",
    "compose": "bench_compose",
    "fastsim": "bench_fastsim",
    "yield": "bench_yield",
    "synth": "bench_synth",
    "hardened": "bench_hardened",
    "corpus": "bench_corpus",
    "demo_lm": "bench_demo_lm",
    "scale": "bench_scale",
    "fuzz": "bench_fuzz",
    "cli": "bench_cli",
    "demo": "bench_demo",
}


def machine_line() -> str:
    """One line describing the machine the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; exit status 1 if any of them failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI-sized subset (skips the 64x64 Verilator build)")
    parser.add_argument("--only", default="",
                        help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    selected = [s for s in args.only.split(",") if s] or list(BENCHMARKS)
    unknown = [s for s in selected if s not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(BENCHMARKS)}")
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    print(machine_line(), flush=True)
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    figures: list[tuple[str, float, str]] = []
    failed: list[str] = []
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            got = module.run(quick=args.quick)
        except Exception as exc:  # report and go on: one broken bench must not hide the rest
            print(f"BENCHMARK FAILED {name}: {type(exc).__name__}: {exc}", flush=True)
            failed.append(name)
            continue
        figures.extend(got)
        print(f"({name} took {time.perf_counter() - start:.1f} s)", flush=True)
    print("\n=== figures ===")
    width = max((len(n) for n, _, _ in figures), default=10)
    for name, value, unit in figures:
        print(f"  {name:<{width}}  {value:>14.6g}  {unit}")
    print()
    for name, value, unit in figures:
        print(f"FIGURE {name} {value:.6g} {unit}")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
