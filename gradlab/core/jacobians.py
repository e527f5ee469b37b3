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
from gradlab.model.results import EpsSweep, Jacobians, WorstEntry

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
    with torch.enable_grad():
        raw = fn(*inputs)
    single_output = isinstance(raw, torch.Tensor)
    outputs = _as_tuple(raw)
    differentiable = [isinstance(o, torch.Tensor) and o.requires_grad for o in outputs]
    outputs = tuple(o.detach() if isinstance(o, torch.Tensor) else o for o in outputs)
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
        input_sizes=[inputs[i].numel() for i in diff_index],
        output_sizes=[o.numel() for o in outputs],
        output_differentiable=differentiable,
    )


def worst_error(jacobians: Jacobians | None, block: tuple[slice, slice] | None = None) -> tuple[float, float, str] | None:
    """Largest absolute and relative Jacobian error (within ``block`` when given), and where it occurs."""
    if jacobians is None or jacobians.numerical.size == 0:
        return None
    row, column = jacobians.worst(block)
    error = abs(float(jacobians.difference[row, column]))
    reference = abs(float(jacobians.numerical[row, column]))
    relative = error / max(reference, 1e-300) if error else 0.0
    return error, relative, f"{jacobians.row_labels[row]} ({jacobians.column_labels[column]})"


def _position(sizes: Sequence[int], flat: int) -> tuple[int, int]:
    """(block, element in it) of entry ``flat`` of a concatenation of blocks of ``sizes``."""
    for block, size in enumerate(sizes):
        if flat < size:
            return block, flat
        flat -= size
    raise IndexError(flat)


def jacobian_entry(
    fn: Callable, inputs: tuple, argument: int, element: int, output: int, out_element: int, outputs: int | None = None
) -> float:
    """d fn(*inputs)[output].flat[out_element] / d inputs[argument].flat[element], by one backward through ``fn``.

    Raises ValueError when ``fn`` returns other than ``outputs`` outputs (its
    entries would not line up with the Jacobian's).
    """
    args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a for a in inputs]
    with torch.enable_grad():
        results = _as_tuple(fn(*args))
        if outputs is not None and len(results) != outputs:
            raise ValueError(f"{len(results)} outputs, not {outputs}")
        target = results[output].reshape(-1)[out_element]
        if not target.requires_grad:
            return 0.0
        (grad,) = torch.autograd.grad(target, args[argument], allow_unused=True)
    return 0.0 if grad is None else float(grad.reshape(-1)[element])


def worst_entry(
    jacobians: Jacobians,
    inputs: tuple,
    reference: Callable | None = None,
    block: tuple[slice, slice] | None = None,
) -> WorstEntry:
    """The largest mismatch (within ``block``) with its input value and, from ``reference``, autograd's value.

    ``reference`` takes the same arguments as the checked function (autograd
    of forward, or its first derivative for gradgradcheck); when it fails the
    entry has no autograd value.
    """
    row, column = jacobians.worst(block)
    diff_index = differentiable_indices(inputs)
    input_block, element = _position(jacobians.input_sizes, row)
    output, out_element = _position(jacobians.output_sizes, column)
    argument = diff_index[input_block]
    autograd = None
    if reference is not None:
        try:
            autograd = jacobian_entry(reference, inputs, argument, element, output, out_element, len(jacobians.output_sizes))
        except Exception:  # noqa: BLE001 - the reference is extra information, never a verdict
            autograd = None
    backward = float(jacobians.analytical[row, column])
    numerical = float(jacobians.numerical[row, column])
    error = abs(backward - numerical)
    return WorstEntry(
        input=jacobians.row_labels[row],
        output=jacobians.column_labels[column],
        input_value=float(inputs[argument].detach().reshape(-1)[element]),
        backward=backward,
        finite_differences=numerical,
        autograd_of_forward=autograd,
        relative_difference=error / max(abs(numerical), 1e-300) if error else 0.0,
    )


