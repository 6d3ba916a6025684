"""The physical lutgrid fabric in Amaranth (ARCHITECTURE.md §3, DESIGN.md §4).

Two pieces:

* :class:`Tile` — one physical cell plus its share of the router: the four
  one-hot input multiplexers, the configuration-chain multiplexer, its
  defect-chain bit, the row chains that compute the router from the defect
  map, and the select registers. The tile does not know where it sits; it is
  the one module that :mod:`fabric.verilog` emits once and instantiates
  (W + S)·H times.
* :class:`Fabric` — the top level ``lutgrid_fabric``: (W + S)·H tiles, the
  eight logical edge buses, the defect and configuration chains, the edge
  output multiplexers. With ``tile_instances=True`` the tiles are Amaranth
  ``Instance``\\ s of the module :data:`TILE_MODULE` (for Verilog); otherwise
  they are real submodules (for Amaranth simulation of small fabrics).

Router (all computed in hardware from the defect map ``d``)
-----------------------------------------------------------
Per row, with S spares, a cell is *excluded* (``e``) when it is defective or is
one of the working cells east of the one holding logical column W−1 (a row with
T < S defects has S−T such unused cells at its east end). Row chains, each a
one-hot code of a value 0..S+1 (``C = S + 2`` bits, saturating at S+1; one-hot
keeps every operation bitwise, so the Verilog lints clean and is cheap):

* ``c``  (west → east): defective cells west of the tile. A used cell at
  physical column p holds logical column ``x = p − c``.
* ``b``  (east → west): unused-cell budget; enters the east end as
  ``max(S − T, 0)`` (T = the row's ``c`` at the east end); a working cell that
  finds ``b > 0`` is unused and passes ``b − 1`` on.
* ``rw`` (west → east): run of defective cells immediately west of the tile.
* ``re`` (east → west): run of excluded cells immediately east of the tile.

Selects (one-hot registers, loaded from those chains in every cycle that
follows a ``defect_en`` cycle; the last load is at the end of the protocol's
idle cycle, when the defect map is complete):

* ``sel_w[k]`` = (rw == k): ``in_w`` and the configuration chain come from the
  cell k+1 columns west, or from ``west_in[y]`` / ``cfg_in[y]`` past the edge.
* ``sel_e[k]`` = (re == k): ``in_e`` from the cell k+1 columns east, or from
  ``east_in[y]`` past the edge (this is how the cell of logical column W−1
  gets the edge input even when unused working cells follow it).
* ``sel_n[j]``, ``sel_s[j]`` (offset o = j − S, −S..+S): the cell (p+o, y∓1)
  is not excluded and holds the same logical column, i.e. its ``c`` equals
  ``c + o``. Row −1 (resp. H) is a virtual defect-free row whose cell q < W
  is ``north_in[q]`` (``south_in[q]``).

Edge outputs (select registers in the top, loaded the same way): logical
column x of a row is the physical cell p = x + o (o in 0..S) that is not
excluded and has ``c == o``; ``west_out[y]`` / ``east_out[y]`` read logical
columns 0 / W−1 of row y, ``north_out[x]`` / ``south_out[x]`` logical column x
of rows 0 / H−1.

A row with more than S defects leaves the router in some defined but useless
state; software refuses such maps (:mod:`fabric.defects`).

Per cycle (after loading) the data path is therefore: four AND/OR-reduce
multiplexers, the LUT read, the output registers. The chains and compares
only feed the select registers. (Verilator still evaluates them every cycle;
gating them with ``sel_latch`` was measured and gained nothing.)
"""

from __future__ import annotations

from amaranth.hdl import (
    Cat,
    ClockSignal,
    Const,
    Instance,
    Module,
    Mux,
    ResetSignal,
    Signal,
    Value,
)
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from cells.cell import Cell

from .arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from .geometry import FabricShape

__all__ = ["Fabric", "Tile", "TILE_MODULE", "FABRIC_MODULE", "chain_bits"]

#: Verilog module name of the tile (emitted once, instantiated (W+S)·H times).
TILE_MODULE = "lutgrid_tile"
#: Verilog module name of the top level.
FABRIC_MODULE = "lutgrid_fabric"


def chain_bits(spares: int) -> int:
    """Bits of a router row-chain value: one-hot over 0..S+1 (saturating), S + 2."""
    return spares + 2


