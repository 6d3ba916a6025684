"""Bad invocations of the ``lutgrid`` command, run through its entry point.

The table is :func:`lutgrid.selfcheck.bad_cases` (the same one the CLI tests run):
bad arguments, bad sources, bad output paths, bad input files. Each runs in-process in
a folder of fixtures. Figures:

* ``cli_bad_inputs_tried``: invocations tried;
* ``cli_tracebacks``: invocations where an exception escaped or an internal error was
  reported (goal 0);
* ``cli_unclear_errors``: invocations that did not end with exactly one message line
  matching the expected text and exit status;
* ``cli_partial_outputs``: invocations that left a file behind (goal 0).
"""

from __future__ import annotations

import os
import re
import tempfile
import time


def run(quick: bool) -> list[tuple[str, float, str]]:
    """Run every bad invocation once (quick and full are the same: a few seconds)."""
    del quick
    from lutgrid.selfcheck import bad_cases, make_fixtures, new_files, run_cli

    cases = bad_cases()
    tracebacks = unclear = partial = 0
    start = time.perf_counter()
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="lutgrid-cli-") as tmp:
        make_fixtures(tmp)
        os.chdir(tmp)
        try:
            for case in cases:
                before = set(os.listdir(tmp))
                got = run_cli(case.argv)
                if got.crashed:
                    tracebacks += 1
                    print(f"  traceback: {case.name}: {got.escaped or got.stderr.strip()}")
                elif (got.status != case.status or not got.one_line_error
                      or not re.search(case.message, got.stderr)):
                    unclear += 1
                    print(f"  unclear: {case.name}: status {got.status}: {got.stderr.strip()}")
                if new_files(tmp, before):
                    partial += 1
                    print(f"  left files: {case.name}: {new_files(tmp, before)}")
        finally:
            os.chdir(here)
    print(f"  {len(cases)} bad invocations in {time.perf_counter() - start:.1f} s", flush=True)
    return [("cli_bad_inputs_tried", len(cases), "invocations"),
            ("cli_tracebacks", tracebacks, "invocations"),
            ("cli_unclear_errors", unclear, "invocations"),
            ("cli_partial_outputs", partial, "invocations")]
