"""Benchmark a Function against autograd-of-forward and its ``compare`` entries.

Timing is ``torch.utils.benchmark.Timer.blocked_autorange`` (explicit thread
count; CUDA synchronised by the Timer).  Before a cell is timed, every
implementation's output and gradients are checked against the custom
Function's on identical inputs; a mismatch is reported, not timed.  The
"why" comes from ``torch.profiler`` (ops and kernels launched), a
``saved_tensors_hooks`` pack hook (bytes kept for backward) and CUDA's peak
memory.

:func:`run_benchmark` is long work (:data:`~gradlab.model.progress.Work`): it
yields a :class:`~gradlab.model.progress.Progress` carrying each row as it is
measured, so callers can show results cell by cell and stop between cells, and
returns the :class:`~gradlab.model.results.BenchmarkReport`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
from collections.abc import Callable, Sequence

import torch

from gradlab.core.bandwidth import device_name
from gradlab.core.bench_explain import explain
from gradlab.core.capture import captured_output
from gradlab.core.cost import cost_model
from gradlab.core.cuda_timing import cuda_block_timer, graph_replay
from gradlab.core.invoke import AUTOGRAD_OF_FORWARD, apply_function, autograd_of_forward, first_tensor, make_inputs, user_callable
from gradlab.core.loading import FunctionSpec
from gradlab.core.timing import StatementFailed, time_interleaved
from gradlab.core.whereabouts import entering
from gradlab.model.other_functions import same_signature
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import Progress, Work
from gradlab.model.results import BenchmarkReport, BenchmarkRow, Problem
from gradlab.model.words import counted

CUSTOM = "custom Function"
MODES = ("forward", "backward", "both", "double")
DEFAULT_SIZES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


def implementations(spec: FunctionSpec, inputs: tuple | None = None, others: dict[str, FunctionSpec] | None = None) -> dict[str, Callable]:
    """The custom Function, autograd of its forward, each ``compare`` entry and each of ``others``, by name.

    Autograd of forward runs on the inputs themselves (no defensive clone, which
    would be timed) unless the forward, tried on ``inputs``, needs the clone.
    ``others`` are other Functions (another version in the same file, or in
    another open file) to time against this one; those whose forward takes a
    different number of arguments are left out.
    """
    naive = autograd_of_forward(spec, clone_inputs=False)
    if inputs is not None:
        try:
            with torch.no_grad():
                naive(*[a.detach().clone() if isinstance(a, torch.Tensor) else a for a in inputs])
            naive(*inputs)
        except (UserCodeError, RuntimeError):
            naive = autograd_of_forward(spec, clone_inputs=True)
    found = {CUSTOM: apply_function(spec), AUTOGRAD_OF_FORWARD: naive}
    for name, fn in spec.options.compare.items():
        found[name] = user_callable(fn, spec.filename, f"compare[{name!r}]")
    for name, other in (others or {}).items():
        if same_signature(spec, other):
            found[name] = apply_function(other)
    return found



def environment(device: str, dtype: torch.dtype, threads: int) -> dict:
    """Torch version, device name, threads and dtype: what a reader of the numbers needs."""
    name = device_name(device)
    return {
        "torch": str(torch.__version__),
        "device": device,
        "device_name": name,
        "threads": threads,
        "dtype": str(dtype).replace("torch.", ""),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _statement(fn: Callable, inputs: tuple, mode: str) -> Callable[[], object]:
    """The timed callable of ``mode``; for backward the graph is built here, outside the timed region."""
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = first_tensor(fn(*inputs))  # the backward mode's graph, and the seeds' shapes
    seed = torch.ones_like(out)  # allocated once: only the implementation's own work is timed
    if mode == "forward":
        return lambda: fn(*inputs)
    if mode == "backward":
        return lambda: torch.autograd.grad(out, diff, seed, retain_graph=True, allow_unused=True)
    if mode == "both":
        return lambda: torch.autograd.grad(first_tensor(fn(*inputs)), diff, seed, allow_unused=True)
    if mode == "double":
        second_seeds = [torch.ones_like(a) for a in diff]

        def double_backward():
            grads = torch.autograd.grad(first_tensor(fn(*inputs)), diff, seed, create_graph=True, allow_unused=True)
            pairs = [(g, s) for g, s in zip(grads, second_seeds) if g is not None and g.requires_grad]
            return torch.autograd.grad([g for g, _ in pairs], diff, [s for _, s in pairs], allow_unused=True)

        return double_backward
    raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")


def _results(fn: Callable, inputs: tuple) -> tuple[torch.Tensor, list]:
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = first_tensor(fn(*inputs))
    grads = torch.autograd.grad(out, diff, torch.ones_like(out), allow_unused=True) if out.requires_grad else [None] * len(diff)
    return out.detach(), [None if g is None else g.detach() for g in grads]


def mismatch(fn: Callable, reference: tuple, inputs: tuple, dtype: torch.dtype) -> str:
    """Why ``fn`` disagrees with the reference (output, gradients) on ``inputs``, or ``""``."""
    tolerance = {"rtol": 1e-5, "atol": 1e-8} if dtype == torch.float64 else {"rtol": 1e-3, "atol": 1e-5}
    out, grads = _results(fn, inputs)
    ref_out, ref_grads = reference
    if out.shape != ref_out.shape or not torch.allclose(out, ref_out, equal_nan=True, **tolerance):
        worst = (out - ref_out).abs().max().item() if out.shape == ref_out.shape else float("nan")
        return f"output differs from the custom Function's (max |difference| {worst:.3g})"
    for index, (g, r) in enumerate(zip(grads, ref_grads)):
        if (g is None) != (r is None) or (g is not None and not torch.allclose(g, r, equal_nan=True, **tolerance)):
            return f"gradient {index} differs from the custom Function's"
    return ""


def supports_double_backward(fn: Callable, inputs: tuple) -> bool:
    """Whether second derivatives flow through ``fn``.

    A first derivative taken with a seed that requires grad must depend on
    that seed; a ``once_differentiable`` or detaching backward breaks that link
    (and autograd would silently return nothing rather than fail).
    """
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = first_tensor(fn(*inputs))
    seed = torch.ones_like(out, requires_grad=True)
    grads = [g for g in torch.autograd.grad(out, diff, seed, create_graph=True, allow_unused=True) if g is not None]
    if not grads or not all(g.requires_grad for g in grads):
        return False
    try:
        (through_seed,) = torch.autograd.grad(grads, seed, [torch.ones_like(g) for g in grads], allow_unused=True)
    except RuntimeError:
        return False
    return through_seed is not None


def _require_device(device: str) -> None:
    """Refuse a device this machine does not have, saying what it does have."""
    try:
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as exc:
        available = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        raise UserCodeError(
            Problem("options", f"device {device!r} is not available here: {str(exc).splitlines()[0]}", hint=f"available: {', '.join(available)}")
        ) from None


def _error_text(exc: Exception) -> str:
    """One line for a table cell: the user's problem, or PyTorch's first line."""
    if isinstance(exc, UserCodeError):
        return exc.problem.message
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def input_shape(size: int | Sequence[int]) -> tuple[int, ...]:
    """A benchmark size as an input shape: ``10000`` → ``(10000,)``, ``(100, 100)`` stays."""
    return (int(size),) if isinstance(size, (int, float)) else tuple(int(n) for n in size)


def _opaque_to_autograd(spec: FunctionSpec, naive: Callable, inputs: tuple) -> str:
    """For a custom op whose Python implementation autograd cannot follow (NumPy), why autograd of forward is not timed; else ``""``."""
    if spec.op is None:
        return ""
    try:
        out = first_tensor(naive(*inputs))
    except (UserCodeError, RuntimeError):
        out = None
    if out is not None and out.requires_grad:
        return ""
    return f"autograd of forward not timed: autograd cannot follow {spec.name}'s Python implementation (NumPy, or a detach), so it has no gradient of its own"


def busy_machine_note(device: str, threads: int) -> str:
    """A warning when more threads time than this machine's idle cores can run, or ``""``.

    A thread of a parallel op that waits for a core another process holds
    stalls the whole call for a scheduler slice (milliseconds): on a busy
    2-core machine a 90 µs call measured 8 ms with 2 threads and 72 µs with 1.
    """
    cores = os.cpu_count() or 1
    if not device.startswith("cpu") or threads <= 1:
        return ""
    others = _other_runnable()
    if others is None or others + threads <= cores:
        return ""
    return (
        f"this machine is busy ({others} other runnable threads on {cores} cores) and {threads} threads time each call:"
        " a thread that waits for a core another process holds stalls the call; --threads 1 measures steadily"
    )


def _other_runnable() -> int | None:
    """Threads runnable right now besides this one (Linux ``/proc/loadavg``), the most of three looks; None elsewhere."""
    counts = []
    for _ in range(3):
        try:
            with open("/proc/loadavg", encoding="ascii") as handle:
                counts.append(int(handle.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return None
    return max(counts)


def timed_shape(inputs: tuple, requested: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a benchmark cell times: ``requested`` if some tensor input has it, else the largest input's."""
    tensors = [a for a in inputs if isinstance(a, torch.Tensor)]
    if not tensors or any(tuple(a.shape) == tuple(requested) for a in tensors):
        return tuple(requested)
    return tuple(max(tensors, key=lambda a: a.numel()).shape) or (1,)