def onehot(value: int, spares: int) -> int:
    """The one-hot chain code of ``value`` (0..S+1) as an integer."""
    if not 0 <= value <= spares + 1:
        raise ValueError(f"chain value {value} is outside 0..{spares + 1}")
    return 1 << value


def _inc(code: Value, spares: int) -> Value:
    """Saturating increment of a one-hot chain code (wiring and one OR)."""
    top = spares + 1
    return Cat(Const(0, 1), code[:top - 1], code[top - 1] | code[top])


def _dec(code: Value, spares: int) -> Value:
    """Decrement of a one-hot chain code, 0 stays 0 (wiring and one OR)."""
    return Cat(code[0] | code[1], code[2:], Const(0, 1))


def _offset(code: Value, offset: int, spares: int) -> Value:
    """One-hot code of ``value + offset`` (no bit set when outside 0..S+1)."""
    width = spares + 2
    if offset >= 0:
        return Cat(Const(0, offset), code)[:width] if offset else code
    return Cat(code[-offset:], Const(0, -offset))


def _check_spares(spares: object) -> int:
    if isinstance(spares, bool) or not isinstance(spares, int):
        raise TypeError(f"spares must be an integer, not {spares!r}")
    if spares < 0:
        raise ValueError(f"spares must be >= 0, not {spares}")
    return spares


def _tile_signature(spares: int, fault_injection: bool) -> wiring.Signature:
    n = spares + 1           # west/east candidates
    v = 2 * spares + 1       # north/south candidates (offsets -S..+S)
    c = chain_bits(spares)
    members = {
        # data-path candidates (see Tile docstring for the order)
        "w_cand": In(n), "e_cand": In(n), "n_cand": In(v), "s_cand": In(v),
        "out_n": Out(1), "out_e": Out(1), "out_s": Out(1), "out_w": Out(1),
        # configuration chain
        "cfg_en": In(1), "cfg_cand": In(n), "cfg_out": Out(1),
        # defect chain
        "defect_en": In(1), "defect_in": In(1), "defect_out": Out(1),
        # router
        "sel_latch": In(1),
        "c_in": In(c), "c_out": Out(c),
        "rw_in": In(c), "rw_out": Out(c),
        "b_in": In(c), "b_out": Out(c),
        "re_in": In(c), "re_out": Out(c),
        "excluded": Out(1),
        "n_c": In(v * c), "n_x": In(v),
        "s_c": In(v * c), "s_x": In(v),
    }
    if fault_injection:
        members["noise"] = In(4)
    return wiring.Signature(members)


