"""``gradcheck`` and ``gradgradcheck`` on a Function, reported as plain verdicts.

The verdicts are PyTorch's own: :func:`torch.autograd.gradcheck` and
:func:`torch.autograd.gradgradcheck` decide.  gradlab adds the largest errors
(from gradcheck's own numerical Jacobian) and a hint for the common mistakes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gradlab.core.capture import captured_output
from gradlab.core.differentiability import double_backward_blocker
from gradlab.core.invoke import apply_function, make_inputs
from gradlab.core.loading import FunctionSpec
from gradlab.core.problems import UserCodeError, problem_from_exception
from gradlab.core.results import CheckResult, FunctionChecks

#: Jacobians larger than this many entries are not materialised for error statistics.
MAX_JACOBIAN_ENTRIES = 250_000

_GRADCHECK_MODULE = sys.modules["torch.autograd.gradcheck"]


def hint_for(message: str, arg_names: Sequence[str]) -> str:
    """A plain-words fix for the backward mistakes PyTorch reports tersely."""
    count = re.search(r"incorrect number of gradients \(expected (\d+), got (\d+)\)", message)
    if count:
        expected, got = int(count.group(1)), int(count.group(2))
        grads = "gradient" if got == 1 else "gradients"
        return (
            f"backward returned {got} {grads} for {expected} inputs: return one per forward argument "
            f"({', '.join(arg_names)}), None for non-tensors"
        )
    shape = re.search(r"invalid gradient at index (\d+) - got \[(.*?)\] but expected shape compatible with \[(.*?)\]", message)
    if shape:
        index = int(shape.group(1))
        name = arg_names[index] if index < len(arg_names) else f"#{index}"
        return (
            f"backward's gradient for {name} has shape [{shape.group(2)}] but {name} has shape [{shape.group(3)}]: "
            "each gradient must have its input's shape (sum over broadcast dimensions)"
        )
    if "Jacobian mismatch" in message:
        return "the hand-written derivative disagrees with finite differences: compare f\u2032 with autograd of forward in the plots"
    if "Numerical gradient for function expected to be zero" in message:
        return "backward's result does not depend on its inputs through autograd: it was detached (detach, .data, numpy, no_grad)"
    if "not a double precision" in message or "float64" in message:
        return "gradcheck is reliable in float64; lower precision needs a larger eps and atol"
    return ""


def _jacobian_errors(fn: Callable, inputs: tuple, eps: float, names: Sequence[str]) -> tuple[float, float, str] | None:
    """Largest |analytical - numerical| and relative error, and where; None if too large or impossible."""
    diff_index = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor) and a.requires_grad]
    if not diff_index:
        return None
    with torch.no_grad():
        outputs = fn(*inputs)
    single_output = isinstance(outputs, torch.Tensor)
    outputs = (outputs,) if single_output else tuple(outputs)
    total = sum(o.numel() for o in outputs if isinstance(o, torch.Tensor)) * sum(inputs[i].numel() for i in diff_index)
    if total > MAX_JACOBIAN_ENTRIES:
        return None
    numerical = _GRADCHECK_MODULE._get_numerical_jacobian(fn, inputs, eps=eps)

    def differentiable_part(*diff_args):
        args = list(inputs)
        for i, value in zip(diff_index, diff_args):
            args[i] = value
        return fn(*args)

    analytical = torch.autograd.functional.jacobian(differentiable_part, tuple(inputs[i] for i in diff_index))
    if single_output:
        analytical = (analytical,)
    analytical = [a if isinstance(a, (tuple, list)) else (a,) for a in analytical]
    worst = (-1.0, 0.0, "")
    for k, per_output_numeric in enumerate(numerical):  # gradcheck's layout: [input][output]
        for out_index, num in enumerate(per_output_numeric):
            ana = analytical[out_index][k].reshape(outputs[out_index].numel(), -1).t()  # (in, out)
            error = (ana - num).abs()
            if error.numel() == 0:
                continue
            flat = int(torch.nan_to_num(error, nan=float("inf")).argmax())
            in_flat, out_flat = divmod(flat, error.shape[1])
            abs_err = float(error.reshape(-1)[flat])
            if abs_err > worst[0] or np.isnan(abs_err):
                rel = abs_err / max(float(num.reshape(-1)[flat].abs()), 1e-300) if abs_err else 0.0
                index = tuple(int(v) for v in np.unravel_index(in_flat, tuple(inputs[diff_index[k]].shape) or (1,)))
                where = f"{names[diff_index[k]]}{list(index)} (output {out_index}, element {out_flat})"
                worst = (abs_err, rel, where)
    return worst if worst[0] >= 0 else None


def _describe(name: str, passed: bool, message: str, stats, arg_names) -> CheckResult:
    result = CheckResult(name, passed, message, hint="" if passed else hint_for(message, arg_names))
    if stats is not None:
        result.max_abs_error, result.max_rel_error, result.worst_element = stats
    return result


def _names(spec: FunctionSpec, inputs: tuple) -> list[str]:
    names = list(spec.arg_names)
    return names + [f"arg{i}" for i in range(len(names), len(inputs))]


def _run(name: str, check: Callable, spec: FunctionSpec, stats_fn: Callable) -> CheckResult:
    """Run one PyTorch check; its exception message is the verdict's message."""
    try:
        check()
        passed, message = True, f"{name} passed"
    except _GRADCHECK_MODULE.GradcheckError as exc:
        passed, message = False, str(exc).strip()
    except Exception as exc:  # noqa: BLE001 - user backward raising is a failed check
        problem = problem_from_exception(exc, spec.filename, "backward", f"{spec.name}.backward", fallback=spec.method_location("backward"))
        passed, message = False, problem.message
    try:
        stats = stats_fn()
    except Exception:  # noqa: BLE001 - statistics are best effort; the verdict stands
        stats = None
    return _describe(name, passed, message, stats, spec.arg_names)


