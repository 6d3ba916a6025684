"""The fast simulator (sim/fastsim.py) against the cycle-accurate FabricSim.

Every comparison is on *every cycle* of every output bit the fast simulator computes,
from reset, with random garbage on every edge input (mapped ones outside their token
cycles, unmapped ones always), so pipeline fill, ``first`` restarts, constant-1 cells,
reset values and lane boundaries (lanes are forced short, several batches) are all
covered; compiled programs are also checked token by token against their reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from compiler.examples import EXAMPLES
from compiler.flow import compile_netlist
from compiler.lower import lower
from compiler.program import Program, compile_program
from fabric.bitstream import Bitstream
from fabric.examples import ripple_adder
from fabric.iomap import IOMap, PortBit
from sim.fastsim import FastSim, FastSimError, lut_program, support
from sim.numpy_sim import FabricSim
from sim.stream import encode_tokens, stream_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))
from lg_backend_gen import random_netlist  # noqa: E402  (the back-end tests' generators)
from test_compile_graphs import random_graph  # noqa: E402


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def assert_same_as_cycle_sim(configs: np.ndarray, fast: FastSim,
                             inputs: dict[str, np.ndarray]) -> None:
    """FastSim.run == FabricSim.run on every cycle of every bit FastSim computes."""
    want = FabricSim(configs).run(inputs)
    got = fast.run(inputs)
    for port, index in fast.outputs:
        bad = np.flatnonzero(got[port][:, index] != want[port][:, index])
        assert bad.size == 0, (f"{port}[{index}] differs on cycles {bad[:10].tolist()} "
                               f"({bad.size} cycles) -- {fast.stats.text()}")


def _eval_table(expr: tuple) -> int:
    """Truth table of a lut_program expression, evaluated on Python ints."""
    var = [sum(1 << a for a in range(16) if (a >> i) & 1) for i in range(4)]

    def ev(e: tuple) -> int:
        op = e[0]
        if op in ("0", "1"):
            return 0 if op == "0" else 0xFFFF
        if op == "v":
            return var[e[1]]
        if op == "not":
            return ~ev(e[1]) & 0xFFFF
        if op == "mux":
            e0 = ev(e[2])
            return e0 ^ (var[e[1]] & ev(e[3]))
        a, b = ev(e[1]), ev(e[2])
        return {"and": a & b, "or": a | b, "xor": a ^ b}[op]

    return ev(expr)


def test_lut_programs_compute_their_tables() -> None:
    rng = np.random.default_rng(5)
    tables = list(range(256)) + [int(t) for t in rng.integers(0, 1 << 16, 3000)]
    for t in tables:
        assert _eval_table(lut_program(t)) == t, hex(t)
    assert support(copy_table(W)) == (W,)
    assert support(table_of(lambda n, e, s, w: n ^ s)) == (N, S)


# ----------------------------------------------------------------------------- raw fabrics

def _feed_forward_configs(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Random configurations without loops: out_E/out_S read in_N, in_W; out_N also in_S;
    out_W anything (E/S family < N family < W family, each ordered along its way).
    A quarter of the tables are special: 0, all ones, a copy or a NOT."""
    allowed = {E: (N, W), S: (N, W), N: (N, S, W), W: (N, E, S, W)}
    cfg = np.zeros((h, w), dtype=np.uint64)
    for y in range(h):
        for x in range(w):
            tables = [0, 0, 0, 0]
            for d, ins in allowed.items():
                r = rng.random()
                pick = ins[int(rng.integers(len(ins)))]
                if r < 0.08:
                    tables[d] = 0
                elif r < 0.14:
                    tables[d] = 0xFFFF
                elif r < 0.4:
                    tables[d] = copy_table(pick)
                elif r < 0.46:
                    tables[d] = copy_table(pick) ^ 0xFFFF
                else:
                    f = rng.integers(0, 2, 1 << len(ins))
                    tables[d] = table_of(lambda *bits, ins=ins, f=f: int(
                        f[sum(bits[i] << j for j, i in enumerate(ins))]))
            cfg[y, x] = make_config(tables)
    return cfg


