"""The demo corpus and its n-gram baselines (issue 10, part 3).

The corpus is the standard library's help topics folded to 32 symbols
(:mod:`lutgrid.corpus`), 90 % for training and the last 10 % held out. Each baseline
predicts a held-out symbol as the most frequent follower, in the training part, of the
symbols before it (backing off to shorter contexts). Figures::

    FIGURE demo_accuracy_bigram    1 symbol of context
    FIGURE demo_accuracy_trigram   2 symbols
    FIGURE demo_accuracy_4gram     3 symbols
    FIGURE corpus_symbols_train / corpus_symbols_held_out

The trained model these are the baselines for is measured by :mod:`bench_demo_lm`.
"""

from __future__ import annotations

import time

from lutgrid.corpus import load, ngram_accuracy

Figure = tuple[str, float, str]


def run(quick: bool = False) -> list[Figure]:
    """Every figure of this module (the same in --quick: a few seconds)."""
    c = load()
    figs: list[Figure] = [("corpus_symbols_train", float(len(c.train)), "symbols"),
                          ("corpus_symbols_held_out", float(len(c.held_out)), "symbols")]
    for n, name in ((2, "bigram"), (3, "trigram"), (4, "4gram")):
        t0 = time.perf_counter()
        acc = ngram_accuracy(c.train, c.held_out, n)
        print(f"{name} ({n - 1} symbol(s) of context): {acc:.4f} top-1 on "
              f"{len(c.held_out):,} held-out symbols ({time.perf_counter() - t0:.1f} s)",
              flush=True)
        figs.append((f"demo_accuracy_{name}", round(acc, 4), "fraction"))
    return figs


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"FIGURE {name} {value:.6g} {unit}")