class Tile(wiring.Component):
    """One physical cell with its router share (see the module docstring).

    Candidate ports, bit k / j of each:

    * ``w_cand[k]``  (k = 0..S): ``out_e`` of the cell k+1 columns west, or
      ``west_in[y]`` when that is past the west edge; ``cfg_cand[k]`` likewise
      its ``cfg_out`` or ``cfg_in[y]``.
    * ``e_cand[k]``: ``out_w`` of the cell k+1 columns east, or ``east_in[y]``.
    * ``n_cand[j]`` (o = j − S): ``out_s`` of cell (p+o, y−1); in row 0
      ``north_in[p+o]`` when 0 <= p+o < W, else 0. ``s_cand`` mirrors it.
    * ``n_c[j*C:(j+1)*C]`` / ``n_x[j]``: that cell's ``c_in`` / ``excluded``
      (row −1: c = 0, excluded unless 0 <= p+o < W; positions outside the
      grid: excluded).

    Row chains: ``c_in``/``rw_in`` come from the west neighbour's
    ``c_out``/``rw_out`` (0 at the west edge); ``b_in``/``re_in`` from the east
    neighbour's ``b_out``/``re_out`` (at the east edge: the budget
    ``max(S − T, 0)`` and 0). ``defect_in`` from the west neighbour's
    ``defect_out`` (the row's ``defect_in[y]`` at the west edge).
    ``sel_latch`` loads the select registers. ``noise`` (fault injection only)
    is what the output registers load while the tile's defect bit is set.
    """

    def __init__(self, spares: int = 1, *, fault_injection: bool = False) -> None:
        try:
            self.spares = _check_spares(spares)
            if not isinstance(fault_injection, bool):
                raise TypeError(f"fault_injection must be a bool, not {fault_injection!r}")
        except (TypeError, ValueError):
            self._MustUse__silence = True    # refused: no "created but never used" warning
            raise
        self.fault_injection = fault_injection
        super().__init__(_tile_signature(self.spares, fault_injection))

    def elaborate(self, platform) -> Module:  # noqa: D102 (Amaranth protocol)
        m = Module()
        s = self.spares
        v = 2 * s + 1
        cw = chain_bits(s)
        zero = Const(onehot(0, s), cw)

        # -- defect chain bit (not reset) --------------------------------
        defect = Signal(reset_less=True)
        with m.If(self.defect_en):
            m.d.sync += defect.eq(self.defect_in)
        m.d.comb += self.defect_out.eq(defect)

        # -- row chains (combinational, one-hot; only read when selects latch)
        unused = Signal()
        chains = [
            self.c_out.eq(Mux(defect, _inc(self.c_in, s), self.c_in)),
            self.rw_out.eq(Mux(defect, _inc(self.rw_in, s), zero)),
            unused.eq(~defect & ~self.b_in[0]),
            self.b_out.eq(Mux(unused, _dec(self.b_in, s), self.b_in)),
            self.excluded.eq(defect | unused),
            self.re_out.eq(Mux(self.excluded, _inc(self.re_in, s), zero)),
        ]
        m.d.comb += chains

        # -- select registers (one-hot), loaded when sel_latch is high -----
        sel_w = Signal(s + 1, reset_less=True)
        sel_e = Signal(s + 1, reset_less=True)
        sel_n = Signal(v, reset_less=True)
        sel_s = Signal(v, reset_less=True)
        next_n = []
        next_s = []
        for j in range(v):
            # the candidate at offset o = j - S holds our logical column when it is
            # not excluded and its c equals our c + o
            target = _offset(self.c_in, j - s, s)
            for cand_c, cand_x, nexts in ((self.n_c, self.n_x, next_n),
                                          (self.s_c, self.s_x, next_s)):
                nexts.append(~cand_x[j] & (cand_c[j * cw:(j + 1) * cw] & target).any())
        with m.If(self.sel_latch):
            m.d.sync += [
                sel_w.eq(self.rw_in[:s + 1]),
                sel_e.eq(self.re_in[:s + 1]),
                sel_n.eq(Cat(*next_n)),
                sel_s.eq(Cat(*next_s)),
            ]

        # -- the cell and its input multiplexers ---------------------------
        cell = Cell(fault_injection=self.fault_injection)
        m.submodules.cell = cell
        m.d.comb += [
            cell.in_w.eq((sel_w & self.w_cand).any()),
            cell.in_e.eq((sel_e & self.e_cand).any()),
            cell.in_n.eq((sel_n & self.n_cand).any()),
            cell.in_s.eq((sel_s & self.s_cand).any()),
            cell.cfg_in.eq((sel_w & self.cfg_cand).any()),
            cell.cfg_en.eq(self.cfg_en),
            self.cfg_out.eq(cell.cfg_out),
            self.out_n.eq(cell.out_n),
            self.out_e.eq(cell.out_e),
            self.out_s.eq(cell.out_s),
            self.out_w.eq(cell.out_w),
        ]
        if self.fault_injection:
            m.d.comb += [cell.fault.eq(defect), cell.noise.eq(self.noise)]
        return m


#: Amaranth (and hence Verilog) ports are limited to 65,535 bits.
MAX_PORT_BITS = 65535

_TILE_OUTPUTS = ("out_n", "out_e", "out_s", "out_w", "cfg_out", "defect_out",
                 "c_out", "rw_out", "b_out", "re_out", "excluded")


def fabric_signature(shape: FabricShape, fault_injection: bool) -> wiring.Signature:
    """The top-level ports of ARCHITECTURE.md §3 (``clk``/``rst`` come from the
    ``sync`` domain)."""
    w, h = shape.width, shape.height
    members: dict[str, wiring.Member] = {}
    members.update({b: In(bus_width(b, w, h)) for b in INPUT_BUSES})
    members.update({b: Out(bus_width(b, w, h)) for b in OUTPUT_BUSES})
    members.update({
        "defect_en": In(1), "defect_in": In(h),
        "cfg_en": In(1), "cfg_in": In(h),
    })
    if fault_injection:
        members["noise"] = In(shape.noise_bits)
    return wiring.Signature(members)


