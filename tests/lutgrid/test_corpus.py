"""The demo corpus (lutgrid/corpus.py): the fold, the frozen copy, the n-gram
baselines."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pytest

from lutgrid import corpus
from lutgrid.corpus import ALPHABET, Corpus, fold, ngram_accuracy


def test_fold_maps_into_32_symbols() -> None:
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert fold("Hello,\n\n   World!") == "hello, world#"
    assert fold("x_1 = 'a' \u201cb\u201d") == 'x## # "a" "b"'
    assert fold("A-b.C") == "a-b.c"
    text = "".join(chr(c) for c in range(32, 0x2100))
    assert set(fold(text)) <= set(ALPHABET)


def test_ngram_predictor_by_hand() -> None:
    """train a b a b a c: after 'a' comes 'b' twice and 'c' once; after 'b' always
    'a'; the most frequent symbol is 'a'."""
    a, b, c = 0, 1, 2
    train = [a, b, a, b, a, c]
    assert ngram_accuracy(train, [a, a, a], 1) == 1.0                # always 'a'
    # bigram, test a b c a: predicted from (c)->? unseen -> 'a' (hit), a->b (hit),
    # b->a (miss: c), c->unseen -> 'a' (hit)
    assert ngram_accuracy(train, [a, b, c, a], 2) == 0.75
    with pytest.raises(ValueError, match="n must be"):
        ngram_accuracy(train, [a], 0)


def test_frozen_corpus_loads_and_splits() -> None:
    c = corpus.load()
    assert len(c.ids) == len(c.text) > 400_000
    assert len(c.held_out) == len(c.ids) - len(c.train)
    assert abs(len(c.held_out) / len(c.ids) - corpus.HELD_OUT_FRACTION) < 1e-4
    assert Corpus.decode(c.ids[:1000]) == c.text[:1000]
    assert np.array_equal(c.ids[: len(c.train)], c.train)


def test_a_damaged_frozen_copy_is_refused(monkeypatch) -> None:
    class Files:
        def joinpath(self, name):
            return self

        def read_bytes(self):
            return gzip.compress(b"abc")

    monkeypatch.setattr(corpus.resources, "files", lambda pkg: Files())
    corpus.load.cache_clear()
    try:
        with pytest.raises(ValueError, match="pydoc_topics32.txt.gz is damaged"):
            corpus.load()
    finally:
        corpus.load.cache_clear()


@pytest.mark.skipif(sys.version_info[:3] != (3, 11, 7),
                    reason="the frozen copy was extracted from Python 3.11.7's help topics")
def test_extraction_reproduces_the_frozen_copy() -> None:
    assert corpus.extract() == corpus.load().text
