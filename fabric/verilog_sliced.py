"""Bit-sliced Verilog view of the fabric, for fast Verilator simulation.

:func:`generate_sliced_verilog` emits a module ``lutgrid_fabric`` with exactly the
ports, load protocol and cycle semantics of the tile netlist of
:mod:`fabric.verilog` (ARCHITECTURE.md §3, DESIGN.md §4): the same defect and
configuration chains, the same router (including the rule that the working
cells east of logical column W−1 are excluded like defective ones), the same
synchronous reset of the output registers only, and with ``fault_injection``
the same ``noise`` port (bit ``4*(y*(W+S)+p)+d`` is what defective physical cell
(p, y) loads into output register d every cycle).

**It is a simulation view, not the hardware.** The hardware stays the tile
netlist of :func:`fabric.verilog.generate_verilog`: one ``lutgrid_tile`` module
instantiated (W+S)·H times, which is what the issue asks for and what
``lutgrid verilog`` writes by default. This file describes the same registers
and the same next-state functions, written so that Verilator compiles them to
little code: Verilator gives every module instance its own straight-line C++
(about 30 KB of C++ per tile), so a 64×64 tile fabric becomes tens of MB of
C++ that take minutes to compile and run out of the instruction cache. Here
there are no instances: every per-cell quantity is one (W+S)·H-bit vector with
physical column p in bits ``[p*H +: H]`` (bit ``p*H + y`` is cell (p, y)), so
the whole grid advances with a few hundred wide bitwise operations per cycle:

* the configuration is 64 such vectors ``cfg0..cfg63`` (``cfgB`` holds bit B of
  every cell's configuration), shifted into each other on ``cfg_en``;
* the input multiplexers are AND/OR of the one-hot select vectors with fixed
  shifts of the output vectors (a column shift for west/east, a column shift
  ± one row for north/south), edge inputs filling what falls off the grid;
* each side's LUT read is a tree of 15 two-way multiplexers over the 16
  configuration vectors of that side, steered by the four input vectors;
* the router's row chains (one-hot codes, see :mod:`fabric.rtl`) run column by
  column over H-bit column vectors; they are computed only in the cycles where
  the select registers load (``sel_latch``), as temporaries inside the one
  clocked ``always`` block, which keeps them out of Verilator's per-cycle work.

The text is deterministic (same shape and flag, same bytes) and lints clean
with ``verilator --lint-only`` at Verilator's default warnings, with no
waivers. Co-simulation tests (``tests/sim/test_cosim_sliced.py``) check it bit
for bit against :class:`sim.numpy_sim.FabricSim`, with and without defects.
"""

from __future__ import annotations

from .arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from .geometry import FabricShape
from .rtl import FABRIC_MODULE, Fabric, chain_bits

__all__ = ["generate_sliced_verilog"]


