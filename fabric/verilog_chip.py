"""Verilog of a chip of several fabrics (:mod:`fabric.chip`): every fabric's hardened
view (:mod:`fabric.verilog_hardened`, one module per distinct fabric) instantiated
once per fabric, wired by delay lines of flip-flops that time every bit exactly.

The top module is ``lutgrid_hardened`` with the ports of a ``1 x port_rows`` fabric
(:meth:`fabric.chip.ChipPlan.iomap`: token bits on ``west_in`` at offset 0, output bits
on ``east_out`` at the chip's latency; the other buses are 1 bit or unused), so the
stream harnesses of a hardened fabric run it unchanged. A synchronous ``rst`` clears
every register, the delay lines included (a line shows 0 until its source's first
cycle has passed through, as :mod:`sim.chip_sim` models). Each source has one line,
tapped at every delay a reader needs. Deterministic: the same plan gives the same
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from .chip import ChipPlan, Source, Wire
from .verilog_hardened import (
    HARDENED_MODULE,
    delay_line,
    fabric_ports,
    generate_hardened_verilog,
)

__all__ = ["ChipStats", "generate_chip_verilog"]


@dataclass(frozen=True)
class ChipStats:
    """What the chip's Verilog holds: fabrics, distinct fabric modules, LUT registers
    and delay flip-flops inside the fabrics, and the flip-flops of the lines between
    them (``balance_ffs``)."""

    fabrics: int
    modules: int
    luts: int
    fabric_delay_ffs: int
    balance_ffs: int

    @property
    def flip_flops(self) -> int:
        """Every register of the chip."""
        return self.luts + self.fabric_delay_ffs + self.balance_ffs

    def text(self) -> str:
        """One line for people."""
        return (f"{self.fabrics} fabrics ({self.modules} distinct), {self.luts} LUT "
                f"registers, {self.fabric_delay_ffs} delay flip-flops inside the fabrics, "
                f"{self.balance_ffs} flip-flops timing the wires between them")


#: the module name a fabric's text is generated under before it gets its own
_PLACEHOLDER = "lutgrid_fabric_module"


def _name(src: Source, ports: dict[str, list[int]]) -> str:
    """Verilog expression of a source at delay 0 (``ports``: the chip's token bits'
    ``west_in`` bits)."""
    if src[0] == "const":
        return f"1'b{src[1]}"
    if src[0] == "token":
        return f"west_in[{ports[src[1]][src[2]]}]"
    return f"p{src[1]}_{src[2]}[{src[3]}]"


def _line(src: Source, ports: dict[str, list[int]]) -> str:
    """Name of a source's delay line (bit ``d-1`` = the source ``d`` cycles earlier)."""
    if src[0] == "token":
        return f"dl_in{ports[src[1]][src[2]]}"
    return f"dl_p{src[1]}_{src[2]}_{src[3]}"


def generate_chip_verilog(plan: ChipPlan) -> tuple[str, ChipStats]:
    """The Verilog text of ``plan`` (module docstring) and what it holds. Raises what
    :func:`~fabric.verilog_hardened.generate_hardened_verilog` raises for a fabric."""
    rows = plan.port_rows
    ports = plan.input_ports()
    modules: dict[str, str] = {}         # a fabric's module text -> its module name
    counts: dict[str, tuple[int, int]] = {}   # module -> (LUT registers, delay FFs)
    texts: list[str] = []
    names: list[str] = []
    for bs in plan.parts:
        assert bs.iomap is not None
        # fabrics whose hardened views are the same text (word names do not reach the
        # Verilog) share one module
        text, st = generate_hardened_verilog(bs.configs, bs.iomap, _PLACEHOLDER)
        if text not in modules:
            name = modules[text] = f"lutgrid_fabric{len(modules)}"
            texts.append(text.replace(f"module {_PLACEHOLDER} (", f"module {name} (", 1))
            counts[name] = (st.luts, st.delay_ffs)
        names.append(modules[text])
    luts = sum(counts[n][0] for n in names)
    ffs = sum(counts[n][1] for n in names)

    depths = plan.line_depths()
    order = sorted(depths, key=lambda s: (s[0], str(s[1:])))

    def tap(wire: Wire) -> str:
        if wire.delay == 0 or wire.source[0] == "const":
            return _name(wire.source, ports)
        return f"{_line(wire.source, ports)}[{wire.delay - 1}]"

    decl: list[str] = []
    reset: list[str] = []
    update: list[str] = []
    for src in order:
        d, r, u = delay_line(_line(src, ports), depths[src], _name(src, ports))
        decl.append(d)
        reset.append(r)
        update.append(u)
    inst: list[str] = []
    for k, (bs, wiring) in enumerate(zip(plan.parts, plan.part_inputs, strict=True)):
        h, w = bs.configs.shape
        conns = ["        .clk(clk)", "        .rst(rst)"]
        for bus in INPUT_BUSES:
            n = bus_width(bus, w, h)
            bits = [tap(wiring[(bus, i)]) if (bus, i) in wiring else "1'b0"
                    for i in reversed(range(n))]
            inst.append(f"    wire [{n - 1}:0] p{k}_{bus} = "
                        + (f"{{{', '.join(bits)}}};" if n > 1 else f"{bits[0]};"))
            conns.append(f"        .{bus}(p{k}_{bus})")
        for bus in OUTPUT_BUSES:
            inst.append(f"    wire [{bus_width(bus, w, h) - 1}:0] p{k}_{bus};")
            conns.append(f"        .{bus}(p{k}_{bus})")
        inst.append(f"    {names[k]} u{k} (\n" + ",\n".join(conns) + "\n    );")
    out_bits = ["1'b0"] * rows
    for word, wires in plan.outputs.items():
        for wire, col in zip(wires, plan.output_ports()[word], strict=True):
            out_bits[col] = tap(wire)
    assigns = [f"    assign east_out = {{{', '.join(reversed(out_bits))}}};" if rows > 1
               else f"    assign east_out = {out_bits[0]};"]
    for bus in ("west_out", "north_out", "south_out"):
        assigns.append(f"    assign {bus} = {bus_width(bus, 1, rows)}'d0;")
    stats = ChipStats(len(plan.parts), len(modules), luts, ffs, plan.balance_flip_flops)
    body = [
        f"// lutgrid chip: {stats.text()};",
        f"// token bits on west_in, outputs on east_out {plan.latency} cycles later.",
        "// Generated; do not edit. Same plan, same bytes.",
        f"module {HARDENED_MODULE} (",
        *fabric_ports(1, rows),
        ");",
        *decl,
        *inst,
    ]
    if decl:
        body += ["    always @(posedge clk) begin", "        if (rst) begin", *reset,
                 "        end else begin", *update, "        end", "    end"]
    body += [*assigns, "endmodule", ""]
    return "\n".join(texts + body), stats
