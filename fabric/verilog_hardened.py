"""Hardened Verilog view: the fabric with one compiled program baked in.

:func:`generate_hardened_verilog` writes module ``lutgrid_hardened``: what a chip
hard-wired for one bitstream would be. There is no configuration chain, no defect
chain, no spare-column router and no LUT storage. It keeps only what the
program's output bits depend on, as the netlist :class:`fabric.extract.Extracted`
finds (the same one the fast simulator runs):

* every LUT register the outputs need, its truth table a ``localparam`` constant
  over just the inputs it depends on (``T12[{b, a}]``);
* every pass-through chain, as one delay line (a shift register of flip-flops)
  per signal, tapped at each depth a reader needs; readers of the same signal
  share its line;
* nothing for idle cells, for registers outside the outputs' cone, or for
  registers that are 0 on every cycle (they fold into their readers' tables).

**Ports and timing are the logical fabric's** (DESIGN §2): the same edge buses
(``west_in`` … ``south_out``, full width: inputs the program does not read are
ignored, outputs it does not map read 0), ``clk`` and a synchronous ``rst`` that
clears every register, like the fabric's reset of its output registers. So after
one reset cycle the view shows, on every mapped output bit and every cycle, what
the programmable fabric shows after its load protocol and reset (pipeline fill
included: a constant-1 register is 0 in the cycle after reset, as in the fabric).
The tests hold the two equal in Verilator.

The text is deterministic (the same bitstream gives the same bytes) and lints
clean with ``verilator --lint-only`` at Verilator's default warnings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from .extract import Extracted, PortBitKey
from .iomap import IOMap

__all__ = ["HARDENED_MODULE", "HardenedStats", "delay_line", "fabric_ports",
           "generate_hardened_verilog", "write_hardened_verilog"]

#: Name of the hardened view's top-level module.
HARDENED_MODULE = "lutgrid_hardened"


@dataclass(frozen=True)
class HardenedStats:
    """What the hardened view holds: LUT registers (``luts``), flip-flops of delay
    lines (``delay_ffs``), the registers of the outputs' cone in the programmable
    fabric they replace (``cone_registers``, cell sides), the edge input bits it reads
    and the output bits it drives."""

    luts: int
    delay_ffs: int
    cone_registers: int
    input_bits: int
    output_bits: int

    @property
    def flip_flops(self) -> int:
        """Every register of the view: LUT registers plus delay-line flip-flops."""
        return self.luts + self.delay_ffs

    def text(self) -> str:
        """One line for people."""
        return (f"{self.luts} LUT registers and {self.delay_ffs} delay flip-flops "
                f"(for {self.cone_registers} registers of the programmable fabric), "
                f"reading {self.input_bits} input bits, driving {self.output_bits} output "
                f"bits")


def fabric_ports(width: int, height: int) -> list[str]:
    """The port list of a module with the edge buses of a ``width`` x ``height`` fabric,
    a clock and a reset (one Verilog line each)."""
    ports = ["    input  wire clk,", "    input  wire rst,"]
    for bus in INPUT_BUSES:
        ports.append(f"    input  wire [{bus_width(bus, width, height) - 1}:0] {bus},")
    for bus in OUTPUT_BUSES:
        ports.append(f"    output wire [{bus_width(bus, width, height) - 1}:0] {bus},")
    ports[-1] = ports[-1].rstrip(",")
    return ports


def delay_line(name: str, depth: int, src: str) -> tuple[str, str, str]:
    """Declaration, reset and clocked update of a ``depth``-cycle delay line ``name``
    fed by expression ``src`` (bit ``k-1`` is ``src`` ``k`` cycles earlier)."""
    update = (f"            {name} <= {src};" if depth == 1 else
              f"            {name} <= {{{name}[{depth - 2}:0], {src}}};")
    return (f"    reg [{depth - 1}:0] {name};", f"            {name} <= {depth}'d0;", update)


def _signal_name(sig: object) -> str:
    """The Verilog expression of a signal at delay 0: an edge input bit or a node."""
    if isinstance(sig, int):
        return f"n{sig}"
    port, index = sig  # type: ignore[misc]
    return f"{port}[{index}]"


def _line_name(sig: object) -> str:
    """The name of a signal's delay line (bit k-1 = the signal k cycles earlier)."""
    if isinstance(sig, int):
        return f"d_n{sig}"
    port, index = sig  # type: ignore[misc]
    return f"d_{port}_{index}"


