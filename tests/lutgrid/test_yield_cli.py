"""``lutgrid yield`` end to end, on a running Dask cluster of 2 workers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fabric.yield_study import chip_survival
from lutgrid.cli import main


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_yield_command(tmp_path: Path, capsys, scheduler: str) -> None:
    png = tmp_path / "survival.png"
    assert main(["yield", "--width", "32", "--height", "32", "--spares", "1", "--p", "2e-3",
                 "--trials", "30000", "--maps", "2", "--check-p", "0.01", "--tokens", "60",
                 "--png", str(png), "--sweep-trials", "40", "--scheduler", scheduler]) == 0
    out = capsys.readouterr().out
    closed = chip_survival(32, 32, 1, 2e-3)
    assert f"the chip with {closed:.6g}" in out
    z = float(re.search(r"([+-]\d+\.\d+) standard errors from the closed form", out).group(1))
    assert abs(z) < 3
    assert "on 2 surviving maps at p = 0.01" in out
    assert "every output of every one of 60 tokens equals the defect-free run" in out
    assert "in row 17 is refused: row 17 has 2 defective cells but only 1 spare column" in out
    assert "99% yield at 1024x1024, p = 0.0001:" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("argv,msg", [
    (["--p", "1.5"], "defect probability p must be a number in [0, 1], got 1.5"),
    (["--p", "1e-3", "--png", "x.jpg"], "the plot is a PNG file"),
    (["--p", "1e-3", "--program", "nope"], "unknown example 'nope'"),
    (["--p", "1e-3", "--trials", "0"], "trials must be >= 1, got 0"),
    (["--p", "1e-3", "--maps", "0"], "maps must be >= 1, got 0"),
])
def test_yield_bad_input(argv, msg, capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["yield", "--width", "8", "--height", "8", "--spares", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv,msg", [
    (["--device", "3k"], "unknown ECP5 device '3k'"),
    (["--speed", "9"], "speed grade must be 6, 7 or 8"),
    (["--width", "0"], "--width: 0 is outside 1..4096"),
])
def test_synth_bad_input(argv, msg, capsys) -> None:
    try:  # an option out of range is refused by the parser itself (exit status 2)
        status = main(["synth", "--no-anchor", *argv])
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
