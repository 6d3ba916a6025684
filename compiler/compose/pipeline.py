"""A program as a pipeline of fabrics: its parts composed each on its own fabric, the
output edges of earlier fabrics wired to the input edges of later ones.

The stitcher joins the parts of a program onto one fabric (:mod:`compiler.compose.
hierarchy`); where that does not route in a useful time, the parts can still run as a
row of fabrics, each streaming one token per cycle: every value a later part reads
leaves the fabric that makes it on output ports and enters the reader on input ports
(wires from fabric to fabric, possibly skipping fabrics between: a residual stream).
The row computes what the program computes (each part is a program of DESIGN §5 ops,
:func:`~compiler.compose.hierarchy.part_split`) and streams one token per cycle; its
latency is the sum of the parts' (a bound: a value that skips fabrics waits in wires).
This is the form of the demo language model (docs/DEMO_LM.md) and of transformer
blocks today: a macro or two per fabric compose in seconds where the whole program on
one fabric does not route in a useful time.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from compiler.compose.elements import per_element
from compiler.compose.hierarchy import WIRING, computed_sources, part_split
from compiler.compose.phase import legalise_phases
from compiler.ir import Graph, GraphError
from compiler.lower import word_name
from compiler.model_file import dumps_model, loads_model
from fabric.bitstream import Bitstream, BitstreamError, atomic_write_bytes
from fabric.iomap import base_word
from fabric.usage import usage

if TYPE_CHECKING:
    from compiler.program import Program

__all__ = ["PIPELINE_FORMAT", "PIPELINE_VERSION", "Pipeline", "PipelineFileError",
           "compile_pipeline", "count_parts", "cut_before_each", "cut_before_every_op",
           "is_pipeline_file", "load_pipeline", "save_pipeline"]

#: The ``format`` and ``version`` of a pipeline file's ``pipeline.json``.
PIPELINE_FORMAT = "lutgrid-pipeline"
PIPELINE_VERSION = 2
#: Zip entries are written with this timestamp, so that a file's bytes depend only on
#: its contents (the same model and options give the same file).
_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Most fabrics a pipeline file holds (a d_model-64 block, one op or element per fabric,
#: has about 490), and the largest entry it reads (bytes): a 1024x1024 bitstream
#: is 8 MiB, so this refuses a zip bomb, not a real fabric.
MAX_PARTS = 4096
MAX_ENTRY_BYTES = 1 << 30
#: the most all entries of one file may hold together (bytes)
MAX_TOTAL_BYTES = 1 << 32


class PipelineFileError(ValueError):
    """A pipeline file that cannot be read: the message names the file and the problem."""


def cut_before_each(graph: Graph, *kinds: str) -> list[int]:
    """Cuts right before every op of each of ``kinds``, in order (a fabric for each
    such op and what follows it up to the next cut; a value goes from the part that
    makes it to every later part that reads it, :func:`~compiler.compose.hierarchy.
    part_split`). Raises
    ``GraphError`` naming a kind the graph has no op of, or a kind of wiring (input,
    const, slice, concat)."""
    cuts: set[int] = set()
    for kind in kinds:
        if kind in WIRING:
            raise GraphError(f"pipeline: {kind} ops are wiring (no op of their own on a "
                             f"fabric): nothing to cut before")
        at = [i for i, op in enumerate(graph.ops) if op.kind == kind]
        if not at:
            raise GraphError(f"pipeline: the graph has no {kind} op to cut before")
        cuts |= {i - 1 for i in at if i > 0}
    # a cut with only inputs and wiring before it leaves a part that reads nothing:
    # part_split joins it to the next
    return sorted(cuts)


def cut_before_every_op(graph: Graph) -> list[int]:
    """Cuts before every computed op: each op (a Linear, a Dot, a Table, ...) on a fabric
    of its own, with the slices and concats around it (:func:`cut_before_each` of every
    kind of op the graph computes). When the outputs read (through slices and concats)
    the values of more than one op, also a cut after the last op, so that gathering them
    is a fabric of wiring alone (:mod:`compiler.macros.wires`) instead of the last op's
    fabric passing every earlier value through."""
    kinds = sorted({op.kind for op in graph.ops} - WIRING)
    cuts = cut_before_each(graph, *kinds) if kinds else []
    computed = [i for i, op in enumerate(graph.ops) if op.kind not in WIRING]
    src = computed_sources(graph)
    if computed and len(set().union(*(src[v.id] for v in graph.outputs.values()))) > 1:
        cuts = sorted(set(cuts) | {computed[-1]})
    return cuts


def count_parts(graph: Graph, cuts: Callable[[Graph], list[int]],
                elements: bool = False) -> int:
    """How many fabrics :func:`compile_pipeline` makes of ``graph`` with ``cuts`` and
    ``elements`` (without compiling; raises what the cut function raises)."""
    legal, _ = legalise_phases(per_element(graph) if elements else graph)
    return len(part_split(legal, cuts(legal)).instances)


@dataclass(frozen=True)
class Pipeline:
    """A program as fabrics in dataflow order: ``bitstreams[k]`` computes part ``k``
    (it reads token words and the words ``v{id}`` of values earlier parts make; it
    outputs the values later parts read, or the program's outputs for the last part).
    ``graph`` is the whole program (its reference), ``compile_s`` the compile time (s;
    0 when loaded: a file records no time); ``parts`` holds the compiled programs when
    this pipeline was compiled in this process (empty when loaded)."""

    graph: Graph
    bitstreams: tuple[Bitstream, ...]
    compile_s: float
    parts: tuple[Program, ...] = field(default=(), compare=False)

    @property
    def latency(self) -> int:
        """Cycles from a token into the first fabric to its outputs out of the last."""
        return sum(bs.iomap.latency for bs in self.bitstreams)

    @property
    def used_cells(self) -> int:
        """Cells used over all fabrics."""
        return sum(usage(bs).used for bs in self.bitstreams)

    def sizes(self) -> str:
        """The fabrics' sizes, ``"17x27 + 488x353"``."""
        return " + ".join(f"{bs.width}x{bs.height}" for bs in self.bitstreams)

    @classmethod
    def of_program(cls, program: Program) -> Pipeline:
        """A compiled program as a pipeline of its one fabric."""
        return cls(program.graph, (program.bitstream,), program.compile_seconds,
                   (program,))

    def random_tokens(self, n_tokens: int, seed: int = 0) -> dict[str, np.ndarray]:
        """``n_tokens`` random raw token words of the program's inputs, with restarts
        (:func:`compiler.program.random_words`)."""
        from compiler.program import graph_input_words, random_words

        return random_words(graph_input_words(self.graph), n_tokens, seed)

    def check(self, got: Mapping[str, np.ndarray], tokens: Mapping[str, np.ndarray],
              name: str = "pipeline") -> None:
        """Raise ``AssertionError`` naming the first token and output word where the
        last fabric's outputs ``got`` differ from the reference for raw token words
        ``tokens``."""
        from compiler.program import check_outputs, graph_expected

        last = self.bitstreams[-1].iomap
        widths = {w: last.width(w) for w in last.outputs}
        want = graph_expected(self.graph, tokens, widths)
        check_outputs(name, got, want, widths)

    def run(self, tokens: Mapping[str, np.ndarray], simulate: Callable) -> dict:
        """Stream token words ``tokens`` (by token word, as the simulators take them)
        through the fabrics in order: ``simulate(bitstream, words)`` runs one fabric on
        the words its I/O map reads (token words, and the value words ``v{id}[j]`` that
        earlier fabrics output: every output of a fabric before the last is a value a
        later one reads) and returns its output words. Returns the last fabric's."""
        words = dict(tokens)
        for k, bs in enumerate(self.bitstreams):
            wanted = {base_word(w) for w in bs.iomap.inputs}
            got = simulate(bs, {w: v for w, v in words.items() if w in wanted})
            if k + 1 == len(self.bitstreams):
                return got
            words.update((w, np.asarray(v)) for w, v in got.items())   # all values
        raise AssertionError("empty pipeline")


def _compile_part(graph: Graph, name: str, seed: int, budget: float | None):
    """One part on its own fabric (a function of its arguments alone, so that a worker
    process can run it)."""
    from compiler.program import compile_program

    start = time.perf_counter()
    return compile_program(graph, name, seed=seed, compose=True,
                           time_budget=budget), time.perf_counter() - start


def compile_pipeline(graph: Graph, name: str, cuts: Callable[[Graph], list[int]],
                     time_budget: float | None = None,
                     progress: Callable[[str], None] | None = None,
                     seed: int = 0, workers: int | None = None,
                     elements: bool = False) -> Pipeline:
    """Compose ``graph`` as parts, each on its own fabric: ``cuts(legal)`` picks the ops
    to cut after in the phase-legal graph (:func:`cut_before_each`, for example); ``seed``
    is every part's placement seed. The parts are independent, so ``workers`` processes
    (default: one per core, at most one per part; 1 compiles here) compile them side by
    side, each within ``time_budget`` seconds; the result does not depend on
    ``workers``. With ``elements``, every elementwise op on a vector is first taken
    apart into one op per element (:func:`~compiler.compose.elements.per_element`), so
    that one-op cuts put each element on a fabric of its own. Raises what
    :func:`compiler.program.compile_program` raises for a part, and ``GraphError`` for
    more than :data:`MAX_PARTS` parts."""
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    start = time.perf_counter()
    legal, _ = legalise_phases(per_element(graph) if elements else graph)
    outer = part_split(legal, cuts(legal))
    n = len(outer.instances)
    if n > MAX_PARTS:
        raise GraphError(f"pipeline: {n} parts, at most {MAX_PARTS}")
    workers = min(n, workers or os.cpu_count() or 1)

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    jobs = []
    for k, inst in enumerate(outer.instances):   # (part_split declares a delay's first)
        jobs.append((inst.graph, f"{name}.part{k}", seed, time_budget))
        say(f"part {k} of {n}: {len(inst.graph.ops)} ops")
    stages = []
    with nullcontext() if workers == 1 else ProcessPoolExecutor(workers) as pool:
        results = (map if pool is None else pool.map)(_compile_part, *zip(*jobs, strict=True))
        for k, (prog, seconds) in enumerate(results):   # in part order, as each is ready
            stages.append(prog)
            say(f"part {k} of {n}: compiled in {seconds:.1f} s")
    return Pipeline(graph, tuple(p.bitstream for p in stages), time.perf_counter() - start,
                    tuple(stages))


def pipeline_bytes(pipe: Pipeline) -> bytes:
    """``pipe`` as a pipeline file (docs/MODEL_FORMAT.md): a zip of ``pipeline.json``,
    ``model.json`` (the whole program, a model file) and ``part{k}.lgb``; its bytes
    depend only on the model and the bitstreams (no time, not even the compile's)."""
    if not 1 <= len(pipe.bitstreams) <= MAX_PARTS:
        raise ValueError(f"a pipeline file holds 1..{MAX_PARTS} fabrics, got "
                         f"{len(pipe.bitstreams)}")
    head = {"format": PIPELINE_FORMAT, "version": PIPELINE_VERSION,
            "parts": len(pipe.bitstreams), "latency": pipe.latency}
    entries = [("pipeline.json", (json.dumps(head, indent=1) + "\n").encode()),
               ("model.json", dumps_model(pipe.graph).encode())]
    entries += [(f"part{k}.lgb", bs.to_bytes()) for k, bs in enumerate(pipe.bitstreams)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def save_pipeline(pipe: Pipeline, path: str | os.PathLike[str]) -> None:
    """Write ``pipe`` to ``path`` (:func:`pipeline_bytes`; a temporary file renamed into
    place: never a half-written file)."""
    atomic_write_bytes(path, pipeline_bytes(pipe))


def is_pipeline_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` starts like a zip file (a pipeline file, not a bitstream)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """The pipeline in file ``path``. :class:`PipelineFileError` names the file and the
    problem: not a pipeline file, a missing or malformed entry, a wrong format or
    version, a part that is not a bitstream or has no I/O map, a model that does not
    load, a part reading words that are neither the model's inputs nor the previous
    parts' outputs (parts that do not chain), a last part without the model's outputs
    (or narrower), or a latency that is not the parts' sum."""
    def fail(msg: str) -> PipelineFileError:
        return PipelineFileError(f"{path}: {msg}")

    try:
        z = zipfile.ZipFile(path)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from exc
    except zipfile.BadZipFile as exc:
        raise fail(f"not a pipeline file ({exc})") from exc
    with z:
        total = sum(info.file_size for info in z.infolist())
        if total > MAX_TOTAL_BYTES:
            raise fail(f"its entries hold {total:,} bytes, more than {MAX_TOTAL_BYTES:,}")

        def entry(name: str) -> bytes:
            try:
                info = z.getinfo(name)
            except KeyError:
                raise fail(f"entry {name!r} is missing") from None
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise fail(f"entry {name!r} uses compression method {info.compress_type} "
                           f"(a pipeline file is stored or deflated)")
            if info.flag_bits & 1:
                raise fail(f"entry {name!r} is encrypted")
            if info.file_size > MAX_ENTRY_BYTES:
                raise fail(f"entry {name!r} is {info.file_size:,} bytes, more than "
                           f"{MAX_ENTRY_BYTES:,}")
            try:
                return z.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError,
                    NotImplementedError) as exc:                 # truncated, corrupt
                raise fail(f"entry {name!r} is damaged ({exc})") from exc

        try:
            head = json.loads(entry("pipeline.json"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise fail(f"pipeline.json is not JSON ({exc})") from exc
        if not isinstance(head, dict) or head.get("format") != PIPELINE_FORMAT:
            raise fail(f"pipeline.json: format is not {PIPELINE_FORMAT!r}")
        if head.get("version") != PIPELINE_VERSION:
            raise fail(f"pipeline.json: version {head.get('version')!r}, this lutgrid "
                       f"reads version {PIPELINE_VERSION} (compile the model again)")
        parts = head.get("parts")
        if not isinstance(parts, int) or isinstance(parts, bool) or \
                not 1 <= parts <= MAX_PARTS:
            raise fail(f"pipeline.json: parts must be an integer 1..{MAX_PARTS}, got "
                       f"{parts!r}")
        try:
            graph = loads_model(entry("model.json").decode("utf-8"), f"{path}:model.json")
        except UnicodeDecodeError as exc:
            raise fail(f"model.json is not text ({exc.reason})") from exc
        except GraphError as exc:
            raise PipelineFileError(str(exc)) from exc
        bitstreams = []
        for k in range(parts):
            try:
                bs = Bitstream.from_bytes(entry(f"part{k}.lgb"), f"{path}:part{k}.lgb")
            except BitstreamError as exc:
                raise PipelineFileError(str(exc)) from exc
            if bs.iomap is None:
                raise fail(f"part{k}.lgb has no I/O map")
            bitstreams.append(bs)
    made: set[str] = {word_name(n, j, v.dim) for n, v in graph.inputs.items()
                      for j in range(v.dim)}
    for k, bs in enumerate(bitstreams):
        reads = {base_word(w) for w in bs.iomap.inputs}
        if reads - made:
            what = sorted(reads - made)
            raise fail(f"part{k} reads {what}, which are neither the model's inputs nor "
                       f"values an earlier part writes: the parts do not chain")
        made |= {base_word(w) for w in bs.iomap.outputs}
    last = bitstreams[-1].iomap
    for name, v in graph.outputs.items():
        for j in range(v.dim):
            word = word_name(name, j, v.dim)
            if word not in last.outputs:
                raise fail(f"the last part does not write the model's output {word!r}")
            if last.width(word) < v.bits:
                raise fail(f"the last part writes {word!r} with {last.width(word)} bits, "
                           f"the model's output has {v.bits}")
    pipe = Pipeline(graph, tuple(bitstreams), 0.0)
    if head.get("latency") != pipe.latency:
        raise fail(f"pipeline.json: latency {head.get('latency')!r}, the parts add up to "
                   f"{pipe.latency}")
    return pipe
