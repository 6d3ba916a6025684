"""A compiled program and what it must compute: the one object that the CLI, the demo
and the benchmarks hand to the simulators.

``compile_program(source)`` takes a word-level :class:`~compiler.ir.Graph` or a
bit-level :class:`~compiler.netlist.Netlist` through the whole flow (lower →
parity → pack → place → route → emit) and returns a :class:`Program`: the
bitstream with its I/O map, the compile report, and two functions that make a
test stream — :meth:`Program.random_tokens` and :meth:`Program.expected` (the
numpy reference of DESIGN §5 for graphs, the netlist evaluator for netlists).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from compiler.compose.blocks import GENERAL_BLOCK_MAX_LUTS
from compiler.errors import FitError
from compiler.ir import FIRST, Graph, reference
from compiler.lower import lower, word_name
from compiler.macros.match import match_macro
from compiler.netlist import Netlist, bits_to_words, evaluate
from compiler.parity import expand_aliases, legalise_parity
from fabric.bitstream import Bitstream
from fabric.iomap import MAX_WORD_BITS, base_word, is_feed
from fabric.usage import Usage, usage

if TYPE_CHECKING:
    from compiler.compose.blocks import BlockLibrary


@dataclass
class Program:
    """A compiled program (bitstream + I/O map) and its reference.

    Token words are the netlist's (``x`` or ``x[i]`` for vector element i; ``first``
    is the sequence flag). ``warmup`` is the number of leading tokens whose outputs
    are undefined (raw netlist delays that no ``first`` flag gates); graphs have 0.
    """

    name: str
    bitstream: Bitstream
    netlist: Netlist
    graph: Graph | None
    report: object | None
    compile_seconds: float
    warmup: int = 0
    flow: str = "general"

    @property
    def usage(self) -> Usage:
        """Cell counts read from the bitstream (comparable across flows)."""
        return usage(self.bitstream)

    def summary(self) -> str:
        """One paragraph for people: flow, latency, the one compile time, the one cell
        count (read from the bitstream, :func:`fabric.usage.usage`), then the flow's
        own figures (its report, if it has one)."""
        u = self.usage
        lines = [f"{self.name}: {self.flow} flow, latency {self.bitstream.iomap.latency} "
                 f"cycles, compiled in {self.compile_seconds:.2f} s", "  " + u.text()]
        if self.report is not None and hasattr(self.report, "text"):
            lines += ["  " + line for line in self.report.text().splitlines()]
        return "\n".join(lines)

    @property
    def input_words(self) -> dict[str, int]:
        """Token input word -> bit count (extra feeds ``w@TAG`` excluded)."""
        words: dict[str, int] = {}
        if self.graph is not None:
            return graph_input_words(self.graph)
        for word, bit in self.netlist.inputs:
            if not is_feed(word):
                words[word] = max(words.get(word, 0), bit + 1)
        return dict(sorted(words.items()))

    def random_tokens(self, n_tokens: int, seed: int = 0,
                      first_rate: float = 0.05) -> dict[str, np.ndarray]:
        """``n_tokens`` random token words (:func:`random_words`)."""
        return random_words(self.input_words, n_tokens, seed, first_rate)

    def port_tokens(self, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The token words the bitstream's I/O map reads (others are dropped)."""
        wanted = {base_word(w) for w in self.bitstream.iomap.inputs}
        return {w: v for w, v in tokens.items() if w in wanted}

    def expected(self, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Output words (unsigned, int64) that token words ``tokens`` must produce."""
        widths: dict[str, int] = {}
        for word, bit in self.netlist.outputs:
            widths[word] = max(widths.get(word, 0), bit + 1)
        if self.graph is None:
            words = {w for w, _ in self.netlist.inputs}
            bits = evaluate(self.netlist, expand_aliases(tokens, words))
            return {w: bits_to_words(b) for w, b in bits.items()}
        return graph_expected(self.graph, tokens, widths)

    def check(self, got: Mapping[str, np.ndarray], tokens: Mapping[str, np.ndarray]) -> None:
        """Raise ``AssertionError`` naming the first token and word where ``got`` (as
        decoded from the fabric, unsigned) differs from :meth:`expected`."""
        want = self.expected(tokens)
        check_outputs(self.name, got, want,
                      {w: self.bitstream.iomap.width(w) for w in want}, self.warmup)


def graph_input_words(graph: Graph) -> dict[str, int]:
    """Token input word of ``graph`` -> bit count, sorted by word."""
    words = {word_name(name, i, value.dim): value.type.bits
             for name, value in graph.inputs.items() for i in range(value.dim)}
    return dict(sorted(words.items()))


def random_words(input_words: Mapping[str, int], n_tokens: int, seed: int = 0,
                 first_rate: float = 0.05) -> dict[str, np.ndarray]:
    """``n_tokens`` random raw token words (int64, every bit random) for ``input_words``
    (word -> bits); ``first`` is set on token 0 and then with probability
    ``first_rate``, so sequences restart inside the stream."""
    rng = np.random.default_rng(seed)
    tokens: dict[str, np.ndarray] = {}
    for word, bits in input_words.items():
        if word == FIRST:
            first = (rng.random(n_tokens) < first_rate).astype(np.int64)
            first[:1] = 1
            tokens[word] = first
        else:
            tokens[word] = rng.integers(0, 1 << bits, size=n_tokens, dtype=np.int64)
    return tokens


def sign_extend(raw: np.ndarray, bits: int) -> np.ndarray:
    """Raw ``bits``-bit words (the low bits of ``raw``) as two's-complement integers."""
    top = 1 << (bits - 1)
    return (raw & (2 * top - 1)) - ((raw & top) << 1)


def graph_expected(graph: Graph, tokens: Mapping[str, np.ndarray],
                   widths: Mapping[str, int]) -> dict[str, np.ndarray]:
    """``graph``'s reference output words (unsigned, ``widths[word]`` bits) for raw
    token words ``tokens`` (signed inputs are sign-extended from their bits)."""
    graph_tokens: dict[str, np.ndarray] = {}
    for name, value in graph.inputs.items():
        cols = [np.asarray(tokens[word_name(name, i, value.dim)], dtype=np.int64)
                for i in range(value.dim)]
        stacked = np.stack(cols, axis=1)
        if value.type.signed:  # token words arrive as raw bits: sign-extend them
            stacked = sign_extend(stacked, value.type.bits)
        graph_tokens[name] = stacked
    ref = reference(graph, graph_tokens)
    out: dict[str, np.ndarray] = {}
    for name, value in graph.outputs.items():
        for i in range(value.dim):
            word = word_name(name, i, value.dim)
            out[word] = np.asarray(ref[name][:, i], dtype=np.int64) & ((1 << widths[word]) - 1)
    return out


def check_outputs(name: str, got: Mapping[str, np.ndarray],
                  want: Mapping[str, np.ndarray], widths: Mapping[str, int],
                  warmup: int = 0) -> None:
    """Raise ``AssertionError`` naming program ``name``, the first token and word where
    ``got`` differs from ``want`` in the low ``widths[word]`` bits (tokens before
    ``warmup`` are not compared)."""
    for word in sorted(want):
        mask = (1 << widths[word]) - 1
        a = np.asarray(got[word], dtype=np.int64)[warmup:] & mask
        b = np.asarray(want[word], dtype=np.int64)[warmup:] & mask
        bad = np.flatnonzero(a != b)
        if bad.size:
            t = int(bad[0]) + warmup
            raise AssertionError(f"{name}: output {word!r} of token {t} is "
                                 f"{int(a[bad[0]])}, expected {int(b[bad[0]])} "
                                 f"({bad.size} of {len(a)} tokens differ)")


def delay_warmup(nl: Netlist) -> int:
    """Tokens before every output is defined: the largest sum of delays on any path."""
    depth = [0] * len(nl.nodes)
    for sid, node in enumerate(nl.nodes):
        if node.inputs:
            depth[sid] = max(depth[s] for s in node.inputs) + (node.k if node.kind == "delay"
                                                                else 0)
    return max((depth[s] for s in nl.outputs.values()), default=0)


def compile_program(source: Graph | Netlist, name: str = "program", width: int | None = None,
                    height: int | None = None, seed: int = 0, macros: bool = True,
                    compose: bool = False, time_budget: float | None = None,
                    general_max_luts: int | None = None) -> Program:
    """Compile ``source`` onto a ``width`` x ``height`` fabric (both ``None``: sized
    automatically). A graph that a macro implements exactly (a constant int4 Linear or a
    scalar variable multiply, :mod:`compiler.macros.match`) is laid out by the macro
    unless ``macros`` is False;
    the rest goes through pack/place/route, or, with ``compose``, a graph is compiled
    as blocks stitched on one fabric (:func:`compiler.compose.compose_graph`, within
    ``time_budget`` seconds; its progress goes to the ``compiler.compose`` logger).
    Raises ``compiler.errors.FitError`` when it does not fit (a
    :class:`~compiler.compose.stitch.ComposeError` when the stitch does not route), or
    when a graph no macro lays out has more than ``general_max_luts`` LUTs."""
    from compiler.flow import compile_netlist  # the back end is the heavy import

    start = time.perf_counter()
    if isinstance(source, Graph):
        graph: Graph | None = source
        netlist = lower(source).netlist
        warmup = 0
        match = match_macro(source) if macros else None
        if match is not None:
            bitstream, report = match.build()
            if width is not None and height is not None:
                _check_fits(bitstream, width, height)
            return Program(name, declare_words(bitstream, graph), netlist, graph, report,
                           time.perf_counter() - start, 0, match.flow)
        if compose:
            import logging

            from compiler.compose import compose_graph

            log = logging.getLogger("compiler.compose")
            res = compose_graph(source, block_library(), time_budget=time_budget,
                                progress=log.info)
            if width is not None and height is not None:
                _check_fits(res.bitstream, width, height)
            return Program(name, declare_words(res.bitstream, graph), netlist, graph, None,
                           time.perf_counter() - start, 0, "composed")
        luts = sum(1 for node in netlist.nodes if node.kind == "lut")
        if general_max_luts is not None and luts > general_max_luts:
            kinds = sorted({op.kind for op in source.ops} - {"input", "const"})
            raise FitError(f"{name}: no macro lays out this {'/'.join(kinds)}, and its "
                           f"{luts} LUTs are more than the general flow takes in a "
                           f"composed program ({general_max_luts})",
                           needed=luts, available=general_max_luts)
    elif isinstance(source, Netlist):
        graph, netlist = None, source
        _check_netlist_widths(source)
        warmup = delay_warmup(source)
    else:
        raise TypeError(f"cannot compile a {type(source).__name__}: expected a "
                        f"compiler.ir.Graph or a compiler.netlist.Netlist")
    legal = legalise_parity(netlist)
    result = compile_netlist(legal, width=width, height=height, seed=seed)
    return Program(name, declare_words(result.bitstream, graph), legal, graph, result.report,
                   time.perf_counter() - start, warmup)


def compile_block(graph: Graph, name: str) -> tuple[Bitstream, str, float]:
    """One block of a composed program: ``graph`` laid out by its macro or the general
    flow (never composed itself). Returns the bitstream, the flow's name and seconds.
    Raises :class:`~compiler.errors.FitError` naming the block when no macro lays it
    out and it has more than :data:`GENERAL_BLOCK_MAX_LUTS` LUTs."""
    prog = compile_program(graph, f"block {name}", general_max_luts=GENERAL_BLOCK_MAX_LUTS)
    return prog.bitstream, prog.flow, prog.compile_seconds


def block_library() -> BlockLibrary:
    """A block library that compiles with :func:`compile_block`."""
    from compiler.compose.blocks import BlockLibrary

    return BlockLibrary(compile_block)


def declared_words(graph: Graph) -> dict[str, tuple[int, bool]]:
    """Token word -> ``(bits, signed)`` as ``graph`` declares its inputs and outputs
    (vector element ``i`` of ``x`` is word ``x[i]``; ``first`` is 1 bit unsigned)."""
    words: dict[str, tuple[int, bool]] = {}
    for values in (graph.inputs, graph.outputs):
        for name, value in values.items():
            for i in range(value.dim):
                words[word_name(name, i, value.dim)] = (value.type.bits, value.type.signed)
    return words


def declare_words(bitstream: Bitstream, graph: Graph | None) -> Bitstream:
    """``bitstream`` with its I/O map's ``signed`` set to exactly the words ``graph``
    declares signed (inputs and outputs; a raw netlist declares none) and ``widths``
    to the declared width of every output word a layout carries on fewer bits (the
    linear macro drops top bits that its exact range proves are copies of the sign).
    Input words must carry their declared width (extra feeds: at most it). Every
    compile path (general
    flow, each macro) goes through here, so the map says the same whatever laid the
    program out."""
    from compiler.errors import CompileError

    iomap = bitstream.iomap
    if graph is None or iomap is None:
        return bitstream
    declared = declared_words(graph)
    widths: dict[str, int] = {}
    for kind, words in (("input", iomap.inputs), ("output", iomap.outputs)):
        for word, bits in words.items():
            want = declared.get(base_word(word))
            # an output may drop proven sign bits; an extra feed x@TAG carries the low
            # bits of x up to the highest one its readers need
            short = (kind == "output" or is_feed(word)) and want is not None \
                and len(bits) < want[0]
            if want is None or (want[0] != len(bits) and not short):
                raise CompileError(f"{kind} word {word!r} has {len(bits)} bits in the I/O "
                                   f"map, the program declares "
                                   f"{want[0] if want else 'no such word'}")
            if short and kind == "output":
                widths[word] = want[0]
    signed = frozenset(w for w, (_bits, sign) in declared.items() if sign)
    mapped = {base_word(w) for w in iomap.inputs} | set(iomap.outputs)
    if signed & mapped == iomap.signed and widths == iomap.widths:
        return bitstream
    return Bitstream(bitstream.configs, replace(iomap, signed=signed & mapped, widths=widths))


def _check_netlist_widths(nl: Netlist) -> None:
    """A netlist word wider than the I/O map carries is refused before compiling."""
    from compiler.errors import CompileError

    for kind, bits in (("input", nl.inputs), ("output", nl.outputs)):
        for word, bit in bits:
            if bit >= MAX_WORD_BITS:
                raise CompileError(f"{kind} word {word!r} has bit {bit}: words are at most "
                                   f"{MAX_WORD_BITS} bits wide")


def _check_fits(bitstream: Bitstream, width: int, height: int) -> None:
    from compiler.errors import FitError

    if bitstream.width > width or bitstream.height > height:
        raise FitError(f"the program needs a {bitstream.width}x{bitstream.height} fabric "
                       f"({bitstream.width * bitstream.height} cells), the fabric is "
                       f"{width}x{height} ({width * height} cells)",
                       needed=bitstream.width * bitstream.height, available=width * height)
