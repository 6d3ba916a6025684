"""The model file: a word graph and its integer parameters as JSON (format version 1).

A model file is the recipe of a :class:`~compiler.ir.Graph`: its ops in order, each the
arguments of one builder call (:class:`~compiler.ir.Graph` method), operands named by
the index of the op that made them. Loading replays the calls, so a file is checked
by the same code that checks a graph built in Python (shapes, widths, weights and table
entries that fit their type), and loading never executes code: it is ``json.loads`` and
builder calls, nothing else. Layout (docs/MODEL_FORMAT.md)::

    {"format": "lutgrid-model", "version": 1,
     "ops": [{"op": "input", "name": "x", "dim": 2, "bits": 4, "signed": true},
             {"op": "linear", "x": 0, "W": [[1, -2], [3, 4]], "b": [0, 0], "shift": 2,
              "bits": 4, "signed": true, "mode": "sat"},
             ...],
     "outputs": {"y": 1}}

Every op records its output type, so a graph read back is the graph written, value for
value and range for range (:func:`compiler.compose.blocks.graph_key` agrees), and
writing it again gives the same bytes.
"""

from __future__ import annotations

import json
import os
from typing import Any

from compiler.ir import FIRST, Graph, GraphError, Op, Value
from fabric.bitstream import atomic_write_bytes

__all__ = ["FORMAT", "VERSION", "ModelFileError", "dumps_model", "load_model",
           "loads_model", "save_model"]

FORMAT = "lutgrid-model"
VERSION = 1


class ModelFileError(GraphError):
    """A model file that cannot be read: the message names the file, the op (index and
    kind) and the field or problem."""


# field kinds: "v" one operand (op index), "vs" a list of operands, "int", "bool",
# "str", "ints" a list of ints, "matrix" a list of lists of ints
_TYPE = (("bits", "int"), ("signed", "bool"))
_FIT = (*_TYPE, ("mode", "str"))
#: every op kind: its fields in file order
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "input": (("name", "str"), ("dim", "int"), *_TYPE),
    "first": (),
    "const": (("values", "ints"), *_TYPE),
    "add": (("a", "v"), ("b", "v"), *_FIT),
    "sub": (("a", "v"), ("b", "v"), *_FIT),
    "const_mul": (("a", "v"), ("c", "ints"), ("shift", "int"), *_FIT),
    "mul": (("a", "v"), ("b", "v"), ("shift", "int"), *_FIT),
    "max": (("xs", "vs"),),
    "select": (("c", "v"), ("a", "v"), ("b", "v")),
    "embed": (("ids", "v"), ("table", "matrix"), *_TYPE),
    "argmax": (("x", "v"),),
    "table": (("x", "v"), ("table", "ints"), *_TYPE),
    "delay": (("x", "v"), ("k", "int")),
    "rshift": (("x", "v"), ("s", "int")),
    "fit": (("x", "v"), *_FIT),
    "sum": (("xs", "vs"), *_FIT),
    "linear": (("x", "v"), ("W", "matrix"), ("b", "ints"), ("shift", "int"), *_FIT),
    "dot": (("a", "v"), ("b", "v"), ("shift", "int"), *_FIT),
    "slice": (("x", "v"), ("start", "int"), ("stop", "int")),
    "concat": (("xs", "vs"),),
}


def _plain(x: object) -> object:
    """A parameter as JSON data: tuples (of tuples) as lists."""
    return [_plain(e) for e in x] if isinstance(x, (tuple, list)) else x


def _record(op: Op, v: Value) -> dict[str, Any]:
    """The file entry of op ``op`` with value ``v``: its :data:`FIELDS` in order,
    operands from its arguments, ``dim`` and the type from ``v``, the rest from its
    parameters."""
    if op.kind == "input" and op.params["name"] == FIRST:
        return {"op": "first"}
    rec: dict[str, Any] = {"op": op.kind}
    args = list(op.args)
    for name, kind in FIELDS[op.kind]:
        if kind == "v":
            rec[name] = args.pop(0)
        elif kind == "vs":
            rec[name], args = args, []
        elif name in ("bits", "signed"):
            rec[name] = getattr(v.type, name)
        elif name == "dim":
            rec[name] = v.dim
        elif name == "mode":
            rec[name] = op.params.get("mode", "sat")
        else:
            rec[name] = _plain(op.params[name])
    return rec


def dumps_model(graph: Graph) -> str:
    """``graph`` as model-file text (one op per line; deterministic)."""
    if not graph.outputs:
        raise ModelFileError("the graph has no outputs")
    lines = [json.dumps(_record(op, v), separators=(", ", ": "))
             for op, v in zip(graph.ops, graph.values, strict=True)]
    outs = json.dumps({n: v.id for n, v in graph.outputs.items()}, separators=(", ", ": "))
    return (f'{{"format": "{FORMAT}", "version": {VERSION},\n "ops": [\n  '
            + ",\n  ".join(lines) + f"],\n \"outputs\": {outs}}}\n")


