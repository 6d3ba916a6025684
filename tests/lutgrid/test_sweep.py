"""Sweeps through Dask: a local cluster of 2 workers, a running scheduler, timeouts."""

from __future__ import annotations

import time

import pytest

from fabric.yield_study import MonteCarlo, monte_carlo
from lutgrid.sweep import ProgressBar, Sweep, SweepError, run_jobs
from lutgrid.yield_run import split_monte_carlo

JOBS = split_monte_carlo(24, 24, 1, 3e-3, 45_000, seed=5)    # 3 chunks of <= 20,000 chips


def _in_process() -> MonteCarlo:
    parts = [monte_carlo(*job) for job in JOBS]
    return sum(parts[1:], parts[0])


def test_two_worker_processes_match_the_in_process_result(capsys) -> None:
    got = run_jobs(monte_carlo, JOBS, workers=2, processes=True, timeout=120, label="mc")
    assert sum(got[1:], got[0]) == _in_process()
    assert [r.trials for r in got] == [20_000, 20_000, 5_000]
    err = capsys.readouterr().err
    assert "mc [" in err and "3/3 jobs" in err


def test_running_scheduler_and_threads() -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        with Sweep(cluster.scheduler_address, timeout=120, progress=False) as sweep:
            assert sweep.where == f"Dask cluster at {cluster.scheduler_address}"
            got = sweep.run(monte_carlo, JOBS)
            assert sweep.run(monte_carlo, []) == []
    assert sum(got[1:], got[0]) == _in_process()


def test_timeout_and_job_errors() -> None:
    start = time.perf_counter()
    with pytest.raises(SweepError, match="not finished after 0.3 s"):
        run_jobs(time.sleep, [(1.5,)], workers=2, processes=False, timeout=0.3,
                 progress=False)
    assert time.perf_counter() - start < 30
    with pytest.raises(ValueError, match="trials must be"):
        run_jobs(monte_carlo, [(8, 8, 1, 0.1, 0, 1)], processes=False, timeout=60,
                 progress=False)


def test_unreachable_scheduler() -> None:
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with Sweep("tcp://127.0.0.1:9", connect_timeout=2):
            pass


def test_progress_bar_redraws_when_it_grows(capsys) -> None:
    import sys

    bar = ProgressBar(100, "x", stream=sys.stderr, width=10)
    for _ in range(100):
        bar.advance()
    err = capsys.readouterr().err
    assert err.count("\r") == 11 and err.endswith("100/100 jobs " + err.split()[-2] + " s\n")
