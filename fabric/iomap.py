"""The I/O map of a compiled program (DESIGN.md §3, docs/ARCHITECTURE.md §6).

It says, for every bit of every token word, which edge-bus bit carries it and at
which cycle offset, and the program's latency ``L``. Bit ``b`` of token ``n``'s word
is driven on (or read from) ``port[index]`` during cycle ``n + offset``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fabric.arch import BUS_SIDE, INPUT_BUSES, OUTPUT_BUSES, bus_width

#: Separator of an extra feed of a token word: input word ``"x@TAG"`` carries token word
#: ``x`` again, on other port bits (and usually at other offsets): ``x@1`` is the
#: opposite-parity feed of compiler/parity.py; a compiler may add more feeds so that
#: an input bit enters near each group of its readers. Streams give every feed the
#: values of ``x``.
FEED_SEPARATOR = "@"
#: The opposite-parity feed of a token word (``"x" + ALIAS``).
ALIAS = "@1"

#: the edge buses (named once, in :mod:`fabric.arch`)
INPUT_PORTS: tuple[str, ...] = INPUT_BUSES
OUTPUT_PORTS: tuple[str, ...] = OUTPUT_BUSES


class IOMapError(ValueError):
    """An I/O map that is malformed or does not fit its fabric."""


def base_word(word: str) -> str:
    """The token word that I/O-map word ``word`` carries (``"x@1"`` -> ``"x"``)."""
    return word.split(FEED_SEPARATOR, 1)[0]


def is_feed(word: str) -> bool:
    """True for an extra feed ``x@TAG`` of a token word."""
    return FEED_SEPARATOR in word


def port_width(port: str, width: int, height: int) -> int:
    """Number of bits of edge bus ``port`` on a ``width`` x ``height`` logical fabric."""
    if port not in BUS_SIDE:
        raise IOMapError(f"unknown edge port {port!r}")
    return bus_width(port, width, height)


@dataclass(frozen=True, order=True)
class PortBit:
    """One token bit on one edge-bus bit: ``port[index]`` during cycle ``n + offset``."""

    port: str
    index: int
    offset: int

    def to_json(self) -> list[Any]:
        """Compact JSON form ``[port, index, offset]``."""
        return [self.port, self.index, self.offset]


@dataclass(frozen=True)
class IOMap:
    """Where each token bit enters and leaves the fabric, and the latency in cycles.

    ``inputs`` and ``outputs`` map a token word name to its bits, least significant
    first. ``latency`` is the largest output offset (cycles from a token's first
    input cycle to its last output cycle); input offsets are >= 0 and the smallest
    is 0. ``signed`` names the output words to read as two's complement.
    """

    inputs: dict[str, tuple[PortBit, ...]]
    outputs: dict[str, tuple[PortBit, ...]]
    latency: int
    signed: frozenset[str] = field(default_factory=frozenset)

    def validate(self, width: int, height: int) -> None:
        """Raise :class:`IOMapError` naming the word and bit that does not fit the fabric,
        uses a wrong-direction port, or shares a port bit and cycle with another bit."""
        seen: dict[tuple[str, int], str] = {}
        for kind, words, ports in (("input", self.inputs, INPUT_PORTS),
                                   ("output", self.outputs, OUTPUT_PORTS)):
            for word, bits in words.items():
                for b, pb in enumerate(bits):
                    where = f"{kind} word {word!r} bit {b}"
                    if pb.port not in ports:
                        raise IOMapError(f"{where}: port {pb.port!r} is not an {kind} port")
                    n = port_width(pb.port, width, height)
                    if not 0 <= pb.index < n:
                        raise IOMapError(f"{where}: {pb.port}[{pb.index}] is outside the "
                                         f"{n}-bit bus of a {width}x{height} fabric")
                    if pb.offset < 0:
                        raise IOMapError(f"{where}: negative cycle offset {pb.offset}")
                    # With one token per cycle a port bit carries one bit per cycle, so
                    # two token bits on one port bit always collide (token n's bit at
                    # n+o1 meets token n+o1-o2's other bit), whatever their offsets.
                    key = (pb.port, pb.index)
                    if key in seen:
                        raise IOMapError(f"{where}: {pb.port}[{pb.index}] already carries "
                                         f"{seen[key]}")
                    seen[key] = where
        unknown = sorted(self.signed - set(self.outputs))
        if unknown:
            raise IOMapError(f"signed names {unknown} are not output words")
        if self.inputs:
            low = min(pb.offset for bits in self.inputs.values() for pb in bits)
            if low != 0:
                raise IOMapError(f"the smallest input offset is {low}, not 0: offsets are "
                                 f"counted from a token's first input cycle")
        if self.outputs:
            top = max(pb.offset for bits in self.outputs.values() for pb in bits)
            if top != self.latency:
                raise IOMapError(f"latency {self.latency} differs from the largest output "
                                 f"offset {top}")

    def to_json(self) -> str:
        """Serialise deterministically (sorted keys, compact)."""
        doc = {
            "inputs": {w: [pb.to_json() for pb in bits] for w, bits in self.inputs.items()},
            "outputs": {w: [pb.to_json() for pb in bits] for w, bits in self.outputs.items()},
            "latency": self.latency,
            "signed": sorted(self.signed),
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> IOMap:
        """Parse :meth:`to_json` output; raise :class:`IOMapError` on any malformed field."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IOMapError(f"I/O map is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise IOMapError("I/O map must be a JSON object")
        for key in ("inputs", "outputs", "latency"):
            if key not in doc:
                raise IOMapError(f"I/O map lacks field {key!r}")

        def bits_of(section: str) -> dict[str, tuple[PortBit, ...]]:
            words = doc[section]
            if not isinstance(words, dict):
                raise IOMapError(f"I/O map field {section!r} must be an object")
            out: dict[str, tuple[PortBit, ...]] = {}
            for word, bits in words.items():
                if not isinstance(bits, list):
                    raise IOMapError(f"I/O map {section} word {word!r}: expected a list of "
                                     f"bits, got {bits!r}")
                parsed = []
                for b, item in enumerate(bits):
                    if (not isinstance(item, list) or len(item) != 3
                            or not isinstance(item[0], str)
                            or not all(isinstance(v, int) and not isinstance(v, bool)
                                       for v in item[1:])):
                        raise IOMapError(f"I/O map {section} word {word!r} bit {b}: expected "
                                         f"[port, index, offset], got {item!r}")
                    parsed.append(PortBit(item[0], item[1], item[2]))
                out[word] = tuple(parsed)
            return out

        if not isinstance(doc["latency"], int) or isinstance(doc["latency"], bool):
            raise IOMapError("I/O map field 'latency' must be an integer")
        signed = doc.get("signed", [])
        if not isinstance(signed, list) or not all(isinstance(w, str) for w in signed):
            raise IOMapError(f"I/O map field 'signed' must be a list of word names, got "
                             f"{signed!r}")
        return cls(bits_of("inputs"), bits_of("outputs"), doc["latency"], frozenset(signed))
