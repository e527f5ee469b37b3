"""gradcheck's numerical Jacobian next to the hand-written one, and the eps sweep.

The numerical Jacobian comes from gradcheck's own ``_get_numerical_jacobian``
(central differences exactly as gradcheck computes them); the analytical one
from :func:`torch.autograd.functional.jacobian`, i.e. through the Function's
backward.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gradlab.model.progress import Progress, Work
from gradlab.model.results import EpsSweep, Jacobians

#: Jacobians with more entries than this are not materialised.
MAX_JACOBIAN_ENTRIES = 250_000

_GRADCHECK_MODULE = sys.modules["torch.autograd.gradcheck"]


def _as_tuple(value) -> tuple:
    return (value,) if isinstance(value, torch.Tensor) else tuple(value)


def _element_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return [name]
    return [f"{name}[{', '.join(str(int(i)) for i in np.unravel_index(k, shape))}]" for k in range(int(np.prod(shape)))]


def differentiable_indices(inputs: Sequence) -> list[int]:
    """Positions of the inputs gradcheck differentiates (tensors requiring grad)."""
    return [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor) and a.requires_grad]


def jacobian_size(fn: Callable, inputs: tuple) -> int:
    """Entries of the full Jacobian of ``fn`` at ``inputs``."""
    with torch.no_grad():
        outputs = _as_tuple(fn(*inputs))
    n_out = sum(o.numel() for o in outputs if isinstance(o, torch.Tensor))
    return n_out * sum(inputs[i].numel() for i in differentiable_indices(inputs))


def compute_jacobians(fn: Callable, inputs: tuple, eps: float, names: Sequence[str]) -> Jacobians | None:
    """Both Jacobians of ``fn`` at ``inputs``; None when nothing is differentiable or it is too large."""
    diff_index = differentiable_indices(inputs)
    if not diff_index or jacobian_size(fn, inputs) > MAX_JACOBIAN_ENTRIES:
        return None
    with torch.no_grad():
        raw = fn(*inputs)
    single_output = isinstance(raw, torch.Tensor)
    outputs = _as_tuple(raw)
    numerical = _GRADCHECK_MODULE._get_numerical_jacobian(fn, inputs, eps=eps)  # [input][output] -> (in, out)

    def differentiable_part(*diff_args):
        args = list(inputs)
        for i, value in zip(diff_index, diff_args):
            args[i] = value
        return fn(*args)

    analytical = torch.autograd.functional.jacobian(differentiable_part, tuple(inputs[i] for i in diff_index))
    if single_output:
        analytical = (analytical,)  # one output: jacobian() returns one tuple over inputs
    numeric_rows, analytic_rows = [], []
    for k, per_output in enumerate(numerical):
        numeric_rows.append(torch.cat([j.reshape(j.shape[0], -1) for j in per_output], dim=1))
        analytic_rows.append(
            torch.cat([analytical[o][k].reshape(outputs[o].numel(), -1).t() for o in range(len(outputs))], dim=1)
        )
    row_labels = [label for i in diff_index for label in _element_labels(names[i], tuple(inputs[i].shape))]
    column_labels = [
        label for o, out in enumerate(outputs) for label in _element_labels("out" if len(outputs) == 1 else f"out{o}", tuple(out.shape))
    ]
    return Jacobians(
        numerical=torch.cat(numeric_rows).detach().cpu().double().numpy(),
        analytical=torch.cat(analytic_rows).detach().cpu().double().numpy(),
        row_labels=row_labels,
        column_labels=column_labels,
        eps=eps,
    )


def worst_error(jacobians: Jacobians | None) -> tuple[float, float, str] | None:
    """Largest absolute and relative Jacobian error, and the input element where it occurs."""
    if jacobians is None or jacobians.numerical.size == 0:
        return None
    row, column = jacobians.worst()
    error = abs(float(jacobians.difference[row, column]))
    reference = abs(float(jacobians.numerical[row, column]))
    relative = error / max(reference, 1e-300) if error else 0.0
    return error, relative, f"{jacobians.row_labels[row]} ({jacobians.column_labels[column]})"


def first_derivative_function(fn: Callable, inputs: tuple) -> tuple[Callable, tuple]:
    """The function gradgradcheck checks: (inputs, grad_outputs) -> gradients, and its arguments."""
    diff_index = differentiable_indices(inputs)
    with torch.no_grad():
        outputs = _as_tuple(fn(*inputs))
    generator = torch.Generator().manual_seed(0)
    grad_outputs = tuple(
        torch.randn(o.shape, dtype=o.dtype, generator=generator).requires_grad_(True) for o in outputs if o.is_floating_point()
    )

    def first_derivative(*args):
        primal, seeds = args[: len(inputs)], args[len(inputs) :]
        with torch.enable_grad():  # the numerical Jacobian calls this under no_grad
            primal = [a.detach().requires_grad_(True) if i in diff_index and not a.requires_grad else a for i, a in enumerate(primal)]
            result = _as_tuple(fn(*primal))
            grads = torch.autograd.grad(result, [primal[i] for i in diff_index], seeds, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else torch.zeros_like(primal[i]) for g, i in zip(grads, diff_index))

    return first_derivative, tuple(inputs) + grad_outputs


def eps_sweep(
    function: str,
    make: Callable[[torch.dtype], tuple[Callable, tuple]],
    eps_values: Sequence[float],
    dtypes: Sequence[torch.dtype] = (torch.float64, torch.float32),
) -> Work[EpsSweep]:
    """Largest numerical-vs-analytical Jacobian error for each eps, for each dtype.

    Parameters
    ----------
    function : str
        The Function's name, for the report.
    make : callable
        ``make(dtype) -> (fn, inputs)``: the function and its inputs in that dtype.
    eps_values : sequence of float
        The steps to try, usually log-spaced.

    Yields
    ------
    Progress
        One per (dtype, eps) step, of ``len(eps_values) * len(dtypes)``; a dtype
        whose Jacobian cannot be computed counts all its steps at once.

    Returns
    -------
    EpsSweep
    """
    eps = np.asarray(sorted(eps_values), dtype=float)
    errors, best, cube_roots = {}, {}, {}
    total, done = len(eps) * len(dtypes), 0
    for dtype in dtypes:
        fn, inputs = make(dtype)
        reference = compute_jacobians(fn, inputs, float(eps[len(eps) // 2]), [f"arg{i}" for i in range(len(inputs))])
        name = str(dtype).replace("torch.", "")
        row = np.full(len(eps), np.nan)
        if reference is None:
            done += len(eps)
            yield Progress(done, total)
        else:
            analytical = reference.analytical
            for k, step in enumerate(eps):
                numerical = _GRADCHECK_MODULE._get_numerical_jacobian(fn, inputs, eps=float(step))
                stacked = torch.cat([torch.cat([j.reshape(j.shape[0], -1) for j in per_output], dim=1) for per_output in numerical])
                row[k] = float(np.nanmax(np.abs(stacked.detach().cpu().double().numpy() - analytical)))
                done += 1
                yield Progress(done, total)
        errors[name] = row
        finite = np.where(np.isfinite(row), row, np.inf)
        best[name] = float(eps[int(np.argmin(finite))]) if np.isfinite(finite).any() else float("nan")
        cube_roots[name] = float(torch.finfo(dtype).eps) ** (1 / 3)
    return EpsSweep(function, eps, errors, best, cube_roots)