def differentiable_outputs(output) -> tuple:
    """The outputs that require grad, as gradcheck's ``_differentiable_outputs`` keeps them."""
    return tuple(o for o in _as_tuple(output) if isinstance(o, torch.Tensor) and o.requires_grad)


def make_grad_outputs(fn: Callable, inputs: tuple, seed: int = 0) -> tuple:
    """The grad_outputs gradgradcheck would draw, seeded: uniform in [-1, 1), requiring grad, one per differentiable output.

    gradgradcheck draws them with ``torch.testing.make_tensor(low=-1,
    high=1)`` from the global generator; drawing them here and passing them
    as ``grad_outputs`` lets gradlab's statistics see the very function
    PyTorch checks.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.enable_grad():
        outputs = differentiable_outputs(fn(*inputs))
    made = []
    for out in outputs:
        dtype = out.dtype if out.is_floating_point() or out.is_complex() else torch.float64
        uniform = torch.rand(out.shape, dtype=torch.float64, generator=generator) * 2 - 1
        made.append(uniform.to(device=out.device, dtype=dtype).requires_grad_(True))
    return tuple(made)


def first_derivative_function(fn: Callable, inputs: tuple, grad_outputs: tuple | None = None) -> tuple[Callable, tuple]:
    """The function gradgradcheck checks, and its arguments: (inputs, grad_outputs) -> the gradients that are not None.

    It mirrors gradgradcheck's ``new_func``: the differentiable outputs of
    ``fn``, their vector-Jacobian product with ``grad_outputs`` (made by
    :func:`make_grad_outputs` when not given), unused gradients dropped.
    """
    diff_index = differentiable_indices(inputs)
    grad_outputs = make_grad_outputs(fn, inputs) if grad_outputs is None else tuple(grad_outputs)
    seeds = [i for i, g in enumerate(grad_outputs) if g.requires_grad]

    def first_derivative(*args):
        primal, given = args[: len(inputs)], args[len(inputs) :]
        with torch.enable_grad():  # the numerical Jacobian calls this under no_grad
            primal = [a.detach().requires_grad_(True) if i in diff_index and not a.requires_grad else a for i, a in enumerate(primal)]
            given = [g.detach().requires_grad_(True) if i in seeds and not g.requires_grad else g for i, g in enumerate(given)]
            outputs = differentiable_outputs(fn(*primal))
            grads = torch.autograd.grad(outputs, [primal[i] for i in diff_index], given, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return first_derivative, tuple(inputs) + grad_outputs


#: A float64 error this close to its smallest value over this share of the eps values is flat.
FLAT_FACTOR, FLAT_SHARE = 2.0, 0.5


def flat_error_reason(eps: np.ndarray, errors: np.ndarray, scale: float) -> str:
    """Why no eps is best when the error does not depend on eps, or ``""`` when it does.

    Finite differences of a right backward approach it as eps shrinks (until
    round-off): the error is a V whose bottom is near machine precision.  A
    wrong backward differs from the derivative by a fixed amount: the error
    sits at that amount, the same at most eps, and no step brings it down.
    """
    finite = np.isfinite(errors)
    if not finite.any():
        return ""
    smallest = float(errors[finite].min())
    if not smallest > 1e-5 * max(scale, 1.0):
        return ""
    near = finite & (errors <= FLAT_FACTOR * smallest)
    if near.mean() < FLAT_SHARE:
        return ""
    band = eps[near]
    return (
        f"not an eps problem: the error does not depend on eps (about {smallest:.3g} from eps={band.min():.0e} to {band.max():.0e}); "
        "the hand-written backward differs from finite differences by that much whatever the step"
    )


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
    errors, best, cube_roots, reason = {}, {}, {}, ""
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
        if dtype == torch.float64 and reference is not None:
            reason = flat_error_reason(eps, row, float(np.nanmax(np.abs(reference.analytical), initial=0.0)))
    if reason:  # a wrong backward: no step is right, in any dtype
        best = {name: None for name in best}
    return EpsSweep(function, eps, errors, best, cube_roots, reason)