def _build(configs: npt.NDArray[np.uint64], iomap: IOMap, module: str = HARDENED_MODULE
           ) -> tuple[str, HardenedStats]:
    h, w = configs.shape
    outputs: list[PortBitKey] = sorted({(pb.port, pb.index) for bits in
                                        iomap.outputs.values() for pb in bits})
    net = Extracted(configs, outputs)

    # How far back each signal is read: a node input (sig, lag) reads sig lag-1 cycles
    # before the node's own register; an output port (sig, lag) reads it lag back.
    depth: dict[object, int] = {}
    for node in net.nodes:
        for sig, lag in node.inputs:
            depth[sig] = max(depth.get(sig, 0), lag - 1)
    for ref in net.outputs.values():
        if ref is not None:
            depth[ref[0]] = max(depth.get(ref[0], 0), ref[1])
    lines = {sig: k for sig, k in depth.items() if k > 0}
    # Deterministic order: edge inputs by (port, index), then nodes by index.
    line_order = sorted(lines, key=lambda s: (1, s, "") if isinstance(s, int)
                        else (0, 0, f"{s[0]}:{s[1]:06d}"))

    def tap(sig: object, back: int) -> str:
        return _signal_name(sig) if back == 0 else f"{_line_name(sig)}[{back - 1}]"

    decl: list[str] = []
    reset: list[str] = []
    update: list[str] = []
    for i, node in enumerate(net.nodes):
        k = len(node.inputs)
        decl.append(f"    reg n{i};")
        reset.append(f"            n{i} <= 1'b0;")
        if k == 0:  # a constant-1 register (0 only in the cycle after reset)
            update.append(f"            n{i} <= 1'b1;")
            continue
        decl.append(f"    localparam [{(1 << k) - 1}:0] T{i} = {1 << k}'h"
                    f"{node.table:0{max(1, (1 << k) // 4)}x};")
        args = [tap(sig, lag - 1) for sig, lag in node.inputs]
        index = args[0] if k == 1 else "{" + ", ".join(reversed(args)) + "}"
        update.append(f"            n{i} <= T{i}[{index}];")
    for sig in line_order:
        d, r, u = delay_line(_line_name(sig), lines[sig], _signal_name(sig))
        decl.append(d)
        reset.append(r)
        update.append(u)

    ports = fabric_ports(w, h)
    assigns = []
    for bus in OUTPUT_BUSES:
        bits = []
        for index in reversed(range(bus_width(bus, w, h))):
            ref = net.outputs.get((bus, index))
            bits.append("1'b0" if ref is None else tap(ref[0], ref[1]))
        assigns.append(f"    assign {bus} = {{{', '.join(bits)}}};" if len(bits) > 1
                       else f"    assign {bus} = {bits[0]};")
    delay_ffs = sum(lines.values())
    stats = HardenedStats(len(net.nodes), delay_ffs, net.stats.registers,
                          len(net.edge_inputs), len(outputs))
    text = "\n".join([
        f"// lutgrid hardened view: a {w}x{h} logical fabric with one program baked in",
        f"// (latency {iomap.latency} cycles). {stats.text()}.",
        "// Generated; do not edit. Same bitstream, same bytes.",
        f"module {module} (",
        *ports,
        ");",
        *decl,
        "    always @(posedge clk) begin",
        "        if (rst) begin",
        *reset,
        "        end else begin",
        *update,
        "        end",
        "    end",
        *assigns,
        "endmodule",
        "",
    ])
    return text, stats


def generate_hardened_verilog(configs: npt.ArrayLike, iomap: IOMap,
                              module: str = HARDENED_MODULE) -> tuple[str, HardenedStats]:
    """The hardened view of the program ``configs`` (logical ``uint64 (H, W)``) with
    I/O map ``iomap``: the Verilog text of module ``module`` (default
    :data:`HARDENED_MODULE`) and what it holds. Only the I/O map's output bits are
    driven (the others read 0).

    Raises ``ValueError`` for a malformed configuration array and
    :class:`fabric.extract.ExtractError` when an output depends on a feedback loop
    (a hardened view is built for feed-forward programs, which is what the compiler
    emits)."""
    cfg = np.asarray(configs)
    if cfg.ndim != 2 or cfg.dtype != np.uint64 or 0 in cfg.shape:
        raise ValueError(f"configs must be a non-empty uint64 (H, W) array, got "
                         f"{cfg.dtype} {cfg.shape}")
    if not iomap.outputs:
        raise ValueError("the I/O map names no outputs: a hardened view would be empty")
    iomap.validate(cfg.shape[1], cfg.shape[0])
    return _build(cfg, iomap, module)


def write_hardened_verilog(path: str | os.PathLike[str], configs: npt.ArrayLike,
                           iomap: IOMap) -> tuple[Path, HardenedStats]:
    """Write :func:`generate_hardened_verilog`'s text to ``path`` atomically (a
    temporary file renamed over it); returns the path and the view's figures."""
    from fabric.bitstream import atomic_write_bytes

    text, stats = generate_hardened_verilog(configs, iomap)
    target = Path(path)
    atomic_write_bytes(target, text.encode("utf-8"))
    return target, stats
