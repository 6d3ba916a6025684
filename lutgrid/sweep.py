"""Run a sweep's independent jobs through Dask, with a progress bar (issue 9).

``run_jobs(fn, jobs)`` calls ``fn(*job)`` for every job and returns the results in job
order. By default it starts a local Dask cluster of worker *processes* on this machine
and shuts it down afterwards; given ``scheduler="tcp://host:8786"`` it submits to that
running cluster instead (its workers must be able to import lutgrid, e.g. ``pip install
-e .`` there). Either way a one-line text progress bar on stderr counts finished jobs.

Determinism is the caller's: a job must carry its own seed, so that the results do
not depend on which worker ran it or in which order jobs finished.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

#: Seconds to wait for a local cluster to start or a scheduler to answer.
CONNECT_TIMEOUT = 60.0


class SweepError(RuntimeError):
    """The sweep could not run: no scheduler, or jobs did not finish in time."""


class ProgressBar:
    """``label [#####.....] 12/40 jobs 3.1 s`` on one line of ``stream``, redrawn in place."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 width: int = 30) -> None:
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.done = 0
        self._shown = -1
        self._draw()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more finished jobs and redraw."""
        self.done += n
        self._draw()

    def _draw(self) -> None:
        filled = self.width * self.done // max(self.total, 1)
        if filled == self._shown and self.done < self.total:
            return                        # redraw only when the bar grows (logs stay short)
        self._shown = filled
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} jobs "
                          f"{time.perf_counter() - self.start:.1f} s{end}")
        self.stream.flush()


def _client(scheduler: str | None, workers: int, processes: bool,
            connect_timeout: float = CONNECT_TIMEOUT) -> tuple[Any, Any]:
    """A ``(client, cluster)`` pair; ``cluster`` is None when connecting to ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=connect_timeout), None
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster, timeout=connect_timeout), cluster


class Sweep:
    """A Dask client for one or more batches of jobs (a context manager).

    ``scheduler``: address of a running Dask scheduler, or None for a local cluster of
    ``workers`` single-threaded workers (worker processes, or threads of this process
    when ``processes`` is False) that lives as long as the ``with`` block. ``timeout``
    (seconds) bounds each batch: past it the batch is cancelled with a
    :class:`SweepError`; ``connect_timeout`` (seconds) bounds reaching the scheduler.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, processes: bool = True,
                 timeout: float = 3600.0, progress: bool = True,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.scheduler, self.workers, self.processes = scheduler, workers, processes
        self.timeout, self.progress = timeout, progress
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Sweep:
        self._client, self._cluster = _client(self.scheduler, self.workers, self.processes,
                                              self.connect_timeout)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def where(self) -> str:
        """Where the jobs run, for people."""
        if self.scheduler:
            return f"Dask cluster at {self.scheduler}"
        kind = "processes" if self.processes else "threads"
        return f"local Dask cluster, {self.workers} worker {kind}"

    def run(self, fn: Callable[..., Any], jobs: Sequence[tuple], label: str = "sweep"
            ) -> list[Any]:
        """``fn(*job)`` for every job, results in job order. ``fn`` must be importable by
        the workers (a module-level function). An exception in a job is raised here."""
        from distributed import as_completed

        if self._client is None:
            raise RuntimeError("Sweep.run outside its with block")
        if not jobs:
            return []
        # pure=False: two identical jobs are still two jobs (each carries its seed anyway)
        futures = [self._client.submit(fn, *job, pure=False) for job in jobs]
        bar = ProgressBar(len(futures), label) if self.progress else None
        try:
            for _ in as_completed(futures, timeout=self.timeout):
                if bar is not None:
                    bar.advance()
        except TimeoutError as exc:
            if bar is not None:
                bar.stream.write("\n")
            self._client.cancel(futures)
            raise SweepError(f"{label}: jobs not finished after {self.timeout:g} s") from exc
        return [f.result() for f in futures]


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], *, scheduler: str | None = None,
             workers: int = 2, processes: bool = True, timeout: float = 3600.0,
             label: str = "sweep", progress: bool = True) -> list[Any]:
    """Run ``fn(*job)`` for every job on Dask and return the results in job order: one
    batch on a :class:`Sweep` (see there for the arguments)."""
    with Sweep(scheduler, workers, processes, timeout, progress) as sweep:
        return sweep.run(fn, jobs, label)