def _nonfinite_warning(output, spec: FunctionSpec) -> str:
    """A warning when forward returns NaN or inf at the check's inputs, or ``""``."""
    outputs = (output,) if isinstance(output, torch.Tensor) else tuple(output)
    tensors = [o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point()]
    bad = sum(int((~torch.isfinite(o)).sum()) for o in tensors)
    if not bad:
        return ""
    total = sum(o.numel() for o in tensors)
    where = "the 'inputs' option" if spec.options.inputs else f"domain {spec.options.domain}"
    return (
        f"forward returned NaN or inf for {bad} of {total} outputs at the check's inputs (from {where}); "
        "gradcheck cannot compare there: narrow 'domain' or supply 'inputs' where f is finite"
    )


def _double_backward_blocker(fn: Callable, inputs: tuple) -> str | None:
    """PyTorch's reason double backward cannot run, or None when it can be tried."""
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = fn(*inputs)
    out = out if isinstance(out, torch.Tensor) else out[0]
    seed = torch.ones_like(out, requires_grad=True)
    try:
        grads = torch.autograd.grad(out, diff, seed, create_graph=True, allow_unused=True)
    except Exception:  # noqa: BLE001 - first-order failure is gradcheck's to report
        return None
    connected = [g for g in grads if g is not None]
    if not connected:
        return None
    if any(g.requires_grad and g.grad_fn is not None and _depends_on(g, seed) for g in connected):
        return None
    blocker = double_backward_blocker(connected[0])
    return blocker if "not supported" in blocker else None


def _depends_on(tensor: torch.Tensor, leaf: torch.Tensor) -> bool:
    (grad,) = torch.autograd.grad(tensor.sum(), leaf, retain_graph=True, allow_unused=True)
    return grad is not None


def run_checks(
    spec: FunctionSpec,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    dtype: torch.dtype = torch.float64,
    shape: tuple[int, ...] = (3, 4),
    seed: int = 0,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
) -> FunctionChecks:
    """Run ``gradcheck`` and ``gradgradcheck`` on inputs drawn from the Function's domain.

    Raises
    ------
    UserCodeError
        When forward raises: the Function cannot be checked at all.
    """
    fn = apply_function(spec)
    options = dict(eps=eps, atol=atol, rtol=rtol, nondet_tol=nondet_tol, fast_mode=fast_mode)
    with captured_output() as captured:
        inputs = make_inputs(spec, shape, dtype, "cpu", seed)
        with torch.no_grad():
            probe = fn(*inputs)  # forward errors make the file unusable: raise them as such
        nonfinite = _nonfinite_warning(probe, spec)
        if nonfinite:
            captured.warnings.append(nonfinite)
        first = _run(
            "gradcheck",
            lambda: torch.autograd.gradcheck(fn, inputs, **options),
            spec,
            lambda: _jacobian_errors(fn, inputs, eps, _names(spec, inputs)),
        )
        if nonfinite and first.passed is False:
            first.hint = "forward returns NaN or inf at some of the check's inputs: narrow 'domain' or supply 'inputs'"
        blocker = _double_backward_blocker(fn, inputs)
        if blocker:
            second = CheckResult(
                "gradgradcheck",
                None,
                f"not supported: {blocker}",
                hint="remove @once_differentiable and write backward with differentiable torch operations to get f\u2033",
            )
        else:
            second = _run(
                "gradgradcheck",
                lambda: torch.autograd.gradgradcheck(fn, inputs, **options),
                spec,
                lambda: _gradgrad_errors(fn, inputs, eps, _names(spec, inputs)),
            )
    return FunctionChecks(spec.name, first, second, captured)


def _gradgrad_errors(fn: Callable, inputs: tuple, eps: float, names: list[str]):
    """Error statistics of the function gradgradcheck checks: inputs, grad_outputs -> grads."""
    diff_index = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor) and a.requires_grad]
    with torch.no_grad():
        out = fn(*inputs)
    outs = (out,) if isinstance(out, torch.Tensor) else tuple(out)
    generator = torch.Generator().manual_seed(0)
    grad_outputs = tuple(
        torch.randn(o.shape, dtype=o.dtype, generator=generator).requires_grad_(True) for o in outs if o.is_floating_point()
    )

    def first_derivative(*args):
        primal, seeds = args[: len(inputs)], args[len(inputs):]
        with torch.enable_grad():  # the numerical Jacobian calls this under no_grad
            primal = [a.detach().requires_grad_(True) if i in diff_index and not a.requires_grad else a for i, a in enumerate(primal)]
            result = fn(*primal)
            result = (result,) if isinstance(result, torch.Tensor) else tuple(result)
            grads = torch.autograd.grad(result, [primal[i] for i in diff_index], seeds, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else torch.zeros_like(primal[i]) for g, i in zip(grads, diff_index))

    seed_names = [f"grad_output{'' if len(grad_outputs) == 1 else j}" for j in range(len(grad_outputs))]
    return _jacobian_errors(first_derivative, tuple(inputs) + grad_outputs, eps, names + seed_names)


def verdict_is_failure(checks: FunctionChecks) -> bool:
    """True when a check ran and failed (``passed is False``); not-supported is no failure."""
    return checks.gradcheck.passed is False or checks.gradgradcheck.passed is False


__all__ = ["run_checks", "hint_for", "verdict_is_failure", "UserCodeError"]