def _time_cells(statements: dict, rows: dict[str, BenchmarkRow], threads: int, min_run_time: float, device: str) -> None:
    """Time ``statements`` interleaved and fill their rows; one that raises is marked and the others timed again."""
    while statements:
        try:
            with captured_output():
                timings = time_interleaved(statements, threads, min_run_time, block_timer=cuda_block_timer(device))
        except StatementFailed as failed:
            cause = failed.__cause__
            rows[failed.name].error = _error_text(cause) if isinstance(cause, (UserCodeError, RuntimeError)) else f"{type(cause).__name__}: {cause}"
            del statements[failed.name]
            continue
        for name, timing in timings.items():
            row = rows[name]
            row.median_s, row.iqr_s, row.min_s = timing.median, timing.iqr, timing.minimum
            row.rounds, row.runs = len(timing.times), timing.blocks
            row.noisy = not timing.settled
        return


GRAPH_SUFFIX = " (CUDA graph)"


def _add_graph_replays(statements: dict, rows: dict[str, BenchmarkRow], device: str) -> None:
    """Add a CUDA-graph replay of each statement, with its row; one that cannot be captured gets its reason."""
    for name, statement in list(statements.items()):
        replay_name = name + GRAPH_SUFFIX
        rows[replay_name] = dataclasses.replace(rows[name], implementation=replay_name)
        try:
            with captured_output():
                statements[replay_name] = graph_replay(statement, device)
        except RuntimeError as exc:
            rows[replay_name].error = f"cannot be captured in a CUDA graph: {_error_text(exc)}"


