"""The demo language model's corpus, folded to 32 symbols, and its n-gram baselines.

The text is the Python standard library's ``pydoc_data.topics`` (the help topics, about
465,000 characters), extracted by :func:`extract` and frozen into the package as
``lutgrid/data/pydoc_topics32.txt.gz`` so that every machine trains and measures on the
same bytes whatever its Python version. ``python -m lutgrid.corpus`` re-extracts it and
says whether it equals the frozen copy.

**The fold** (:data:`ALPHABET`, symbol id = index): lower case; ``a``-``z``; a space for
every run of whitespace; ``.``, ``,`` and ``-`` as themselves; every quote mark (``"
' ’ “ ”``) as ``"``; everything else (digits, brackets, operators, ``_`` ...) as ``#``.
Whitespace runs collapse because the topics indent their code examples, and predicting
the tenth space of an indent says nothing about a model.

**The split:** the topics in sorted order, joined by one space; the first 90 % of the
symbols is the training part, the rest the held-out part.

**Baselines** (:func:`ngram_accuracy`): predict each held-out symbol as the most frequent
follower, in the training part, of the ``n - 1`` symbols before it (ties: the lowest
id); a context never seen in training backs off to the longest shorter context that
was, down to the most frequent symbol. ``n = 2, 3, 4`` are the issue's bigram, trigram
and 4-gram (1, 2 and 3 symbols of context).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import Counter, defaultdict
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["ALPHABET", "HELD_OUT_FRACTION", "Corpus", "extract", "fold", "load",
           "ngram_accuracy"]

#: The 32 symbols; a symbol's id is its index.
ALPHABET = "abcdefghijklmnopqrstuvwxyz .,-\"#"
#: Share of the symbols held out (the end of the text).
HELD_OUT_FRACTION = 0.1
#: SHA-256 of the frozen folded text (UTF-8): what :func:`load` checks.
FROZEN_SHA256 = "043617b2d3c77a5738842bdd3e5d5a5fe8d25d662ea70301c96fb5e7782b62db"
_FROZEN = "pydoc_topics32.txt.gz"
_QUOTES = "\"'\u2019\u201c\u201d\u2018"


def fold(text: str) -> str:
    """``text`` in the 32 symbols of :data:`ALPHABET` (module docstring)."""
    out = []
    for ch in re.sub(r"\s+", " ", text.lower()):
        if ch in ALPHABET and ch != "#":
            out.append(ch)
        elif ch in _QUOTES:
            out.append('"')
        else:
            out.append("#")
    return "".join(out)


def extract() -> str:
    """The folded corpus from this Python's ``pydoc_data.topics``."""
    from pydoc_data import topics

    return fold(" ".join(topics.topics[k] for k in sorted(topics.topics)))


class Corpus:
    """The folded corpus as symbol ids (``uint8``), split into ``train`` and
    ``held_out`` (module docstring)."""

    def __init__(self, text: str) -> None:
        bad = sorted(set(text) - set(ALPHABET))
        if bad:
            raise ValueError(f"corpus: symbols outside the 32-symbol alphabet: {bad[:5]}")
        lut = np.zeros(256, dtype=np.uint8)
        for i, ch in enumerate(ALPHABET):
            lut[ord(ch)] = i
        self.text = text
        self.ids: npt.NDArray[np.uint8] = lut[np.frombuffer(text.encode("ascii"),
                                                            dtype=np.uint8)]
        cut = int(round(len(self.ids) * (1 - HELD_OUT_FRACTION)))
        self.train = self.ids[:cut]
        self.held_out = self.ids[cut:]

    @staticmethod
    def decode(ids: npt.ArrayLike) -> str:
        """Symbol ids as text."""
        return "".join(ALPHABET[int(i)] for i in np.asarray(ids).ravel())


@cache
def load() -> Corpus:
    """The frozen corpus shipped in the package, checked against its SHA-256."""
    raw = resources.files("lutgrid.data").joinpath(_FROZEN).read_bytes()
    text = gzip.decompress(raw).decode("ascii")
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    if digest != FROZEN_SHA256:
        raise ValueError(f"corpus: lutgrid/data/{_FROZEN} is damaged (SHA-256 {digest[:16]}.., "
                         f"expected {FROZEN_SHA256[:16]}..): reinstall lutgrid")
    return Corpus(text)


def ngram_accuracy(train: npt.ArrayLike, test: npt.ArrayLike, n: int) -> float:
    """Top-1 accuracy on ``test`` of the most-frequent-follower predictor with ``n - 1``
    symbols of context learnt on ``train`` (backing off to shorter contexts; the first
    ``n - 1`` test symbols are predicted from the end of ``train``)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    tr = [int(v) for v in np.asarray(train).ravel()]
    te = [int(v) for v in np.asarray(test).ravel()]
    if not tr or not te:
        raise ValueError("ngram_accuracy needs non-empty train and test sequences")
    # follower counts for every context length 0..n-1
    counts: list[dict[tuple[int, ...], Counter[int]]] = [defaultdict(Counter)
                                                         for _ in range(n)]
    for i, sym in enumerate(tr):
        for k in range(n):
            if i >= k:
                counts[k][tuple(tr[i - k:i])][sym] += 1
    best: list[dict[tuple[int, ...], int]] = [
        {ctx: min(c, key=lambda s, c=c: (-c[s], s)) for ctx, c in table.items()}
        for table in counts]
    seq = tr[-(n - 1):] + te if n > 1 else te
    off = len(seq) - len(te)
    hits = 0
    for i in range(off, len(seq)):
        for k in range(n - 1, -1, -1):
            guess = best[k].get(tuple(seq[i - k:i]))
            if guess is not None:
                break
        hits += guess == seq[i]
    return hits / len(te)


def main() -> int:
    """Re-extract the corpus from this Python and compare it with the frozen copy;
    ``--write`` replaces the frozen copy (for a maintainer, with the new SHA-256)."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write", action="store_true",
                        help="write lutgrid/data/pydoc_topics32.txt.gz from this Python")
    args = parser.parse_args()
    text = extract()
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    print(f"extracted {len(text):,} symbols from Python {sys.version.split()[0]}'s "
          f"pydoc_data.topics, SHA-256 {digest}")
    if args.write:
        path = Path(__file__).parent / "data" / _FROZEN
        from fabric.bitstream import atomic_write_bytes

        atomic_write_bytes(path, gzip.compress(text.encode("ascii"), mtime=0))
        print(f"wrote {path}; set FROZEN_SHA256 = {digest!r}")
        return 0
    same = digest == FROZEN_SHA256
    print("equal to the frozen copy" if same else "differs from the frozen copy (another "
          "Python version's help topics); the frozen copy is what lutgrid uses")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
