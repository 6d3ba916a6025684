"""The I/O map of a compiled program (DESIGN.md §3, docs/ARCHITECTURE.md §6).

It says, for every bit of every token word, which edge-bus bit carries it and at
which cycle offset, and the program's latency ``L``. Bit ``b`` of token ``n``'s word
is driven on (or read from) ``port[index]`` during cycle ``n + offset``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fabric.arch import BUS_SIDE, INPUT_BUSES, OUTPUT_BUSES, bus_width

#: Separator of an extra feed of a token word: input word ``"x@TAG"`` carries token word
#: ``x`` again, on other port bits (and usually at other offsets): ``x@1`` is the
#: opposite-parity feed of compiler/parity.py; a compiler may add more feeds so that
#: an input bit enters near each group of its readers. Streams give every feed the
#: values of ``x``.
FEED_SEPARATOR = "@"
#: The opposite-parity feed of a token word (``"x" + ALIAS``).
ALIAS = "@1"

#: The widest token word the format carries, in bits: token values travel as int64
#: (compiler/ir.py ``MAX_BITS`` is the same bound for programs).
MAX_WORD_BITS = 62
#: The largest cycle offset or latency any I/O map may name, whatever the fabric: a
#: stream allocates ``tokens + latency`` cycles of every edge bus.
MAX_LATENCY = 1 << 20
#: The nesting of the format's JSON: object → section → word list → ``[port, index,
#: offset]``. Anything deeper is refused before parsing (no RecursionError).
MAX_JSON_DEPTH = 4
#: The longest word name, in characters.
MAX_WORD_NAME = 128
_WORD_NAME = re.compile(rf"[^\s\x00-\x1f\x7f]{{1,{MAX_WORD_NAME}}}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

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


def latency_limit(width: int, height: int) -> int:
    """The largest offset or latency, in cycles, an I/O map of a ``width`` x ``height``
    fabric may name: one token per cycle means a token bit visits each of the
    ``4*width*height`` output registers at most once, capped at :data:`MAX_LATENCY`."""
    return min(4 * width * height, MAX_LATENCY)


def json_depth(text: bytes) -> int:
    """Deepest nesting of ``[``/``{`` in JSON ``text`` (strings skipped), without parsing
    it, so that a hostile file cannot exhaust the recursion of ``json.loads``."""
    bare = np.frombuffer(_JSON_STRING.sub(b'""', text), dtype=np.uint8)
    step = (np.isin(bare, (0x5B, 0x7B)).astype(np.int64)
            - np.isin(bare, (0x5D, 0x7D)).astype(np.int64))
    return int(np.cumsum(step).max(initial=0))


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
    first; a word's width is its number of bits (1..:data:`MAX_WORD_BITS`).
    ``latency`` is the largest output offset (cycles from a token's first input
    cycle to its last output cycle); input offsets are >= 0 and the smallest is 0.
    ``signed`` names the token words (inputs and outputs) that are two's complement;
    an extra feed ``x@TAG`` is as signed as ``x``. ``widths`` gives the declared width
    of an output word whose top bits no port carries because the layout proved them
    equal to the sign (signed) or zero (unsigned): its value is extended from the
    carried bits to that width. Words not in ``widths`` are as wide as their bits.

    Word names: ``x`` for a scalar, ``x[i]`` for element ``i`` of vector ``x``,
    ``first`` for the sequence flag (1 bit), and on inputs only the extra feeds
    ``x@1`` (the opposite-parity feed) and ``x@fJ`` / ``x@1.fJ`` (a feed for reader
    group ``J``), which carry the values of token word ``x``.
    """

    inputs: dict[str, tuple[PortBit, ...]]
    outputs: dict[str, tuple[PortBit, ...]]
    latency: int
    signed: frozenset[str] = field(default_factory=frozenset)
    widths: dict[str, int] = field(default_factory=dict)

    def width(self, word: str) -> int:
        """Declared width of token word ``word`` in bits (an input word: its widest
        feed)."""
        if word in self.outputs:
            return self.widths.get(word, len(self.outputs[word]))
        return max(len(bits) for w, bits in self.inputs.items() if base_word(w) == word)

    def validate(self, width: int, height: int) -> None:
        """Raise :class:`IOMapError` naming the field that is wrong: a word name that
        breaks the naming rules, a word with no bits or more than
        :data:`MAX_WORD_BITS`, a bit that does not fit the fabric, uses a
        wrong-direction port or shares a port bit with another bit, an offset or a
        latency beyond :func:`latency_limit`, or a map without input words."""
        limit = latency_limit(width, height)
        if not isinstance(self.latency, int) or not 0 <= self.latency <= limit:
            raise IOMapError(f"latency {self.latency!r} is outside 0..{limit} cycles, the "
                             f"limit for a {width}x{height} fabric")
        seen: dict[tuple[str, int], str] = {}
        for kind, words, ports in (("input", self.inputs, INPUT_PORTS),
                                   ("output", self.outputs, OUTPUT_PORTS)):
            for word, bits in words.items():
                if not isinstance(word, str) or not _WORD_NAME.fullmatch(word):
                    raise IOMapError(f"{kind} word name {_short(word)} is not 1..{MAX_WORD_NAME} "
                                     f"printable characters without spaces")
                if not bits:
                    raise IOMapError(f"{kind} word {word!r} has no bits")
                if len(bits) > MAX_WORD_BITS:
                    raise IOMapError(f"{kind} word {word!r} has {len(bits)} bits, more than "
                                     f"the {MAX_WORD_BITS} a word may have")
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
                    if pb.offset > limit:
                        raise IOMapError(f"{where}: cycle offset {pb.offset} exceeds {limit}, "
                                         f"the limit for a {width}x{height} fabric")
                    # With one token per cycle a port bit carries one bit per cycle, so
                    # two token bits on one port bit always collide (token n's bit at
                    # n+o1 meets token n+o1-o2's other bit), whatever their offsets.
                    key = (pb.port, pb.index)
                    if key in seen:
                        raise IOMapError(f"{where}: {pb.port}[{pb.index}] already carries "
                                         f"{seen[key]}")
                    seen[key] = where
        unknown = sorted(self.signed - set(self.outputs) - {base_word(w) for w in self.inputs})
        if unknown:
            raise IOMapError(f"signed names {_short(unknown)} are not words of the map")
        for word, bits in self.widths.items():
            if word not in self.outputs:
                raise IOMapError(f"widths names {_short(word)}, not an output word")
            if (not isinstance(bits, int) or isinstance(bits, bool)
                    or not len(self.outputs[word]) <= bits <= MAX_WORD_BITS):
                raise IOMapError(f"output word {_short(word)}: declared width {_short(bits)} "
                                 f"is not in {len(self.outputs[word])}..{MAX_WORD_BITS} bits")
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
        if not self.inputs:
            raise IOMapError("the I/O map has no input words: no token could enter")

    def to_json(self) -> str:
        """Serialise deterministically (sorted keys, compact)."""
        doc = {
            "inputs": {w: [pb.to_json() for pb in bits] for w, bits in self.inputs.items()},
            "outputs": {w: [pb.to_json() for pb in bits] for w, bits in self.outputs.items()},
            "latency": self.latency,
            "signed": sorted(self.signed),
        }
        if self.widths:  # only when needed: maps without it keep their bytes
            doc["widths"] = dict(sorted(self.widths.items()))
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> IOMap:
        """Parse :meth:`to_json` output; raise :class:`IOMapError` on any malformed field
        (too deep a nesting, a repeated key, an integer of absurd size, a wrong type)."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IOMapError(f"I/O map is not UTF-8: {exc}") from exc
        depth = json_depth(text.encode("utf-8", "surrogatepass"))
        if depth > MAX_JSON_DEPTH:
            raise IOMapError(f"I/O map JSON is nested {depth} levels deep; the format has "
                             f"{MAX_JSON_DEPTH}")

        def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [k for k, _ in pairs]
            for k in keys:
                if keys.count(k) > 1:
                    raise IOMapError(f"I/O map names {_short(k)} twice in one object")
            return dict(pairs)

        try:
            doc = json.loads(text, object_pairs_hook=no_repeats)
        except json.JSONDecodeError as exc:
            raise IOMapError(f"I/O map is not valid JSON: {exc}") from exc
        except ValueError as exc:  # e.g. a 5,000-digit integer
            raise IOMapError(f"I/O map JSON is unreadable: {exc}") from exc
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
                    raise IOMapError(f"I/O map {section} word {_short(word)}: expected a list of "
                                     f"bits, got {_short(bits)}")
                parsed = []
                for b, item in enumerate(bits):
                    if (not isinstance(item, list) or len(item) != 3
                            or not isinstance(item[0], str)
                            or not all(isinstance(v, int) and not isinstance(v, bool)
                                       and abs(v) <= MAX_LATENCY for v in item[1:])):
                        raise IOMapError(f"I/O map {section} word {_short(word)} bit {b}: expected "
                                         f"[port, index, offset] with integers up to "
                                         f"{MAX_LATENCY}, got {_short(item)}")
                    parsed.append(PortBit(item[0], item[1], item[2]))
                out[word] = tuple(parsed)
            return out

        latency = doc["latency"]
        if (not isinstance(latency, int) or isinstance(latency, bool)
                or not 0 <= latency <= MAX_LATENCY):
            raise IOMapError(f"I/O map field 'latency' must be an integer in 0..{MAX_LATENCY}, "
                             f"got {_short(latency)}")
        unknown = sorted(set(doc) - {"inputs", "outputs", "latency", "signed", "widths"})
        if unknown:
            raise IOMapError(f"I/O map has unknown field(s) {', '.join(map(repr, unknown))}")
        signed = doc.get("signed", [])
        if not isinstance(signed, list) or not all(isinstance(w, str) for w in signed):
            raise IOMapError(f"I/O map field 'signed' must be a list of word names, got "
                             f"{_short(signed)}")
        widths = doc.get("widths", {})
        if not isinstance(widths, dict):
            raise IOMapError(f"I/O map field 'widths' must be an object, got {_short(widths)}")
        return cls(bits_of("inputs"), bits_of("outputs"), latency, frozenset(signed),
                   dict(widths))


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for one-line messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
