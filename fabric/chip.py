"""A chip of several fabrics: compiled fabrics wired together with delay-matched lines.

A program compiled as a row of fabrics (:mod:`compiler.compose.pipeline`) runs on
hardware as one chip: every fabric streams one token per cycle, and every bit a fabric
reads comes from a token input of the chip, from an output bit of an earlier fabric, or
is a constant, through a line of ``delay`` flip-flops that makes it arrive exactly in
the cycle the reader's I/O map wants it (DESIGN §3: exact latency, nothing waits).
:class:`ChipPlan` is that wiring as data; the compiler makes it
(:func:`compiler.compose.chain.chip_plan`), :mod:`fabric.verilog_chip` writes it as
Verilog and :mod:`sim.chip_sim` simulates it cycle by cycle.

Timing: fabric ``k`` starts at cycle ``starts[k]``: its input port bit with I/O-map
offset ``o`` carries token ``n`` during cycle ``n + starts[k] + o``, and its output
port bit with offset ``o`` shows token ``n`` during cycle ``n + starts[k] + o``. The
chip's token inputs carry token ``n`` during cycle ``n``; its outputs show token ``n``
during cycle ``n + latency``. A :class:`Wire` of delay ``d`` shows during cycle ``c``
what its source showed during cycle ``c - d`` (0 before cycle 0, as after reset).

The chip has ports like a fabric of ``1 x port_rows`` cells (:meth:`ChipPlan.iomap`):
token input bits on ``west_in`` (offset 0), output bits on ``east_out`` (offset
``latency``), so the stream harnesses of single fabrics drive it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .arch import INPUT_BUSES, OUTPUT_BUSES, bus_width
from .bitstream import Bitstream
from .iomap import IOMap, PortBit

__all__ = ["ChipError", "ChipPlan", "Source", "Wire"]

#: A bit source: ``("token", word, bit)``, ``("part", k, bus, index)`` (an output bus
#: bit of fabric ``k``) or ``("const", 0 | 1)``.
Source = tuple


def _in_order(bits: dict[str, int]) -> dict[str, list[int]]:
    """Consecutive bus bits for words of ``bits[word]`` bits, words in name order."""
    out: dict[str, list[int]] = {}
    i = 0
    for word in sorted(bits):
        out[word] = list(range(i, i + bits[word]))
        i += bits[word]
    return out


class ChipError(ValueError):
    """A chip plan that is not well formed; the message names the fabric and bit."""


@dataclass(frozen=True)
class Wire:
    """``source`` seen ``delay`` cycles later (``delay`` flip-flops, >= 0)."""

    source: Source
    delay: int


@dataclass(frozen=True)
class ChipPlan:
    """Fabrics ``parts`` (each with its I/O map) started at cycles ``starts``; every
    input port bit ``(bus, index)`` a fabric reads is driven by ``part_inputs[k]``'s
    wire; ``inputs`` are the chip's token words and their widths (bits), ``outputs``
    its output words, bit by bit (least significant first), ``signed`` the words that
    are two's complement, ``widths`` the declared widths of output words wider than
    their bits (:class:`~fabric.iomap.IOMap`); ``latency`` in cycles (module
    docstring)."""

    parts: tuple[Bitstream, ...]
    starts: tuple[int, ...]
    part_inputs: tuple[dict[tuple[str, int], Wire], ...]
    inputs: dict[str, int]
    outputs: dict[str, tuple[Wire, ...]]
    latency: int
    signed: frozenset[str] = field(default_factory=frozenset)
    #: declared width of an output word wider than its bits (sign or zero extended)
    widths: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.parts)
        if not n or len(self.starts) != n or len(self.part_inputs) != n:
            raise ChipError(f"a chip needs one start and one input wiring per fabric "
                            f"(fabrics {n}, starts {len(self.starts)}, wirings "
                            f"{len(self.part_inputs)})")
        for k, (bs, wires) in enumerate(zip(self.parts, self.part_inputs, strict=True)):
            if bs.iomap is None:
                raise ChipError(f"fabric {k} has no I/O map")
            h, w = bs.configs.shape
            for (bus, index), wire in wires.items():
                where = f"fabric {k} input {bus}[{index}]"
                if bus not in INPUT_BUSES or not 0 <= index < bus_width(bus, w, h):
                    raise ChipError(f"{where}: not an input bit of its {w}x{h} fabric")
                self._check_wire(wire, where, k)
        for word, wires in self.outputs.items():
            for b, wire in enumerate(wires):
                self._check_wire(wire, f"output {word} bit {b}", n)
        unknown = sorted((set(self.signed) | set(self.widths)) - set(self.outputs))
        if unknown:
            raise ChipError(f"signed or widths name {unknown}, which are not output words")

    def _check_wire(self, wire: Wire, where: str, before: int) -> None:
        if wire.delay < 0:
            raise ChipError(f"{where}: delay {wire.delay} cycles (must be >= 0)")
        src = wire.source
        kind = src[0] if isinstance(src, tuple) and src else None
        size = {"token": 3, "part": 4, "const": 2}.get(kind)  # type: ignore[arg-type]
        if size is None or len(src) != size:
            raise ChipError(f"{where}: unknown source {src!r}")
        if kind == "token":
            if src[1] not in self.inputs or not 0 <= src[2] < self.inputs[src[1]]:
                raise ChipError(f"{where}: no token bit {src[1]}[{src[2]}]")
        elif kind == "part":
            if not 0 <= src[1] < before:
                raise ChipError(f"{where}: reads fabric {src[1]}, which is not an earlier "
                                f"fabric (the chip is feed-forward)")
            h, w = self.parts[src[1]].configs.shape
            if src[2] not in OUTPUT_BUSES or not 0 <= src[3] < bus_width(src[2], w, h):
                raise ChipError(f"{where}: reads {src[2]}[{src[3]}], not an output bit of "
                                f"fabric {src[1]} ({w}x{h})")
        elif src[1] not in (0, 1):
            raise ChipError(f"{where}: unknown source {src!r}")

    # ------------------------------------------------------------------ ports
    @property
    def port_rows(self) -> int:
        """Bits of the chip's ``west_in``/``east_out`` buses (at least 1)."""
        n_in = sum(self.inputs.values())
        n_out = sum(len(w) for w in self.outputs.values())
        return max(1, n_in, n_out)

    def input_ports(self) -> dict[str, list[int]]:
        """``west_in`` bit of every token bit, words in name order, bits ascending."""
        return _in_order(self.inputs)

    def output_ports(self) -> dict[str, list[int]]:
        """``east_out`` bit of every output bit, words in name order."""
        return _in_order({w: len(bits) for w, bits in self.outputs.items()})

    def iomap(self) -> IOMap:
        """The chip's I/O map as a ``1 x port_rows`` fabric's (module docstring), for the
        stream harnesses: its input words are raw token words (their signedness is the
        model's), and it is not a map one fabric of that size could have (its latency
        is the chip's, beyond :func:`~fabric.iomap.latency_limit` of ``1 x port_rows``
        cells), so it is never validated as one."""
        ins = {w: tuple(PortBit("west_in", i, 0) for i in bits)
               for w, bits in self.input_ports().items()}
        outs = {w: tuple(PortBit("east_out", i, self.latency) for i in bits)
                for w, bits in self.output_ports().items()}
        return IOMap(ins, outs, self.latency, self.signed, dict(self.widths))

    # ------------------------------------------------------------------ cost
    def line_depths(self) -> dict[Source, int]:
        """The longest delay each source is read at (a line of that many flip-flops,
        shared by every reader of the source; constants need none)."""
        depth: dict[Source, int] = {}
        wires = [w for ws in self.part_inputs for w in ws.values()]
        wires += [w for ws in self.outputs.values() for w in ws]
        for w in wires:
            if w.source[0] != "const" and w.delay > 0:
                depth[w.source] = max(depth.get(w.source, 0), w.delay)
        return depth

    @property
    def balance_flip_flops(self) -> int:
        """Flip-flops of every delay line between fabrics (what the exact timing costs
        beyond the fabrics; a cell holds four registers, so at least a quarter as many
        cells if they were built from cells)."""
        return sum(self.line_depths().values())
