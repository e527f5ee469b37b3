"""Instruction counts per call with valgrind's callgrind: deterministic, so two implementations compare on a noisy machine.

The method is ``torch.utils.benchmark``'s ``Timer.collect_callgrind``: the
statement runs in a new Python process under ``valgrind --tool=callgrind``,
``torch._C``'s callgrind toggles bracket the counted calls, each block is
dumped and read with ``callgrind_annotate``, and CPython's dict lookups are
left out (``FunctionCounts.denoise``).  One thing differs: the Timer starts
valgrind with instrumentation on, so the child's ``import torch`` (libtorch's
static initialisers) runs instrumented: 90 s for one count on the 2-core CI
machine.  Here instrumentation starts off, and ``callgrind_control -i on``
switches it on once every implementation has been called: 24 s for one count,
28 s for the tutorial's three sigmoids (both at 100x100).

A user's Function cannot cross into that process, so it is rebuilt there by
name from its file (and the unsaved text, when there is one), with the
statement of :func:`gradlab.core.benchmark._statement` for each mode.  All
cells of a benchmark share one valgrind process.
"""

from __future__ import annotations

import gc
import json
import linecache
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from gradlab.core.benchmark import _statement, implementations
from gradlab.core.invoke import make_inputs
from gradlab.core.loading import FunctionSpec, load_function_file
from gradlab.model.options import BenchOptions
from gradlab.model.problems import UserCodeError
from gradlab.model.results import BenchmarkReport, BenchmarkRow, Problem

#: What ``torch.utils.benchmark`` needs on PATH for callgrind (its ``_ValgrindWrapper`` checks the same three).
TOOLS = ("valgrind", "callgrind_control", "callgrind_annotate")
INSTALL = (
    "install it with `sudo apt-get install valgrind` (Debian, Ubuntu), `sudo dnf install valgrind` (Fedora, RHEL), "
    "`sudo pacman -S valgrind` (Arch) or `conda install -c conda-forge valgrind`"
)
#: Calls of each implementation before instrumentation (the autograd engine's start, CPython's specialising),
#: calls of each cell before it is counted (its own allocations), and the most calls counted per cell.
WARMUP, CELL_WARMUP, MAX_NUMBER = 10, 2, 10
_GRADLAB_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the gradlab package


@dataclass(frozen=True)
class Cell:
    """One thing to count: an implementation (by its benchmark name) at an input shape, in a mode."""

    implementation: str
    shape: tuple[int, ...]
    mode: str


@dataclass(frozen=True)
class Origin:
    """Where a Function comes from, so a new process can load it: its file, its name, the unsaved text if any."""

    path: str
    function: str
    text: str | None = None


def valgrind_missing() -> str:
    """Why instruction counts cannot be made here, with how to fix it; ``""`` when they can.

    Like ``torch.utils.benchmark``, this asks PyTorch whether it supports
    valgrind on this platform and looks for the tools on PATH, but it looks
    again at every call (torch caches its answer for the process).
    """
    supported = getattr(torch._C, "_valgrind_supported_platform", None)
    if supported is None or not hasattr(torch._C, "_valgrind_toggle_and_dump_stats"):
        return "instruction counts need PyTorch's callgrind bindings, which this PyTorch build lacks"
    if not supported():
        return (
            f"instruction counts need valgrind, which PyTorch does not support on {platform.system()} ({platform.machine()}): "
            "run them on Linux (a container, or WSL on Windows, works); valgrind does not run on current macOS"
        )
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        return f"instruction counts need valgrind, which is not installed here (no {', '.join(absent)} on PATH): {INSTALL}"
    return ""


