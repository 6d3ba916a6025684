"""Token values from a user's file, checked against a program's I/O map.

Two formats, chosen by the file name:

* ``.json``: an object ``{"word": [v0, v1, ...], ...}``;
* anything else: CSV with a header row naming the words and one row per token
  (``#`` starts a comment line; blank lines are skipped).

Every token input word of the map must be given, and nothing else; every word has
the same number of tokens (1..``max_tokens``); each value is an integer in its word's
range (``-2^(b-1) .. 2^(b-1)-1`` for signed words, ``0 .. 2^b-1`` otherwise). Any
violation raises :class:`TokenFileError` naming the file, the line or word, and the
value.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from fabric.iomap import IOMap, base_word

#: The largest token file read, in bytes.
MAX_FILE_BYTES = 1 << 28


class TokenFileError(ValueError):
    """A token file that cannot be streamed; the message names file, line and word."""


def token_words(iomap: IOMap) -> dict[str, tuple[int, bool]]:
    """Token input word -> ``(bits, signed)`` (a word is as wide as its widest feed)."""
    out: dict[str, tuple[int, bool]] = {}
    for word, bits in iomap.inputs.items():
        base = base_word(word)
        width = max(out.get(base, (0, False))[0], len(bits))
        out[base] = (width, base in iomap.signed)
    return out


def read_token_file(path: str | os.PathLike[str], iomap: IOMap,
                    max_tokens: int) -> dict[str, np.ndarray]:
    """The token values in ``path`` (see the module docstring), as int64 arrays."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise TokenFileError(f"{name}: {size} bytes is more than a token file may have "
                                 f"({MAX_FILE_BYTES})")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenFileError(f"cannot read token file {name}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise TokenFileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from exc
    columns = _json_columns(name, text) if name.endswith(".json") else _csv_columns(name, text)
    words = token_words(iomap)
    missing = sorted(set(words) - set(columns))
    extra = sorted(set(columns) - set(words))
    if missing or extra:
        raise TokenFileError(f"{name}: the program's token words are {sorted(words)}; the "
                             f"file lacks {missing} and has unknown {extra}")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise TokenFileError(f"{name}: words have different token counts "
                             f"{ {w: len(v) for w, v in sorted(columns.items())} }")
    n = lengths.pop()
    if not 1 <= n <= max_tokens:
        raise TokenFileError(f"{name}: {n} tokens; give 1..{max_tokens}")
    out = {}
    for word, (bits, signed) in sorted(words.items()):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        for t, (where, value) in enumerate(columns[word]):
            if not lo <= value <= hi:
                kind = "signed" if signed else "unsigned"
                raise TokenFileError(f"{name}: {where}: word {word!r} token {t} is {value}, "
                                     f"outside the {bits}-bit {kind} range {lo}..{hi}")
        out[word] = np.array([v for _, v in columns[word]], dtype=np.int64)
    return out


def _integer(name: str, where: str, word: str, raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise TokenFileError(f"{name}: {where}: word {word!r}: {raw!r} is not an integer")
    try:
        return int(raw) if isinstance(raw, int) else int(raw.strip(), 0)
    except ValueError:
        raise TokenFileError(f"{name}: {where}: word {word!r}: {raw!r} is not an integer") \
            from None


def _json_columns(name: str, text: str) -> dict[str, list[tuple[str, int]]]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise TokenFileError(f"{name}: not valid JSON: {str(exc)[:120]}") from exc
    if not isinstance(doc, dict) or not all(isinstance(v, list) for v in doc.values()):
        raise TokenFileError(f"{name}: expected a JSON object of word -> list of integers")
    return {w: [(f"word {w!r} entry {i}", _integer(name, f"entry {i}", w, v))
                for i, v in enumerate(vs)] for w, vs in doc.items()}


def _csv_columns(name: str, text: str) -> dict[str, list[tuple[str, int]]]:
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), 1)
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    if not rows:
        raise TokenFileError(f"{name}: empty: expected a header row naming the words")
    head_line, head = rows[0]
    words = [c.strip() for c in head]
    if len(set(words)) != len(words) or not all(words):
        raise TokenFileError(f"{name}: line {head_line}: the header {words} must name each "
                             f"word once")
    columns: dict[str, list[tuple[str, int]]] = {w: [] for w in words}
    for line, row in rows[1:]:
        if len(row) != len(words):
            raise TokenFileError(f"{name}: line {line}: {len(row)} values, the header names "
                                 f"{len(words)} words")
        for word, raw in zip(words, row, strict=True):
            columns[word].append((f"line {line}", _integer(name, f"line {line}", word, raw)))
    return columns
