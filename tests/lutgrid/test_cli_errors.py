"""Every bad invocation of the ``lutgrid`` command: one line naming the problem, the
exit status, and no file left behind (lutgrid/selfcheck.py holds the table, shared
with bench/bench_cli.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lutgrid.selfcheck import bad_cases, make_fixtures, new_files, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fixtures(tmp_path, monkeypatch) -> Path:
    make_fixtures(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", bad_cases(), ids=lambda c: c.name)
def test_bad_invocation(case, fixtures: Path) -> None:
    before = set(os.listdir(fixtures))
    got = run_cli(case.argv)
    assert not got.crashed, got
    assert got.status == case.status, got
    assert got.one_line_error, got.stderr
    assert re.search(case.message, got.stderr), got.stderr
    assert got.stderr.startswith("lutgrid"), got.stderr
    assert new_files(fixtures, before) == []
    assert (fixtures / "locked.lgb").read_bytes() == b"old"


def test_debug_shows_the_traceback(fixtures: Path) -> None:
    got = run_cli(["compile", "raises.py", "--debug"])
    assert got.status == 2
    assert "Traceback (most recent call last)" in got.stderr and "1 // 0" in got.stderr
    assert got.stderr.strip().splitlines()[-1].startswith("lutgrid compile: error: raises.py")


def test_version() -> None:
    got = run_cli(["--version"])
    assert got.status == 0 and re.fullmatch(r"lutgrid \S+\n", got.stdout), got


def test_compile_help_lists_the_examples() -> None:
    from compiler.examples import EXAMPLES

    got = run_cli(["compile", "--help"])
    assert got.status == 0
    text = " ".join(got.stdout.split())
    assert "built-in examples (--example NAME): " + ", ".join(EXAMPLES) in text


def test_force_replaces_a_read_only_file_and_outputs_respect_the_umask(fixtures: Path) -> None:
    old = os.umask(0o027)
    try:
        got = run_cli(["compile", "--example", "table16", "-o", "locked.lgb", "--force",
                       "--report", "r.txt", "--png", "h.png", "--check", "20"])
        assert got.status == 0, got
        got = run_cli(["verilog", "--width", "2", "--height", "2", "-o", "f.v"])
        assert got.status == 0, got
    finally:
        os.umask(old)
    assert (fixtures / "locked.lgb").read_bytes()[:8] == b"LUTGRID\x00"
    for name in ("locked.lgb", "r.txt", "h.png", "f.v"):
        assert (fixtures / name).stat().st_mode & 0o777 == 0o640, name


def test_a_failing_output_leaves_none_of_the_set(fixtures: Path) -> None:
    """The set is written all or nothing: when the second file cannot be renamed into
    place, neither the first nor any temporary file is left."""
    from lutgrid.cli import _write_outputs

    before = set(os.listdir(fixtures))
    with pytest.raises(OSError):
        _write_outputs([("one.lgb", b"1"), ("a_folder", b"2")])  # a folder: rename fails
    assert new_files(fixtures, before) == []
    assert list((fixtures / "a_folder").iterdir()) == []


def test_check_failed_without_a_message_says_where(monkeypatch, fixtures: Path) -> None:
    import sim.check

    def broken(*args, **kwargs):
        raise AssertionError()  # what a bare assert raises outside pytest

    monkeypatch.setattr(sim.check, "check_program", broken)
    got = run_cli(["compile", "--example", "table16", "-o", "t.lgb"])
    assert got.status == 1 and got.one_line_error
    assert re.search(r"CHECK FAILED: assertion `raise AssertionError\(\)[^`]*` failed at "
                     r"test_cli_errors\.py:\d+", got.stderr), got.stderr
    assert not (fixtures / "t.lgb").exists()


def _default_signals() -> None:
    # a shell's background job inherits SIGINT ignored; a terminal's Ctrl-C is not
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def _lutgrid(*argv: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "lutgrid.cli", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_signals, **kwargs)


def test_a_closed_pipe_ends_quietly(tmp_path) -> None:
    from fabric.bitstream import Bitstream
    from fabric.examples import ripple_adder

    ex = ripple_adder(4)
    Bitstream(ex.configs, ex.iomap).save(tmp_path / "a.lgb")
    proc = _lutgrid("run", str(tmp_path / "a.lgb"), "--tokens", "20000", "--show", "20000")
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == ""


def test_ctrl_c_ends_quietly_and_leaves_no_file(tmp_path) -> None:
    proc = _lutgrid("compile", "--example", "mul8x8", "--no-macros", "-o", "m.lgb",
                    "--report", "m.txt", cwd=tmp_path)
    assert proc.stdout.readline().startswith(b"compiling mul8x8")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    err = proc.stderr.read().decode().strip().splitlines()
    assert err[-1] == "lutgrid compile: interrupted"
    assert not any("Traceback" in line for line in err)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_demo_leaves_no_file(monkeypatch, tmp_path) -> None:
    import lutgrid.demo

    real = lutgrid.demo._program

    def fail_on_mul(out, program, *args):
        if program.name == "mul4x4":
            raise AssertionError("mul4x4: output 'y' of token 3 is 1, expected 2")
        return real(out, program, *args)

    monkeypatch.setattr(lutgrid.demo, "_program", fail_on_mul)
    out = tmp_path / "demo"
    got = run_cli(["demo", "--out", str(out), "--no-rtl", "--tokens", "20"])
    assert got.status == 1 and got.one_line_error, got
    assert "CHECK FAILED: mul4x4: output 'y' of token 3" in got.stderr
    assert list(tmp_path.iterdir()) == []  # not even the folder it created
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    assert run_cli(["demo", "--out", str(out), "--no-rtl", "--tokens", "20"]).status == 1
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