def _random_inputs(rng: np.random.Generator, w: int, h: int, t: int) -> dict[str, np.ndarray]:
    return {bus: rng.integers(0, 2, (t, n), dtype=np.uint8) for bus, n in
            (("west_in", h), ("east_in", h), ("north_in", w), ("south_in", w))}


@_settings(40)
@given(seed=st.integers(0, 2**31 - 1), w=st.integers(1, 7), h=st.integers(1, 7),
       lane=st.integers(1, 40), words=st.integers(1, 2), cycles=st.integers(1, 3000))
def test_random_feed_forward_fabrics(seed: int, w: int, h: int, lane: int, words: int,
                                     cycles: int) -> None:
    """Random feed-forward configurations (constants, copies, NOTs, any LUT), every
    edge output bit, random inputs on every edge bit, short lanes, several batches."""
    rng = np.random.default_rng(seed)
    cfg = _feed_forward_configs(rng, w, h)
    fast = FastSim(cfg, lane_cycles=lane, lane_words=words)
    assert_same_as_cycle_sim(cfg, fast, _random_inputs(rng, w, h, cycles))


def test_many_lanes_and_batches_on_a_deep_fabric() -> None:
    rng = np.random.default_rng(11)
    cfg = _feed_forward_configs(rng, 9, 9)
    fast = FastSim(cfg, lane_cycles=1, lane_words=1)
    assert fast.stats.depth > 10
    ins = _random_inputs(rng, 9, 9, 150 * fast.stats.depth)   # > 64 lanes: 3 batches
    assert_same_as_cycle_sim(cfg, fast, ins)


def test_feedback_loop_is_refused_naming_a_cell() -> None:
    # cell 0 copies in_E to out_E... no: out_E of cell 0 reads in_E (cell 1's out_W),
    # and cell 1's out_W reads in_W (cell 0's out_E): a two-register loop.
    cfg = np.array([[make_config([copy_table(E), copy_table(E), 0, 0]),
                     make_config([0, 0, 0, copy_table(W)])]], dtype=np.uint64)
    with pytest.raises(FastSimError, match=r"north_out\[0\] depends on a feedback loop "
                                           r"through cell \(x=\d, y=0\)"):
        FastSim(cfg, outputs=[("north_out", 0)])
    # the loop outside the simulated cone does not matter
    fast = FastSim(cfg, outputs=[("north_out", 1)])
    assert fast.stats.registers == 1 and fast.stats.zeros == 1


def test_unmapped_input_in_the_cone_is_modelled_from_the_given_arrays() -> None:
    """An output that reads an edge input the I/O map does not claim equals the cycle
    simulator's for whatever that input carries."""
    xor = table_of(lambda n, e, s, w: n ^ w)
    cfg = np.array([[make_config([xor, 0, 0, 0])]], dtype=np.uint64)
    iomap = IOMap({"a": (PortBit("north_in", 0, 0),)}, {"y": (PortBit("north_out", 0, 1),)}, 1)
    fast = FastSim(cfg, iomap)
    assert fast.unmapped_reads == [("west_in", 0)]
    rng = np.random.default_rng(2)
    assert_same_as_cycle_sim(cfg, fast, _random_inputs(rng, 1, 1, 500))


def test_bad_arguments_are_named() -> None:
    cfg = np.zeros((2, 3), dtype=np.uint64)
    with pytest.raises(FastSimError, match=r"north_out\[3\] is outside"):
        FastSim(cfg, outputs=[("north_out", 3)])
    with pytest.raises(FastSimError, match="'west_in' is not an output port"):
        FastSim(cfg, outputs=[("west_in", 0)])
    fast = FastSim(cfg)
    with pytest.raises(ValueError, match=r"north_in must have shape \(T, 3\)"):
        fast.run({"north_in": np.zeros((4, 2), dtype=np.uint8)})
    out = fast.run(cycles=5)                       # an all-zero fabric outputs zeros
    assert all(v.shape[0] == 5 and not v.any() for v in out.values())