def run_benchmark(
    spec: FunctionSpec,
    sizes: Sequence[int | Sequence[int]] = DEFAULT_SIZES,
    modes: Sequence[str] = ("both",),
    names: Sequence[str] | None = None,
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
    threads: int | None = None,
    min_run_time: float = 0.2,
    seed: int = 0,
    others: dict[str, FunctionSpec] | None = None,
    cuda_graph: bool = False,
) -> Work[BenchmarkReport]:
    """Measure every chosen implementation at every size and mode, yielding as it goes.

    A size is an element count (a 1-D input) or a shape such as ``(100, 100)``.
    ``others`` adds other Functions with the same arguments, by label (see
    :func:`implementations`).  With ``cuda_graph`` on a CUDA device, each
    implementation is also timed as a CUDA-graph replay (row
    ``"<name> (CUDA graph)"``), which shows what kernel launches cost.
    Implementations of one cell are timed interleaved
    (:func:`~gradlab.core.timing.time_interleaved`).

    Yields
    ------
    Progress
        One per cell (size × mode × chosen implementation), timed or refused:
        ``done`` counts cells, ``total`` is the number of cells, fixed before
        the first, and ``item`` is the cell's :class:`BenchmarkRow`.  Then one
        per implementation explained at the largest size, ``item`` its
        :class:`BenchmarkWhy`, with ``done`` left at ``total``: an explanation
        is not a cell.

    Returns
    -------
    BenchmarkReport
        Everything together.
    """
    _require_device(device)
    threads = threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    shapes = [input_shape(size) for size in sizes]
    rows, whys, notes = [], [], []
    with captured_output():
        smallest = make_inputs(spec, min(shapes, key=math.prod), dtype, device, seed)
        available = implementations(spec, smallest, others)
        opaque = _opaque_to_autograd(spec, available[AUTOGRAD_OF_FORWARD], smallest)
    if opaque:
        del available[AUTOGRAD_OF_FORWARD]
        notes.append(opaque)
    chosen = {n: f for n, f in available.items() if names is None or n in names}
    unknown = [n for n in (names or []) if n not in available]
    if unknown:
        notes.append(f"unknown {'implementation' if len(unknown) == 1 else 'implementations'} {', '.join(unknown)}; available: {', '.join(available)}")
    for name, other in (others or {}).items():
        if name not in available:
            notes.append(f"{name} takes {counted(len(other.arg_names), 'argument')}, {spec.name} takes {len(spec.arg_names)}; not timed")
    env = environment(device, dtype, threads)
    files = {name: other.filename for name, other in (others or {}).items()}  # everything else is the spec's file
    busy = busy_machine_note(device, threads)
    if busy:
        notes.append(busy)
    cells = len(shapes) * len(modes) * len(chosen) * (2 if cuda_graph and device.startswith("cuda") else 1)
    usable = []  # the shapes the custom Function runs at
    for requested in shapes:
        try:
            with captured_output():
                inputs = make_inputs(spec, requested, dtype, device, seed)
                reference = _results(available[CUSTOM], inputs)
            unusable = ""
            usable.append(requested)
        except (UserCodeError, RuntimeError) as exc:  # e.g. a forward that takes 1-D input only, asked for 100x100
            inputs, unusable = None, f"the custom Function fails at this size, nothing timed: {_error_text(exc)}"
        shape = requested if inputs is None else timed_shape(inputs, requested)
        for mode in modes:
            new_rows = {
                name: BenchmarkRow(
                    name, math.prod(shape), mode, device, env["dtype"], None, None, 0,
                    shape=shape if len(shape) > 1 else (), requested=requested if shape != requested else (),
                )
                for name in chosen
            }
            statements = {}
            for name, fn in chosen.items():
                row = new_rows[name]
                entering(files.get(name, spec.filename))  # a silent death in its first call names this file
                try:
                    with captured_output():
                        row.error = unusable or ("" if name == CUSTOM else mismatch(fn, reference, inputs, dtype))
                        if not row.error and mode == "double" and not supports_double_backward(fn, inputs):
                            row.error = "double backward is not supported"
                        if not row.error:
                            statements[name] = _statement(fn, inputs, mode)
                except (UserCodeError, RuntimeError) as exc:
                    row.error = _error_text(exc)
            if cuda_graph and device.startswith("cuda"):
                _add_graph_replays(statements, new_rows, device)
            entering(spec.filename if set(files.get(n, spec.filename) for n in statements) == {spec.filename} else None)
            _time_cells(statements, new_rows, threads, min_run_time, device)
            for row in new_rows.values():
                rows.append(row)
                yield Progress(len(rows), cells, row)
    if usable:  # explained at the largest size the custom Function ran at
        largest = max(usable, key=math.prod)
        with captured_output():
            inputs = make_inputs(spec, largest, dtype, device, seed)
        for name, fn in chosen.items():
            try:
                with captured_output():  # never yield inside: the consumer's prints would be captured
                    why = explain(name, fn, inputs, math.prod(timed_shape(inputs, largest)), device)
            except (UserCodeError, RuntimeError):
                continue
            whys.append(why)
            yield Progress(len(rows), cells, why)
    report = BenchmarkReport(spec.name, rows, whys, env, notes)
    report.cost = cost_model(report, device)
    return report
