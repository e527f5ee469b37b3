"""Call a Function's code: through ``apply``, or its forward under plain autograd.

Every call into user code goes through here, so a failure becomes a
:class:`~gradlab.model.problems.UserCodeError` naming the user's file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from gradlab.core.loading import FunctionSpec
from gradlab.model.problems import UserCodeError, problem_from_exception
from gradlab.model.results import Problem

#: Label of the reference that runs the Function's own forward under autograd.
AUTOGRAD_OF_FORWARD = "autograd of forward"
#: Label of the central finite-difference reference.
FINITE_DIFFERENCES = "finite differences"


class StandInContext:
    """A ``ctx`` for running ``forward`` outside ``apply``.

    It accepts everything a real ctx does (``save_for_backward``, marks,
    arbitrary attributes) and does nothing with it: autograd records the
    forward's own operations instead.
    """

    def __init__(self, needs_input_grad: Sequence[bool]) -> None:
        self.needs_input_grad = tuple(needs_input_grad)
        self.saved_tensors: tuple = ()
        self.materialize_grads = True

    @property
    def saved_variables(self) -> tuple:
        return self.saved_tensors

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


def first_tensor(output) -> torch.Tensor:
    """The output the plots and timings follow: the first floating-point tensor of a forward's output.

    ``return indices, values`` follows ``values``; without a floating-point
    tensor, the first tensor.
    """
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        tensors = [item for item in output if isinstance(item, torch.Tensor)]
        for tensor in tensors:
            if tensor.is_floating_point() or tensor.is_complex():
                return tensor
        if tensors:
            return tensors[0]
    raise TypeError(f"forward returned {type(output).__name__}, not a tensor")


def apply_function(spec: FunctionSpec) -> Callable:
    """``spec.cls.apply`` (a custom op: the op), with errors in forward reported against the user's file."""

    def call(*args):
        try:
            output = spec.apply(*args)
            first_tensor(output)  # a forward returning a numpy array or a number cannot be differentiated
        except Exception as exc:  # noqa: BLE001 - user code
            raise UserCodeError(
                problem_from_exception(
                    exc,
                    spec.filename,
                    "forward",
                    f"{spec.name}.forward",
                    hint="forward must return a tensor (or a tuple of them): wrap numpy results with torch.from_numpy"
                    if isinstance(exc, TypeError) and "not a tensor" in str(exc)
                    else "",
                    fallback=spec.method_location("forward"),
                )
            ) from exc
        return output

    return call


def autograd_of_forward(spec: FunctionSpec, clone_inputs: bool = True) -> Callable:
    """The Function's forward code run under plain autograd with a stand-in ctx.

    This is the derivative autograd would give without the hand-written
    backward, and the "naive" implementation in benchmarks.  With
    ``clone_inputs`` tensor arguments are cloned first, so a forward that
    works in place does not touch a leaf; benchmarks leave that off unless
    the forward needs it, so the clone is not timed.

    For a custom op it is the op's own Python implementation.  When that runs
    outside autograd (NumPy, ``.detach()``) while an input requires grad, the
    call raises :class:`~gradlab.model.problems.UserCodeError` with
    :func:`opaque_op_message` instead of returning an output whose derivative
    would read as 0.
    """

    def call(*args):
        if clone_inputs:
            args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        needs = [isinstance(a, torch.Tensor) and a.requires_grad for a in args]
        try:
            if spec.op is not None:  # a custom op's Python implementation, traced by autograd as plain code
                output = spec.op._init_fn(*args)
            elif spec.uses_setup_context:
                output = spec.cls.forward(*args)
            else:
                output = spec.cls.forward(StandInContext(needs), *args)
        except Exception as exc:  # noqa: BLE001 - user code
            raise UserCodeError(
                problem_from_exception(exc, spec.filename, "forward", f"{spec.name}.forward under autograd")
            ) from exc
        if spec.op is not None and any(needs) and torch.is_grad_enabled() and _detached(output):
            location = spec.method_location("forward")
            prefix = f"{location}: " if location else ""
            raise UserCodeError(Problem("forward", prefix + opaque_op_message(spec.name), location=location))
        return output

    return call


