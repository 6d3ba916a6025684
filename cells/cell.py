"""The lutgrid cell as an Amaranth 0.5 ``lib.wiring`` component (DESIGN.md §1).

The semantics are those of :mod:`cells.truth` (``cell_next``): on every rising
edge of the ``sync`` clock, ``out_d <= cfg[16*d + a]`` with the LUT address
``a = in_n | in_e << 1 | in_s << 2 | in_w << 3`` (sides ``N=0, E=1, S=2, W=3``).

Contracts
---------
* The four outputs are registers of the ``sync`` domain; its (synchronous,
  active-high) reset clears them to 0.
* The 64-bit configuration is *not* reset. It is a shift register: in a cycle
  with ``cfg_en`` high the edge does ``cfg <= {cfg[62:0], cfg_in}``;
  ``cfg_out`` is ``cfg[63]`` (combinational view of the register), so cells
  chain ``cfg_out -> cfg_in`` and 64 enabled cycles move one configuration
  one cell along the chain. The first bit shifted in ends up in ``cfg[63]``.
* With ``fault_injection=True`` the cell has two more inputs, ``fault`` (1 bit)
  and ``noise`` (4 bits, bit ``d`` for side ``d``): while ``fault`` is high
  the output registers load ``noise`` instead of the LUT (a defective cell
  driving garbage). Reset still clears them.

Implementation note (speed): each output's LUT read is written as a right
shift of the whole 64-bit configuration by the 6-bit amount ``{d, a}`` kept
at 64 bits and then sliced (``(cfg >> {d,a})[0]``). Verilator compiles it to
one 64-bit shift and mask per output (an ``Array`` read becomes a 16-way
``case``, a mux tree 15 ternaries), and it lints clean because no expression
is truncated implicitly (``Value.bit_select`` would emit a 1-bit wide ``>>``
that Verilator flags WIDTHTRUNC). The other forms stay available through
``lut_style`` and are tested against the truth model too.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .truth import CONFIG_BITS, SIDES, TABLE_BITS

__all__ = ["Cell", "LUT_STYLES"]

#: LUT read forms that :class:`Cell` can emit (``"shift"`` is the default and the
#: one the fabric uses; the others exist for measurement and cross-checking).
LUT_STYLES: tuple[str, ...] = ("shift", "array", "muxtree")


def lut_read(cfg: Signal, addr, side: int, style: str = "shift"):
    """Return a 1-bit Amaranth value: bit ``16*side + addr`` of ``cfg``.

    ``cfg`` is the 64-bit configuration, ``addr`` a 4-bit value, ``side`` a
    constant 0..3. ``style`` selects the form of the generated logic (all
    are equivalent; see the module docstring).
    """
    if style == "shift":
        amount = Cat(addr, Const(side, 2))          # 6 bits: 16*side + addr
        shifted = Signal(CONFIG_BITS, name=f"lut_{SIDES[side].lower()}_shifted")
        return shifted, (cfg >> amount), shifted[0]
    if style == "array":
        table = Array(cfg[TABLE_BITS * side + i] for i in range(TABLE_BITS))
        return None, None, table[addr]
    if style == "muxtree":
        level = [cfg[TABLE_BITS * side + i] for i in range(TABLE_BITS)]
        for bit in range(4):
            level = [Mux(addr[bit], level[2 * i + 1], level[2 * i])
                     for i in range(len(level) // 2)]
        return None, None, level[0]
    raise ValueError(f"unknown LUT style {style!r}; expected one of {LUT_STYLES}")


class Cell(wiring.Component):
    """One lutgrid cell: four 1-bit inputs, four registered 1-bit outputs.

    Ports (all 1 bit unless noted): ``in_n, in_e, in_s, in_w`` (In),
    ``out_n, out_e, out_s, out_w`` (Out, registers cleared by reset),
    ``cfg_en`` (In, shift the configuration this cycle), ``cfg_in`` (In, chain
    input), ``cfg_out`` (Out, ``cfg[63]``); with ``fault_injection`` also
    ``fault`` (In) and ``noise`` (In, 4 bits). The configuration register is
    exposed as the attribute :attr:`cfg` (64 bits, not a port) for simulation.
    """

    def __init__(self, *, fault_injection: bool = False, lut_style: str = "shift") -> None:
        if not isinstance(fault_injection, bool):
            self._MustUse__silence = True    # refused: no "created but never used" warning
            raise TypeError(f"fault_injection must be a bool, not {fault_injection!r}")
        if lut_style not in LUT_STYLES:
            self._MustUse__silence = True
            raise ValueError(f"unknown LUT style {lut_style!r}; expected one of {LUT_STYLES}")
        self._fault_injection = fault_injection
        self._lut_style = lut_style
        members = {
            "in_n": In(1), "in_e": In(1), "in_s": In(1), "in_w": In(1),
            "out_n": Out(1), "out_e": Out(1), "out_s": Out(1), "out_w": Out(1),
            "cfg_en": In(1), "cfg_in": In(1), "cfg_out": Out(1),
        }
        if fault_injection:
            members["fault"] = In(1)
            members["noise"] = In(4)
        super().__init__(wiring.Signature(members))
        #: the 64-bit configuration register (not reset)
        self.cfg = Signal(CONFIG_BITS, reset_less=True)

    @property
    def fault_injection(self) -> bool:
        """Whether the cell has the ``fault``/``noise`` ports."""
        return self._fault_injection

    def elaborate(self, platform) -> Module:  # noqa: D102 (Amaranth protocol)
        m = Module()
        cfg = self.cfg
        with m.If(self.cfg_en):
            m.d.sync += cfg.eq(Cat(self.cfg_in, cfg[:CONFIG_BITS - 1]))
        m.d.comb += self.cfg_out.eq(cfg[CONFIG_BITS - 1])

        addr = Signal(4)
        m.d.comb += addr.eq(Cat(self.in_n, self.in_e, self.in_s, self.in_w))
        outs = (self.out_n, self.out_e, self.out_s, self.out_w)
        for side, out in enumerate(outs):
            wide, expr, bit = lut_read(cfg, addr, side, self._lut_style)
            if wide is not None:
                m.d.comb += wide.eq(expr)
            if self._fault_injection:
                bit = Mux(self.fault, self.noise[side], bit)
            m.d.sync += out.eq(bit)
        return m