class Fabric(wiring.Component):
    """The physical fabric ``lutgrid_fabric`` of ARCHITECTURE.md §3.

    ``shape`` gives W, H and S; ``fault_injection`` adds the ``noise`` port
    (4·(W+S)·H bits; bit ``4*(y*(W+S)+p)+d`` feeds output register d of
    physical cell (p, y) while that cell is marked defective). With
    ``tile_instances=True`` (what :mod:`fabric.verilog` uses) every tile is an
    ``Instance`` of the Verilog module :data:`TILE_MODULE`, which must be
    supplied alongside (``Tile(spares, fault_injection=...)``); with ``False``
    the tiles are Amaranth submodules, so the fabric can be simulated in
    Amaranth (small shapes only: one module per tile).

    Raises ``TypeError`` for a ``shape`` that is not a :class:`FabricShape` or a
    non-bool flag, ``ValueError`` when the ``noise`` port would exceed
    Amaranth's 65,535-bit port limit.
    """

    def __init__(self, shape: FabricShape, *, fault_injection: bool = False,
                 tile_instances: bool = False) -> None:
        try:
            self._check_args(shape, fault_injection, tile_instances)
        except (TypeError, ValueError):
            self._MustUse__silence = True    # refused: no "created but never used" warning
            raise
        self.shape = shape
        self.fault_injection = fault_injection
        self.tile_instances = tile_instances
        super().__init__(fabric_signature(shape, fault_injection))

    @staticmethod
    def _check_args(shape: object, fault_injection: object, tile_instances: object) -> None:
        if not isinstance(shape, FabricShape):
            raise TypeError(f"shape must be a FabricShape, not {shape!r}")
        for name, flag in (("fault_injection", fault_injection),
                           ("tile_instances", tile_instances)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, not {flag!r}")
        if fault_injection and shape.noise_bits > MAX_PORT_BITS:
            raise ValueError(
                f"fault injection on a {shape.physical_width}x{shape.height} physical grid "
                f"needs a {shape.noise_bits}-bit noise port; Amaranth ports are limited to "
                f"{MAX_PORT_BITS} bits (at most {MAX_PORT_BITS // 4} physical cells)")

    def elaborate(self, platform) -> Module:  # noqa: D102 (Amaranth protocol)
        m = Module()
        shape = self.shape
        w, h, s = shape.width, shape.height, shape.spares
        pw = shape.physical_width
        cw = chain_bits(s)
        zero = Const(onehot(0, s), cw)

        # Output signals of every tile, indexed [y][p][name].
        outs: list[list[dict[str, Value]]] = []
        tiles: list[list[Tile | None]] = []
        for y in range(h):
            row_outs: list[dict[str, Value]] = []
            row_tiles: list[Tile | None] = []
            for p in range(pw):
                if self.tile_instances:
                    sigs: dict[str, Value] = {}
                    for name in _TILE_OUTPUTS:
                        width = cw if name in ("c_out", "rw_out", "b_out", "re_out") else 1
                        sigs[name] = Signal(width, name=f"t{p}_{y}_{name}")
                    row_outs.append(sigs)
                    row_tiles.append(None)
                else:
                    tile = Tile(s, fault_injection=self.fault_injection)
                    m.submodules[f"tile_x{p}_y{y}"] = tile
                    row_outs.append({name: getattr(tile, name) for name in _TILE_OUTPUTS})
                    row_tiles.append(tile)
            outs.append(row_outs)
            tiles.append(row_tiles)

        # Selects load in every cycle that follows a defect_en cycle: the last
        # such cycle is the protocol's idle cycle (step 2), when the defect map
        # is complete. A register, so that no top-level input fans out
        # combinationally into the router (Verilator re-evaluates all logic
        # downstream of an input whenever an input changes).
        sel_latch = Signal(reset_less=True)
        m.d.sync += sel_latch.eq(self.defect_en)

        def c_in(p: int, y: int) -> Value:
            return zero if p == 0 else outs[y][p - 1]["c_out"]

        def budget(y: int) -> Value:
            # max(S - T, 0) one-hot, T = defects in the row (saturated at S+1)
            c_end = outs[y][pw - 1]["c_out"]
            bits = [c_end[s] | c_end[s + 1]] + [c_end[s - k] for k in range(1, s + 1)]
            return Cat(*bits, Const(0, 1))

        def vertical(p: int, y: int, ny: int, edge_in: Value, out_name: str):
            """(cand, c, excluded) for the row ny = y ± 1 (virtual beyond the grid)."""
            cand, cs, xs = [], [], []
            for j in range(2 * s + 1):
                q = p + j - s
                if 0 <= ny < h:
                    inside = 0 <= q < pw
                    cand.append(outs[ny][q][out_name] if inside else Const(0, 1))
                    cs.append(c_in(q, ny) if inside else zero)
                    xs.append(outs[ny][q]["excluded"] if inside else Const(1, 1))
                else:
                    inside = 0 <= q < w
                    cand.append(edge_in[q] if inside else Const(0, 1))
                    cs.append(zero)
                    xs.append(Const(0 if inside else 1, 1))
            return Cat(*cand), Cat(*cs), Cat(*xs)

        for y in range(h):
            for p in range(pw):
                o = outs[y]
                west = [(p - 1 - k) for k in range(s + 1)]
                east = [(p + 1 + k) for k in range(s + 1)]
                n_cand, n_c, n_x = vertical(p, y, y - 1, self.north_in, "out_s")
                s_cand, s_c, s_x = vertical(p, y, y + 1, self.south_in, "out_n")
                inputs: dict[str, Value] = {
                    "w_cand": Cat(*(o[q]["out_e"] if q >= 0 else self.west_in[y]
                                    for q in west)),
                    "e_cand": Cat(*(o[q]["out_w"] if q < pw else self.east_in[y]
                                    for q in east)),
                    "cfg_cand": Cat(*(o[q]["cfg_out"] if q >= 0 else self.cfg_in[y]
                                      for q in west)),
                    "n_cand": n_cand, "s_cand": s_cand,
                    "n_c": n_c, "n_x": n_x, "s_c": s_c, "s_x": s_x,
                    "cfg_en": self.cfg_en,
                    "defect_en": self.defect_en,
                    "defect_in": o[p - 1]["defect_out"] if p else self.defect_in[y],
                    "sel_latch": sel_latch,
                    "c_in": c_in(p, y),
                    "rw_in": o[p - 1]["rw_out"] if p else zero,
                    "b_in": o[p + 1]["b_out"] if p + 1 < pw else budget(y),
                    "re_in": o[p + 1]["re_out"] if p + 1 < pw else zero,
                }
                if self.fault_injection:
                    base = 4 * (y * pw + p)
                    inputs["noise"] = self.noise[base:base + 4]
                tile = tiles[y][p]
                if tile is None:
                    ports: dict[str, Value] = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
                    ports.update({f"i_{k}": val for k, val in inputs.items()})
                    ports.update({f"o_{k}": val for k, val in o[p].items()})
                    m.submodules[f"tile_x{p}_y{y}"] = Instance(TILE_MODULE, **ports)
                else:
                    m.d.comb += [getattr(tile, k).eq(val) for k, val in inputs.items()]

        # Edge outputs: logical column x of row y is physical x + o (o in 0..S)
        # with c == o and not excluded; one-hot select registers.
        def edge(x: int, y: int, out_name: str, port_bit: Value, label: str) -> None:
            hits, cands = [], []
            for off in range(s + 1):
                q = x + off
                hits.append(~outs[y][q]["excluded"] & c_in(q, y)[off])
                cands.append(outs[y][q][out_name])
            sel = Signal(s + 1, name=f"sel_{label}", reset_less=True)
            with m.If(sel_latch):
                m.d.sync += sel.eq(Cat(*hits))
            m.d.comb += port_bit.eq((sel & Cat(*cands)).any())

        for y in range(h):
            edge(0, y, "out_w", self.west_out[y], f"west{y}")
            edge(w - 1, y, "out_e", self.east_out[y], f"east{y}")
        for x in range(w):
            edge(x, 0, "out_n", self.north_out[x], f"north{x}")
            edge(x, h - 1, "out_s", self.south_out[x], f"south{x}")
        return m