def opaque_op_message(name: str) -> str:
    """Why a custom op has no autograd of forward: its implementation runs where autograd cannot follow."""
    return (
        f"autograd of forward is not available for {name}: its output is not connected to its input under autograd (the"
        " implementation runs in NumPy, or detaches), which is why the op registers a backward; finite differences are the reference"
    )


def _detached(output) -> bool:
    """True when the first floating-point output has no autograd history: a derivative of it would read as 0."""
    try:
        tensor = first_tensor(output)
    except TypeError:
        return False
    return (tensor.is_floating_point() or tensor.is_complex()) and not tensor.requires_grad


def user_callable(fn: Callable, filename: str, label: str) -> Callable:
    """Wrap another user callable (a ``compare`` entry) so its errors name the file."""

    def call(*args):
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - user code
            raise UserCodeError(problem_from_exception(exc, filename, "forward", label)) from exc

    return call


def make_inputs(
    spec: FunctionSpec,
    shape: tuple[int, ...] = (3, 4),
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    seed: int = 0,
) -> tuple:
    """Arguments for checks and calls: the ``inputs`` option, or tensors drawn from ``domain``.

    An argument named in ``constants`` is a 0-d tensor of its value that does
    not require grad, whatever else says.  Without ``inputs``, an argument
    whose ``fixed`` value the file sets (other than the swept one) is drawn
    around that value (:func:`around`), the others from ``domain``.
    Floating-point tensors are detached and cast to ``dtype``.  When the
    ``inputs`` callable marked none as requiring grad, every floating-point
    tensor does; otherwise its marks are kept.
    """
    generator = torch.Generator().manual_seed(seed)
    options = spec.options
    if options.inputs is not None:
        torch.manual_seed(seed)
        try:
            made = options.inputs(tuple(shape), dtype, device)
            raw = (made,) if isinstance(made, torch.Tensor) else tuple(made)  # one tensor is one argument, not its rows
        except Exception as exc:  # noqa: BLE001 - user code
            raise UserCodeError(problem_from_exception(exc, spec.filename, "options", f"EXPLORE[{spec.name!r}]['inputs']")) from exc
    else:
        raw = tuple(_drawn(options, index, shape, generator).to(device) for index in range(len(spec.arg_names)))
    raw = tuple(_constant(options.constants[i], device) if i in options.constants else arg for i, arg in enumerate(raw))
    marked = any(isinstance(a, torch.Tensor) and a.requires_grad for a in raw)
    inputs = []
    for index, arg in enumerate(raw):
        if isinstance(arg, torch.Tensor):
            wanted = index not in options.constants and (arg.requires_grad if marked else arg.is_floating_point())
            arg = arg.detach()
            if arg.is_floating_point():
                arg = arg.to(dtype)
            arg.requires_grad_(wanted)
        inputs.append(arg)
    return tuple(inputs)


def around(value: float) -> tuple[float, float]:
    """The range checks draw an argument fixed at ``value`` from: ±10 % of it (±0.1 around 0), so its sign is kept."""
    half_width = 0.1 * abs(value) if value else 0.1
    return value - half_width, value + half_width


def _drawn(options, index: int, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """A float64 tensor for argument ``index``: around its ``fixed`` value when the file sets one, else from ``domain``."""
    fixed = index != options.sweep and index in options.fixed_given and index not in options.constants
    lo, hi = around(options.fixed[index]) if fixed else options.domain
    return torch.empty(shape, dtype=torch.float64).uniform_(lo, hi, generator=generator)


def _constant(value: float, device: str) -> torch.Tensor:
    """A constant argument: a 0-d tensor of ``value`` (cast with the others), never differentiated."""
    return torch.tensor(value, dtype=torch.float64, device=device)
