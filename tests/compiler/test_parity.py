"""Parity legalisation keeps every output's value and removes every phase conflict."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.netlist import Netlist, evaluate
from compiler.parity import ALIAS, expand_aliases, legalise_parity, phases


def _xor_with_delayed(k: int) -> Netlist:
    nl = Netlist()
    a, b = nl.input("x", 0), nl.input("x", 1)
    s = nl.lut([a, b], 0b0110)
    nl.output("y", 0, nl.lut([s, nl.delay(s, k)], 0b0110))
    return nl


def test_even_delay_needs_nothing() -> None:
    nl = _xor_with_delayed(2)
    assert phases(nl) is not None
    assert legalise_parity(nl) is nl


def test_odd_delay_duplicates_the_cone() -> None:
    nl = _xor_with_delayed(1)
    assert phases(nl) is None
    legal = legalise_parity(nl)
    assert phases(legal) is not None
    words = {w for w, _ in legal.inputs}
    assert words == {"x", "x" + ALIAS}
    x = np.random.default_rng(0).integers(0, 4, size=200)
    want = evaluate(nl, {"x": x})
    got = evaluate(legal, expand_aliases({"x": x}, words))
    assert np.array_equal(want["y"], got["y"])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_netlists_keep_their_values(data) -> None:
    nl = Netlist()
    sigs = [nl.input("a", b) for b in range(3)] + [nl.input("f", 0)]
    for _ in range(data.draw(st.integers(1, 25))):
        if data.draw(st.booleans()):
            sigs.append(nl.delay(data.draw(st.sampled_from(sigs)), data.draw(st.integers(1, 3))))
        else:
            ins = data.draw(st.lists(st.sampled_from(sigs), min_size=1, max_size=4))
            sigs.append(nl.lut(ins, data.draw(st.integers(0, 2 ** (2 ** len(ins)) - 1))))
    for i, s in enumerate(sigs[-3:]):
        nl.output("y", i, s)
    legal = legalise_parity(nl)
    assert phases(legal) is not None
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    tokens = {"a": rng.integers(0, 8, size=64), "f": rng.integers(0, 2, size=64)}
    words = {w for w, _ in legal.inputs}
    assert np.array_equal(evaluate(nl, tokens)["y"],
                          evaluate(legal, expand_aliases(tokens, words))["y"])


def test_delayed_constants_fit_any_phase() -> None:
    """A constant delayed by 1 and by 2 tokens, read by one LUT: the packer folds both
    into constants, so the parity law must not see two phases (found by hypothesis)."""
    nl = Netlist()
    a = nl.input("a", 0)
    one = nl.const(1)
    y = nl.lut([nl.delay(one, 1), nl.delay(one, 2)], 0b0110)
    nl.output("y", 0, y)
    nl.output("y", 1, nl.delay(a, 1))
    assert phases(nl) is not None
    assert legalise_parity(nl) is nl
