"""compiler.compose.chain: a pipeline of fabrics as one chip, every wire between fabrics
timed by a delay line; streamed cycle by cycle in its numpy model (sim/chip_sim.py)
against the program's reference, with restarts."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose.chain import chip_plan
from compiler.compose.pipeline import Pipeline, compile_pipeline, cut_before_every_op
from compiler.ir import GraphError
from compiler.transformer import BlockSpec, block_graph
from fabric.chip import ChipError, ChipPlan, Wire
from sim.chip_sim import run_chip_cycles, stream_chip

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the back-end tests' generators
sys.path.insert(0, str(Path(__file__).resolve().parent))
from composed import check_as_chip  # noqa: E402
from test_compile_graphs import random_graph  # noqa: E402


def _with_wires(plan: ChipPlan, k: int, wires: dict) -> ChipPlan:
    """``plan`` with fabric ``k``'s input wiring replaced by ``wires``."""
    return dataclasses.replace(plan, part_inputs=plan.part_inputs[:k] + (wires,)
                               + plan.part_inputs[k + 1:])


@pytest.fixture(scope="module")
def block():
    """A d_model-2 block (window 2, softmax attention), one op per fabric."""
    g = block_graph(BlockSpec(2, window=2, attention="softmax"), seed=5)
    return compile_pipeline(g, "block", cut_before_every_op, time_budget=300, elements=True)


def test_a_block_runs_as_one_chip_bit_exact_with_restarts(block) -> None:
    plan = chip_plan(block)
    tokens = block.random_tokens(300, seed=7)
    assert tokens["first"].sum() > 3
    block.check(stream_chip(plan, tokens, seed=3), tokens, "block as one chip")
    # the fabrics overlap in time: a fabric starts when its last input can be there,
    # not when the one before it has finished
    assert plan.latency < block.latency


def test_every_wire_is_timed_to_the_cycle(block) -> None:
    """A wire one cycle early or late is not the same chip: the timing is exact, and the
    check sees it (on the wire that waits the longest)."""
    plan = chip_plan(block)
    tokens = block.random_tokens(300, seed=7)
    longest = max(((k, port) for k, wires in enumerate(plan.part_inputs)
                   for port in wires), key=lambda kp: plan.part_inputs[kp[0]][kp[1]].delay)
    k, port = longest
    for shift in (-1, 1):
        wires = dict(plan.part_inputs[k])
        wires[port] = Wire(wires[port].source, wires[port].delay + shift)
        with pytest.raises(AssertionError, match="tokens differ"):
            block.check(stream_chip(_with_wires(plan, k, wires), tokens, seed=3), tokens,
                        "mistimed")


def test_every_fabric_starts_as_early_as_its_inputs_allow(block) -> None:
    """As soon as possible: a fabric that reads an earlier fabric has a wire from one
    that waits not at all (else it could start a cycle sooner); one that reads only
    tokens starts at cycle 0; some output leaves without waiting."""
    plan = chip_plan(block)
    for k, wires in enumerate(plan.part_inputs):
        waits = [w.delay for w in wires.values() if w.source[0] == "part"]
        assert (min(waits) == 0) if waits else plan.starts[k] == 0, k
    assert min(w.delay for ws in plan.outputs.values() for w in ws
               if w.source[0] != "const") == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 8))
def test_random_programs_run_as_one_chip(seed: int, n_ops: int) -> None:
    """Random programs (every op kind of the back end), one op per fabric, as one chip:
    every output of every token equals the reference."""
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_ops)
    pipe = compile_pipeline(g, "random", cut_before_every_op, time_budget=300, workers=1,
                            elements=bool(seed % 2))
    tokens = pipe.random_tokens(96, seed=seed)
    check_as_chip(pipe, tokens, f"random program {seed}", seed=seed)


def test_a_fabric_that_reads_what_no_earlier_one_makes_is_named(block) -> None:
    backwards = Pipeline(block.graph, block.bitstreams[::-1], 0.0)
    with pytest.raises(GraphError, match=r"fabric 0 reads v\d+(\[\d\])?, which no token"):
        chip_plan(backwards)


def test_malformed_plans_are_refused_with_the_bit_named(block) -> None:
    plan = chip_plan(block)
    k = 3
    port = sorted(plan.part_inputs[k])[0]
    for wire, message in [(Wire(("part", k, "east_out", 0), 0), "not an earlier fabric"),
                          (Wire(("token", "nope", 0), 0), "no token bit nope"),
                          (Wire(("const", 2), 0), "unknown source"),
                          (Wire(("const", 1), -1), "delay -1"),
                          (Wire(("part", 0, "west_in", 0), 0), "not an output bit"),
                          (Wire(("part", 0, "east_out", 10 ** 6), 0), "not an output bit"),
                          (Wire(("part", 0), 0), "unknown source")]:
        wires = dict(plan.part_inputs[k])
        wires[port] = wire
        with pytest.raises(ChipError, match=f"fabric {k} input {port[0]}.*{message}"):
            _with_wires(plan, k, wires)
    wires = dict(plan.part_inputs[k])
    wires[("east_out", 0)] = wires.pop(port)
    with pytest.raises(ChipError, match=rf"fabric {k} input east_out\[0\]: not an input bit"):
        _with_wires(plan, k, wires)
    with pytest.raises(ChipError, match=r"signed or widths name \['nope'\]"):
        dataclasses.replace(plan, signed=frozenset({"nope"}))
    with pytest.raises(ChipError, match="one start"):
        ChipPlan(plan.parts, plan.starts[:-1], plan.part_inputs, plan.inputs, plan.outputs,
                 plan.latency)
    with pytest.raises(ValueError, match="west_in must be"):
        run_chip_cycles(plan, np.zeros((4, plan.port_rows + 1), dtype=np.uint8))
