"""Random programs drawn from every op family of DESIGN §5 (vectors, Linear, Dot, Sum,
Slice/Concat, Embed, Argmax besides the elementwise ops), composed and streamed: every
token bit-exact with the reference, with and without defects, or refused by name."""

from __future__ import annotations

import numpy as np
from composed import compose_checked_or_named
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compiler.ir import Graph, Value
from compiler.program import block_library

FAMILIES = ("add", "sub", "const_mul", "mul", "max", "table", "delay", "rshift", "sat",
            "wrap", "sum", "dot", "linear", "slice", "concat", "embed", "argmax")


def random_program(rng: np.random.Generator, n_ops: int) -> Graph:
    """``n_ops`` ops drawn uniformly from :data:`FAMILIES` over two small vector
    inputs (2-3 words of 2-4 bits); wide intermediate words are saturated back to 4
    bits where an op needs a narrow operand (a table index, a linear's x)."""
    g = Graph()
    dim = int(rng.integers(2, 4))
    pool: list[Value] = [g.input("a", dim, int(rng.integers(2, 5))),
                         g.input("b", dim, int(rng.integers(2, 5)), bool(rng.integers(2)))]

    def pick(same_dim: int | None = None) -> Value:
        cands = [v for v in pool if same_dim is None or v.dim == same_dim]
        return cands[int(rng.integers(len(cands)))]

    def narrow(v: Value, bits: int = 4) -> Value:
        return v if v.bits <= bits and v.signed else g.sat(v, bits)

    for _ in range(n_ops):
        kind = FAMILIES[int(rng.integers(len(FAMILIES)))]
        a = pick()
        b = pick(a.dim)
        bits = int(rng.integers(3, 7))
        if kind in ("add", "sub"):
            v = getattr(g, kind)(a, b, bits=bits, mode="sat" if rng.random() < 0.7 else "wrap")
        elif kind == "const_mul":
            v = g.const_mul(a, int(rng.integers(-5, 6)), shift=int(rng.integers(0, 2)),
                            bits=bits)
        elif kind == "mul":
            v = g.mul(narrow(a), narrow(b), shift=int(rng.integers(0, 3)), bits=bits)
        elif kind == "max":
            v = g.max(a, b, pick(a.dim))
        elif kind == "table":
            x = narrow(a, int(rng.integers(2, 5)))
            v = g.table(x, [int(t) for t in rng.integers(-8, 8, 1 << x.bits)], bits=4)
        elif kind == "delay":
            v = g.delay(a, int(rng.integers(1, 3)))
        elif kind == "rshift":
            v = g.rshift(a, int(rng.integers(1, 3)))
        elif kind in ("sat", "wrap"):
            v = getattr(g, kind)(a, bits, signed=bool(rng.integers(2)))
        elif kind == "sum":
            v = g.sum([a, b, pick(a.dim)], bits=bits + 1)
        elif kind == "dot":
            v = g.dot(narrow(a, 3), narrow(b, 3), shift=int(rng.integers(0, 3)), bits=bits)
        elif kind == "linear":
            x = narrow(a)
            v = g.linear(x, rng.integers(-8, 8, (int(rng.integers(1, 4)), x.dim)),
                         shift=int(rng.integers(1, 4)), bits=bits)
        elif kind == "slice":
            v = g.slice(a, 0, max(1, a.dim - 1)) if a.dim > 1 else a
        elif kind == "concat":
            v = g.concat([a, pick()])
        elif kind == "embed":
            ids = g.wrap(g.slice(a, 0, 1), int(rng.integers(2, 5)), signed=False)
            v = g.embed(ids, rng.integers(-4, 4, (1 << ids.bits, 2)), bits=3)
        else:
            v = g.argmax(a)
        pool.append(v)
    g.output("y", pool[-1])
    if len(pool) > 3:
        g.output("z", pool[len(pool) // 2])
    return g


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_ops=st.integers(5, 40))
def test_random_programs_of_every_family_compose_bit_exact(seed: int, n_ops: int) -> None:
    g = random_program(np.random.default_rng(seed), n_ops)
    assume(sum(op.kind not in ("input", "const", "slice", "concat") for op in g.ops) >= 3)
    compose_checked_or_named(g, block_library(), 60.0, seed)
