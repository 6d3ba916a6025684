"""Fuzz: mangled bitstream files either load (and then stream) or are refused by name.

Byte flips, truncations, insertions, header fields, and re-sealed payload and JSON
damage (fabric/mangle.py) go through ``Bitstream.from_bytes`` and through the
``lutgrid info`` and ``lutgrid run`` commands; nothing may escape but a
``BitstreamError`` with a one-line message, and no command may leave a file behind.
The long run is bench/bench_fuzz.py.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabric.bitstream import Bitstream, BitstreamError
from fabric.mangle import KINDS, mangle
from lutgrid.selfcheck import new_files, run_cli


@functools.cache
def _bases() -> tuple[bytes, ...]:
    """Intact files: the hand-placed adder and a compiled program with extra feeds."""
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program
    from fabric.examples import ripple_adder

    ex = ripple_adder(4)
    return (Bitstream(ex.configs, ex.iomap).to_bytes(),
            compile_program(EXAMPLES["running_sum"](), "running_sum").bitstream.to_bytes())


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.integers(0, 1), kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_mangled_files_load_or_are_refused(tmp_path, base: int, kind: str, seed: int) -> None:
    _, data = mangle(_bases()[base], np.random.default_rng(seed), kind)
    try:
        bs = Bitstream.from_bytes(data, source="f.lgb")
    except BitstreamError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("f.lgb: ")
        bs = None
    folder = tmp_path / f"{base}-{kind}-{seed}"
    folder.mkdir()
    path = folder / "f.lgb"
    path.write_bytes(data)
    before = {"f.lgb"}
    for argv in (["info", str(path)], ["run", str(path), "--tokens", "5", "--show", "2"]):
        got = run_cli(argv)
        assert not got.crashed, (argv, got)
        assert got.status in (0, 2), (argv, got)
        assert (got.status == 0) == (bs is not None), (argv, got)
        if got.status:
            assert got.one_line_error and "f.lgb" in got.stderr, got
    assert new_files(folder, before) == []


def test_every_kind_of_damage_changes_the_file() -> None:
    rng = np.random.default_rng(7)
    for kind in KINDS:
        for base in _bases():
            assert any(mangle(base, rng, kind)[1] != base for _ in range(5)), kind
