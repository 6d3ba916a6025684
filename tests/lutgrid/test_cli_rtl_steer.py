"""`lutgrid run` steered by the user: token files, the Verilog view, the build message,
waveforms; `lutgrid cache`."""

from __future__ import annotations

import json

import pytest

from fabric.bitstream import Bitstream
from fabric.examples import ripple_adder
from lutgrid.selfcheck import run_cli


@pytest.fixture
def adder(tmp_path):
    ex = ripple_adder(4)
    path = tmp_path / "adder4.lgb"
    Bitstream(ex.configs, ex.iomap).save(path)
    return path


def _table(stdout: str) -> list[list[int]]:
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["token"])
    return [[int(v) for v in line.split() if v != "->"] for line in lines[head + 1:]]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_token_file_values_are_streamed(adder, tmp_path, fmt: str) -> None:
    rows = [(3, 4, 1), (15, 15, 1), (0, 0, 0), (9, 6, 0)]
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        path.write_text("# a comment\ncin, a, b\n" + "".join(f"{c},{a},{b}\n"
                                                             for a, b, c in rows))
    else:
        path.write_text(json.dumps({"a": [r[0] for r in rows], "b": [r[1] for r in rows],
                                    "cin": [r[2] for r in rows]}))
    got = run_cli(["run", str(adder), "--tokens-file", str(path), "--defects"])
    assert got.status == 0, got
    assert "fast, no defects: 4 tokens" in got.stdout
    assert "identical to fast, no defects on every output of every token" in got.stdout
    table = _table(got.stdout)
    assert [r[1:4] for r in table] == [list(r) for r in rows]
    assert [r[4] for r in table] == [a + b + c for a, b, c in rows]


def test_cache_shows_size_and_cleans(tmp_path, monkeypatch) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("LUTGRID_BUILD_DIR", str(root))
    got = run_cli(["cache"])
    assert got.status == 0 and f"{root}: 0 Verilator models, 0 MB" in got.stdout
    for i, size in enumerate((1_500_000, 2_600_000)):
        model = root / f"8x8s1-{i}"
        model.mkdir(parents=True)
        (model / "lutgrid_build.json").write_text("{}")
        (model / "Vtop.o").write_bytes(b"\0" * size)
    got = run_cli(["cache"])
    assert f"{root}: 2 Verilator models, 4 MB" in got.stdout, got
    got = run_cli(["cache", "--clean"])
    assert got.status == 0 and "removed" in got.stdout and "2 models, 4 MB" in got.stdout
    assert not root.exists()


@pytest.mark.rtl
def test_rtl_run_from_the_cache_says_nothing_about_building(tmp_path) -> None:
    """The demo built its shared sliced fault-injection model: a run on it (the adder
    padded to its size) prints no build message."""
    from compiler.examples import EXAMPLES
    from compiler.program import compile_program
    from fabric.geometry import FabricShape
    from fabric.pad import pad_bitstream
    from lutgrid.demo import PROGRAMS, shared_rtl_shape
    from sim.verilator import is_built

    shape = shared_rtl_shape([compile_program(EXAMPLES[n](), n, seed=1) for n in PROGRAMS])
    if not is_built(FabricShape(*shape, 1), fault_injection=True, style="sliced"):
        pytest.skip("needs the demo's cached sliced model (run `lutgrid demo` first)")
    ex = ripple_adder(4)
    path = tmp_path / "adder_padded.lgb"
    pad_bitstream(Bitstream(ex.configs, ex.iomap), *shape).save(path)
    got = run_cli(["run", str(path), "--rtl", "--defects", "--style", "sliced",
                   "--tokens", "40", "--seed", "3"])
    assert got.status == 0, got
    assert "building" not in got.stdout and "built" not in got.stdout
    assert "verilator, " in got.stdout and "sliced view: identical to fast" in got.stdout


@pytest.mark.rtl
@pytest.mark.slow
def test_rtl_run_builds_once_and_writes_a_waveform(adder, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LUTGRID_BUILD_DIR", str(tmp_path / "cache"))
    vcd = tmp_path / "run.vcd"
    argv = ["run", str(adder), "--rtl", "--style", "sliced", "--tokens", "20", "--vcd",
            str(vcd)]
    got = run_cli(argv)
    assert got.status == 0, got
    assert "building the Verilator model of the 8x8 fabric (sliced view, with waveform " \
           "tracing" in got.stdout
    assert "built the Verilator model in" in got.stdout
    text = vcd.read_text()
    assert "$enddefinitions" in text and "west_in" in text and "north_out" in text
    assert vcd.stat().st_mode & 0o777 == 0o644
    again = run_cli(argv)
    assert again.status == 0 and "building" not in again.stdout
