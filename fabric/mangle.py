"""Damaged copies of a bitstream file, for the loader's fuzz test and benchmark.

:func:`mangle` applies one seeded kind of damage to a file image and returns it:

* ``flip``: 1-8 random bits flipped anywhere (usually caught by the checksum);
* ``truncate`` / ``insert`` / ``delete``: bytes cut, inserted or removed;
* ``header``: a header field (version, W, H, payload length) set to an edge value;
* ``payload``: bytes of the payload flipped, inserted or removed and the header
  *re-sealed* (length and SHA-256 recomputed), so the damage reaches the parser;
* ``json``: one node of the I/O map's JSON replaced by a hostile value (a huge or
  negative integer, deep nesting, an empty list, a wrong type, a duplicated bit, a
  dropped key or word, a repeated key), then re-sealed.

Same data and same generator state give the same damage (determinism for the bench).
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

import numpy as np

from fabric.bitstream import _HEADER, HEADER_BYTES

KINDS: tuple[str, ...] = ("flip", "truncate", "insert", "delete", "header", "payload", "json")
_EDGE_INTS = (0, 1, 2, 3, 255, 65535, 1 << 31, (1 << 32) - 1)


def seal(data: bytes, payload: bytes) -> bytes:
    """``data``'s header with the length and checksum of ``payload``, then ``payload``."""
    magic, version, width, height, _length, _digest = _HEADER.unpack_from(data)
    return _HEADER.pack(magic, version, width, height, len(payload),
                        hashlib.sha256(payload).digest()) + payload


def _split(data: bytes) -> tuple[bytes, bytes]:
    """(configurations, I/O map JSON) of an intact file image."""
    _m, _v, width, height, _l, _d = _HEADER.unpack_from(data)
    cut = HEADER_BYTES + 8 * width * height
    return data[HEADER_BYTES:cut], data[cut:]


#: JSON text that ``json.dumps`` cannot write itself (a 6,000-digit integer, 5,000
#: nested lists) travels as this placeholder string and is spliced in afterwards.
_RAW = "\x00raw\x00"


def _hostile(rng: np.random.Generator, near: Any, raw: list[str]) -> Any:
    """A value that a careless parser would choke on (or a subtly wrong one); raw JSON
    text is appended to ``raw`` and stands as a placeholder in the tree."""
    choice = int(rng.integers(0, 14))
    depth = int(rng.integers(5, 5000))

    def spliced(text: str) -> str:
        raw.append(text)
        return _RAW

    return [
        lambda: spliced("9" * int(rng.integers(6, 6000))),  # huge integer (past 4300 digits too)
        lambda: -int(rng.integers(1, 1 << 40)),
        lambda: 10 ** 9,
        lambda: 10 ** 6,
        lambda: [],
        lambda: "",
        lambda: None,
        lambda: True,
        lambda: 1.5,
        lambda: {"": []},
        lambda: spliced("[" * depth + "]" * depth),      # deep nesting
        lambda: [near, near] if isinstance(near, list) else near,  # duplicated entries
        lambda: "x" * int(rng.integers(129, 4000)),
        lambda: int(rng.integers(0, 200)),               # a plausible but wrong number
    ][choice]()


def _nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every node of a JSON tree (the root is ``()``)."""
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, path + (i,))
    return out


def _mangle_json(text: bytes, rng: np.random.Generator) -> bytes:
    doc = json.loads(text)
    paths = _nodes(doc)
    path = paths[int(rng.integers(0, len(paths)))]
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = int(rng.integers(0, 4))
    raw: list[str] = []
    if not path:
        doc = _hostile(rng, doc, raw)
    elif action == 0 and isinstance(parent, dict):
        del parent[path[-1]]                                 # a missing field or word
    elif action == 1 and isinstance(parent, list) and parent:
        parent.append(parent[int(rng.integers(0, len(parent)))])  # a repeated bit
    else:
        parent[path[-1]] = _hostile(rng, parent[path[-1]], raw)
    out = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    for text in raw:
        out = out.replace(json.dumps(_RAW).encode(), text.encode(), 1)
    if action == 3 and out.startswith(b'{"'):                 # a key written twice
        out = b'{"latency":0,' + out[1:]
    return out


def _edit(buf: bytes, rng: np.random.Generator, kind: str) -> bytes:
    if not buf:
        return bytes(rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8))
    arr = bytearray(buf)
    if kind == "flip":
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, len(arr)))
            arr[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(arr)
    i = int(rng.integers(0, len(arr) + 1))
    if kind == "truncate":
        return bytes(arr[:i])
    if kind == "insert":
        junk = bytes(rng.integers(0, 256, size=int(rng.integers(1, 65)), dtype=np.uint8))
        return bytes(arr[:i] + junk + arr[i:])
    return bytes(arr[:i] + arr[i + int(rng.integers(1, 65)):])  # delete


def mangle(data: bytes, rng: np.random.Generator, kind: str | None = None) -> tuple[str, bytes]:
    """One damaged copy of the intact file image ``data``: ``(kind, bytes)``. ``kind``
    (one of :data:`KINDS`) is drawn from ``rng`` when not given."""
    if kind is None:
        kind = KINDS[int(rng.integers(0, len(KINDS)))]
    if kind in ("flip", "truncate", "insert", "delete"):
        return kind, _edit(data, rng, kind)
    configs, text = _split(data)
    if kind == "header":
        fields = [("<H", 8), ("<I", 10), ("<I", 14), ("<Q", 18)]
        fmt, at = fields[int(rng.integers(0, len(fields)))]
        value = _EDGE_INTS[int(rng.integers(0, len(_EDGE_INTS)))]
        size = struct.calcsize(fmt)
        return kind, data[:at] + struct.pack(fmt, value % (1 << 8 * size)) + data[at + size:]
    if kind == "payload":
        part = int(rng.integers(0, 3))
        if part == 0:
            configs = _edit(configs, rng, "flip")
        else:
            text = _edit(text, rng, ("flip", "insert", "delete")[int(rng.integers(0, 3))])
        return kind, seal(data, configs + text)
    if kind == "json":
        if not text:
            return kind, seal(data, configs + b'{"inputs":{},"outputs":{},"latency":0}')
        return kind, seal(data, configs + _mangle_json(text, rng))
    raise ValueError(f"unknown damage kind {kind!r}; choose from {', '.join(KINDS)}")