# ----------------------------------------------------------------------------- programs

def _check_program(program: Program, tokens: int, seed: int, lane: int | None) -> None:
    """Port level: same bits as FabricSim on every cycle of every mapped output bit,
    with the garbage of sim.stream. Token level: run_tokens == the reference."""
    bs = program.bitstream
    fast = FastSim(bs.configs, bs.iomap, lane_cycles=lane, lane_words=1)
    toks = program.random_tokens(tokens, seed=seed)
    port_toks = program.port_tokens(toks)
    ins = encode_tokens(bs.iomap, bs.width, bs.height, port_toks, np.random.default_rng(seed))
    assert_same_as_cycle_sim(bs.configs, fast, ins)
    assert fast.unmapped_reads == []         # compiled programs read only their inputs
    by_ports = stream_tokens(fast, bs.iomap, bs.width, bs.height, port_toks, seed)
    program.check(by_ports, toks)
    by_tokens = fast.run_tokens(port_toks, seed=seed)
    program.check(by_tokens, toks)
    for word, value in by_ports.items():   # same decoding (sign extension included)
        assert np.array_equal(value[program.warmup:], by_tokens[word][program.warmup:]), word


@_settings(15)
@given(seed=st.integers(0, 2**31 - 1), n_ops=st.integers(1, 3), lane=st.integers(1, 200))
def test_random_compiled_graphs(seed: int, n_ops: int, lane: int) -> None:
    """Random word graphs (the generator of test_compile_graphs: delays gated by
    ``first``, restarted at random) through the whole compiler."""
    g = random_graph(np.random.default_rng(seed), n_ops)
    res = compile_netlist(lower(g).netlist, seed=seed)
    program = Program("random graph", res.bitstream, lower(g).netlist, g, res.report, 0.0)
    _check_program(program, 400, seed, lane)


@_settings(8)
@given(seed=st.integers(0, 2**31 - 1), n_luts=st.integers(1, 7))
def test_random_compiled_netlists(seed: int, n_luts: int) -> None:
    """Random bit-level netlists with raw (ungated) delays: the first tokens read
    pipeline garbage, and FastSim must reproduce that garbage bit for bit."""
    nl = random_netlist(np.random.default_rng(seed), n_luts=n_luts)
    program = compile_program(nl, "random netlist", seed=seed)
    _check_program(program, 300, seed, 7)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_compiled_example(name: str) -> None:
    program = compile_program(EXAMPLES[name](), name, seed=1)
    _check_program(program, 500, 3, 50)


def test_hand_placed_adder() -> None:
    ex = ripple_adder()
    fast = FastSim(ex.configs, ex.iomap, lane_cycles=5, lane_words=1)
    rng = np.random.default_rng(4)
    toks = {w: rng.integers(0, 1 << len(b), 700) for w, b in ex.iomap.inputs.items()}
    ins = encode_tokens(ex.iomap, ex.shape.width, ex.shape.height, toks, rng)
    assert_same_as_cycle_sim(ex.configs, fast, ins)
    got = fast.run_tokens(toks)
    assert np.array_equal(got["s"], ex.reference(toks)["s"])
    assert fast.stats.copies > fast.stats.nodes      # the b columns became delays


def test_bitstream_roundtrip_runs(tmp_path) -> None:
    program = compile_program(EXAMPLES["running_sum"](), "running_sum", seed=1)
    path = tmp_path / "rs.lgb"
    program.bitstream.save(path)
    bs = Bitstream.load(path)
    toks = program.random_tokens(300, seed=9)
    program.check(FastSim(bs.configs, bs.iomap).run_tokens(program.port_tokens(toks)), toks)
