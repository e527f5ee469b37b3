"""The tutorial's two ways of calling a Function, side by side on the same inputs.

(a) ``out = F.apply(*inputs); out.backward()`` — each input's ``.grad``, None
for an input that does not require grad.  (b) ``out.grad_fn.apply(ones)`` —
the raw tuple the hand-written backward returns, including gradients for
inputs that do not require grad.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gradlab.core.capture import captured_output
from gradlab.core.invoke import apply_function, first_tensor, make_inputs
from gradlab.core.loading import FunctionSpec
from gradlab.model.problems import UserCodeError, problem_from_exception
from gradlab.model.results import CallStyles


def _array(value) -> np.ndarray | None:
    return value.detach().cpu().numpy().copy() if isinstance(value, torch.Tensor) else None


def call_styles(
    spec: FunctionSpec,
    values: Sequence[float] | None = None,
    requires_grad: Sequence[bool] | None = None,
    shape: tuple[int, ...] = (1,),
    seed: int = 0,
) -> CallStyles:
    """Call the Function both ways the tutorial shows.

    Parameters
    ----------
    spec : FunctionSpec
    values : sequence of float, optional
        One value per forward argument (filled to ``shape``); by default the
        ``inputs`` option or draws from ``domain``, in float32 like the tutorial.
    requires_grad : sequence of bool, optional
        Which inputs require grad; by default as :func:`make_inputs` decides.
    """
    drawn = make_inputs(spec, shape, torch.float32, "cpu", seed)
    flags = list(requires_grad) if requires_grad is not None else [isinstance(a, torch.Tensor) and a.requires_grad for a in drawn]
    if values is not None:
        inputs = [torch.full(shape, float(v)) for v in values]
    else:
        inputs = [a.detach() if isinstance(a, torch.Tensor) else a for a in drawn]
    for arg, flag in zip(inputs, flags):
        if isinstance(arg, torch.Tensor):
            arg.requires_grad_(bool(flag) and arg.is_floating_point())
    apply = apply_function(spec)
    with captured_output() as captured:
        print("# apply, then output.backward()")
        output = first_tensor(apply(*inputs))
        try:
            if output.requires_grad:
                output.backward(torch.ones_like(output))
            grads = [_array(a.grad) if isinstance(a, torch.Tensor) else None for a in inputs]
            print("# apply, then output.grad_fn.apply(ones)")
            second = first_tensor(apply(*inputs))
            if second.grad_fn is None:
                raw = [None] * len(inputs)
            else:
                returned = second.grad_fn.apply(torch.ones_like(second))
                returned = returned if isinstance(returned, tuple) else (returned,)
                raw = [_array(r) for r in returned]
        except Exception as exc:  # noqa: BLE001 - user backward
            raise UserCodeError(problem_from_exception(exc, spec.filename, "backward", f"{spec.name}.backward", fallback=spec.method_location("backward"))) from exc
    return CallStyles(
        function=spec.name,
        arg_names=list(spec.arg_names),
        inputs=[_array(a) for a in inputs],
        requires_grad=[isinstance(a, torch.Tensor) and a.requires_grad for a in inputs],
        output=_array(output),
        grads=grads,
        raw_backward=raw,
        captured=captured,
    )