def calls_per_cell(shape: tuple[int, ...]) -> int:
    """Calls counted per cell: up to :data:`MAX_NUMBER`, fewer for large inputs (a count is per call and exact)."""
    return max(1, min(MAX_NUMBER, 1_000_000 // max(math.prod(shape), 1)))


def count_cells(
    origin: Origin,
    cells: list[Cell],
    dtype: str = "float32",
    seed: int = 0,
    *,
    others: dict[str, Origin] | None = None,
    threads: int = 1,
    timeout: float | None = None,
) -> list[int]:
    """Instructions per call of each cell, counted in one valgrind process.

    Parameters
    ----------
    origin : Origin
        The Function benchmarked: its implementations are named as in
        :func:`gradlab.core.benchmark.implementations`.
    cells : list of Cell
        What to count; each runs on :func:`~gradlab.core.invoke.make_inputs`
        of its shape with ``dtype`` and ``seed``, on the CPU.
    others : dict of str to Origin, optional
        Other Functions offered as implementations, by label.
    threads : int
        torch's intra-op threads in the counted process; one keeps counts free
        of the thread pool's spinning.
    timeout : float, optional
        Seconds before the valgrind process is killed.

    Returns
    -------
    list of int
        Per call, in the order of ``cells``: all instructions the statement
        executed (Python, PyTorch, libc), less CPython's dict lookups.

    Raises
    ------
    UserCodeError
        ``options`` when valgrind is missing (the message says how to install
        it), ``internal`` when the counting process failed (with its reason).
    """
    missing = valgrind_missing()
    if missing:
        raise UserCodeError(Problem("options", missing))
    job = {
        "origin": asdict(origin),
        "others": {label: asdict(other) for label, other in (others or {}).items()},
        "cells": [{**asdict(cell), "number": calls_per_cell(cell.shape)} for cell in cells],
        "dtype": dtype,
        "seed": seed,
        "threads": threads,
    }
    with tempfile.TemporaryDirectory(prefix="gradlab-callgrind-") as folder:
        files = {name: os.path.join(folder, name) for name in ("job.json", "error.txt", "output.log", "callgrind.out")}
        Path(files["job.json"]).write_text(json.dumps(job), encoding="utf-8")
        child = f"import sys; sys.path.insert(0, {_GRADLAB_ROOT!r}); from gradlab.core.instructions import _child_main; _child_main({folder!r})"
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={files['callgrind.out']}",
            "--instr-atstart=no", "--collect-atstart=no", sys.executable, "-c", child,
        ]  # fmt: skip
        environment = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
        with open(files["output.log"], "wb") as log:
            try:
                finished = subprocess.run(
                    command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=environment, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                raise UserCodeError(
                    Problem("timeout", f"instruction counts took longer than {timeout:g} s; not counted")
                ) from None
        if finished.returncode:
            raise _failed(*_failure(files))
        dumps = sorted(Path(folder).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        if len(dumps) != len(cells):
            raise _failed(f"{len(dumps)} callgrind dumps for {len(cells)} cells")
        return [_denoised_total(dump) // entry["number"] for dump, entry in zip(dumps, job["cells"])]


def _failed(reason: str, detail: str = "") -> UserCodeError:
    return UserCodeError(Problem("internal", f"instruction counts failed: {reason}", detail=detail))


def count_instructions(
    path: str,
    function: str,
    implementation: str,
    shape: tuple[int, ...] = (100, 100),
    dtype: str = "float32",
    mode: str = "both",
    seed: int = 0,
    text: str | None = None,
) -> int:
    """Instructions per call of one implementation of ``function`` in the file at ``path`` (see :func:`count_cells`)."""
    return count_cells(Origin(path, function, text), [Cell(implementation, tuple(shape), mode)], dtype, seed)[0]


def add_instruction_counts(
    report: BenchmarkReport, spec: FunctionSpec, options: BenchOptions, others: dict[str, FunctionSpec] | None = None
) -> None:
    """Fill ``instructions`` of each timed CPU row of a finished benchmark, when ``options.instructions`` asks; notes say how, or why not.

    Nothing raises: a missing valgrind or a failed count becomes a note and
    the times stand.  ``spec`` and ``others`` are those the benchmark ran;
    their text is the one they were loaded from (unsaved buffers included).
    """
    if not options.instructions:
        return
    if options.device != "cpu":
        report.notes.append(
            f"instruction counts are made on the CPU only (callgrind does not see {options.device} work); none made"
        )
        return
    rows = [r for r in report.rows if r.device == "cpu" and r.median_s is not None and not r.error]
    missing = valgrind_missing()
    if missing or not rows:
        report.notes.extend([missing] if missing else [])
        return
    cells = list(dict.fromkeys(_cell(row) for row in rows))
    try:
        others = {label: _origin(other) for label, other in (others or {}).items()}
        counts = count_cells(_origin(spec), cells, options.dtype, options.seed, others=others)
    except UserCodeError as exc:
        report.notes.append(exc.problem.message)
        return
    counted = dict(zip(cells, counts))
    for row in rows:
        row.instructions = counted[_cell(row)]
    emulated = (
        " valgrind's CPU has no AVX-512, so PyTorch ran its AVX2 kernels there;"
        if torch.backends.cpu.get_cpu_capability() == "AVX512"
        else ""
    )
    report.notes.append(
        "instructions: callgrind's count per call, on one thread, less CPython's dict lookups (torch's denoise);"
        f"{emulated} unlike times, repeatable (within 1 % between runs)"
    )


def _cell(row: BenchmarkRow) -> Cell:
    """What a row timed: its implementation, the shape asked of the inputs, its mode."""
    return Cell(row.implementation, row.requested or row.dims, row.mode)


def _origin(spec: FunctionSpec) -> Origin:
    """Where ``spec`` was loaded from; :func:`load_function_file` left the exact text it ran in :mod:`linecache`."""
    entry = linecache.cache.get(spec.filename)
    text = "".join(entry[2]) if entry is not None and len(entry) == 4 else None
    return Origin(spec.filename, spec.name, text)


def _failure(files: dict[str, str]) -> tuple[str, str]:
    """Why the counting process failed, in one line, and the details: its own report, or the end of what it printed."""
    for name in ("error.txt", "output.log"):
        try:
            lines = Path(files[name]).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            continue
        if lines:
            return (lines[0], "\n".join(lines[1:])) if name == "error.txt" else (lines[-1], "\n".join(lines[-15:]))
    return "the valgrind process printed nothing", ""


_FUNCTION_LINE = re.compile(r"^\s*([0-9,]+)\s+(.+:.+)$")


def _denoised_total(dump: Path) -> int:
    """A callgrind dump's exclusive instruction total, less CPython's ``lookdict_unicode`` (torch's ``FunctionCounts.denoise``)."""
    annotated = subprocess.run(
        ["callgrind_annotate", "--inclusive=no", "--threshold=100", "--show-percs=no", str(dump)], capture_output=True, text=True
    )
    if annotated.returncode:
        raise _failed(f"callgrind_annotate: {annotated.stderr.strip() or annotated.stdout.strip()}")
    listing = annotated.stdout
    total, listed, noise = None, False, 0
    for line in listing.splitlines():
        if total is None:
            if line.strip().endswith("PROGRAM TOTALS"):
                total = int(line.split()[0].replace(",", ""))
        elif not listed:
            listed = line.strip().endswith("file:function")
        elif (match := _FUNCTION_LINE.match(line)) and "dictobject.c:lookdict_unicode" in match.group(2):
            noise += int(match.group(1).replace(",", ""))
    if total is None:
        raise _failed(f"callgrind_annotate printed no total for {dump}")
    return total - noise


def _child_main(folder: str) -> None:
    """In the valgrind process: count each cell of ``folder``'s job into its own callgrind dump, or write why not."""
    status = 0
    try:
        _count_job(json.loads(Path(folder, "job.json").read_text(encoding="utf-8")))
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything; the parent reports it
        line = exc.problem.message if isinstance(exc, UserCodeError) else traceback.format_exception_only(exc)[-1].strip()
        Path(folder, "error.txt").write_text(line + "\n" + "".join(traceback.format_exception(exc)), encoding="utf-8")
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # an instrumented interpreter shutdown takes seconds, and counts nothing


def _count_job(job: dict) -> None:
    torch.set_num_threads(job["threads"])
    origin = job["origin"]
    spec = load_function_file(origin["path"], origin["text"]).function(origin["function"])
    others = {label: load_function_file(o["path"], o["text"]).function(o["function"]) for label, o in job["others"].items()}
    dtype = getattr(torch, job["dtype"])

    def statement(cell: dict, shape: list[int]):
        inputs = make_inputs(spec, tuple(shape), dtype, "cpu", job["seed"])
        return _statement(implementations(spec, inputs, others)[cell["implementation"]], inputs, cell["mode"])

    # First calls (the autograd engine's start, CPython's specialising) cost seconds when instrumented: make them before.
    smallest = min((cell["shape"] for cell in job["cells"]), key=lambda shape: torch.Size(shape).numel())
    for cell in {(c["implementation"], c["mode"]): c for c in job["cells"]}.values():
        _call(statement(cell, smallest), WARMUP)
    _instrument()  # once: switching it off again would corrupt the totals of later dumps
    for cell in job["cells"]:
        counted = statement(cell, cell["shape"])
        _call(counted, CELL_WARMUP)
        gc.collect()
        gc.disable()
        torch._C._valgrind_toggle()
        _call(counted, cell["number"])
        torch._C._valgrind_toggle_and_dump_stats()
        gc.enable()


def _call(statement, times: int) -> None:
    for _ in range(times):
        statement()


def _instrument() -> None:
    """Switch on callgrind's instrumentation of this process (``--instr-atstart=no`` left it off)."""
    done = subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, text=True)
    if done.returncode or "OK." not in done.stdout:
        raise RuntimeError(
            f"callgrind_control -i on failed (is this process running under callgrind?): {done.stdout}{done.stderr}"
        )
