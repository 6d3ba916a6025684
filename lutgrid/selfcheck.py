"""Run the ``lutgrid`` command in-process on hostile inputs and classify what it did.

Used by the fuzz tests and the robustness benchmarks (bench/bench_fuzz.py,
bench/bench_cli.py): a command either succeeds (status 0), refuses with a one-line
message (status 1 or 2), or fails badly — a Python exception escapes
:func:`lutgrid.cli.main`, or ``main`` reports an internal error (status
:data:`lutgrid.cli.EXIT_INTERNAL`). Files left in a folder the command was told to
write into are counted by :func:`new_files`.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    """What one invocation did: exit ``status``, its ``stdout`` and ``stderr`` text, and
    ``escaped``, the ``repr`` of an exception that left ``main`` (``None`` if none)."""

    status: int | None
    stdout: str
    stderr: str
    escaped: str | None

    @property
    def crashed(self) -> bool:
        """True for a traceback-class failure: an escaped exception or an internal error."""
        from lutgrid.cli import EXIT_INTERNAL

        return self.escaped is not None or self.status == EXIT_INTERNAL or \
            "Traceback (most recent call last)" in self.stderr

    @property
    def one_line_error(self) -> bool:
        """True when the command failed with exactly one message line, ``lutgrid ...:``,
        as the last line of stderr (indented progress lines, like a compile's layout
        tries, may precede it)."""
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        messages = [ln for ln in lines if not ln.startswith(" ")]
        return (self.status not in (0, None) and len(messages) == 1
                and lines[-1] == messages[0] and messages[0].startswith("lutgrid"))


def run_cli(argv: Sequence[str]) -> Outcome:
    """Call ``lutgrid.cli.main(argv)`` with stdout and stderr captured."""
    from lutgrid.cli import main

    out, err = io.StringIO(), io.StringIO()
    status: int | None = None
    escaped = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(list(argv))
    except SystemExit as exc:  # argparse refusals exit through SystemExit
        status = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # noqa: BLE001 - counting what escapes is the point
        escaped = f"{type(exc).__name__}: {exc}"[:300]
    return Outcome(status, out.getvalue(), err.getvalue(), escaped)


def new_files(folder: str | os.PathLike[str], before: set[str]) -> list[str]:
    """Names in ``folder`` that were not in ``before`` (temporary files included)."""
    return sorted(set(os.listdir(folder)) - before) if Path(folder).is_dir() else []


@dataclass(frozen=True)
class BadCase:
    """One bad invocation: ``argv`` (paths relative to the fixture folder), the exit
    ``status`` it must end with, and a regular expression its one-line message must
    match."""

    name: str
    argv: tuple[str, ...]
    status: int
    message: str


_SOURCES = {
    "syntax.py": "def build(:\n",
    "raises.py": "def build():\n    return 1 // 0\n",
    "imports.py": "import lutgrid_no_such_module\n\ndef build():\n    pass\n",
    "import_raises.py": "raise RuntimeError('broken at import')\n",
    "needs_args.py": "def build(width):\n    pass\n",
    "not_callable.py": "VALUE = 3\n",
    "returns_int.py": "def build():\n    return 42\n",
    "no_inputs.py": ("from compiler.ir import Graph\n\ndef build():\n    g = Graph()\n"
                     "    g.output('y', g.const(3))\n    return g\n"),
    "no_outputs.py": ("from compiler.ir import Graph\n\ndef build():\n    g = Graph()\n"
                      "    g.input('x', bits=4)\n    return g\n"),
    "good.py": ("from compiler.ir import Graph\n\ndef build():\n    g = Graph()\n"
                "    x = g.input('x', bits=4)\n    g.output('y', g.add(x, x, bits=None))\n"
                "    return g\n"),
}


_TOKEN_FILES = {
    "missing_word.csv": "a,b\n1,2\n",
    "unknown_word.csv": "a,b,cin,z\n1,2,0,5\n",
    "out_of_range.csv": "a,b,cin\n1,2,0\n16,0,0\n",
    "negative.csv": "a,b,cin\n-1,2,0\n",
    "not_integer.csv": "a,b,cin\n1,2.5,0\n",
    "ragged.csv": "a,b,cin\n1,2\n",
    "empty.csv": "# nothing here\n",
    "repeated_header.csv": "a,a,cin\n1,2,0\n",
    "lengths.json": '{"a": [1, 2], "b": [3], "cin": [0, 1]}',
    "not_object.json": "[1, 2, 3]",
    "bad.json": "{",
}


def make_fixtures(folder: str | os.PathLike[str]) -> None:
    """Write the files :func:`bad_cases` refers to into ``folder``."""
    folder = Path(folder)
    for name, text in _SOURCES.items():
        (folder / name).write_text(text)
    (folder / "a_folder").mkdir(exist_ok=True)
    (folder / "garbage.lgb").write_bytes(b"not a bitstream at all, just some bytes here....."
                                         b"................................................")
    (folder / "empty.lgb").write_bytes(b"")
    locked = folder / "locked.lgb"
    locked.write_bytes(b"old")
    locked.chmod(0o444)
    (folder / "a_file").write_text("x")
    from fabric.bitstream import Bitstream
    from fabric.examples import ripple_adder

    ex = ripple_adder(4)  # unsigned a, b (4 bits) and cin (1 bit)
    Bitstream(ex.configs, ex.iomap).save(folder / "adder4.lgb")
    for name, text in _TOKEN_FILES.items():
        (folder / name).write_text(text)


def bad_cases() -> list[BadCase]:
    """The bad invocations every CLI test and bench/bench_cli.py run (cwd: the fixture
    folder of :func:`make_fixtures`)."""
    ex = ("compile", "--example", "adder8")
    cases = [
        ("run_tokens_0", ("run", "garbage.lgb", "--tokens", "0"), r"--tokens: 0 is outside 1"),
        ("run_tokens_text", ("run", "garbage.lgb", "--tokens", "many"),
         r"--tokens: 'many' is not an integer"),
        ("run_show_0", ("run", "garbage.lgb", "--show", "0"), r"--show: 0 is outside 1"),
        ("run_spares_99", ("run", "garbage.lgb", "--spares", "99"), r"--spares: 99 is outside 0"),
        ("compile_check_0", ex + ("--check", "0"), r"--check: 0 is outside 1"),
        ("compile_width_0", ex + ("--width", "0", "--height", "4"), r"--width: 0 is outside 1"),
        ("compile_width_huge", ex + ("--width", "100000", "--height", "4"),
         r"--width: 100000 is outside 1\.\.4096"),
        ("compile_width_only", ex + ("--width", "8"), r"both --width and --height"),
        ("verilog_width_0", ("verilog", "--width", "0", "--height", "2", "-o", "f.v"),
         r"--width: 0 is outside"),
        ("verilog_spares_99", ("verilog", "--width", "2", "--height", "2", "--spares", "99",
                               "-o", "f.v"), r"--spares: 99 is outside 0\.\.16"),
        ("compile_nothing", ("compile",), r"give a source FILE\.py\[:FUNCTION\] or --example"),
        ("compile_both", ("compile", "good.py", "--example", "adder8"), r"not both"),
        ("compile_unknown_example", ("compile", "--example", "nope"),
         r"unknown example 'nope'; choose from"),
        ("compile_missing_file", ("compile", "missing.py"), r"source file missing\.py does not"),
        ("compile_folder_source", ("compile", "a_folder"), r"source file a_folder is a folder"),
        ("compile_syntax_error", ("compile", "syntax.py"), r"syntax\.py:1: syntax error"),
        ("compile_source_raises", ("compile", "raises.py"),
         r"raises\.py:build\(\) raised ZeroDivisionError"),
        ("compile_missing_import", ("compile", "imports.py"),
         r"imports\.py: importing it raised ModuleNotFoundError"),
        ("compile_import_raises", ("compile", "import_raises.py"),
         r"import_raises\.py: importing it raised RuntimeError: broken at import"),
        ("compile_needs_args", ("compile", "needs_args.py"),
         r"needs_args\.py:build\(\) must take no arguments"),
        ("compile_not_callable", ("compile", "not_callable.py:VALUE"),
         r"not_callable\.py:VALUE is a int, not a function"),
        ("compile_no_function", ("compile", "good.py:nope"), r"good\.py has no function 'nope'"),
        ("compile_bad_function_name", ("compile", "good.py:no pe"),
         r"'no pe' is not a Python function name"),
        ("compile_returns_int", ("compile", "returns_int.py"), r"returned a int, expected"),
        ("compile_no_inputs", ("compile", "no_inputs.py"), r"a program with no inputs"),
        ("compile_no_outputs", ("compile", "no_outputs.py"), r"a program with no outputs"),
        ("compile_out_missing_folder", ex + ("-o", "nowhere/x.lgb"),
         r"output folder nowhere does not exist \(for nowhere/x\.lgb\)"),
        ("compile_out_is_folder", ex + ("-o", "a_folder"), r"output a_folder is a folder"),
        ("compile_out_empty", ex + ("-o", ""), r"an output file name is empty"),
        ("compile_out_under_file", ex + ("-o", "a_file/x.lgb"),
         r"output folder a_file is not a folder"),
        ("compile_report_missing_folder", ex + ("-o", "x.lgb", "--report", "nowhere/r.txt"),
         r"output folder nowhere does not exist \(for nowhere/r\.txt\)"),
        ("compile_png_folder", ex + ("-o", "x.lgb", "--png", "a_folder/"),
         r"output a_folder/ is a folder"),
        ("compile_out_read_only", ex + ("-o", "locked.lgb"),
         r"output locked\.lgb is read-only; --force replaces it"),
        ("compile_out_twice", ex + ("-o", "x.lgb", "--report", "x.lgb"),
         r"output x\.lgb is named twice"),
        ("compile_out_no_permission", ex + ("-o", "/proc/x.lgb"), r"cannot write in /proc"),
        ("verilog_out_missing_folder", ("verilog", "--width", "2", "--height", "2", "-o",
                                        "nowhere/f.v"), r"output folder nowhere does not exist"),
        ("verilog_out_read_only", ("verilog", "--width", "2", "--height", "2", "-o",
                                   "locked.lgb"), r"read-only; --force"),
        ("run_missing", ("run", "missing.lgb"), r"cannot read bitstream missing\.lgb"),
        ("run_folder", ("run", "a_folder"), r"a_folder: not a regular file"),
        ("info_garbage", ("info", "garbage.lgb"), r"garbage\.lgb: not a lutgrid bitstream"),
        ("info_empty", ("info", "empty.lgb"), r"empty\.lgb: truncated: 0 bytes"),
        ("demo_out_is_file", ("demo", "--out", "a_file"), r"a_file exists and is not a folder"),
        ("demo_out_missing_parent", ("demo", "--out", "nowhere/demo"),
         r"folder nowhere does not exist"),
        ("demo_tokens_0", ("demo", "--tokens", "0"), r"--tokens: 0 is outside 1"),
        ("run_tokens_missing_word", ("run", "adder4.lgb", "--tokens-file", "missing_word.csv"),
         r"missing_word\.csv: the program's token words are \['a', 'b', 'cin'\]; the file "
         r"lacks \['cin'\]"),
        ("run_tokens_unknown_word", ("run", "adder4.lgb", "--tokens-file", "unknown_word.csv"),
         r"has unknown \['z'\]"),
        ("run_tokens_out_of_range", ("run", "adder4.lgb", "--tokens-file", "out_of_range.csv"),
         r"out_of_range\.csv: line 3: word 'a' token 1 is 16, outside the 4-bit unsigned "
         r"range 0\.\.15"),
        ("run_tokens_negative", ("run", "adder4.lgb", "--tokens-file", "negative.csv"),
         r"word 'a' token 0 is -1, outside the 4-bit unsigned range"),
        ("run_tokens_not_integer", ("run", "adder4.lgb", "--tokens-file", "not_integer.csv"),
         r"not_integer\.csv: line 2: word 'b': '2\.5' is not an integer"),
        ("run_tokens_ragged", ("run", "adder4.lgb", "--tokens-file", "ragged.csv"),
         r"ragged\.csv: line 2: 2 values, the header names 3 words"),
        ("run_tokens_empty", ("run", "adder4.lgb", "--tokens-file", "empty.csv"),
         r"empty\.csv: empty: expected a header row"),
        ("run_tokens_repeated_header", ("run", "adder4.lgb", "--tokens-file",
                                        "repeated_header.csv"), r"must name each word once"),
        ("run_tokens_lengths", ("run", "adder4.lgb", "--tokens-file", "lengths.json"),
         r"lengths\.json: words have different token counts"),
        ("run_tokens_not_object", ("run", "adder4.lgb", "--tokens-file", "not_object.json"),
         r"expected a JSON object of word -> list of integers"),
        ("run_tokens_bad_json", ("run", "adder4.lgb", "--tokens-file", "bad.json"),
         r"bad\.json: not valid JSON"),
        ("run_tokens_missing_file", ("run", "adder4.lgb", "--tokens-file", "nope.csv"),
         r"cannot read token file nope\.csv"),
        ("run_tokens_and_file", ("run", "adder4.lgb", "--tokens", "5", "--tokens-file",
                                 "empty.csv"), r"--tokens N or --tokens-file FILE, not both"),
        ("run_vcd_without_rtl", ("run", "adder4.lgb", "--vcd", "w.vcd"),
         r"--vcd writes the Verilator run's waveform: add --rtl"),
        ("run_vcd_missing_folder", ("run", "adder4.lgb", "--rtl", "--vcd", "nowhere/w.vcd"),
         r"output folder nowhere does not exist"),
        ("run_style_bad", ("run", "adder4.lgb", "--style", "flat"), r"invalid choice: 'flat'"),
        ("no_command", (), r"required: COMMAND"),
        ("unknown_command", ("frobnicate",), r"invalid choice: 'frobnicate'"),
    ]
    return [BadCase(name, argv, 2, message) for name, argv, message in cases]
