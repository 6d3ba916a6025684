"""Bit-level netlist over the token stream (ARCHITECTURE §7).

A :class:`Netlist` is a DAG of one-bit signals, each identified by an ``int`` id.
Ids are handed out in creation order and every node only reads ids smaller than
its own, so ``range(len(nl))`` is a topological order.

Node kinds (:class:`Node`):

``input``
    bit ``bit`` of token word ``word`` (of the current token).
``const``
    the constant ``table`` (0 or 1). At most one node per value.
``lut``
    a function of 1..4 ``inputs``: the output is bit ``j`` of ``table`` where
    ``j = sum(in_i << i)``. Tables are normalised on creation (see :meth:`Netlist.lut`).
``delay``
    the value ``inputs[0]`` had for the token ``k`` tokens earlier; before any token
    (``t < k``) it reads 0 in :func:`evaluate`. Delays are *raw*: lowering produces the
    DESIGN §5 zeroing itself by gating with the delayed ``first`` flags.

Timing contract. :meth:`Netlist.depths` gives the ASAP arrival of every signal in
LUT levels relative to the entry of its own token: inputs and constants 0, a LUT
``1 + max(inputs)``, a delay ``depth(src) - k`` (the delayed value exists that many
cycles before its token enters; it may be negative). Placement and routing assign
the real cycles; a delay edge ``src -> delay -> consumer`` needs a route of length
``time(consumer) - time(src) + k`` cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

MAX_LUT_INPUTS = 4

__all__ = [
    "MAX_LUT_INPUTS",
    "Netlist",
    "NetlistError",
    "NetlistStats",
    "Node",
    "bits_to_words",
    "collapse",
    "evaluate",
    "tt_depends",
    "tt_merge",
    "tt_restrict",
]


class NetlistError(ValueError):
    """A malformed netlist operation (bad signal id, table, arity, duplicate output...)."""


@dataclass(frozen=True, slots=True)
class Node:
    """One signal of a :class:`Netlist`.

    ``kind`` is ``"input"``, ``"const"``, ``"lut"`` or ``"delay"``. ``inputs`` are the
    signal ids read (LUT: 1..4, sorted ascending, distinct; delay: one). ``table`` is
    the LUT truth table (``2**len(inputs)`` bits) or the constant value. ``word``/``bit``
    name an input bit, ``k`` is a delay's length in tokens.
    """

    kind: str
    inputs: tuple[int, ...] = ()
    table: int = 0
    word: str | None = None
    bit: int = -1
    k: int = 0


@dataclass(frozen=True)
class NetlistStats:
    """Counts over the *live* part of a netlist (signals an output depends on)."""

    luts: int
    inputs: int
    outputs: int
    delays: int
    delay_tokens: int
    depth: int
    lut_arity: dict[int, int] = field(default_factory=dict)
    #: cells if LUTs with identical input sets share a cell (<= 4 outputs each): a
    #: compute-only estimate that ignores placement and routing.
    lut_groups: int = 0

    def __str__(self) -> str:
        ar = ", ".join(f"{k}-in: {v}" for k, v in sorted(self.lut_arity.items()))
        return (f"{self.luts} LUTs ({ar}) in {self.lut_groups} input-sharing groups, "
                f"{self.inputs} input bits, {self.outputs} output bits, {self.delays} delays "
                f"({self.delay_tokens} token-steps), depth {self.depth}")


# --------------------------------------------------------------------------- tables

def _bit(table: int, j: int) -> int:
    return (table >> j) & 1


def _restrict(table: int, k: int, i: int, v: int) -> int:
    """Table over k-1 inputs: input ``i`` of a k-input table fixed to ``v``."""
    out = 0
    low = (1 << i) - 1
    for j in range(1 << (k - 1)):
        full = (j & low) | (v << i) | ((j & ~low) << 1)
        out |= _bit(table, full) << j
    return out


def _merge(table: int, k: int, i: int, m: int) -> int:
    """Table over k-1 inputs when inputs ``i < m`` carry the same signal (drop ``m``)."""
    out = 0
    for j in range(1 << (k - 1)):
        low = j & ((1 << m) - 1)
        full = low | (((j >> i) & 1) << m) | ((j >> m) << (m + 1))
        out |= _bit(table, full) << j
    return out


def _depends(table: int, k: int, i: int) -> bool:
    return _restrict(table, k, i, 0) != _restrict(table, k, i, 1)


def tt_restrict(table: int, k: int, i: int, v: int) -> int:
    """Truth table of a ``k``-input function with input ``i`` fixed to ``v`` (k-1 inputs)."""
    return _restrict(table, k, i, v)


def tt_merge(table: int, k: int, i: int, m: int) -> int:
    """Truth table when inputs ``i < m`` are the same signal (input ``m`` removed)."""
    return _merge(table, k, i, m)


def tt_depends(table: int, k: int, i: int) -> bool:
    """Does the ``k``-input function depend on input ``i``."""
    return _depends(table, k, i)


def _complement_input(table: int, k: int, i: int) -> int:
    out = 0
    for j in range(1 << k):
        out |= _bit(table, j ^ (1 << i)) << j
    return out


def _permute(table: int, k: int, order: Sequence[int]) -> int:
    """New table whose input ``n`` is old input ``order[n]``."""
    out = 0
    for j in range(1 << k):
        old = 0
        for n, o in enumerate(order):
            old |= ((j >> n) & 1) << o
        out |= _bit(table, old) << j
    return out


_NOT = 0b01
_BUF = 0b10


class Netlist:
    """Append-only bit-level netlist with structural hashing (see module docstring)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        #: ``(word, bit) -> signal`` of every token output bit, in declaration order.
        self.outputs: dict[tuple[str, int], int] = {}
        self._inputs: dict[tuple[str, int], int] = {}
        self._consts: dict[int, int] = {}
        self._hash: dict[tuple, int] = {}
        self._depth: list[int] = []

    # ------------------------------------------------------------------ building
    def __len__(self) -> int:
        return len(self.nodes)

    def _add(self, node: Node, depth: int, key: tuple | None) -> int:
        sid = len(self.nodes)
        self.nodes.append(node)
        self._depth.append(depth)
        if key is not None:
            self._hash[key] = sid
        return sid

    def _check(self, sig: object, what: str) -> int:
        if isinstance(sig, bool) or not isinstance(sig, (int, np.integer)):
            raise NetlistError(f"{what}: signal must be an int id, got {sig!r}")
        s = int(sig)
        if not 0 <= s < len(self.nodes):
            raise NetlistError(f"{what}: unknown signal {s} (netlist has {len(self.nodes)})")
        return s

    @property
    def inputs(self) -> dict[tuple[str, int], int]:
        """``(word, bit) -> signal`` of every token input bit."""
        return dict(self._inputs)

    def input(self, word: str, bit: int) -> int:
        """Signal of bit ``bit`` of token word ``word`` (one node per (word, bit))."""
        if not isinstance(word, str) or not word:
            raise NetlistError(f"input: word name must be a non-empty str, got {word!r}")
        if not isinstance(bit, (int, np.integer)) or bit < 0:
            raise NetlistError(f"input {word!r}: bit must be an int >= 0, got {bit!r}")
        key = (word, int(bit))
        if key not in self._inputs:
            self._inputs[key] = self._add(Node("input", word=word, bit=int(bit)), 0, None)
        return self._inputs[key]

    def const(self, v: int) -> int:
        """Signal of the constant bit ``v`` (0 or 1)."""
        if v not in (0, 1):
            raise NetlistError(f"const: value must be 0 or 1, got {v!r}")
        v = int(v)
        if v not in self._consts:
            self._consts[v] = self._add(Node("const", table=v), 0, None)
        return self._consts[v]

    def const_value(self, sig: int) -> int | None:
        """0/1 if ``sig`` is a constant node, else ``None``."""
        n = self.nodes[sig]
        return n.table if n.kind == "const" else None

    def lut(self, inputs: Sequence[int], table: int) -> int:
        """Signal of the function ``table`` of ``inputs`` (at most 4).

        Table bit ``j`` is the output when input ``i`` carries ``(j >> i) & 1``. The
        node is normalised: inverters (1-input LUTs with table ``0b01``) feeding it are
        absorbed, constant inputs folded, repeated inputs merged, inputs the table
        does not depend on dropped, inputs sorted; a constant result returns a
        :meth:`const`, a buffer returns its input, and an identical existing node is
        returned instead of a new one. The result may therefore not be a new LUT.
        """
        ins = list(inputs) if not isinstance(inputs, (int, np.integer)) else None
        if ins is None:
            raise NetlistError(f"lut: inputs must be a sequence of signals, got {inputs!r}")
        k = len(ins)
        if k > MAX_LUT_INPUTS:
            raise NetlistError(f"lut: at most {MAX_LUT_INPUTS} inputs, got {k}: {ins}")
        ins = [self._check(s, f"lut input {i}") for i, s in enumerate(ins)]
        if isinstance(table, bool) or not isinstance(table, (int, np.integer)):
            raise NetlistError(f"lut: table must be an int, got {table!r}")
        table = int(table)
        if not 0 <= table < (1 << (1 << k)):
            raise NetlistError(f"lut: table {table:#x} does not fit {1 << k} entries "
                               f"of a {k}-input LUT")
        # absorb inverters
        for i, s in enumerate(ins):
            n = self.nodes[s]
            if n.kind == "lut" and len(n.inputs) == 1 and n.table == _NOT:
                ins[i] = n.inputs[0]
                table = _complement_input(table, k, i)
        # fold constants
        i = 0
        while i < k:
            cv = self.const_value(ins[i])
            if cv is not None:
                table = _restrict(table, k, i, cv)
                del ins[i]
                k -= 1
            else:
                i += 1
        # merge duplicates
        changed = True
        while changed:
            changed = False
            for a in range(k):
                for b in range(a + 1, k):
                    if ins[a] == ins[b]:
                        table = _merge(table, k, a, b)
                        del ins[b]
                        k -= 1
                        changed = True
                        break
                if changed:
                    break
        # drop inputs the function ignores
        i = 0
        while i < k:
            if not _depends(table, k, i):
                table = _restrict(table, k, i, 0)
                del ins[i]
                k -= 1
            else:
                i += 1
        if k == 0:
            return self.const(table & 1)
        if k == 1 and table == _BUF:
            return ins[0]
        order = sorted(range(k), key=lambda n: ins[n])
        table = _permute(table, k, order)
        ins = [ins[o] for o in order]
        if k == 1 and table == _NOT:
            src = self.nodes[ins[0]]
            if src.kind == "lut" and len(src.inputs) == 1 and src.table == _NOT:
                return src.inputs[0]
        key = ("lut", tuple(ins), table)
        hit = self._hash.get(key)
        if hit is not None:
            return hit
        depth = 1 + max(self._depth[s] for s in ins)
        return self._add(Node("lut", tuple(ins), table), depth, key)

    def delay(self, sig: int, k: int) -> int:
        """Signal carrying ``sig``'s value of the token ``k`` tokens earlier (0 before).

        ``k == 0`` returns ``sig``; a delayed constant 0 is constant 0; delays of delays
        are flattened to one delay of the original signal; identical delays are shared.
        """
        sig = self._check(sig, "delay source")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise NetlistError(f"delay of signal {sig}: k must be an int >= 0, got {k!r}")
        k = int(k)
        if k == 0 or self.const_value(sig) == 0:
            return sig
        n = self.nodes[sig]
        if n.kind == "delay":
            sig, k = n.inputs[0], n.k + k
        key = ("delay", sig, k)
        hit = self._hash.get(key)
        if hit is not None:
            return hit
        return self._add(Node("delay", (sig,), k=k), self._depth[sig] - k, key)

    def output(self, word: str, bit: int, signal: int) -> None:
        """Declare ``signal`` as bit ``bit`` of token output word ``word``."""
        if not isinstance(word, str) or not word:
            raise NetlistError(f"output: word name must be a non-empty str, got {word!r}")
        if not isinstance(bit, (int, np.integer)) or bit < 0:
            raise NetlistError(f"output {word!r}: bit must be an int >= 0, got {bit!r}")
        signal = self._check(signal, f"output {word!r} bit {bit}")
        key = (word, int(bit))
        if key in self.outputs:
            raise NetlistError(f"output {word!r} bit {bit} is already driven by signal "
                               f"{self.outputs[key]}")
        self.outputs[key] = signal

    # ------------------------------------------------------------------ analysis
    def depths(self) -> list[int]:
        """ASAP arrival (LUT levels) of every signal; see the module docstring."""
        return list(self._depth)

    def depth(self, sig: int) -> int:
        """ASAP arrival of one signal."""
        return self._depth[sig]

    def live(self) -> list[bool]:
        """Per signal: does some output depend on it."""
        alive = [False] * len(self.nodes)
        stack = list(self.outputs.values())
        while stack:
            s = stack.pop()
            if alive[s]:
                continue
            alive[s] = True
            stack.extend(self.nodes[s].inputs)
        return alive

    def fanout(self) -> list[list[int]]:
        """Per signal, the ids of the nodes reading it (outputs not included)."""
        fo: list[list[int]] = [[] for _ in self.nodes]
        for sid, n in enumerate(self.nodes):
            for s in n.inputs:
                fo[s].append(sid)
        return fo

    def pruned(self) -> Netlist:
        """A compacted copy holding only live signals (plus every input bit).

        Relative order is kept, so ids stay topological. Input bits are kept even if
        unused, so the token interface does not change.
        """
        alive = self.live()
        for s in self._inputs.values():
            alive[s] = True
        return _rebuild(self, alive, [n.inputs for n in self.nodes],
                        [n.table for n in self.nodes])

    def stats(self) -> NetlistStats:
        """LUT / input / output / delay counts and depth of the live part."""
        alive = self.live()
        luts = delays = dtok = 0
        arity: dict[int, int] = {}
        groups: dict[tuple[int, ...], int] = {}
        for sid, n in enumerate(self.nodes):
            if not alive[sid]:
                continue
            if n.kind == "lut":
                luts += 1
                arity[len(n.inputs)] = arity.get(len(n.inputs), 0) + 1
                groups[n.inputs] = groups.get(n.inputs, 0) + 1
            elif n.kind == "delay":
                delays += 1
                dtok += n.k
        depth = max((self._depth[s] for s in self.outputs.values()), default=0)
        cells = sum(-(-c // MAX_LUT_INPUTS) for c in groups.values())
        return NetlistStats(luts, len(self._inputs), len(self.outputs), delays, dtok, depth,
                            arity, cells)

    def describe(self, sig: int) -> str:
        """Human-readable one-line description of a signal (for error messages)."""
        n = self.nodes[sig]
        if n.kind == "input":
            return f"signal {sig}: input {n.word}[{n.bit}]"
        if n.kind == "const":
            return f"signal {sig}: const {n.table}"
        if n.kind == "delay":
            return f"signal {sig}: delay({n.inputs[0]}, {n.k})"
        return f"signal {sig}: lut{list(n.inputs)} table={n.table:#x}"

    # -------------------------------------------------------- trial construction
    def _mark(self) -> tuple[int, int]:
        return len(self.nodes), len(self.outputs)

    def _rollback(self, mark: tuple[int, int]) -> None:
        """Forget every node created after :meth:`_mark` (used for cost trials)."""
        n_nodes, n_out = mark
        if len(self.outputs) != n_out:
            raise NetlistError("cannot roll back across output declarations")
        for sid in range(n_nodes, len(self.nodes)):
            n = self.nodes[sid]
            if n.kind == "input":
                del self._inputs[(n.word, n.bit)]  # type: ignore[index]
            elif n.kind == "const":
                del self._consts[n.table]
            elif n.kind == "lut":
                del self._hash[("lut", n.inputs, n.table)]
            else:
                del self._hash[("delay", n.inputs[0], n.k)]
        del self.nodes[n_nodes:]
        del self._depth[n_nodes:]

    def count_new(self, mark: tuple[int, int], roots: Iterable[int]) -> int:
        """Number of LUTs created after ``mark`` that ``roots`` depend on."""
        first = mark[0]
        seen: set[int] = set()
        stack = [r for r in roots if r >= first]
        count = 0
        while stack:
            s = stack.pop()
            if s in seen or s < first:
                continue
            seen.add(s)
            n = self.nodes[s]
            if n.kind == "lut":
                count += 1
            stack.extend(n.inputs)
        return count


# ------------------------------------------------------------------ optimisation

def _compose(ci: Sequence[int], ct: int, n: int, ni: Sequence[int], nt: int
             ) -> tuple[list[int], int]:
    """Inline LUT ``n`` (inputs ``ni``, table ``nt``) into a consumer (``ci``, ``ct``)."""
    u = [s for s in ci if s != n]
    u += [s for s in ni if s not in u]
    pos = {s: i for i, s in enumerate(u)}
    table = 0
    for j in range(1 << len(u)):
        vn = (nt >> sum(((j >> pos[s]) & 1) << i for i, s in enumerate(ni))) & 1
        addr = 0
        for i, s in enumerate(ci):
            addr |= (vn if s == n else (j >> pos[s]) & 1) << i
        table |= ((ct >> addr) & 1) << j
    return u, table


def collapse(nl: Netlist) -> Netlist:
    """Merge LUTs into their consumers where the merged LUT still has <= 4 inputs.

    A LUT that drives no output and no delay, all of whose consumers can take its
    inputs in place of its output (at most 4 distinct inputs each), is inlined into
    every consumer and disappears: one LUT output fewer, one level less. Consumers
    that shared their inputs (a full adder's sum and carry) still share them.
    Nodes are visited in topological order. Returns a new, pruned netlist with the
    same function.
    """
    nl = nl.pruned()
    nodes = nl.nodes
    ins = [list(n.inputs) for n in nodes]
    tabs = [n.table for n in nodes]
    fo: list[set[int]] = [set() for _ in nodes]
    for sid, n in enumerate(nodes):
        for s in n.inputs:
            fo[s].add(sid)
    pinned = set(nl.outputs.values())
    gone: set[int] = set()
    for sid, n in enumerate(nodes):
        if n.kind != "lut" or sid in pinned or not fo[sid]:
            continue
        cons = fo[sid]
        if any(nodes[c].kind != "lut" for c in cons):
            continue
        if any(len(set(ins[c]) - {sid} | set(ins[sid])) > MAX_LUT_INPUTS for c in cons):
            continue
        for c in cons:
            ins[c], tabs[c] = _compose(ins[c], tabs[c], sid, ins[sid], tabs[sid])
            for s in ins[sid]:
                fo[s].add(c)
        for s in ins[sid]:
            fo[s].discard(sid)
        fo[sid] = set()
        gone.add(sid)
    keep = [sid not in gone for sid in range(len(nodes))]
    return _rebuild(nl, keep, ins, tabs).pruned()


def _rebuild(nl: Netlist, keep: Sequence[bool], inputs: Sequence[Sequence[int]],
             tables: Sequence[int]) -> Netlist:
    """A new netlist of the nodes of ``nl`` with ``keep[sid]``, in order, where LUT
    ``sid`` reads ``inputs[sid]`` through ``tables[sid]``; outputs are carried over."""
    new = Netlist()
    remap: dict[int, int] = {}
    for sid, n in enumerate(nl.nodes):
        if not keep[sid]:
            continue
        if n.kind == "input":
            remap[sid] = new.input(n.word, n.bit)  # type: ignore[arg-type]
        elif n.kind == "const":
            remap[sid] = new.const(n.table)
        elif n.kind == "lut":
            remap[sid] = new.lut([remap[x] for x in inputs[sid]], tables[sid])
        else:
            remap[sid] = new.delay(remap[n.inputs[0]], n.k)
    for (w, b), s in nl.outputs.items():
        new.output(w, b, remap[s])
    return new


# ------------------------------------------------------------------ evaluation

def evaluate(nl: Netlist, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a stream of ``T`` tokens through ``nl`` (bit exact, vectorised over tokens).

    ``tokens`` maps each input word to either a 1-D integer array of shape ``(T,)``
    (word values; bit ``b`` is ``(v >> b) & 1`` in two's complement) or a 2-D 0/1
    array of shape ``(T, n)`` (bits, LSB first). Returns, per output word, a
    ``uint8`` array ``(T, n_bits)`` of its bits (``n_bits`` = highest declared bit + 1;
    undeclared bits read 0). Delays read 0 before the first token.
    """
    T: int | None = None
    arrays: dict[str, np.ndarray] = {}
    for word, arr in tokens.items():
        a = np.asarray(arr)
        if a.ndim not in (1, 2):
            raise NetlistError(f"token word {word!r}: expected shape (T,) or (T, bits), "
                               f"got {a.shape}")
        if T is None:
            T = a.shape[0]
        elif a.shape[0] != T:
            raise NetlistError(f"token word {word!r} has {a.shape[0]} tokens, others {T}")
        arrays[word] = a
    if T is None:
        raise NetlistError("evaluate: no token words given")
    vals: list[np.ndarray | None] = [None] * len(nl.nodes)
    zero = np.zeros(T, dtype=np.uint8)
    for sid, n in enumerate(nl.nodes):
        if n.kind == "input":
            if n.word not in arrays:
                raise NetlistError(f"evaluate: token word {n.word!r} (needed by input bit "
                                   f"{n.bit}, signal {sid}) is missing")
            a = arrays[n.word]
            if a.ndim == 1:
                v = ((a.astype(np.int64) >> n.bit) & 1).astype(np.uint8)
            else:
                if n.bit >= a.shape[1]:
                    raise NetlistError(f"evaluate: token word {n.word!r} has {a.shape[1]} "
                                       f"bits, input needs bit {n.bit}")
                v = (a[:, n.bit] & 1).astype(np.uint8)
            vals[sid] = v
        elif n.kind == "const":
            vals[sid] = zero if n.table == 0 else np.ones(T, dtype=np.uint8)
        elif n.kind == "lut":
            addr = np.zeros(T, dtype=np.uint8)
            for i, s in enumerate(n.inputs):
                addr |= vals[s] << np.uint8(i)  # type: ignore[operator]
            lookup = np.array([(n.table >> j) & 1 for j in range(1 << len(n.inputs))],
                              dtype=np.uint8)
            vals[sid] = lookup[addr]
        else:
            src = vals[n.inputs[0]]
            d = np.zeros(T, dtype=np.uint8)
            if n.k < T:
                d[n.k:] = src[: T - n.k]  # type: ignore[index]
            vals[sid] = d
    widths: dict[str, int] = {}
    for w, b in nl.outputs:
        widths[w] = max(widths.get(w, 0), b + 1)
    out = {w: np.zeros((T, nb), dtype=np.uint8) for w, nb in widths.items()}
    for (w, b), s in nl.outputs.items():
        out[w][:, b] = vals[s]  # type: ignore[index]
    return out


def bits_to_words(bits: np.ndarray, signed: bool = False) -> np.ndarray:
    """Pack a ``(T, n)`` 0/1 array (LSB first) into ``int64`` word values."""
    b = np.asarray(bits).astype(np.int64)
    n = b.shape[1]
    if n > 63:
        raise NetlistError(f"bits_to_words: {n} bits do not fit int64")
    v = (b << np.arange(n, dtype=np.int64)).sum(axis=1)
    if signed and n > 0:
        v = np.where(b[:, n - 1] == 1, v - (1 << n), v)
    return v