class _Gen:
    """Builds the module text for one shape (see :func:`generate_sliced_verilog`)."""

    def __init__(self, shape: FabricShape, fault_injection: bool) -> None:
        self.w, self.h, self.s = shape.width, shape.height, shape.spares
        self.pw = shape.physical_width
        self.n = shape.physical_cells          # bits of a grid vector
        self.c = chain_bits(self.s)            # bits of a one-hot chain code
        self.fi = fault_injection
        self.decls: list[str] = []             # module-level declarations
        self.router: list[str] = []            # blocking statements under sel_latch
        self.data: list[str] = []              # blocking statements, every cycle
        self.zh = f"{self.h}'h0"               # an all-zero column
        self.ones = f"{{{self.h}{{1'b1}}}}"    # an all-one column

    # -- small helpers -------------------------------------------------------------
    def temp(self, section: list[str], name: str, width: int, expr: str) -> str:
        """Declare ``reg [width-1:0] name`` and assign ``expr`` to it (blocking) in
        ``section``; returns ``name``."""
        self.decls.append(f"  reg [{width - 1}:0] {name};")
        section.append(f"{name} = {expr};")
        return name

    def col(self, vec: str, p: int) -> str:
        """Column p (H bits) of grid vector ``vec``."""
        return f"{vec}[{p * self.h} +: {self.h}]"

    def cols(self, parts: list[str]) -> str:
        """Grid vector from its columns ``parts[p]`` (H-bit expressions)."""
        return "{" + ", ".join(reversed(parts)) + "}"

    @staticmethod
    def mux(sel: str, one: str, zero: str) -> str:
        """Bitwise ``sel ? one : zero``."""
        return f"(({sel} & {one}) | (~{sel} & {zero}))"

    def inc(self, code: list[str]) -> list[str]:
        """Saturating increment of a one-hot code given as C column expressions."""
        s = self.s
        return [self.zh, *code[:s], f"({code[s]} | {code[s + 1]})"]

    def dec(self, code: list[str]) -> list[str]:
        """Decrement of a one-hot code (0 stays 0)."""
        return [f"({code[0]} | {code[1]})", *code[2:], self.zh]

    def zero_code(self) -> list[str]:
        """The one-hot code of 0 in every row."""
        return [self.ones] + [self.zh] * (self.c - 1)

    # -- router ----------------------------------------------------------------------
    def build_router(self) -> dict[str, str]:
        """Row chains and the next values of every select register (by name)."""
        h, s, pw, c, w = self.h, self.s, self.pw, self.c, self.w
        r = self.router
        cin: list[list[str]] = []      # c entering column p (defects west of p)
        rwin: list[list[str]] = []     # rw entering column p (defect run west of p)
        cur, rw = self.zero_code(), self.zero_code()
        for p in range(pw):
            d = self.col("dfct", p)
            cin.append([self.temp(r, f"c{p}_{m}", h, cur[m]) for m in range(c)])
            rwin.append([self.temp(r, f"rw{p}_{m}", h, rw[m]) for m in range(c)])
            cur = [self.mux(d, a, b) for a, b in zip(self.inc(cin[p]), cin[p], strict=True)]
            rw = [self.mux(d, a, b)
                  for a, b in zip(self.inc(rwin[p]), self.zero_code(), strict=True)]
        cend = [self.temp(r, f"cend_{m}", h, cur[m]) for m in range(c)]
        # unused-cell budget max(S - T, 0) entering the east end (one-hot)
        bcur = ([f"({cend[s]} | {cend[s + 1]})"] + [cend[s - k] for k in range(1, s + 1)]
                + [self.zh])
        recur = self.zero_code()
        rein: list[list[str]] = [[] for _ in range(pw)]   # re entering column p
        excl: list[str] = [""] * pw                        # excluded cells of column p
        for p in reversed(range(pw)):
            d = self.col("dfct", p)
            bin_ = [self.temp(r, f"b{p}_{m}", h, bcur[m]) for m in range(c)]
            rein[p] = [self.temp(r, f"re{p}_{m}", h, recur[m]) for m in range(c)]
            unused = self.temp(r, f"unused{p}", h, f"~{d} & ~{bin_[0]}")
            excl[p] = self.temp(r, f"excl{p}", h, f"{d} | {unused}")
            bcur = [self.mux(unused, a, b) for a, b in zip(self.dec(bin_), bin_, strict=True)]
            recur = [self.mux(excl[p], a, b)
                     for a, b in zip(self.inc(rein[p]), self.zero_code(), strict=True)]

        nxt: dict[str, str] = {}
        for k in range(s + 1):
            nxt[f"selw{k}"] = self.cols([rwin[p][k] for p in range(pw)])
            nxt[f"sele{k}"] = self.cols([rein[p][k] for p in range(pw)])
        for j in range(2 * s + 1):
            o = j - s
            for name, up in (("seln", True), ("sels", False)):
                parts = []
                for p in range(pw):
                    q = p + o
                    if not 0 <= q < pw:
                        parts.append(self.zh)   # outside the grid: excluded
                        continue
                    # c and excluded of cell (q, y -/+ 1), moved to row y; the
                    # virtual row beyond the edge has c = 0, excluded unless q < W
                    virt_x = "1'b0" if q < w else "1'b1"
                    cc = [self._row_shift(cin[q][m], f"1'b{int(m == 0)}", up)
                          for m in range(c)]
                    cx = self._row_shift(excl[q], virt_x, up)
                    target = [cin[p][m - o] if 0 <= m - o < c else None for m in range(c)]
                    hits = [f"({cc[m]} & {target[m]})" for m in range(c)
                            if target[m] is not None]
                    parts.append(f"(~{cx} & ({' | '.join(hits)}))" if hits else self.zh)
                nxt[f"{name}{j}"] = self.cols(parts)
        for off in range(s + 1):
            def hit(q: int, row: int | None = None, off: int = off) -> str:
                if row is None:
                    return f"(~{excl[q]} & {cin[q][off]})"
                return f"(~{excl[q]}[{row}] & {cin[q][off]}[{row}])"

            nxt[f"swest{off}"] = hit(off)
            nxt[f"seast{off}"] = hit(w - 1 + off)
            nxt[f"snorth{off}"] = "{" + ", ".join(hit(x + off, 0)
                                                   for x in reversed(range(w))) + "}"
            nxt[f"ssouth{off}"] = "{" + ", ".join(hit(x + off, h - 1)
                                                   for x in reversed(range(w))) + "}"
        return nxt

    def _row_shift(self, column: str, edge: str, up: bool) -> str:
        """Column vector whose row y holds row y-1 (``up``) or y+1 of ``column``;
        the row that falls off the grid gets the 1-bit ``edge``."""
        h = self.h
        if h == 1:
            return edge
        if up:
            return f"{{{column}[{h - 2}:0], {edge}}}"
        return f"{{{edge}, {column}[{h - 1}:1]}}"

    # -- data path -------------------------------------------------------------------
    def west_cand(self, src: str, edge: str, k: int) -> str:
        """Grid vector: in column p, ``src`` of column p-1-k (``edge`` past the west
        edge)."""
        sh = k + 1
        if sh >= self.pw:
            return f"{{{self.pw}{{{edge}}}}}"
        return f"{{{src}[{self.n - sh * self.h - 1}:0], {{{sh}{{{edge}}}}}}}"

    def east_cand(self, src: str, edge: str, k: int) -> str:
        """Grid vector: in column p, ``src`` of column p+1+k (``edge`` past the east
        edge)."""
        sh = k + 1
        if sh >= self.pw:
            return f"{{{self.pw}{{{edge}}}}}"
        return f"{{{{{sh}{{{edge}}}}}, {src}[{self.n - 1}:{sh * self.h}]}}"

    def vert_cand(self, src: str, edge: str, o: int, up: bool) -> str:
        """Grid vector: at cell (p, y), ``src`` of cell (p+o, y-1) (``up``) or
        (p+o, y+1); in the edge row, ``edge[p+o]`` for 0 <= p+o < W, else 0."""
        h, n = self.h, self.n
        row = 0 if up else h - 1
        bits = []
        for p in reversed(range(self.pw)):
            q = p + o
            v = f"{edge}[{q}]" if 0 <= q < self.w else "1'b0"
            pieces = ([f"{h - 1 - row}'h0"] if h - 1 - row else []) + [v] + (
                [f"{row}'h0"] if row else [])
            bits.append("{" + ", ".join(pieces) + "}" if len(pieces) > 1 else v)
        edge_vec = "{" + ", ".join(bits) + "}"
        if h == 1:
            return edge_vec
        sh = o * h - 1 if up else o * h + 1        # bit i takes bit i + sh of src
        if abs(sh) >= n:
            return edge_vec
        shifted = src if sh == 0 else (f"({src} >> {sh})" if sh > 0 else f"({src} << {-sh})")
        mask = "ROW_FIRST" if up else "ROW_LAST"
        return f"(({shifted} & ~{mask}) | {edge_vec})"

    def build_data(self) -> tuple[list[str], list[str]]:
        """Every-cycle temporaries; returns (next output expressions per side,
        configuration-shift statements)."""
        s, n, d = self.s, self.n, self.data
        ins = {
            "inw": [f"(selw{k} & {self.west_cand('oute', 'west_in', k)})"
                    for k in range(s + 1)],
            "ine": [f"(sele{k} & {self.east_cand('outw', 'east_in', k)})"
                    for k in range(s + 1)],
            "inn": [f"(seln{j} & {self.vert_cand('outs', 'north_in', j - s, True)})"
                    for j in range(2 * s + 1)],
            "ins": [f"(sels{j} & {self.vert_cand('outn', 'south_in', j - s, False)})"
                    for j in range(2 * s + 1)],
        }
        for name, terms in ins.items():
            self.temp(d, name, n, " | ".join(terms))
        addr = ("inn", "ine", "ins", "inw")     # LUT address bits 0..3
        nexts = []
        for side in range(4):
            level = [f"cfg{16 * side + i}" for i in range(16)]
            for bit in range(4):
                level = [self.temp(d, f"m{side}_{bit}_{i}", n,
                                   f"{level[2 * i]} ^ ({addr[bit]} & "
                                   f"({level[2 * i + 1]} ^ {level[2 * i]}))")
                         for i in range(len(level) // 2)]
            lut = level[0]
            if self.fi:
                lut = self.mux("dfct", f"nz{side}", lut)
            nexts.append(lut)
        cfg_in = " | ".join(f"(selw{k} & {self.west_cand('cfg63', 'cfg_in', k)})"
                            for k in range(s + 1))
        shift = [f"cfg0 <= {cfg_in};"] + [f"cfg{b} <= cfg{b - 1};" for b in range(1, 64)]
        return nexts, shift


def generate_sliced_verilog(shape: FabricShape, fault_injection: bool = False) -> str:
    """Return the bit-sliced Verilog of ``lutgrid_fabric`` for ``shape``.

    Same ports, load protocol and semantics as
    :func:`fabric.verilog.generate_verilog` (see the module docstring); a
    simulation view of the same hardware, not a replacement for the tile
    netlist. Raises ``TypeError`` for a bad ``shape`` or flag and ``ValueError``
    when the ``noise`` port would exceed 65,535 bits (as the tile netlist).
    """
    Fabric._check_args(shape, fault_injection, False)
    g = _Gen(shape, fault_injection)
    w, h, s, pw, n = g.w, g.h, g.s, g.pw, g.n

    nxt = g.build_router()
    nexts, cfg_shift = g.build_data()

    lines = [
        f"// lutgrid fabric (bit-sliced simulation view): logical {w}x{h}, {s} spare "
        f"column(s), physical {pw}x{h}, fault_injection={int(fault_injection)}",
        "// Same ports, load protocol and cycle semantics as the tile netlist "
        "(fabric.verilog);",
        "// every per-cell quantity is one (W+S)*H-bit vector, column p = bits "
        "[p*H +: H]. The hardware is the tile netlist.",
        "",
    ]
    ports = ["clk", "rst", *INPUT_BUSES, *OUTPUT_BUSES, "defect_en", "defect_in", "cfg_en",
             "cfg_in"] + (["noise"] if fault_injection else [])
    lines.append(f"module {FABRIC_MODULE}({', '.join(ports)});")
    widths = {b: bus_width(b, w, h) for b in INPUT_BUSES + OUTPUT_BUSES}
    widths.update({"defect_in": h, "cfg_in": h, "noise": 4 * n})
    for port in ports:
        direction = "output" if port.endswith("_out") else "input"
        # every bus gets a range, even when 1 bit wide (it is bit-selected)
        rng = f"[{widths[port] - 1}:0] " if port in widths else ""
        lines.append(f"  {direction} {rng}{port};")
    # constant row masks (first / last row of every column)
    row_first = "{" + ", ".join([f"{h}'h1"] * pw) + "}"
    row_last = "{" + ", ".join([f"{h}'h{1 << (h - 1):x}"] * pw) + "}"
    lines.append(f"  localparam [{n - 1}:0] ROW_FIRST = {row_first};")
    lines.append(f"  localparam [{n - 1}:0] ROW_LAST = {row_last};")

    # state registers (initial value 0, as Amaranth's)
    def reg(name: str, width: int | None) -> None:
        rng = f"[{width - 1}:0] " if width else ""
        lines.append(f"  reg {rng}{name} = {width or 1}'h0;")

    reg("sel_latch", None)
    reg("dfct", n)
    for b in range(64):
        reg(f"cfg{b}", n)
    for side in "nesw":
        reg(f"out{side}", n)
    for name in nxt:
        if name.startswith("sel"):
            reg(name, n)
        else:
            reg(name, h if name.startswith(("swest", "seast")) else w)
    if fault_injection:
        # nz{d}: bit p*H + y = noise[4*(y*PW + p) + d]
        for side in range(4):
            bits = [f"noise[{4 * (y * pw + p) + side}]"
                    for p in reversed(range(pw)) for y in reversed(range(h))]
            lines.append(f"  wire [{n - 1}:0] nz{side} = {{{', '.join(bits)}}};")
    lines += g.decls

    # edge outputs (registered cell outputs through one-hot select registers)
    def colbit(vec: str, p: int, row: int) -> str:
        return f"{vec}[{p * h + row}]"

    lines.append("  assign west_out = " + " | ".join(
        f"(swest{o} & {g.col('outw', o)})" for o in range(s + 1)) + ";")
    lines.append("  assign east_out = " + " | ".join(
        f"(seast{o} & {g.col('oute', w - 1 + o)})" for o in range(s + 1)) + ";")
    for port, sel, vec, row in (("north_out", "snorth", "outn", 0),
                                ("south_out", "ssouth", "outs", h - 1)):
        terms = []
        for o in range(s + 1):
            picked = ", ".join(colbit(vec, x + o, row) for x in reversed(range(w)))
            terms.append(f"({sel}{o} & {{{picked}}})")
        lines.append(f"  assign {port} = " + " | ".join(terms) + ";")

    lines.append("  always @(posedge clk) begin")
    lines.append("    sel_latch <= defect_en;")
    shifted = "defect_in" if pw == 1 else f"{{dfct[{n - h - 1}:0], defect_in}}"
    lines.append(f"    if (defect_en) dfct <= {shifted};")
    lines += [f"    {st}" for st in g.data]
    lines.append("    if (sel_latch) begin")
    lines += [f"      {st}" for st in g.router]
    lines += [f"      {name} <= {expr};" for name, expr in nxt.items()]
    lines.append("    end")
    lines.append("    if (cfg_en) begin")
    lines += [f"      {st}" for st in cfg_shift]
    lines.append("    end")
    for side, expr in zip("nesw", nexts, strict=True):
        lines.append(f"    out{side} <= rst ? {n}'h0 : {expr};")
    lines.append("  end")
    lines.append("endmodule")
    return "\n".join(line for line in lines if line) + "\n"

