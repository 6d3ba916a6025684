"""compiler.compose.phase: operands bound to opposite phases get a copy of their cone."""

from __future__ import annotations

import numpy as np

from compiler.compose.phase import legalise_phases
from compiler.ir import Graph, reference
from compiler.parity import ParityUnion


def _tokens(g: Graph, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, v in g.inputs.items():
        out[name] = rng.integers(v.type.lo, v.type.hi + 1, size=(n, v.dim))
    if "first" in out:
        out["first"][0] = 1
    return out


def _conflicted() -> Graph:
    """``x' + delay(x', 1)`` with ``x'`` computed: x' is bound to two phases."""
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.first()
    s = g.add(a, b, bits=None)
    g.output("y", g.add(s, g.delay(s, 1), bits=None))
    return g


def _bound_phases_agree(g: Graph) -> bool:
    """Every op's computed operands can share a phase (delay k flips by k mod 2)."""
    uf = ParityUnion()
    for vid, op in enumerate(g.ops):
        k = int(op.params["k"]) % 2 if op.kind == "delay" else 0
        for a in op.args:
            if g.ops[a].kind in ("input", "const"):
                continue
            if not uf.union(vid, a, k):
                return False
    return True


def test_conflict_is_copied_and_the_function_kept() -> None:
    g = _conflicted()
    assert not _bound_phases_agree(g)
    new, copied = legalise_phases(g)
    assert copied >= 1
    assert _bound_phases_agree(new)
    toks = _tokens(g, 200, 3)
    toks["first"] = (np.random.default_rng(4).random((200, 1)) < 0.1).astype(np.int64)
    toks["first"][0] = 1
    for name, want in reference(g, toks).items():
        np.testing.assert_array_equal(reference(new, toks)[name], want)


def test_even_delays_need_no_copy() -> None:
    g = Graph()
    a = g.input("a", bits=4)
    g.first()
    s = g.add(a, a, bits=None)
    g.output("y", g.add(s, g.delay(s, 2), bits=None))
    new, copied = legalise_phases(g)
    assert copied == 0
    assert len(new.ops) == len(g.ops)


def test_inputs_have_no_phase_of_their_own() -> None:
    # a token input read directly and through an odd delay: its feeds take both phases
    g = Graph()
    a = g.input("a", bits=4)
    g.first()
    g.output("y", g.add(a, g.delay(a, 1), bits=None))
    assert legalise_phases(g)[1] == 0