def save_model(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` (a temporary file renamed into place: never a
    half-written file)."""
    atomic_write_bytes(path, dumps_model(graph).encode())


def load_model(path: str | os.PathLike[str]) -> Graph:
    """The graph in model file ``path``; :class:`ModelFileError` names the file and
    what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: not a text file ({exc.reason})") from exc
    return loads_model(text, str(path))


def _check(value: object, kind: str, where: str, n_ops: int) -> object:
    """``value`` checked against field kind ``kind`` (see :data:`FIELDS`)."""
    def is_int(x: object) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    ok = {
        "int": is_int,
        "bool": lambda x: isinstance(x, bool),
        "str": lambda x: isinstance(x, str),
        "ints": lambda x: isinstance(x, list) and all(is_int(e) for e in x),
        "matrix": lambda x: isinstance(x, list) and all(
            isinstance(r, list) and all(is_int(e) for e in r) for r in x),
        "v": is_int,
        "vs": lambda x: isinstance(x, list) and all(is_int(e) for e in x),
    }[kind](value)
    if not ok:
        want = {"int": "an integer", "bool": "true or false", "str": "a string",
                "ints": "a list of integers", "matrix": "a list of lists of integers",
                "v": "an op index", "vs": "a list of op indices"}[kind]
        raise ModelFileError(f"{where}: expected {want}, got {json.dumps(value)[:40]}")
    if kind in ("v", "vs"):
        for i in value if isinstance(value, list) else [value]:  # type: ignore[union-attr]
            if not 0 <= i < n_ops:                                # type: ignore[operator]
                raise ModelFileError(f"{where}: operand {i} is not an earlier op (ops "
                                     f"0..{n_ops - 1} come before this one)")
    return value


def _build(g: Graph, k: str, f: dict[str, Any], vals: list[Value]) -> Value:
    """Replay one builder call: the ``Graph`` method named by the op with its
    :data:`FIELDS` in order as arguments (``max`` takes its operands spread, ``fit`` is
    ``sat`` or ``wrap`` by its mode)."""
    args: list[Any] = []
    for name, kind in FIELDS[k]:
        if kind == "v":
            args.append(vals[f[name]])
        elif kind == "vs":
            args.append([vals[i] for i in f[name]])
        elif not (k == "fit" and name == "mode"):
            args.append(f[name])
    if k == "max":
        return g.max(*args[0])
    if k == "fit":
        return (g.sat if f["mode"] == "sat" else g.wrap)(*args)
    return getattr(g, k)(*args)


def loads_model(text: str, source: str = "model") -> Graph:
    """The graph in model-file text ``text`` (``source`` names it in errors)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{source}: not JSON: {exc.msg} at line {exc.lineno} column "
                             f"{exc.colno}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{source}: not a lutgrid model file (no \"format\": "
                             f"\"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise ModelFileError(f"{source}: format version {doc.get('version')!r}, this lutgrid "
                             f"reads version {VERSION}")
    extra = sorted(set(doc) - {"format", "version", "ops", "outputs"})
    if extra:
        raise ModelFileError(f"{source}: unknown field {extra[0]!r}")
    ops, outs = doc.get("ops"), doc.get("outputs")
    if not isinstance(ops, list) or not ops:
        raise ModelFileError(f"{source}: \"ops\" must be a non-empty list")
    if not isinstance(outs, dict) or not outs:
        raise ModelFileError(f"{source}: \"outputs\" must be a non-empty object")
    g = Graph()
    vals: list[Value] = []
    for i, rec in enumerate(ops):
        if not isinstance(rec, dict):
            raise ModelFileError(f"{source}: op {i}: expected an object")
        k = rec.get("op")
        where = f"{source}: op {i} ({k})"
        if k not in FIELDS:
            raise ModelFileError(f"{source}: op {i}: unknown op {k!r}; known: "
                                 f"{', '.join(sorted(FIELDS))}")
        names = [n for n, _ in FIELDS[k]]
        extra = sorted(set(rec) - {"op", *names})
        if extra:
            raise ModelFileError(f"{where}: unknown field {extra[0]!r}")
        missing = [n for n in names if n not in rec]
        if missing:
            raise ModelFileError(f"{where}: missing field {missing[0]!r}")
        for n, kind in FIELDS[k]:
            _check(rec[n], kind, f"{where} field {n!r}", i)
        try:
            v = _build(g, k, rec, vals)
        except GraphError as exc:
            raise ModelFileError(f"{where}: {exc}") from exc
        if v.id != i:
            raise ModelFileError(f"{where}: 'first' must come before the first op that "
                                 f"reads it (a delay makes it)")
        vals.append(v)
    for name, idx in outs.items():
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < len(vals):
            raise ModelFileError(f"{source}: output {name!r}: {json.dumps(idx)[:40]} is not "
                                 f"an op index (0..{len(vals) - 1})")
        try:
            g.output(name, vals[idx])
        except GraphError as exc:
            raise ModelFileError(f"{source}: output {name!r}: {exc}") from exc
    return g
