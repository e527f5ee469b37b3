"""Engine-side dispatch: one core call per request type.  Runs in the child process only."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable

import torch

from gradlab.core.benchmark import run_benchmark
from gradlab.core.calls import call_styles
from gradlab.core.capture import captured_output
from gradlab.core.checks import run_checks, sweep_eps
from gradlab.core.curves import compute_curves
from gradlab.core.instructions import add_instruction_counts
from gradlab.core.invoke import make_inputs
from gradlab.core.loading import load_function_file
from gradlab.core.opcheck import run_opcheck
from gradlab.core.transforms import run_transforms
from gradlab.model.other_functions import other_label
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import Progress, finish
from gradlab.model.requests import (
    BenchRequest,
    CallsRequest,
    CheckRequest,
    CurvesRequest,
    EngineInfo,
    EpsSweepRequest,
    LoadRequest,
)


def _load(source):
    return load_function_file(source.path, source.text)


def _with_load_warnings(loaded, result):
    """``result`` with the file's own warnings (an EXPLORE key naming no Function) first among its warnings."""
    result.captured.warnings[:0] = loaded.captured.warnings
    return result


def _function(request):
    return _load(request.source).function(request.function)


def _other_specs(request, main, spec) -> tuple[dict, list[str]]:
    """The request's other Functions by label, and a note for each that could not be loaded."""
    others, notes = {}, []
    for other in request.others:
        same_file = os.path.abspath(other.source.path) == os.path.abspath(request.source.path)
        try:
            loaded = main if same_file else _load(other.source)
            specs = [loaded.function(other.function)] if other.function else loaded.functions
        except UserCodeError as exc:
            notes.append(f"{other_label(other.function or '*', other.source.path, same_file)} not timed: {exc.problem.message}")
            continue
        for candidate in specs:
            if not (same_file and candidate.name == spec.name):
                others[other_label(candidate.name, other.source.path, same_file)] = candidate
    return others, notes


def _bench(request, progress):
    main = _load(request.source)
    spec = main.function(request.function)
    others, notes = _other_specs(request, main, spec)
    options = request.options
    work = run_benchmark(
        spec,
        sizes=options.sizes,
        modes=options.modes,
        names=options.implementations,
        dtype=getattr(torch, options.dtype),
        device=options.device,
        threads=options.threads,
        min_run_time=options.min_run_time,
        seed=options.seed,
        others=others,
        cuda_graph=options.cuda_graph,
    )
    report = finish(work, progress)
    report.notes[:0] = notes
    if options.instructions:
        add_instruction_counts(report, spec, options, others)
    return report


def engine_info() -> EngineInfo:
    """Describe the torch this engine runs."""
    devices = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return EngineInfo(str(torch.__version__), sys.version.split()[0], torch.get_num_threads(), devices)  # str: TorchVersion would import torch on unpickling


def handle(request, progress: Callable[[Progress], None] | None = None):
    """Answer one request with a result dataclass; user errors raise UserCodeError.

    Long requests (checks, eps sweeps, benchmarks) hand each :class:`Progress`
    of their core call to ``progress``, as the core counts it.
    """
    if isinstance(request, LoadRequest):
        return _load(request.source).info()
    if isinstance(request, CurvesRequest):
        loaded = _load(request.source)
        curves = compute_curves(
            loaded.function(request.function),
            domain=request.domain,
            points=request.points,
            sweep=request.sweep,
            fixed=request.fixed,
            eps=request.eps,
        )
        return _with_load_warnings(loaded, curves)
    if isinstance(request, CheckRequest):
        loaded = _load(request.source)
        options = request.options
        spec = loaded.function(request.function)
        arguments = {**dataclasses.asdict(options), "dtype": getattr(torch, options.dtype), "shape": tuple(options.shape)}
        arguments.pop("transforms")
        checks = finish(run_checks(spec, **arguments), progress)
        checks.kind = spec.kind
        if spec.op is not None:
            checks.opcheck = run_opcheck(spec, make_inputs(spec, tuple(options.shape), getattr(torch, options.dtype), "cpu", options.seed))
        if options.transforms:
            with captured_output():
                checks.transforms = run_transforms(spec, shape=tuple(options.shape), seed=options.seed)
        return _with_load_warnings(loaded, checks)
    if isinstance(request, EpsSweepRequest):
        options = request.options
        return finish(sweep_eps(_function(request), options.eps, shape=tuple(options.shape), seed=options.seed), progress)
    if isinstance(request, BenchRequest):
        return _bench(request, progress)
    if isinstance(request, CallsRequest):
        return call_styles(_function(request), values=request.values, requires_grad=request.requires_grad)
    raise TypeError(f"unknown request {type(request).__name__}")
